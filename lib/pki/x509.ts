/**
 * Certificate handling shared by every engine: PEM decoding, chain
 * verification (trust anchor, validity, host name, key usage) and a short
 * description for `--showcerts`.
 *
 * Signatures and host names are checked by the runtime's `X509Certificate`
 * (it handles RSA and EC keys alike); the extensions it does not expose
 * (basic constraints, key usage, extended key usage) are read here with
 * forge's ASN.1 parser.
 *
 * @module
 */

import { createHash, createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import { Buffer } from "node:buffer";
import { forge, toBinaryString } from "./forge.ts";
import { Alert } from "../ssl/alerts.ts";

/**
 * Every PEM block with the given label, decoded to DER.
 *
 * @example
 * ```ts
 * const [leaf] = pemToDer(await Deno.readTextFile("certs/server.crt"));
 * ```
 */
export function pemToDer(pem: string, label = "CERTIFICATE"): Uint8Array[] {
  const out: Uint8Array[] = [];
  const re = new RegExp(
    `-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`,
    "g",
  );
  for (const m of pem.matchAll(re)) {
    out.push(new Uint8Array(Buffer.from(m[1].replace(/\s+/g, ""), "base64")));
  }
  return out;
}

/** DER to PEM, 64 columns, for printing chains like `s_client -showcerts`. */
export function derToPem(der: Uint8Array, label = "CERTIFICATE"): string {
  const b64 = Buffer.from(der).toString("base64").replace(/.{64}/g, "$&\n");
  return `-----BEGIN ${label}-----\n${b64.replace(/\n$/, "")}\n-----END ${label}-----\n`;
}

/**
 * Why a certificate chain was refused. `alert` is the TLS alert to send.
 *
 * @example
 * ```ts
 * try { verifyChain(chain, opts); } catch (e) {
 *   if (e instanceof CertificateError) console.error(e.reason, e.message);
 * }
 * ```
 */
export class CertificateError extends Error {
  readonly alert: number;
  readonly reason: string;
  constructor(reason: string, alert: number, message: string) {
    super(message);
    this.name = "CertificateError";
    this.reason = reason;
    this.alert = alert;
  }
}

/** What {@link verifyChain} checks against. */
export interface VerifyOptions {
  /** Trusted certificates, DER. */
  trustAnchors: Uint8Array[];
  /** Host name or IP literal the leaf must be valid for. */
  hostname?: string;
  /** Which extended key usage the leaf needs. */
  purpose: "server" | "client";
  /** Key usage bit the protocol needs from the leaf (default digitalSignature). */
  keyUsage?: "digitalSignature" | "keyEncipherment";
  /** Validity is checked at this time (default: now). */
  now?: Date;
}

/** The extensions `X509Certificate` does not expose. */
interface Extensions {
  isCA: boolean;
  keyUsage?: Set<string>;
  extKeyUsage?: Set<string>;
}

const KEY_USAGE_BITS = [
  "digitalSignature",
  "nonRepudiation",
  "keyEncipherment",
  "dataEncipherment",
  "keyAgreement",
  "keyCertSign",
  "cRLSign",
  "encipherOnly",
  "decipherOnly",
];
const EKU_NAMES: Record<string, string> = {
  "1.3.6.1.5.5.7.3.1": "serverAuth",
  "1.3.6.1.5.5.7.3.2": "clientAuth",
  "2.5.29.37.0": "anyExtendedKeyUsage",
};

function readExtensions(der: Uint8Array): Extensions {
  const result: Extensions = { isCA: false };
  const cert = forge.asn1.fromDer(toBinaryString(der));
  const tbs = (cert.value as forge.asn1.Asn1[])[0].value as forge.asn1.Asn1[];
  const wrapper = tbs.find((n) => n.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && n.type === 3);
  if (!wrapper) return result;
  const exts = (wrapper.value as forge.asn1.Asn1[])[0].value as forge.asn1.Asn1[];
  for (const ext of exts) {
    const parts = ext.value as forge.asn1.Asn1[];
    const oid = forge.asn1.derToOid(parts[0].value as string);
    const body = forge.asn1.fromDer(parts[parts.length - 1].value as string);
    if (oid === "2.5.29.19") {
      const seq = body.value as forge.asn1.Asn1[];
      result.isCA = seq.length > 0 && seq[0].type === forge.asn1.Type.BOOLEAN &&
        (seq[0].value as string).charCodeAt(0) !== 0;
    } else if (oid === "2.5.29.15") {
      const bits = body.value as string; // first byte: unused bit count
      const usage = new Set<string>();
      for (let i = 0; i < KEY_USAGE_BITS.length; i++) {
        const byte = bits.charCodeAt(1 + (i >> 3));
        if (byte & (0x80 >> (i & 7))) usage.add(KEY_USAGE_BITS[i]);
      }
      result.keyUsage = usage;
    } else if (oid === "2.5.29.37") {
      result.extKeyUsage = new Set(
        (body.value as forge.asn1.Asn1[]).map((n) => {
          const id = forge.asn1.derToOid(n.value as string);
          return EKU_NAMES[id] ?? id;
        }),
      );
    }
  }
  return result;
}

interface Parsed {
  der: Uint8Array;
  x509: X509Certificate;
  ext: Extensions;
}

function parse(der: Uint8Array, what: string): Parsed {
  try {
    return { der, x509: new X509Certificate(der), ext: readExtensions(der) };
  } catch {
    throw new CertificateError(
      "unparsable",
      Alert.bad_certificate,
      `${what} certificate could not be parsed`,
    );
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function checkValidity(cert: Parsed, now: Date, what: string): void {
  const from = new Date(cert.x509.validFrom);
  const to = new Date(cert.x509.validTo);
  if (now < from) {
    throw new CertificateError(
      "not_yet_valid",
      Alert.bad_certificate,
      `${what} certificate is not yet valid (valid from ${from.toISOString()})`,
    );
  }
  if (now > to) {
    throw new CertificateError(
      "expired",
      Alert.certificate_expired,
      `${what} certificate has expired (valid until ${to.toISOString()})`,
    );
  }
}

function issuedBy(child: Parsed, issuer: Parsed): boolean {
  try {
    return child.x509.checkIssued(issuer.x509) &&
      child.x509.verify(issuer.x509.publicKey);
  } catch {
    return false;
  }
}

/**
 * Whether a host is written as an IP address (never sent as SNI, RFC 6066
 * §3; matched against IP entries of the subjectAltName).
 *
 * @example
 * ```ts
 * isIpLiteral("::1"); // true
 * ```
 */
export function isIpLiteral(host: string): boolean {
  return /^[0-9.]+$/.test(host) || host.includes(":");
}

/**
 * Host name or IP against the subjectAltName. The subject's CN is not
 * consulted (RFC 6125 §6.4.4; browsers and rustls do the same).
 */
function matchesHost(x509: X509Certificate, host: string): boolean {
  try {
    if (isIpLiteral(host)) return x509.checkIP(host) !== undefined;
    // checkHost falls back to the CN when there is no DNS name in the SAN: refuse that case first.
    return /(^|, )DNS:/.test(x509.subjectAltName ?? "") && x509.checkHost(host) !== undefined;
  } catch {
    return false; // e.g. "127.1": not an address the certificate can name
  }
}

function checkLeaf(leaf: Parsed, opts: VerifyOptions): void {
  const subject = leaf.x509.subject.replace(/\n/g, ", ");
  if (leaf.ext.isCA) {
    throw new CertificateError(
      "ca_as_leaf",
      Alert.bad_certificate,
      `peer certificate (${subject}) is a CA certificate, not an end-entity certificate`,
    );
  }
  const wanted = opts.keyUsage ?? "digitalSignature";
  if (leaf.ext.keyUsage && !leaf.ext.keyUsage.has(wanted)) {
    throw new CertificateError(
      "bad_key_usage",
      Alert.unsupported_certificate,
      `peer certificate key usage does not allow ${wanted}`,
    );
  }
  const eku = opts.purpose === "server" ? "serverAuth" : "clientAuth";
  if (
    leaf.ext.extKeyUsage && !leaf.ext.extKeyUsage.has(eku) &&
    !leaf.ext.extKeyUsage.has("anyExtendedKeyUsage")
  ) {
    throw new CertificateError(
      "bad_key_usage",
      Alert.unsupported_certificate,
      `peer certificate extended key usage does not include ${eku}`,
    );
  }
  if (opts.hostname !== undefined) {
    const host = opts.hostname.replace(/^\[|\]$/g, "");
    const ok = matchesHost(leaf.x509, host);
    if (!ok) {
      throw new CertificateError(
        "hostname_mismatch",
        Alert.bad_certificate,
        `peer certificate is not valid for host name ${host} (it names ${leaf.x509.subjectAltName ?? subject})`,
      );
    }
  }
}

/**
 * Verifies a peer's chain (DER, leaf first): each link's signature, validity
 * dates, basic constraints, key usage, and that it ends at a trust anchor;
 * then the leaf's host name. Throws {@link CertificateError}.
 *
 * @example
 * ```ts
 * verifyChain(peerChain, {
 *   trustAnchors: pemToDer(await Deno.readTextFile("certs/ca.crt")),
 *   hostname: "localhost",
 *   purpose: "server",
 * });
 * ```
 */
export function verifyChain(chain: Uint8Array[], opts: VerifyOptions): void {
  if (chain.length === 0) {
    throw new CertificateError(
      "no_certificate",
      Alert.certificate_required,
      "peer sent no certificate",
    );
  }
  const now = opts.now ?? new Date();
  const certs = chain.map((der, i) => parse(der, i === 0 ? "peer" : "intermediate"));
  const anchors = opts.trustAnchors.map((der) => parse(der, "trusted"));
  const leaf = certs[0];
  checkValidity(leaf, now, "peer");
  checkLeaf(leaf, opts);

  let current = leaf;
  const pool = certs.slice(1);
  for (let depth = 0; depth < 10; depth++) {
    if (anchors.some((a) => sameBytes(a.der, current.der))) return;
    // A trusted certificate that is not a CA may be pinned (matched exactly,
    // above) but may not vouch for others.
    const anchor = anchors.find((a) => a.ext.isCA && issuedBy(current, a));
    if (anchor) {
      checkValidity(anchor, now, "CA");
      return;
    }
    const next = pool.find((c) => c.ext.isCA && issuedBy(current, c));
    if (!next) break;
    checkValidity(next, now, "intermediate");
    pool.splice(pool.indexOf(next), 1);
    current = next;
  }
  throw new CertificateError(
    "unknown_ca",
    Alert.unknown_ca,
    `peer certificate is not signed by a trusted CA (issuer: ${current.x509.issuer.replace(/\n/g, ", ")})`,
  );
}

/**
 * Several lines describing a certificate, like `openssl x509 -noout -text`
 * in brief.
 *
 * @example
 * ```ts
 * console.error(describeCertificate(info.peerCertificates[0]));
 * ```
 */
export function describeCertificate(der: Uint8Array): string {
  try {
    const x = new X509Certificate(der);
    const key = x.publicKey;
    const details = key.asymmetricKeyDetails ?? {};
    const keyText = key.asymmetricKeyType === "ec"
      ? `EC ${details.namedCurve}`
      : `${key.asymmetricKeyType?.toUpperCase()} ${details.modulusLength ?? "?"} bits`;
    return [
      `subject=${x.subject.replace(/\n/g, ", ")}`,
      `issuer=${x.issuer.replace(/\n/g, ", ")}`,
      `validity: ${x.validFrom} to ${x.validTo}`,
      `public key: ${keyText}`,
      ...(x.subjectAltName ? [`subjectAltName: ${x.subjectAltName}`] : []),
      `sha256 fingerprint: ${x.fingerprint256}`,
    ].join("\n");
  } catch {
    return `(unparsable certificate, ${der.length} bytes, sha256 ${createHash("sha256").update(der).digest("hex")})`;
  }
}

/**
 * Whether a PEM private key belongs to the leaf of a PEM certificate chain,
 * like OpenSSL's SSL_CTX_check_private_key.
 *
 * @example
 * ```ts
 * if (!keyMatchesCertificate(keyPem, certPem)) throw new Error("mismatch");
 * ```
 */
export function keyMatchesCertificate(keyPem: string, certPem: string): boolean {
  const [leaf] = pemToDer(certPem);
  if (!leaf) return false;
  const fromKey = createPublicKey(createPrivateKey(keyPem)).export({
    type: "spki",
    format: "der",
  });
  const fromCert = new X509Certificate(leaf).publicKey.export({
    type: "spki",
    format: "der",
  });
  return Buffer.compare(fromKey, fromCert) === 0;
}
