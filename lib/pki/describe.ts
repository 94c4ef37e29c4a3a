/**
 * Certificates for people: a short description for `--showcerts`, and
 * whether a private key belongs to a certificate.
 *
 * @example
 * ```ts
 * console.error(describeCertificate(info.peerCertificates[0]));
 * ```
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createHash, createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import { pemToDer } from "./pem.ts";

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
      : key.asymmetricKeyType === "ed25519"
      ? "Ed25519"
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
  const fromKey = createPublicKey(createPrivateKey(keyPem)).export({ type: "spki", format: "der" });
  const fromCert = new X509Certificate(leaf).publicKey.export({ type: "spki", format: "der" });
  return Buffer.compare(fromKey, fromCert) === 0;
}
