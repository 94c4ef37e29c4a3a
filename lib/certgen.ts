/**
 * Issues X.509 certificates with node-forge: what `deno task gen-certs`
 * writes, and what the tests use to make unusual certificates (expired,
 * not yet valid, a CA as leaf, a wrong key usage).
 *
 * @module
 */

import { forge } from "./forge.ts";

/** A certificate with its key pair. */
export interface Issued {
  cert: forge.pki.Certificate;
  keys: forge.pki.rsa.KeyPair;
  /** PEM of the certificate. */
  certPem: string;
  /** PEM of the private key (PKCS#1). */
  keyPem: string;
}

/** What to put in a certificate. */
export interface CertificateSpec {
  commonName: string;
  /** Signed by this issuer; self-signed when absent. */
  issuer?: Issued;
  /** Validity window (default: from a minute ago, for `days`). */
  notBefore?: Date;
  notAfter?: Date;
  days?: number;
  /** basicConstraints CA flag (default false). */
  isCA?: boolean;
  /** keyUsage bits, e.g. ["digitalSignature", "keyEncipherment"]; omitted when absent. */
  keyUsage?: string[];
  /** extKeyUsage purposes, e.g. ["serverAuth"]; omitted when absent. */
  extKeyUsage?: ("serverAuth" | "clientAuth")[];
  /** subjectAltName entries. */
  dnsNames?: string[];
  ipAddresses?: string[];
}

function serialNumber(): string {
  // A positive 16-byte serial: keep the top bit clear.
  const hex = forge.util.bytesToHex(forge.random.getBytesSync(16));
  return (parseInt(hex[0], 16) & 0x7).toString(16) + hex.slice(1);
}

/**
 * Makes an RSA-2048 key pair and a certificate for it (SHA-256 signature).
 *
 * @example
 * ```ts
 * const ca = issueCertificate({ commonName: "Test CA", isCA: true, keyUsage: ["keyCertSign", "cRLSign"] });
 * const leaf = issueCertificate({ commonName: "localhost", issuer: ca, dnsNames: ["localhost"] });
 * ```
 */
export function issueCertificate(spec: CertificateSpec): Issued {
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048, e: 0x10001 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serialNumber();
  const now = Date.now();
  cert.validity.notBefore = spec.notBefore ?? new Date(now - 60_000);
  cert.validity.notAfter = spec.notAfter ?? new Date(now + (spec.days ?? 365) * 86_400_000);
  const subject = [
    { name: "commonName", value: spec.commonName },
    { name: "organizationName", value: "ssl-nonblock-deno" },
  ];
  cert.setSubject(subject);
  cert.setIssuer(spec.issuer ? spec.issuer.cert.subject.attributes : subject);

  const extensions: object[] = [{ name: "basicConstraints", cA: spec.isCA ?? false, critical: true }];
  if (spec.keyUsage) {
    extensions.push({ name: "keyUsage", critical: true, ...Object.fromEntries(spec.keyUsage.map((k) => [k, true])) });
  }
  if (spec.extKeyUsage) {
    extensions.push({ name: "extKeyUsage", ...Object.fromEntries(spec.extKeyUsage.map((k) => [k, true])) });
  }
  const altNames = [
    ...(spec.dnsNames ?? []).map((value) => ({ type: 2, value })),
    ...(spec.ipAddresses ?? []).map((ip) => ({ type: 7, ip })),
  ];
  if (altNames.length > 0) extensions.push({ name: "subjectAltName", altNames });
  extensions.push({ name: "subjectKeyIdentifier" });
  if (spec.issuer) {
    extensions.push({
      name: "authorityKeyIdentifier",
      keyIdentifier: spec.issuer.cert.generateSubjectKeyIdentifier().getBytes(),
    });
  }
  cert.setExtensions(extensions);
  cert.sign(spec.issuer ? spec.issuer.keys.privateKey : keys.privateKey, forge.md.sha256.create());
  return {
    cert,
    keys,
    certPem: forge.pki.certificateToPem(cert),
    keyPem: forge.pki.privateKeyToPem(keys.privateKey),
  };
}
