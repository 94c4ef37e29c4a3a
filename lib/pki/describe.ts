/**
 * Certificates for people: a short description for `--showcerts`, and
 * whether a private key belongs to a certificate.
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
 * import { describeCertificate, issueCertificate, pemToDer } from "@ssl-nonblock/tls";
 * import assert from "node:assert/strict";
 *
 * const cert = issueCertificate({ commonName: "localhost", keyType: "ecdsa", dnsNames: ["localhost"] });
 * const text = describeCertificate(pemToDer(cert.certPem)[0]);
 * assert.match(text, /^subject=CN=localhost\b/m);
 * assert.match(text, /^subjectAltName: DNS:localhost$/m);
 * assert.match(text, /^public key: EC prime256v1$/m);
 * ```
 *
 * @param der One certificate, DER.
 * @returns Subject, issuer, validity, key, names and fingerprint, one per line.
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
 * import { issueCertificate, keyMatchesCertificate } from "@ssl-nonblock/tls";
 * import assert from "node:assert/strict";
 *
 * const a = issueCertificate({ commonName: "a", keyType: "ecdsa" });
 * const b = issueCertificate({ commonName: "b", keyType: "ecdsa" });
 * assert.equal(keyMatchesCertificate(a.keyPem, a.certPem), true);
 * assert.equal(keyMatchesCertificate(b.keyPem, a.certPem), false);
 * ```
 *
 * @param keyPem A private key, PEM.
 * @param certPem A certificate chain, PEM, leaf first.
 * @returns True when the key is the leaf's.
 */
export function keyMatchesCertificate(keyPem: string, certPem: string): boolean {
  const [leaf] = pemToDer(certPem);
  if (!leaf) return false;
  const fromKey = createPublicKey(createPrivateKey(keyPem)).export({ type: "spki", format: "der" });
  const fromCert = new X509Certificate(leaf).publicKey.export({ type: "spki", format: "der" });
  return Buffer.compare(fromKey, fromCert) === 0;
}
