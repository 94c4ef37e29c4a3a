/**
 * Verifying a peer's certificate chain, the same for every engine and both
 * roles: the peer certificate's own checks (validity, key, key usage,
 * purpose, host name), then a path to a trust anchor that passes RFC 5280
 * §6.1 validation. Every refusal is a {@link CertificateError} with one line
 * saying why and the alert to send.
 *
 * @module
 */

import { Alert } from "../ssl/alerts.ts";
import type { TlsConfig } from "../ssl/engine.ts";
import {
  type Certificate,
  CertificateParseError,
  type KeyUsage,
  parseCertificate,
  subjectText,
} from "./certificate.ts";
import { CertificateError } from "./errors.ts";
import { certificateMatchesHost } from "./names.ts";
import { buildPath } from "./path_building.ts";
import { checkCertificate, ekuAllows, validatePath } from "./path_validation.ts";
import { TrustAnchors } from "./trust_anchors.ts";

/**
 * What {@link verifyChain} checks against.
 *
 * @example A client certificate, checked as a server checks it, at a pinned time
 * ```ts
 * import { issueCertificate, pemToDer, verifyChain, type VerifyOptions } from "@ssl-nonblock/tls";
 *
 * const ca = issueCertificate({ commonName: "Example CA", keyType: "ecdsa", isCA: true });
 * const alice = issueCertificate({ commonName: "alice", keyType: "ecdsa", issuer: ca, extKeyUsage: ["clientAuth"] });
 * const options: VerifyOptions = { trustAnchors: pemToDer(ca.certPem), purpose: "client", now: new Date() };
 * verifyChain(pemToDer(alice.certPem), options);
 * ```
 */
export interface VerifyOptions {
  /** Trusted certificates: DER, or a {@link TrustAnchors} parsed once and reused. */
  trustAnchors: Uint8Array[] | TrustAnchors;
  /** Host name or IP literal the leaf must be valid for (purpose "server"). */
  hostname?: string;
  /**
   * Purpose "server" without a hostname is refused unless this is false:
   * skipping the host name check is never a silent default.
   */
  verifyHostname?: boolean;
  /** Which extended key usage the leaf needs: serverAuth or clientAuth. */
  purpose: "server" | "client";
  /** Key usage bit the protocol needs from the leaf (default digitalSignature). */
  keyUsage?: "digitalSignature" | "keyEncipherment";
  /** Validity is checked at this time (default: now). */
  now?: Date;
}

function parse(der: Uint8Array, what: string): Certificate {
  try {
    return parseCertificate(der);
  } catch (e) {
    if (!(e instanceof CertificateParseError)) throw e;
    throw new CertificateError(
      "unparsable",
      Alert.bad_certificate,
      `${what} certificate could not be parsed (${e.message})`,
    );
  }
}

function ipText(ip: Uint8Array): string {
  if (ip.length === 4) return ip.join(".");
  const words = Array.from({ length: 8 }, (_, i) => ((ip[2 * i] << 8) | ip[2 * i + 1]).toString(16));
  return words.join(":").replace(/(^|:)0(:0)+(:|$)/, "::");
}

function namesText(cert: Certificate): string {
  const san = cert.subjectAltName;
  const names = [
    ...(san?.dns ?? []).map((n) => `DNS:${n}`),
    ...(san?.ip ?? []).map((ip) => `IP Address:${ipText(ip)}`),
  ];
  return names.length ? names.join(", ") : `no DNS name or IP address, only the subject ${subjectText(cert)}`;
}

function checkLeaf(leaf: Certificate, opts: VerifyOptions, now: number, pinned: boolean): void {
  const error = checkCertificate(leaf, "peer", now);
  if (error) throw error;
  // A CA certificate may not serve as an end entity, unless it is exactly a
  // certificate the user trusts (`openssl req -x509` marks its self-signed
  // certificates CA:TRUE): trusting it adds nothing it could not issue itself.
  if (leaf.basicConstraints?.ca && !pinned) {
    throw new CertificateError(
      "ca_as_leaf",
      Alert.bad_certificate,
      `peer certificate (${subjectText(leaf)}) is a CA certificate, not an end-entity certificate`,
    );
  }
  const wanted: KeyUsage = opts.keyUsage ?? "digitalSignature";
  if (leaf.keyUsage && !leaf.keyUsage.has(wanted)) {
    throw new CertificateError(
      "bad_key_usage",
      Alert.unsupported_certificate,
      `peer certificate key usage does not allow ${wanted}`,
    );
  }
  if (!ekuAllows(leaf, opts.purpose, true)) {
    throw new CertificateError(
      "bad_key_usage",
      Alert.unsupported_certificate,
      `peer certificate extended key usage does not include ${opts.purpose === "server" ? "serverAuth" : "clientAuth"}`,
    );
  }
  if (opts.hostname !== undefined && !certificateMatchesHost(leaf, opts.hostname)) {
    const host = opts.hostname.replace(/^\[(.*)\]$/, "$1");
    throw new CertificateError(
      "hostname_mismatch",
      Alert.bad_certificate,
      `peer certificate is not valid for host name ${host} (it names ${namesText(leaf)})`,
    );
  }
}

/**
 * Verifies a peer's chain (DER, leaf first; the rest in any order). Throws
 * {@link CertificateError}.
 *
 * @example An expired certificate
 * ```ts
 * import { CertificateError, issueCertificate, pemToDer, verifyChain } from "@ssl-nonblock/tls";
 * import assert from "node:assert/strict";
 *
 * const ca = issueCertificate({ commonName: "Example CA", keyType: "ecdsa", isCA: true, notBefore: new Date("2019-01-01") });
 * const old = issueCertificate({
 *   commonName: "localhost",
 *   keyType: "ecdsa",
 *   issuer: ca,
 *   dnsNames: ["localhost"],
 *   notBefore: new Date("2020-01-01"),
 *   notAfter: new Date("2021-01-01"),
 * });
 * const options = { trustAnchors: pemToDer(ca.certPem), hostname: "localhost", purpose: "server" as const };
 * verifyChain(pemToDer(old.certPem), { ...options, now: new Date("2020-06-01") });
 * assert.throws(() => verifyChain(pemToDer(old.certPem), options), CertificateError);
 * ```
 *
 * @param chain The peer's certificates, DER, leaf first.
 * @param opts Trust anchors, host name, purpose, time.
 */
export function verifyChain(chain: Uint8Array[], opts: VerifyOptions): void {
  if (opts.purpose === "server" && opts.hostname === undefined && opts.verifyHostname !== false) {
    throw new CertificateError(
      "no_hostname",
      Alert.internal_error,
      "no host name to check the server certificate against: set serverName, or verifyHostname: false to skip the check",
    );
  }
  if (chain.length === 0) {
    throw new CertificateError("no_certificate", Alert.certificate_required, "peer sent no certificate");
  }
  const anchors = opts.trustAnchors instanceof TrustAnchors
    ? opts.trustAnchors
    : TrustAnchors.fromDer(opts.trustAnchors);
  if (anchors.error) throw anchors.error;
  const now = (opts.now ?? new Date()).getTime();
  const leaf = parse(chain[0], "peer");
  const intermediates = chain.slice(1).map((der) => parse(der, "intermediate"));
  const pinned = anchors.includes(leaf); // the peer's certificate is exactly a trusted one
  checkLeaf(leaf, opts, now, pinned);
  if (pinned) return;
  buildPath(leaf, intermediates, anchors, (path) => validatePath(path, { purpose: opts.purpose, now }));
}

/**
 * {@link VerifyOptions} for the peer of a connection configured by
 * `config`; the trust anchors are parsed once per CA file text.
 */
export function peerVerifyOptions(config: TlsConfig, keyUsage?: VerifyOptions["keyUsage"]): VerifyOptions {
  const client = config.role === "client";
  return {
    trustAnchors: TrustAnchors.fromPem(config.caCertificates ?? []),
    hostname: client && config.verifyHostname !== false ? config.serverName : undefined,
    verifyHostname: client ? config.verifyHostname : false,
    purpose: client ? "server" : "client",
    keyUsage,
    now: config.now?.(),
  };
}
