/**
 * {@link NodeCryptoProvider}: the {@link CryptoProvider} on the runtime's
 * synchronous `node:crypto` (the engine API is synchronous, so WebCrypto is
 * not usable), with ML-KEM-768 for the hybrid group from hybrid.ts.
 *
 * @module
 */

import {
  constants,
  createCipheriv,
  createDecipheriv,
  createECDH,
  createHash,
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
import { Group, GROUP_NAMES, SignatureScheme } from "../protocol/constants.ts";
import {
  type AeadAlgorithm,
  type AeadCipher,
  type CompletedKeyShare,
  type CryptoProvider,
  type HashAlgorithm,
  type HashContext,
  type KeyShare,
  type KeyType,
  schemeFitsKey,
  type SigningKey,
} from "./provider.ts";
import { completeX25519MLKEM768, X25519MLKEM768Share } from "./hybrid.ts";

/** The hash of each signature scheme; `null` for Ed25519, which hashes internally (RFC 8032). */
const SCHEME_HASH: Record<number, string | null> = {
  [SignatureScheme.rsa_pss_rsae_sha256]: "sha256",
  [SignatureScheme.rsa_pss_rsae_sha384]: "sha384",
  [SignatureScheme.rsa_pss_rsae_sha512]: "sha512",
  [SignatureScheme.rsa_pkcs1_sha256]: "sha256",
  [SignatureScheme.rsa_pkcs1_sha384]: "sha384",
  [SignatureScheme.rsa_pkcs1_sha512]: "sha512",
  [SignatureScheme.ecdsa_secp256r1_sha256]: "sha256",
  [SignatureScheme.ecdsa_secp384r1_sha384]: "sha384",
  [SignatureScheme.ed25519]: null,
};
const HASH_LEN: Record<string, number> = { sha256: 32, sha384: 48, sha512: 64 };
/** The input block size of each hash, which HMAC pads its key to (RFC 2104 §2). */
const HASH_BLOCK: Record<HashAlgorithm, number> = { sha256: 64, sha384: 128 };

/** The NIST curves for ECDHE, by group, with the length of an uncompressed point. */
const EC_GROUPS: Record<number, { curve: string; pointLength: number }> = {
  [Group.secp256r1]: { curve: "prime256v1", pointLength: 65 },
  [Group.secp384r1]: { curve: "secp384r1", pointLength: 97 },
};

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

  /** `pub` when the caller has it: deriving it again from `priv` costs as much as generating the pair. */
  constructor(priv: KeyObject, pub: KeyObject = createPublicKey(priv)) {
    this.#priv = priv;
    const spki = pub.export({ format: "der", type: "spki" });
    this.publicKey = new Uint8Array(spki.subarray(spki.length - 32));
  }

  agree(peer: Uint8Array): Uint8Array {
    if (peer.length !== 32) throw new Error("x25519 share must be 32 bytes");
    const pub = createPublicKey({ key: Buffer.from(concat(X25519_SPKI_PREFIX, peer)), format: "der", type: "spki" });
    // RFC 8446 §7.4.2: an all-zero result means a small-order peer point.
    // OpenSSL refuses to derive it, and the check below covers any other build.
    let secret: Uint8Array;
    try {
      secret = new Uint8Array(diffieHellman({ privateKey: this.#priv, publicKey: pub }));
    } catch {
      throw new Error("x25519 shared secret is zero");
    }
    if (secret.every((b) => b === 0)) throw new Error("x25519 shared secret is zero");
    return secret;
  }
}

class EcShare implements KeyShare {
  readonly group: number;
  readonly publicKey: Uint8Array;
  readonly #ecdh: ECDH;

  constructor(group: number, ecdh: ECDH) {
    this.group = group;
    this.#ecdh = ecdh;
    this.publicKey = new Uint8Array(ecdh.getPublicKey());
  }

  agree(peer: Uint8Array): Uint8Array {
    // RFC 8446 §4.2.8.2: only the uncompressed form is allowed.
    if (peer.length !== this.publicKey.length || peer[0] !== 4) {
      throw new Error(`${GROUP_NAMES[this.group]} share must be an uncompressed point`);
    }
    // computeSecret refuses a point that is not on the curve.
    return new Uint8Array(this.#ecdh.computeSecret(peer));
  }
}

/**
 * A key share from a known private key: for reproducing published traces
 * (RFC 8448) in tests, never for real connections.
 */
export function keyShareFromPrivateKey(group: number, privateKey: Uint8Array): KeyShare {
  if (group === Group.x25519) {
    const der = Buffer.from(concat(X25519_PKCS8_PREFIX, privateKey));
    return new X25519Share(createPrivateKey({ key: der, format: "der", type: "pkcs8" }));
  }
  const ec = EC_GROUPS[group];
  if (ec) {
    const ecdh = createECDH(ec.curve);
    ecdh.setPrivateKey(privateKey);
    return new EcShare(group, ecdh);
  }
  throw new TlsError(Alert.internal_error, `unsupported group ${group}`);
}

function keyTypeOf(key: KeyObject): KeyType {
  const t = key.asymmetricKeyType;
  return t === "rsa" || t === "ec" || t === "ed25519" ? t : "other";
}

class NodeSigningKey implements SigningKey {
  readonly keyType: KeyType;
  readonly curve?: string;
  readonly key: KeyObject;

  constructor(key: KeyObject) {
    this.key = key;
    this.keyType = keyTypeOf(key);
    this.curve = key.asymmetricKeyDetails?.namedCurve;
  }
}

const PKCS1_SCHEMES = new Set<number>([
  SignatureScheme.rsa_pkcs1_sha256,
  SignatureScheme.rsa_pkcs1_sha384,
  SignatureScheme.rsa_pkcs1_sha512,
]);

/**
 * node:crypto sign/verify options for a scheme's key: PKCS#1 v1.5 for
 * rsa_pkcs1_* (TLS 1.2), else PSS with salt = hash length; ECDSA in DER.
 */
function signOptions(key: KeyObject, hash: string | null, scheme: number) {
  if (key.asymmetricKeyType === "rsa") {
    if (PKCS1_SCHEMES.has(scheme)) return { key, padding: constants.RSA_PKCS1_PADDING };
    return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: HASH_LEN[hash!] };
  }
  return { key, dsaEncoding: "der" as const };
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

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offset: number): number {
    const c = createCipheriv(this.#alg, this.#key, nonce, { authTagLength: 16 });
    c.setAAD(aad);
    // update() reads all of its input before we copy its output over it: in place is safe.
    const body = c.update(plaintext);
    out.set(body, offset);
    const rest = c.final(); // empty for these stream-mode AEADs
    if (rest.length) out.set(rest, offset + body.length);
    const end = offset + body.length + rest.length;
    out.set(c.getAuthTag(), end);
    return end + 16 - offset;
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

  /**
   * HMAC (RFC 2104) as its two hashes: the runtime's `createHmac` costs
   * about twice two `createHash` calls on the short inputs of a key
   * schedule, which runs some twenty of them per handshake.
   */
  hmac(alg: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
    const block = HASH_BLOCK[alg];
    const pad = new Uint8Array(block);
    pad.set(key.length > block ? this.hash(alg, key) : key);
    for (let i = 0; i < block; i++) pad[i] ^= 0x36;
    const inner = createHash(alg).update(pad).update(data).digest();
    for (let i = 0; i < block; i++) pad[i] ^= 0x36 ^ 0x5c;
    return new Uint8Array(createHash(alg).update(pad).update(inner).digest());
  }

  aead(alg: AeadAlgorithm, key: Uint8Array): AeadCipher {
    return new NodeAeadCipher(alg, key);
  }

  generateKeyShare(group: number): KeyShare {
    if (group === Group.x25519) {
      const { privateKey, publicKey } = generateKeyPairSync("x25519");
      return new X25519Share(privateKey, publicKey);
    }
    if (group === Group.X25519MLKEM768) return new X25519MLKEM768Share(this.generateKeyShare(Group.x25519));
    const ec = EC_GROUPS[group];
    if (ec) {
      const ecdh = createECDH(ec.curve);
      ecdh.generateKeys();
      return new EcShare(group, ecdh);
    }
    throw new TlsError(Alert.internal_error, `unsupported group ${group}`);
  }

  completeKeyShare(group: number, peerPublic: Uint8Array): CompletedKeyShare {
    if (group === Group.X25519MLKEM768) {
      return completeX25519MLKEM768(peerPublic, this.generateKeyShare(Group.x25519));
    }
    // (EC)DHE: a fresh key pair of the same group, through generateKeyShare
    // so that tests which pin our ephemeral key pin this one too.
    const share = this.generateKeyShare(group);
    return { publicKey: share.publicKey, secret: share.agree(peerPublic) };
  }

  loadPrivateKey(pem: string): SigningKey {
    try {
      return new NodeSigningKey(createPrivateKey(pem));
    } catch {
      // The message must not echo the key material.
      throw new TlsError(Alert.internal_error, "cannot load the private key (expected PEM RSA, EC or Ed25519 key)");
    }
  }

  sign(scheme: number, key: SigningKey, data: Uint8Array): Uint8Array {
    const hash = SCHEME_HASH[scheme];
    if (hash === undefined || !(key instanceof NodeSigningKey) || !schemeFitsKey(scheme, key)) {
      throw new TlsError(Alert.internal_error, `cannot sign with scheme 0x${scheme.toString(16)}`);
    }
    return new Uint8Array(nodeSign(hash, data, signOptions(key.key, hash, scheme)));
  }

  verify(scheme: number, certificateDer: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
    const hash = SCHEME_HASH[scheme];
    if (hash === undefined) return false;
    try {
      let pub = this.#certKeys.get(certificateDer);
      if (!pub) {
        pub = new X509Certificate(certificateDer).publicKey;
        this.#certKeys.clear(); // only the latest leaf is worth keeping
        this.#certKeys.set(certificateDer, pub);
      }
      const fits = schemeFitsKey(scheme, { keyType: keyTypeOf(pub), curve: pub.asymmetricKeyDetails?.namedCurve });
      return fits && nodeVerify(hash, data, signOptions(pub, hash, scheme), signature);
    } catch {
      return false;
    }
  }
}
