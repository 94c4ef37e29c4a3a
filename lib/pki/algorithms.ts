/**
 * Which keys and certificate signatures we accept: the algorithms our
 * `signature_algorithms_cert` offers (RFC 8446 §4.2.3) and nothing weaker.
 * RSA keys of at least 2048 bits signing with PKCS#1 v1.5 or PSS over
 * SHA-256/384/512, ECDSA on P-256 or P-384, Ed25519. SHA-1 and MD5 are
 * refused by name (SHA-1 collisions are practical: "SHA-1 is a Shambles",
 * 2020).
 *
 * Algorithm identifiers are matched as whole DER encodings, as rustls-webpki
 * does: one accepted encoding per algorithm, so odd parameters are refused
 * rather than interpreted.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { constants, type KeyObject, verify } from "node:crypto";
import type { Certificate } from "./certificate.ts";
import { children, DerError, DerReader, oidText, readBitString, readOne, Tag } from "./der.ts";

/** How to verify one accepted signature algorithm with node:crypto. */
interface SignatureAlgorithm {
  name: string;
  /** The issuer key type it needs. */
  keyType: "rsa" | "ec" | "ed25519";
  /** Digest for node:crypto's verify (null: the algorithm hashes itself, Ed25519). */
  hash: string | null;
  /** PSS salt length (PSS only). */
  pssSalt?: number;
}

const hex = (s: string) => s.replace(/\s+/g, "");
const RSA = (n: string) => hex(`300d 0609 2a864886f70d0101${n} 0500`);
const ECDSA = (n: string) => hex(`300a 0608 2a8648ce3d0403${n}`);
// RSASSA-PSS with the same hash for MGF1, salt = hash length, trailerField 1 (RFC 4055 §3.1).
const PSS = (h: string, salt: string) =>
  hex(
    `30 41 0609 2a864886f70d01010a 30 34
     a0 0f 300d 0609 60864801650304020${h} 0500
     a1 1c 301a 0609 2a864886f70d010108 300d 0609 60864801650304020${h} 0500
     a2 03 0201 ${salt}`,
  );

const ACCEPTED: Record<string, SignatureAlgorithm> = {
  [RSA("0b")]: { name: "sha256WithRSAEncryption", keyType: "rsa", hash: "sha256" },
  [RSA("0c")]: { name: "sha384WithRSAEncryption", keyType: "rsa", hash: "sha384" },
  [RSA("0d")]: { name: "sha512WithRSAEncryption", keyType: "rsa", hash: "sha512" },
  [PSS("1", "20")]: { name: "RSASSA-PSS SHA-256", keyType: "rsa", hash: "sha256", pssSalt: 32 },
  [PSS("2", "30")]: { name: "RSASSA-PSS SHA-384", keyType: "rsa", hash: "sha384", pssSalt: 48 },
  [PSS("3", "40")]: { name: "RSASSA-PSS SHA-512", keyType: "rsa", hash: "sha512", pssSalt: 64 },
  [ECDSA("02")]: { name: "ecdsa-with-SHA256", keyType: "ec", hash: "sha256" },
  [ECDSA("03")]: { name: "ecdsa-with-SHA384", keyType: "ec", hash: "sha384" },
  [ECDSA("04")]: { name: "ecdsa-with-SHA512", keyType: "ec", hash: "sha512" },
  [hex("3005 0603 2b6570")]: { name: "Ed25519", keyType: "ed25519", hash: null },
};

/** Names for refused algorithms people will recognise, by the OID bytes' hex. */
const REFUSED_NAMES: [string, string][] = [
  ["2a864886f70d010105", "sha1WithRSAEncryption"],
  ["2a864886f70d010104", "md5WithRSAEncryption"],
  ["2a864886f70d010102", "md2WithRSAEncryption"],
  ["2a8648ce3d0401", "ecdsa-with-SHA1"],
  ["2a8648ce380403", "dsa-with-SHA1"],
  ["2a864886f70d01010a", "RSASSA-PSS with other parameters"],
];

/**
 * The accepted algorithm an AlgorithmIdentifier DER names, or a name for
 * the refusal message.
 */
export function signatureAlgorithm(der: Uint8Array): SignatureAlgorithm | string {
  const key = Buffer.from(der).toString("hex");
  const found = ACCEPTED[key];
  if (found) return found;
  return REFUSED_NAMES.find(([oid]) => key.includes(oid))?.[1] ?? `signature algorithm ${key.slice(0, 40)}`;
}

const CURVE_NAMES: Record<string, string> = {
  "1.2.840.10045.3.1.7": "P-256",
  "1.3.132.0.34": "P-384",
  "1.3.132.0.35": "P-521",
  "1.3.132.0.10": "secp256k1",
  "1.2.840.10045.3.1.1": "P-192",
};
const ACCEPTED_CURVES = new Set(["P-256", "P-384"]);

/** Bits in an unsigned big-endian INTEGER's contents. */
function integerBits(value: Uint8Array): number {
  let i = 0;
  while (i < value.length - 1 && value[i] === 0) i++;
  return value.length === 0 ? 0 : (value.length - i - 1) * 8 + (32 - Math.clz32(value[i]));
}

/**
 * Why a certificate's public key is refused, or undefined when it is one we
 * accept (RSA ≥ 2048 bits in whole bytes, EC P-256/P-384 on a named curve,
 * Ed25519). Read from the subjectPublicKeyInfo itself: no key object is made
 * for a certificate whose key only the handshake uses.
 */
export function keyProblem(cert: Certificate): string | undefined {
  try {
    const spki = new DerReader(readOne(cert.spki, Tag.SEQUENCE).value);
    const algorithm = new DerReader(spki.read(Tag.SEQUENCE).value);
    const oid = oidText(algorithm.read(Tag.OID).value);
    const key = readBitString(spki.read(Tag.BIT_STRING)).bits;
    if (oid === "1.2.840.113549.1.1.1") { // rsaEncryption (RFC 8017 A.1)
      const [modulus] = children(readOne(key, Tag.SEQUENCE));
      if (modulus.tag !== Tag.INTEGER) return "its RSA key could not be read";
      const bits = integerBits(modulus.value);
      if (bits < 2048) return `RSA key of ${bits} bits (at least 2048 needed)`;
      if (bits % 8 !== 0) return `RSA key of ${bits} bits (not a whole number of bytes)`;
      return undefined;
    }
    if (oid === "1.2.840.10045.2.1") { // id-ecPublicKey (RFC 5480 §2.1.1): namedCurve only
      if (algorithm.peek() !== Tag.OID) return "EC key with explicit curve parameters";
      const curveOid = oidText(algorithm.read(Tag.OID).value);
      const curve = CURVE_NAMES[curveOid] ?? curveOid;
      return ACCEPTED_CURVES.has(curve) ? undefined : `EC key on curve ${curve}`;
    }
    if (oid === "1.3.101.112") return key.length === 32 ? undefined : "Ed25519 key of the wrong length"; // RFC 8410
    return `key of type ${oid}`;
  } catch (e) {
    if (e instanceof DerError) return "its public key could not be read";
    throw e;
  }
}

/**
 * Whether `issuerKey` signed `cert`. Returns "ok", "bad" (the signature does
 * not verify), or the refusal text for an algorithm we do not accept.
 */
export function verifySignature(cert: Certificate, issuerKey: KeyObject): "ok" | "bad" | { refused: string } {
  const alg = signatureAlgorithm(cert.signatureAlgorithm);
  if (typeof alg === "string") return { refused: `is signed with ${alg}, which is not accepted` };
  if (issuerKey.asymmetricKeyType !== alg.keyType) return "bad";
  try {
    const key = alg.pssSalt === undefined
      ? issuerKey
      : { key: issuerKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: alg.pssSalt };
    return verify(alg.hash, cert.tbs, key, cert.signature) ? "ok" : "bad";
  } catch {
    return "bad";
  }
}
