/**
 * The one error certificate verification throws: a short machine-readable
 * reason, the TLS alert to send (RFC 8446 §6.2), and one line for people.
 *
 * @module
 */

/**
 * Why a certificate chain was refused. `alert` is the TLS alert to send.
 *
 * @example A certificate for another host
 * ```ts
 * import { Alert, CertificateError, issueCertificate, pemToDer, verifyChain } from "@ssl-nonblock/tls";
 * import assert from "node:assert/strict";
 *
 * const ca = issueCertificate({ commonName: "Example CA", keyType: "ecdsa", isCA: true });
 * const leaf = issueCertificate({ commonName: "a", keyType: "ecdsa", issuer: ca, dnsNames: ["a.example"] });
 * assert.throws(
 *   () => verifyChain(pemToDer(leaf.certPem), { trustAnchors: pemToDer(ca.certPem), hostname: "b.example", purpose: "server" }),
 *   (e) => e instanceof CertificateError && e.alert === Alert.bad_certificate && e.reason === "hostname_mismatch",
 * );
 * ```
 */
export class CertificateError extends Error {
  /** The TLS alert that reports this problem to the peer. */
  readonly alert: number;
  /** A short machine-readable reason, e.g. `unknown_ca`, `expired`, `hostname_mismatch`. */
  readonly reason: string;
  /**
   * A refusal and the alert that reports it.
   *
   * @param reason A short machine-readable reason.
   * @param alert The TLS alert to send.
   * @param message One line for the user.
   */
  constructor(reason: string, alert: number, message: string) {
    super(message);
    this.name = "CertificateError";
    this.reason = reason;
    this.alert = alert;
  }
}
