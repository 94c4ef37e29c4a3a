/**
 * An X.509 certificate decoded once into the typed fields path validation
 * reads (RFC 5280 §4.1): the signed bytes, names, validity, key and the
 * extensions we understand. Anything malformed fails the parse; extensions
 * we do not understand are listed so a critical one refuses the chain.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createPublicKey, type KeyObject, X509Certificate } from "node:crypto";
import {
  children,
  context,
  DerError,
  DerReader,
  generalNameForm,
  oidText,
  readBitString,
  readBoolean,
  readOne,
  readSmallInteger,
  readTime,
  sameBytes,
  Tag,
  type Tlv,
} from "./der.ts";
import { type NameConstraints, parseNameConstraints } from "./name_constraints.ts";

/** The names a GeneralNames value holds, by form (RFC 5280 §4.2.1.6). */
export interface GeneralNames {
  /** dNSName, as written (IA5String). */
  dns: string[];
  /** iPAddress octets: 4 or 16 bytes. */
  ip: Uint8Array[];
  /** directoryName: each a Name (RDN sequence) DER. */
  directory: Uint8Array[];
  /** rfc822Name, uniformResourceIdentifier, otherName and the rest, by context tag number. */
  otherForms: Set<number>;
}

/** basicConstraints (§4.2.1.9). */
export interface BasicConstraints {
  ca: boolean;
  pathLen?: number;
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
] as const;

/** A keyUsage bit name (§4.2.1.3). */
export type KeyUsage = typeof KEY_USAGE_BITS[number];

/** extKeyUsage purposes by OID (§4.2.1.12). */
export const EKU = {
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
  any: "2.5.29.37.0",
} as const;

/** The extension OIDs this module decodes; everything else is "unknown". */
export const EXTENSION = {
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  nameConstraints: "2.5.29.30",
  authorityKeyIdentifier: "2.5.29.35",
  extKeyUsage: "2.5.29.37",
} as const;

/** A decoded certificate. */
export interface Certificate {
  der: Uint8Array;
  /** The DER of tbsCertificate: what the issuer signed. */
  tbs: Uint8Array;
  version: number;
  /** AlgorithmIdentifier DER: inside the signed part, and outside it (they must be equal, §4.1.1.2). */
  signatureAlgorithm: Uint8Array;
  outerSignatureAlgorithm: Uint8Array;
  signature: Uint8Array;
  /** Name DERs (RDN sequences); compared byte for byte when chaining. */
  issuer: Uint8Array;
  subject: Uint8Array;
  /** The subject's RDNs, each a SET DER (for directoryName constraints). */
  subjectRdns: Uint8Array[];
  notBefore: number;
  notAfter: number;
  /** subjectPublicKeyInfo DER. */
  spki: Uint8Array;
  basicConstraints?: BasicConstraints;
  keyUsage?: Set<KeyUsage>;
  /** extKeyUsage OIDs. */
  extKeyUsage?: Set<string>;
  subjectAltName?: GeneralNames;
  subjectAltNameCritical: boolean;
  nameConstraints?: NameConstraints;
  /** OIDs of critical extensions not decoded here. */
  unknownCritical: string[];
  /** Issuer and subject are the same name (§6.1: such CA certificates do not count toward path lengths). */
  selfIssued: boolean;
}

/** Thrown when a certificate cannot be decoded; the message says which part. */
export class CertificateParseError extends Error {}

/** The public key of a certificate, made once. */
const keys = new WeakMap<Certificate, KeyObject>();

/**
 * The certificate's public key as a node:crypto key object (cached).
 */
export function publicKeyOf(cert: Certificate): KeyObject {
  let key = keys.get(cert);
  if (!key) {
    key = createPublicKey({
      key: Buffer.from(cert.spki.buffer, cert.spki.byteOffset, cert.spki.length),
      format: "der",
      type: "spki",
    });
    keys.set(cert, key);
  }
  return key;
}

/**
 * A readable subject (`CN=localhost, O=…`) for messages; never throws.
 */
export function subjectText(cert: Certificate, field: "subject" | "issuer" = "subject"): string {
  try {
    return new X509Certificate(cert.der)[field].replace(/\n/g, ", ") || "(empty name)";
  } catch {
    return "(unreadable name)";
  }
}

function generalNames(tlv: Tlv): GeneralNames {
  const names: GeneralNames = { dns: [], ip: [], directory: [], otherForms: new Set() };
  for (const name of children(tlv)) {
    const form = generalNameForm(name.tag);
    if (name.tag === context(2, false)) {
      if (!name.value.every((b) => b >= 0x20 && b < 0x7f)) throw new DerError("dNSName is not printable ASCII");
      names.dns.push(String.fromCharCode(...name.value));
    } else if (name.tag === context(7, false)) {
      if (name.value.length !== 4 && name.value.length !== 16) throw new DerError("iPAddress is not 4 or 16 bytes");
      names.ip.push(name.value);
    } else if (name.tag === context(4, true)) {
      names.directory.push(readOne(name.value, Tag.SEQUENCE).bytes);
    } else {
      names.otherForms.add(form);
    }
  }
  return names;
}

function keyUsage(tlv: Tlv): Set<KeyUsage> {
  const { bits } = readBitString(tlv);
  const usage = new Set<KeyUsage>();
  KEY_USAGE_BITS.forEach((name, i) => {
    if ((bits[i >> 3] ?? 0) & (0x80 >> (i & 7))) usage.add(name);
  });
  return usage;
}

function basicConstraints(tlv: Tlv): BasicConstraints {
  const r = new DerReader(tlv.value);
  const caTlv = r.optional(Tag.BOOLEAN);
  const ca = caTlv ? readBoolean(caTlv) : false;
  const lenTlv = r.optional(Tag.INTEGER);
  r.end();
  return { ca, pathLen: lenTlv ? readSmallInteger(lenTlv) : undefined };
}

function extKeyUsage(tlv: Tlv): Set<string> {
  const oids = children(tlv).map((n) => {
    if (n.tag !== Tag.OID) throw new DerError("extKeyUsage holds a non-OID");
    return oidText(n.value);
  });
  if (oids.length === 0) throw new DerError("empty extKeyUsage"); // SIZE (1..MAX)
  return new Set(oids);
}

function readExtensions(cert: Certificate, list: Tlv): void {
  const seen = new Set<string>();
  for (const ext of children(list)) {
    const r = new DerReader(ext.value);
    const oid = oidText(r.read(Tag.OID).value);
    const criticalTlv = r.optional(Tag.BOOLEAN);
    const critical = criticalTlv ? readBoolean(criticalTlv) : false;
    const body = r.read(Tag.OCTET_STRING).value;
    r.end();
    if (seen.has(oid)) throw new DerError(`extension ${oid} appears twice`); // §4.2
    seen.add(oid);
    switch (oid) {
      case EXTENSION.basicConstraints:
        cert.basicConstraints = basicConstraints(readOne(body, Tag.SEQUENCE));
        break;
      case EXTENSION.keyUsage:
        cert.keyUsage = keyUsage(readOne(body));
        break;
      case EXTENSION.extKeyUsage:
        cert.extKeyUsage = extKeyUsage(readOne(body, Tag.SEQUENCE));
        break;
      case EXTENSION.subjectAltName:
        cert.subjectAltName = generalNames(readOne(body, Tag.SEQUENCE));
        cert.subjectAltNameCritical = critical;
        break;
      case EXTENSION.nameConstraints:
        cert.nameConstraints = parseNameConstraints(readOne(body, Tag.SEQUENCE));
        break;
      case EXTENSION.subjectKeyIdentifier:
      case EXTENSION.authorityKeyIdentifier:
        readOne(body, oid === EXTENSION.subjectKeyIdentifier ? Tag.OCTET_STRING : Tag.SEQUENCE);
        break;
      default:
        if (critical) cert.unknownCritical.push(oid);
    }
  }
}

function parseTbs(der: Uint8Array): Certificate {
  const outer = new DerReader(der);
  const certTlv = outer.read(Tag.SEQUENCE);
  outer.end();
  const parts = new DerReader(certTlv.value);
  const tbsTlv = parts.read(Tag.SEQUENCE);
  const outerAlg = parts.read(Tag.SEQUENCE);
  const signature = readBitString(parts.read(Tag.BIT_STRING));
  parts.end();
  if (signature.unused !== 0) throw new DerError("signature is not whole bytes");

  const r = new DerReader(tbsTlv.value);
  const versionTlv = r.optional(context(0, true));
  const version = versionTlv ? readSmallInteger(readOne(versionTlv.value)) + 1 : 1;
  if (version > 3 || (versionTlv && version === 1)) throw new DerError("bad version");
  r.read(Tag.INTEGER); // serialNumber
  const alg = r.read(Tag.SEQUENCE);
  const issuer = r.read(Tag.SEQUENCE);
  const validity = new DerReader(r.read(Tag.SEQUENCE).value);
  const notBefore = readTime(validity.read());
  const notAfter = readTime(validity.read());
  validity.end();
  const subject = r.read(Tag.SEQUENCE);
  const spki = r.read(Tag.SEQUENCE);
  r.optional(context(1, false)); // issuerUniqueID
  r.optional(context(2, false)); // subjectUniqueID
  const extensions = r.optional(context(3, true));
  r.end();

  const cert: Certificate = {
    der,
    tbs: tbsTlv.bytes,
    version,
    signatureAlgorithm: alg.bytes,
    outerSignatureAlgorithm: outerAlg.bytes,
    signature: signature.bits,
    issuer: issuer.bytes,
    subject: subject.bytes,
    subjectRdns: children(subject).map((rdn) => {
      if (rdn.tag !== Tag.SET) throw new DerError("bad RDN");
      return rdn.bytes;
    }),
    notBefore,
    notAfter,
    spki: spki.bytes,
    subjectAltNameCritical: false,
    unknownCritical: [],
    selfIssued: sameBytes(issuer.bytes, subject.bytes),
  };
  if (extensions) {
    if (version !== 3) throw new DerError("extensions in a version 1 or 2 certificate");
    readExtensions(cert, readOne(extensions.value, Tag.SEQUENCE));
  }
  return cert;
}

/**
 * Decodes a DER certificate. Throws {@link CertificateParseError} for
 * anything that is not a well-formed certificate.
 */
export function parseCertificate(der: Uint8Array): Certificate {
  try {
    return parseTbs(der);
  } catch (e) {
    if (e instanceof DerError) throw new CertificateParseError(e.message);
    throw e;
  }
}
