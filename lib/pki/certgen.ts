/**
 * Issues X.509 certificates: what `deno task gen-certs` writes, and what
 * the tests use to make unusual certificates (expired, not yet valid, a CA
 * as leaf, a wrong key usage).
 *
 * node-forge lays out the certificate (names, validity, extensions); keys
 * come from the runtime's native crypto, which also signs, because forge
 * knows RSA only and ECDSA certificates are wanted too.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createHash, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { forge, toBinaryString } from "./forge.ts";
import { derToPem } from "./x509.ts";

/** Key algorithms a certificate can have. */
export type KeyType = "rsa" | "ecdsa" | "ed25519";

/** A certificate with its private key. */
export interface Issued {
  /** PEM of the certificate. */
  certPem: string;
  /** PEM of the private key (PKCS#1 for RSA, PKCS#8 for ECDSA and Ed25519). */
  keyPem: string;
  keyType: KeyType;
  /** The subject, for certificates this one issues. */
  subject: forge.pki.CertificateField[];
  /** The subject key identifier (raw bytes as a binary string), for authorityKeyIdentifier. */
  keyIdentifier: string;
  privateKey: KeyObject;
}

/** What to put in a certificate. */
export interface CertificateSpec {
  commonName: string;
  /** RSA-2048 (default), ECDSA P-256 or Ed25519. */
  keyType?: KeyType;
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

const asn1 = forge.asn1;
const SIGNATURE_OIDS: Record<KeyType, string> = {
  rsa: "1.2.840.113549.1.1.11", // sha256WithRSAEncryption
  ecdsa: "1.2.840.10045.4.3.2", // ecdsa-with-SHA256
  ed25519: "1.3.101.112", // id-Ed25519 (RFC 8410 §3)
};

/** forge's fromDer with bit strings left as bytes (its type definitions omit the options object). */
const fromDerKeepBitStrings = (der: string) =>
  (asn1.fromDer as unknown as (d: string, o: object) => forge.asn1.Asn1)(der, { decodeBitStrings: false });

function serialNumber(): string {
  // A positive 16-byte serial: keep the top bit clear.
  const hex = forge.util.bytesToHex(forge.random.getBytesSync(16));
  return (parseInt(hex[0], 16) & 0x7).toString(16) + hex.slice(1);
}

function signatureAlgorithm(keyType: KeyType): forge.asn1.Asn1 {
  const oid = asn1.create(
    asn1.Class.UNIVERSAL,
    asn1.Type.OID,
    false,
    asn1.oidToDer(SIGNATURE_OIDS[keyType]).getBytes(),
  );
  // RSA algorithm identifiers carry explicit NULL parameters; ECDSA and
  // Ed25519 ones carry none (RFC 5758 §3.2, RFC 8410 §3).
  const params = keyType === "rsa" ? [asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, "")] : [];
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [oid, ...params]);
}

function extensionsFor(spec: CertificateSpec, keyIdentifier: string): object[] {
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
  // Given as a value: forge would otherwise derive it from its own (RSA-only) key.
  extensions.push({
    id: "2.5.29.14",
    value: asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, keyIdentifier),
  });
  if (spec.issuer) extensions.push({ name: "authorityKeyIdentifier", keyIdentifier: spec.issuer.keyIdentifier });
  return extensions;
}

/**
 * Makes a key pair and a certificate for it, signed with SHA-256 by the
 * issuer's key (or its own).
 *
 * @example
 * ```ts
 * const ca = issueCertificate({ commonName: "Test CA", isCA: true, keyUsage: ["keyCertSign", "cRLSign"] });
 * const leaf = issueCertificate({ commonName: "localhost", keyType: "ecdsa", issuer: ca, dnsNames: ["localhost"] });
 * ```
 */
export function issueCertificate(spec: CertificateSpec): Issued {
  const keyType = spec.keyType ?? "rsa";
  const { publicKey, privateKey } = keyType === "rsa"
    ? generateKeyPairSync("rsa", { modulusLength: 2048 })
    : keyType === "ecdsa"
    ? generateKeyPairSync("ec", { namedCurve: "P-256" })
    : generateKeyPairSync("ed25519");
  const spki = fromDerKeepBitStrings(toBinaryString(publicKey.export({ type: "spki", format: "der" })));
  // RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits.
  const keyBits = ((spki.value as forge.asn1.Asn1[])[1].value as string).slice(1);
  const keyIdentifier = createHash("sha1").update(Buffer.from(keyBits, "latin1")).digest("latin1");

  const cert = forge.pki.createCertificate();
  // forge lays out the TBSCertificate around an RSA key object; the real
  // subjectPublicKeyInfo is put in below.
  cert.publicKey = forge.pki.setRsaPublicKey(new forge.jsbn.BigInteger("3"), new forge.jsbn.BigInteger("3"));
  cert.serialNumber = serialNumber();
  const now = Date.now();
  cert.validity.notBefore = spec.notBefore ?? new Date(now - 60_000);
  cert.validity.notAfter = spec.notAfter ?? new Date(now + (spec.days ?? 365) * 86_400_000);
  const subject = [
    { name: "commonName", value: spec.commonName },
    { name: "organizationName", value: "ssl-nonblock-deno" },
  ];
  cert.setSubject(subject);
  cert.setIssuer(spec.issuer ? spec.issuer.subject : subject);
  cert.setExtensions(extensionsFor(spec, keyIdentifier));

  const signer = spec.issuer ?? { keyType, privateKey };
  // Read by getTBSCertificate; the algorithm identifier is replaced below anyway.
  cert.siginfo.algorithmOid = SIGNATURE_OIDS[signer.keyType];
  // getTBSCertificate is public in forge but missing from its type definitions.
  const tbs = (forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 })
    .getTBSCertificate(cert);
  const fields = tbs.value as forge.asn1.Asn1[];
  fields[2] = signatureAlgorithm(signer.keyType); // version, serial, *signature*, issuer, validity, subject, spki
  fields[6] = spki;
  const tbsDer = Buffer.from(asn1.toDer(tbs).getBytes(), "latin1");
  // Ed25519 hashes internally (RFC 8032): no digest is named.
  const signature = sign(signer.keyType === "ed25519" ? null : "sha256", tbsDer, signer.privateKey);
  const certificate = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    tbs,
    signatureAlgorithm(signer.keyType),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, "\x00" + toBinaryString(signature)),
  ]);
  const der = Buffer.from(asn1.toDer(certificate).getBytes(), "latin1");
  const certPem = derToPem(new Uint8Array(der));
  const keyPem = privateKey.export({ type: keyType === "rsa" ? "pkcs1" : "pkcs8", format: "pem" }) as string;
  return { certPem, keyPem, keyType, subject: cert.subject.attributes, keyIdentifier, privateKey };
}
