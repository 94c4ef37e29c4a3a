/**
 * The crypto seam of the TLS 1.3 engine. Everything cryptographic the engine
 * does goes through a {@link CryptoProvider}, so another implementation can be
 * swapped in (and benchmarked), and tests can pin randomness and ephemeral
 * keys to reproduce published traces.
 *
 * {@link NodeCryptoProvider} implements it with the runtime's synchronous
 * `node:crypto` (the engine API is synchronous, so WebCrypto is not usable).
 *
 * @module
 */

import {
  constants,
  createCipheriv,
  createDecipheriv,
  createECDH,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  type ECDH,
  generateKeyPairSync,
  type Hash,
  type KeyObject,
  randomBytes,
  sign as nodeSign,
  verify as nodeVerify,
  X509Certificate,
} from "node:crypto";
import { Buffer } from "node:buffer";
import { Alert, TlsError } from "../ssl/alerts.ts";
import { concat } from "../protocol/bytes.ts";
import { Group, SignatureScheme } from "../protocol/constants.ts";

/**
 * Hash functions the key schedule uses.
 *
 * @example
 * ```ts
 * provider.hash("sha384", data);
 * ```
 */
export type HashAlgorithm = "sha256" | "sha384";

/**
 * AEAD algorithms of the TLS 1.3 cipher suites.
 *
 * @example
 * ```ts
 * provider.aead("chacha20-poly1305", key);
 * ```
 */
export type AeadAlgorithm = "aes-128-gcm" | "aes-256-gcm" | "chacha20-poly1305";

/**
 * An AEAD keyed for one traffic direction. The tag is always 16 bytes.
 *
 * @example
 * ```ts
 * const aead = provider.aead("aes-128-gcm", key);
 * const n = aead.seal(nonce, header, [data, typeByte], out, 5);
 * ```
 */
export interface AeadCipher {
  /**
   * Encrypts the concatenation of `parts` and writes ciphertext then tag into
   * `out` at `offset` (taking several parts spares copying the inner content
   * type onto 16 KiB of data). Returns the number of bytes written.
   */
  seal(nonce: Uint8Array, aad: Uint8Array, parts: readonly Uint8Array[], out: Uint8Array, offset: number): number;
  /** Decrypts and authenticates; `null` when authentication fails. */
  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array): Uint8Array | null;
}

/**
 * An ephemeral key pair for one (EC)DHE group.
 *
 * @example
 * ```ts
 * const mine = provider.generateKeyShare(Group.x25519);
 * const secret = mine.agree(peerPublicKey);
 * ```
 */
export interface KeyShare {
  readonly group: number;
  /** The key_share wire form: 32 bytes for x25519, an uncompressed point for secp256r1. */
  readonly publicKey: Uint8Array;
  /** The shared secret with the peer's share; throws if the peer's share is invalid. */
  agree(peerPublic: Uint8Array): Uint8Array;
}

/**
 * A running hash whose digest can be read without ending it (for the transcript).
 *
 * @example
 * ```ts
 * const h = provider.hashContext("sha256");
 * h.update(clientHello);
 * h.digest(); // and keep going
 * ```
 */
export interface HashContext {
  update(data: Uint8Array): void;
  /** The digest so far; more data may be added afterwards. */
  digest(): Uint8Array;
}

/**
 * Our private key, loaded once; what the engine needs to know to pick a scheme.
 *
 * @example
 * ```ts
 * const key = provider.loadPrivateKey(pem);
 * if (key.keyType === "ec") console.log(key.curve);
 * ```
 */
export interface SigningKey {
  readonly keyType: "rsa" | "ec" | "other";
  /** For EC keys: `prime256v1`, `secp384r1`, ... */
  readonly curve?: string;
}

/**
 * Everything cryptographic the engine needs. All methods are synchronous.
 *
 * @example
 * ```ts
 * const provider: CryptoProvider = new NodeCryptoProvider();
 * const share = provider.generateKeyShare(Group.x25519);
 * share.publicKey.length; // 32
 * ```
 */
export interface CryptoProvider {
  /** A short name for reports and benchmarks. */
  readonly name: string;
  /** `n` bytes from a CSPRNG (randoms, session ids). */
  random(n: number): Uint8Array;
  hash(alg: HashAlgorithm, data: Uint8Array): Uint8Array;
  hashContext(alg: HashAlgorithm): HashContext;
  hmac(alg: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array;
  aead(alg: AeadAlgorithm, key: Uint8Array): AeadCipher;
  /** A fresh ephemeral key pair; throws for an unsupported group. */
  generateKeyShare(group: number): KeyShare;
  /** Parses our PEM private key; throws `TlsError(internal_error)` if it cannot. */
  loadPrivateKey(pem: string): SigningKey;
  /** Signs `data` with `scheme` (RSA-PSS salt = hash length, ECDSA DER-encoded). */
  sign(scheme: number, key: SigningKey, data: Uint8Array): Uint8Array;
  /** Checks a signature by the leaf certificate's key; false on any mismatch. */
  verify(scheme: number, certificateDer: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean;
}

const SCHEME_HASH: Record<number, string> = {
  [SignatureScheme.rsa_pss_rsae_sha256]: "sha256",
  [SignatureScheme.rsa_pss_rsae_sha384]: "sha384",
  [SignatureScheme.rsa_pss_rsae_sha512]: "sha512",
  [SignatureScheme.ecdsa_secp256r1_sha256]: "sha256",
  [SignatureScheme.ecdsa_secp384r1_sha384]: "sha384",
};
const HASH_LEN: Record<string, number> = { sha256: 32, sha384: 48, sha512: 64 };
const SCHEME_CURVE: Record<number, string> = {
  [SignatureScheme.ecdsa_secp256r1_sha256]: "prime256v1",
  [SignatureScheme.ecdsa_secp384r1_sha384]: "secp384r1",
};

/**
 * Whether `scheme` can be used with a key of this type (RFC 8446 §4.2.3:
 * rsa_pss_rsae_* need an rsaEncryption key, ecdsa_* pin the curve).
 *
 * @example
 * ```ts
 * schemeFitsKey(SignatureScheme.rsa_pss_rsae_sha256, { keyType: "rsa" }); // true
 * ```
 */
export function schemeFitsKey(scheme: number, key: SigningKey): boolean {
  if (!(scheme in SCHEME_HASH)) return false;
  const curve = SCHEME_CURVE[scheme];
  if (curve) return key.keyType === "ec" && key.curve === curve;
  return key.keyType === "rsa";
}

// DER prefixes that wrap raw X25519 keys as SPKI / PKCS#8 (RFC 8410).
const X25519_SPKI_PREFIX = new Uint8Array([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00]);
const X25519_PKCS8_PREFIX = new Uint8Array([
  0x30,
  0x2e,
  0x02,
  0x01,
  0x00,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x6e,
  0x04,
  0x22,
  0x04,
  0x20,
]);

class X25519Share implements KeyShare {
  readonly group = Group.x25519;
  readonly publicKey: Uint8Array;
  readonly #priv: KeyObject;

  constructor(priv: KeyObject) {
    this.#priv = priv;
    const spki = createPublicKey(priv).export({ format: "der", type: "spki" });
    this.publicKey = new Uint8Array(spki.subarray(spki.length - 32));
  }

  agree(peer: Uint8Array): Uint8Array {
    if (peer.length !== 32) throw new Error("x25519 share must be 32 bytes");
    const pub = createPublicKey({ key: Buffer.from(concat(X25519_SPKI_PREFIX, peer)), format: "der", type: "spki" });
    const secret = new Uint8Array(diffieHellman({ privateKey: this.#priv, publicKey: pub }));
    // RFC 8446 §7.4.2: an all-zero result means a small-order peer point.
    if (secret.every((b) => b === 0)) throw new Error("x25519 shared secret is zero");
    return secret;
  }
}

class P256Share implements KeyShare {
  readonly group = Group.secp256r1;
  readonly publicKey: Uint8Array;
  readonly #ecdh: ECDH;

  constructor(ecdh: ECDH) {
    this.#ecdh = ecdh;
    this.publicKey = new Uint8Array(ecdh.getPublicKey());
  }

  agree(peer: Uint8Array): Uint8Array {
    // RFC 8446 §4.2.8.2: only the uncompressed form is allowed.
    if (peer.length !== 65 || peer[0] !== 4) throw new Error("secp256r1 share must be an uncompressed point");
    return new Uint8Array(this.#ecdh.computeSecret(peer));
  }
}

/**
 * A key share from a known private key: for reproducing published traces
 * (RFC 8448) in tests, never for real connections.
 *
 * @example
 * ```ts
 * const share = keyShareFromPrivateKey(Group.x25519, privateKeyBytes);
 * ```
 */
export function keyShareFromPrivateKey(group: number, privateKey: Uint8Array): KeyShare {
  if (group === Group.x25519) {
    const der = Buffer.from(concat(X25519_PKCS8_PREFIX, privateKey));
    return new X25519Share(createPrivateKey({ key: der, format: "der", type: "pkcs8" }));
  }
  if (group === Group.secp256r1) {
    const ecdh = createECDH("prime256v1");
    ecdh.setPrivateKey(privateKey);
    return new P256Share(ecdh);
  }
  throw new TlsError(Alert.internal_error, `unsupported group ${group}`);
}

class NodeSigningKey implements SigningKey {
  readonly keyType: "rsa" | "ec" | "other";
  readonly curve?: string;
  readonly key: KeyObject;

  constructor(key: KeyObject) {
    this.key = key;
    const t = key.asymmetricKeyType;
    this.keyType = t === "rsa" ? "rsa" : t === "ec" ? "ec" : "other";
    this.curve = key.asymmetricKeyDetails?.namedCurve;
  }
}

type NodeAead = "aes-128-gcm" | "aes-256-gcm";

class NodeAeadCipher implements AeadCipher {
  // Node's typings only list GCM for authTagLength; chacha20-poly1305 takes the same options.
  readonly #alg: NodeAead;
  readonly #key: Buffer;

  constructor(alg: AeadAlgorithm, key: Uint8Array) {
    this.#alg = alg as NodeAead;
    this.#key = Buffer.from(key);
  }

  seal(nonce: Uint8Array, aad: Uint8Array, parts: readonly Uint8Array[], out: Uint8Array, offset: number): number {
    const c = createCipheriv(this.#alg, this.#key, nonce, { authTagLength: 16 });
    c.setAAD(aad);
    const start = offset;
    for (const p of parts) {
      const x = c.update(p);
      out.set(x, offset);
      offset += x.length;
    }
    const f = c.final();
    out.set(f, offset);
    offset += f.length;
    out.set(c.getAuthTag(), offset);
    return offset + 16 - start;
  }

  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array): Uint8Array | null {
    const d = createDecipheriv(this.#alg, this.#key, nonce, { authTagLength: 16 });
    d.setAAD(aad);
    d.setAuthTag(tag);
    const pt = d.update(ciphertext);
    try {
      const rest = d.final();
      return rest.length ? concat(pt, rest) : pt;
    } catch {
      return null;
    }
  }
}

class NodeHashContext implements HashContext {
  readonly #h: Hash;
  constructor(alg: HashAlgorithm) {
    this.#h = createHash(alg);
  }
  update(data: Uint8Array): void {
    this.#h.update(data);
  }
  digest(): Uint8Array {
    return new Uint8Array(this.#h.copy().digest());
  }
}

/**
 * The default provider, on the runtime's `node:crypto`. Subclass it to pin
 * {@link random} or {@link generateKeyShare} in tests.
 *
 * @example
 * ```ts
 * const provider = new NodeCryptoProvider();
 * provider.hash("sha256", new Uint8Array(0)).length; // 32
 * ```
 */
export class NodeCryptoProvider implements CryptoProvider {
  readonly name: string = "node:crypto";
  readonly #certKeys = new Map<Uint8Array, KeyObject>();

  random(n: number): Uint8Array {
    return new Uint8Array(randomBytes(n));
  }

  hash(alg: HashAlgorithm, data: Uint8Array): Uint8Array {
    return new Uint8Array(createHash(alg).update(data).digest());
  }

  hashContext(alg: HashAlgorithm): HashContext {
    return new NodeHashContext(alg);
  }

  hmac(alg: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
    return new Uint8Array(createHmac(alg, key).update(data).digest());
  }

  aead(alg: AeadAlgorithm, key: Uint8Array): AeadCipher {
    return new NodeAeadCipher(alg, key);
  }

  generateKeyShare(group: number): KeyShare {
    if (group === Group.x25519) return new X25519Share(generateKeyPairSync("x25519").privateKey);
    if (group === Group.secp256r1) {
      const ecdh = createECDH("prime256v1");
      ecdh.generateKeys();
      return new P256Share(ecdh);
    }
    throw new TlsError(Alert.internal_error, `unsupported group ${group}`);
  }

  loadPrivateKey(pem: string): SigningKey {
    try {
      return new NodeSigningKey(createPrivateKey(pem));
    } catch {
      // The message must not echo the key material.
      throw new TlsError(Alert.internal_error, "cannot load the private key (expected PEM RSA or EC key)");
    }
  }

  sign(scheme: number, key: SigningKey, data: Uint8Array): Uint8Array {
    const hash = SCHEME_HASH[scheme];
    if (!hash || !(key instanceof NodeSigningKey) || !schemeFitsKey(scheme, key)) {
      throw new TlsError(Alert.internal_error, `cannot sign with scheme 0x${scheme.toString(16)}`);
    }
    const opts = key.keyType === "rsa"
      ? { key: key.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: HASH_LEN[hash] }
      : { key: key.key, dsaEncoding: "der" as const };
    return new Uint8Array(nodeSign(hash, data, opts));
  }

  verify(scheme: number, certificateDer: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
    const hash = SCHEME_HASH[scheme];
    if (!hash) return false;
    try {
      let pub = this.#certKeys.get(certificateDer);
      if (!pub) {
        pub = new X509Certificate(certificateDer).publicKey;
        this.#certKeys.clear(); // only the latest leaf is worth keeping
        this.#certKeys.set(certificateDer, pub);
      }
      const fits = schemeFitsKey(scheme, {
        keyType: pub.asymmetricKeyType === "rsa" ? "rsa" : pub.asymmetricKeyType === "ec" ? "ec" : "other",
        curve: pub.asymmetricKeyDetails?.namedCurve,
      });
      if (!fits) return false;
      const opts = pub.asymmetricKeyType === "rsa"
        ? { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: HASH_LEN[hash] }
        : { key: pub, dsaEncoding: "der" as const };
      return nodeVerify(hash, data, opts, signature);
    } catch {
      return false;
    }
  }
}
