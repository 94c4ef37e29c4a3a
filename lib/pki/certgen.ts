/**
 * Issues X.509 certificates: what `deno task gen-certs` writes, and what
 * the tests use to make unusual certificates (expired, not yet valid, a CA
 * as leaf, a wrong key usage, path length and name constraints, weak keys
 * and signatures, unknown critical extensions).
 *
 * node-forge lays out the certificate (names, validity, extensions); keys
 * come from the runtime's native crypto, which also signs, because forge
 * knows RSA only and ECDSA certificates are wanted too.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { constants, createHash, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { forge, toBinaryString } from "./forge.ts";
import { derToPem } from "./pem.ts";

/** Key algorithms a certificate can have. */
export type KeyType = "rsa" | "ecdsa" | "ed25519";

/** A key pair to reuse (tests make many certificates; key generation is the slow part). */
export interface KeyPair {
  /** The public half. */
  publicKey: KeyObject;
  /** The private half. */
  privateKey: KeyObject;
}

/** Subtrees of a nameConstraints extension: DNS names and IP ranges in CIDR form ("10.0.0.0/8", "::1/128"). */
export interface NameSubtrees {
  /** DNS name subtrees, e.g. `example.com`. */
  dns?: string[];
  /** IP ranges in CIDR form. */
  ip?: string[];
}

/** A certificate with its private key. */
export interface Issued {
  /** PEM of the certificate. */
  certPem: string;
  /** PEM of the private key (PKCS#1 for RSA, PKCS#8 for ECDSA and Ed25519). */
  keyPem: string;
  /** The key's algorithm. */
  keyType: KeyType;
  /** The subject, for certificates this one issues. */
  subject: forge.pki.CertificateField[];
  /** The subject key identifier (raw bytes as a binary string), for authorityKeyIdentifier. */
  keyIdentifier: string;
  /** The private key, for signing what this certificate issues. */
  privateKey: KeyObject;
  /** The public key. */
  publicKey: KeyObject;
  /** The certificate, DER. */
  der: Uint8Array;
}

/** What to put in a certificate. */
export interface CertificateSpec {
  /** The subject's CN (not a host name: put those in {@link dnsNames}). */
  commonName: string;
  /** RSA-2048 (default), ECDSA P-256 or Ed25519. */
  keyType?: KeyType;
  /** RSA modulus size (default 2048). */
  rsaBits?: number;
  /** EC curve (default P-256). */
  curve?: string;
  /** Use this key pair instead of making one (of `keyType`). */
  keyPair?: KeyPair;
  /** Digest the issuer signs with (default sha256; Ed25519 ignores it). */
  signatureHash?: "sha1" | "sha256" | "sha384" | "sha512";
  /** RSA issuers: sign with RSASSA-PSS instead of PKCS#1 v1.5. */
  rsaPss?: boolean;
  /** basicConstraints pathLenConstraint. */
  pathLen?: number;
  /** Leave basicConstraints out altogether. */
  omitBasicConstraints?: boolean;
  /** nameConstraints, marked critical. */
  nameConstraints?: { permitted?: NameSubtrees; excluded?: NameSubtrees };
  /** More extensions, value as DER bytes. */
  extraExtensions?: { oid: string; critical: boolean; value: Uint8Array }[];
  /** Mark subjectAltName critical. */
  sanCritical?: boolean;
  /** An empty subject name (the identity then lives in the subjectAltName alone). */
  emptySubject?: boolean;
  /** Signed by this issuer; self-signed when absent. */
  issuer?: Issued;
  /** Start of validity (default: a minute ago). */
  notBefore?: Date;
  /** End of validity (default: {@link days} after the start). */
  notAfter?: Date;
  /** Validity in days when {@link notAfter} is absent (default 365). */
  days?: number;
  /** basicConstraints CA flag (default false). */
  isCA?: boolean;
  /** keyUsage bits, e.g. ["digitalSignature", "keyEncipherment"]; omitted when absent. */
  keyUsage?: string[];
  /** extKeyUsage purposes, e.g. ["serverAuth"]; omitted when absent. */
  extKeyUsage?: ("serverAuth" | "clientAuth" | "anyExtendedKeyUsage")[];
  /** subjectAltName entries. */
  dnsNames?: string[];
  /** subjectAltName IP addresses, IPv4 or IPv6. */
  ipAddresses?: string[];
}

const asn1 = forge.asn1;
const HASH_OIDS: Record<string, string> = {
  sha256: "2.16.840.1.101.3.4.2.1",
  sha384: "2.16.840.1.101.3.4.2.2",
  sha512: "2.16.840.1.101.3.4.2.3",
};
const RSA_OIDS: Record<string, string> = {
  sha1: "1.2.840.113549.1.1.5",
  sha256: "1.2.840.113549.1.1.11",
  sha384: "1.2.840.113549.1.1.12",
  sha512: "1.2.840.113549.1.1.13",
};
const ECDSA_OIDS: Record<string, string> = {
  sha1: "1.2.840.10045.4.1",
  sha256: "1.2.840.10045.4.3.2",
  sha384: "1.2.840.10045.4.3.3",
  sha512: "1.2.840.10045.4.3.4",
};
const HASH_LENGTHS: Record<string, number> = { sha256: 32, sha384: 48, sha512: 64 };

/** forge's fromDer with bit strings left as bytes (its type definitions omit the options object). */
const fromDerKeepBitStrings = (der: string) =>
  (asn1.fromDer as unknown as (d: string, o: object) => forge.asn1.Asn1)(der, { decodeBitStrings: false });

function serialNumber(): string {
  // A positive 16-byte serial: keep the top bit clear.
  const hex = forge.util.bytesToHex(forge.random.getBytesSync(16));
  return (parseInt(hex[0], 16) & 0x7).toString(16) + hex.slice(1);
}

const seq = (items: forge.asn1.Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, items);
const oid = (id: string) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(id).getBytes());
const nullValue = () => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, "");
const explicit = (n: number, inner: forge.asn1.Asn1) => asn1.create(asn1.Class.CONTEXT_SPECIFIC, n, true, [inner]);

/** How an issuer signs: the AlgorithmIdentifier and the node:crypto call. */
interface Signer {
  algorithm: forge.asn1.Asn1;
  sign(data: Uint8Array, key: KeyObject): Uint8Array;
}

function signerFor(keyType: KeyType, hash: string, pss: boolean): Signer {
  if (keyType === "ed25519") {
    return { algorithm: seq([oid("1.3.101.112")]), sign: (data, key) => sign(null, data, key) };
  }
  if (keyType === "ecdsa") {
    // ECDSA algorithm identifiers carry no parameters (RFC 5758 §3.2).
    return { algorithm: seq([oid(ECDSA_OIDS[hash])]), sign: (data, key) => sign(hash, data, key) };
  }
  if (!pss) return { algorithm: seq([oid(RSA_OIDS[hash]), nullValue()]), sign: (data, key) => sign(hash, data, key) };
  // RSASSA-PSS, MGF1 with the same hash, salt the hash length (RFC 4055 §3.1).
  const hashAlg = () => seq([oid(HASH_OIDS[hash]), nullValue()]);
  const salt = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, String.fromCharCode(HASH_LENGTHS[hash]));
  return {
    algorithm: seq([
      oid("1.2.840.113549.1.1.10"),
      seq([explicit(0, hashAlg()), explicit(1, seq([oid("1.2.840.113549.1.1.8"), hashAlg()])), explicit(2, salt)]),
    ]),
    sign: (data, key) =>
      sign(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: HASH_LENGTHS[hash] }),
  };
}

function ipBytes(text: string): string {
  if (!text.includes(":")) return text.split(".").map((n) => String.fromCharCode(Number(n))).join("");
  const [head, tail = ""] = text.split("::");
  const words = (part: string) => (part ? part.split(":").map((w) => parseInt(w, 16)) : []);
  const h = words(head), t = text.includes("::") ? words(tail) : [];
  const all = [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
  return all.map((w) => String.fromCharCode(w >> 8, w & 0xff)).join("");
}

function subtreesAsn1(tag: number, trees: NameSubtrees): forge.asn1.Asn1 {
  const general = [
    ...(trees.dns ?? []).map((name) => asn1.create(asn1.Class.CONTEXT_SPECIFIC, 2, false, name)),
    ...(trees.ip ?? []).map((cidr) => {
      const [address, bits] = cidr.split("/");
      const bytes = ipBytes(address);
      const mask = Array.from({ length: bytes.length }, (_, i) => {
        const n = Math.max(0, Math.min(8, Number(bits) - 8 * i));
        return String.fromCharCode((0xff00 >> n) & 0xff);
      }).join("");
      return asn1.create(asn1.Class.CONTEXT_SPECIFIC, 7, false, bytes + mask);
    }),
  ];
  return asn1.create(asn1.Class.CONTEXT_SPECIFIC, tag, true, general.map((g) => seq([g])));
}

function extensionsFor(spec: CertificateSpec, keyIdentifier: string): object[] {
  const extensions: object[] = [];
  if (!spec.omitBasicConstraints) {
    const pathLen = spec.pathLen === undefined ? {} : { pathLenConstraint: spec.pathLen };
    extensions.push({ name: "basicConstraints", cA: spec.isCA ?? false, critical: true, ...pathLen });
  }
  if (spec.keyUsage) {
    extensions.push({ name: "keyUsage", critical: true, ...Object.fromEntries(spec.keyUsage.map((k) => [k, true])) });
  }
  if (spec.extKeyUsage) {
    const oids: Record<string, string> = {
      serverAuth: "1.3.6.1.5.5.7.3.1",
      clientAuth: "1.3.6.1.5.5.7.3.2",
      anyExtendedKeyUsage: "2.5.29.37.0",
    };
    extensions.push({ id: "2.5.29.37", value: seq(spec.extKeyUsage.map((k) => oid(oids[k]))) });
  }
  const altNames = [
    ...(spec.dnsNames ?? []).map((value) => ({ type: 2, value })),
    ...(spec.ipAddresses ?? []).map((ip) => ({ type: 7, ip })),
  ];
  if (altNames.length > 0) extensions.push({ name: "subjectAltName", altNames, critical: spec.sanCritical ?? false });
  if (spec.nameConstraints) {
    const { permitted, excluded } = spec.nameConstraints;
    const parts = [
      ...(permitted ? [subtreesAsn1(0, permitted)] : []),
      ...(excluded ? [subtreesAsn1(1, excluded)] : []),
    ];
    extensions.push({ id: "2.5.29.30", critical: true, value: seq(parts) });
  }
  // Given as a value: forge would otherwise derive it from its own (RSA-only) key.
  extensions.push({
    id: "2.5.29.14",
    value: asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, keyIdentifier),
  });
  if (spec.issuer) extensions.push({ name: "authorityKeyIdentifier", keyIdentifier: spec.issuer.keyIdentifier });
  for (const extra of spec.extraExtensions ?? []) {
    extensions.push({ id: extra.oid, critical: extra.critical, value: toBinaryString(extra.value) });
  }
  return extensions;
}

function newKeyPair(spec: CertificateSpec, keyType: KeyType): KeyPair {
  if (spec.keyPair) return spec.keyPair;
  if (keyType === "ed25519") return generateKeyPairSync("ed25519");
  if (keyType === "ecdsa") return generateKeyPairSync("ec", { namedCurve: spec.curve ?? "P-256" });
  return generateKeyPairSync("rsa", { modulusLength: spec.rsaBits ?? 2048 });
}

/**
 * Makes a key pair and a certificate for it, signed with SHA-256 by the
 * issuer's key (or its own).
 *
 * @example A CA, a server certificate it signs, and the chain verified
 * ```ts
 * import { issueCertificate, pemToDer, verifyChain } from "@ssl-nonblock/tls";
 *
 * const ca = issueCertificate({ commonName: "Example CA", isCA: true, keyUsage: ["keyCertSign", "cRLSign"] });
 * const leaf = issueCertificate({
 *   commonName: "localhost",
 *   keyType: "ecdsa",
 *   issuer: ca,
 *   keyUsage: ["digitalSignature"],
 *   extKeyUsage: ["serverAuth"],
 *   dnsNames: ["localhost"],
 *   ipAddresses: ["127.0.0.1", "::1"],
 * });
 * verifyChain(pemToDer(leaf.certPem), { trustAnchors: pemToDer(ca.certPem), hostname: "::1", purpose: "server" });
 * ```
 *
 * @param spec What to put in the certificate.
 * @returns The certificate and its key, PEM.
 */
export function issueCertificate(spec: CertificateSpec): Issued {
  const keyType = spec.keyType ?? "rsa";
  const { publicKey, privateKey } = newKeyPair(spec, keyType);
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
  cert.setSubject(spec.emptySubject ? [] : subject);
  cert.setIssuer(spec.issuer ? spec.issuer.subject : subject);
  cert.setExtensions(extensionsFor(spec, keyIdentifier));

  const issuerKey = spec.issuer ?? { keyType, privateKey };
  const signer = signerFor(issuerKey.keyType, spec.signatureHash ?? "sha256", spec.rsaPss ?? false);
  // Read by getTBSCertificate; the algorithm identifier is replaced below anyway.
  cert.siginfo.algorithmOid = RSA_OIDS.sha256;
  // getTBSCertificate is public in forge but missing from its type definitions.
  const tbs = (forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 })
    .getTBSCertificate(cert);
  const fields = tbs.value as forge.asn1.Asn1[];
  fields[2] = signer.algorithm; // version, serial, *signature*, issuer, validity, subject, spki
  fields[6] = spki;
  const tbsDer = Buffer.from(asn1.toDer(tbs).getBytes(), "latin1");
  const signature = signer.sign(tbsDer, issuerKey.privateKey);
  const certificate = seq([
    tbs,
    signer.algorithm,
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, "\x00" + toBinaryString(signature)),
  ]);
  const der = Buffer.from(asn1.toDer(certificate).getBytes(), "latin1");
  const certPem = derToPem(new Uint8Array(der));
  const keyPem = privateKey.export({ type: keyType === "rsa" ? "pkcs1" : "pkcs8", format: "pem" }) as string;
  return {
    certPem,
    keyPem,
    keyType,
    subject: spec.emptySubject ? [] : subject,
    keyIdentifier,
    privateKey,
    publicKey,
    der: new Uint8Array(der),
  };
}
