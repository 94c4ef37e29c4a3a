/**
 * TLS alerts (RFC 8446 §6, RFC 5246 §7.2) and the error type every engine
 * throws. Names are the RFC's, so messages read like OpenSSL's.
 *
 * @module
 */

/** Alert descriptions by code. */
export const ALERT_NAMES: Readonly<Record<number, string>> = {
  0: "close_notify",
  10: "unexpected_message",
  20: "bad_record_mac",
  21: "decryption_failed",
  22: "record_overflow",
  30: "decompression_failure",
  40: "handshake_failure",
  41: "no_certificate",
  42: "bad_certificate",
  43: "unsupported_certificate",
  44: "certificate_revoked",
  45: "certificate_expired",
  46: "certificate_unknown",
  47: "illegal_parameter",
  48: "unknown_ca",
  49: "access_denied",
  50: "decode_error",
  51: "decrypt_error",
  60: "export_restriction",
  70: "protocol_version",
  71: "insufficient_security",
  80: "internal_error",
  86: "inappropriate_fallback",
  90: "user_canceled",
  100: "no_renegotiation",
  109: "missing_extension",
  110: "unsupported_extension",
  111: "certificate_unobtainable",
  112: "unrecognized_name",
  113: "bad_certificate_status_response",
  114: "bad_certificate_hash_value",
  115: "unknown_psk_identity",
  116: "certificate_required",
  120: "no_application_protocol",
};

/**
 * Alert codes by name (RFC 8446 §6, RFC 5246 §7.2).
 *
 * @example
 * ```ts
 * import { Alert, alertName } from "@ssl-nonblock/tls";
 * import assert from "node:assert/strict";
 *
 * assert.equal(Alert.unknown_ca, 48);
 * assert.equal(alertName(Alert.unknown_ca), "unknown_ca");
 * ```
 */
export const Alert = {
  close_notify: 0,
  unexpected_message: 10,
  bad_record_mac: 20,
  record_overflow: 22,
  handshake_failure: 40,
  bad_certificate: 42,
  unsupported_certificate: 43,
  certificate_revoked: 44,
  certificate_expired: 45,
  certificate_unknown: 46,
  illegal_parameter: 47,
  unknown_ca: 48,
  access_denied: 49,
  decode_error: 50,
  decrypt_error: 51,
  protocol_version: 70,
  insufficient_security: 71,
  internal_error: 80,
  inappropriate_fallback: 86,
  user_canceled: 90,
  no_renegotiation: 100,
  missing_extension: 109,
  unsupported_extension: 110,
  unrecognized_name: 112,
  certificate_required: 116,
  no_application_protocol: 120,
} as const;

/**
 * The name of an alert code, or `unknown_alert(N)`.
 *
 * @example
 * ```ts
 * import { alertName } from "@ssl-nonblock/tls";
 * import assert from "node:assert/strict";
 *
 * assert.equal(alertName(40), "handshake_failure");
 * assert.equal(alertName(255), "unknown_alert(255)");
 * ```
 *
 * @param code An alert description code.
 * @returns Its RFC name.
 */
export function alertName(code: number): string {
  return ALERT_NAMES[code] ?? `unknown_alert(${code})`;
}

/**
 * A fatal TLS failure. `sent` says we told the peer (we sent the alert);
 * `received` says the peer told us (it sent the alert).
 *
 * @example A client that does not trust the server's CA: the alert it sent, and the one the server got
 * ```ts
 * import { Alert, createTls13Engine, issueCertificate, Ssl, TlsError } from "@ssl-nonblock/tls";
 * import assert from "node:assert/strict";
 *
 * const ca = issueCertificate({ commonName: "Example CA", keyType: "ecdsa", isCA: true });
 * const otherCa = issueCertificate({ commonName: "Some other CA", keyType: "ecdsa", isCA: true });
 * const leaf = issueCertificate({ commonName: "localhost", keyType: "ecdsa", issuer: ca, dnsNames: ["localhost"] });
 * const client = new Ssl(createTls13Engine, {
 *   role: "client",
 *   serverName: "localhost",
 *   caCertificates: [otherCa.certPem],
 * });
 * const server = new Ssl(createTls13Engine, { role: "server", certificateChain: leaf.certPem, privateKey: leaf.keyPem });
 * client.handshake();
 * server.rbio.write(client.wbio.read());
 * server.handshake();
 * client.rbio.write(server.wbio.read());
 * assert.equal(client.handshake(), "ssl");
 * assert.ok(client.error instanceof TlsError);
 * assert.equal(client.error.alert, Alert.unknown_ca);
 * assert.equal(client.error.sent, true);
 *
 * server.rbio.write(client.wbio.read()); // the alert
 * assert.equal(server.handshake(), "ssl");
 * assert.equal(server.error?.received, true);
 * assert.equal(server.error?.describe(), "peer sent alert unknown_ca");
 * ```
 */
export class TlsError extends Error {
  /** Alert code (RFC 8446 §6.2). */
  readonly alert: number;
  /** We sent this alert to the peer. */
  readonly sent: boolean;
  /** The peer sent this alert to us. */
  readonly received: boolean;

  /**
   * A fatal error with its alert.
   *
   * @param alert The alert code ({@link Alert}).
   * @param message What went wrong, for the user.
   * @param opts Whether the alert was sent to or received from the peer.
   */
  constructor(
    alert: number,
    message: string,
    opts: { sent?: boolean; received?: boolean } = {},
  ) {
    super(message);
    this.name = "TlsError";
    this.alert = alert;
    this.sent = opts.sent ?? false;
    this.received = opts.received ?? false;
  }

  /** The alert's RFC name. */
  get alertName(): string {
    return alertName(this.alert);
  }

  /** One line for the user: who raised which alert, and why. */
  describe(): string {
    if (this.received) {
      // Engines word a received alert differently; add only what the alert's name does not say.
      const extra = this.message && !this.message.startsWith("peer sent alert") ? ` (${this.message})` : "";
      return `peer sent alert ${this.alertName}${extra}`;
    }
    return `${this.message} (alert ${this.alertName}${this.sent ? " sent" : ""})`;
  }
}
