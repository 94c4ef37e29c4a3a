/**
 * The crypto seam of the TLS 1.3 engine. Everything cryptographic the engine
 * does goes through a {@link CryptoProvider}, so another implementation can be
 * swapped in (and benchmarked), and tests can pin randomness and ephemeral
 * keys to reproduce published traces.
 *
 * The default implementation is `NodeCryptoProvider` (node_provider.ts).
 *
 * @module
 */

import { SignatureScheme } from "../protocol/constants.ts";

/**
 * Hash functions the key schedule uses.
 */
export type HashAlgorithm = "sha256" | "sha384";

/**
 * AEAD algorithms of the TLS 1.3 cipher suites.
 */
export type AeadAlgorithm = "aes-128-gcm" | "aes-256-gcm" | "chacha20-poly1305";

/**
 * An AEAD keyed for one traffic direction. The tag is always 16 bytes.
 */
export interface AeadCipher {
  /**
   * Encrypts `plaintext` and writes ciphertext then tag into `out` at
   * `offset`; returns the number of bytes written. `plaintext` may be the
   * very bytes of `out` at `offset` (encryption in place): a record is built
   * in its output buffer and sealed there, so a 16 KiB record costs one
   * cipher call and no extra buffer.
   */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offset: number): number;
  /** Decrypts and authenticates; `null` when authentication fails. */
  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array): Uint8Array | null;
}

/**
 * The client's ephemeral key share for one group: an (EC)DHE key pair, or a
 * KEM key pair for a hybrid group.
 */
export interface KeyShare {
  /** The named group (RFC 8446 §4.2.7 code point). */
  readonly group: number;
  /** The key_share wire form: 32 bytes for x25519, an uncompressed point for the NIST curves. */
  readonly publicKey: Uint8Array;
  /** The shared secret with the server's share; throws if the server's share is invalid. */
  agree(peerPublic: Uint8Array): Uint8Array;
}

/**
 * The server's reply to a client's key share: what goes in ServerHello and
 * the shared secret.
 */
export interface CompletedKeyShare {
  /** The server's key_share, for ServerHello. */
  readonly publicKey: Uint8Array;
  /** The shared secret. */
  readonly secret: Uint8Array;
}

/**
 * A running hash whose digest can be read without ending it (for the transcript).
 */
export interface HashContext {
  /** Adds bytes to the hash. */
  update(data: Uint8Array): void;
  /** The digest so far; more data may be added afterwards. */
  digest(): Uint8Array;
}

/** Key algorithms a signing key can have. */
export type KeyType = "rsa" | "ec" | "ed25519" | "other";

/**
 * Our private key, loaded once; what the engine needs to know to pick a scheme.
 */
export interface SigningKey {
  /** The key's algorithm. */
  readonly keyType: KeyType;
  /** For EC keys: `prime256v1`, `secp384r1`, ... */
  readonly curve?: string;
}

/**
 * Everything cryptographic the engine needs. All methods are synchronous.
 */
export interface CryptoProvider {
  /** A short name for reports and benchmarks. */
  readonly name: string;
  /** `n` bytes from a CSPRNG (randoms, session ids). */
  random(n: number): Uint8Array;
  /** The digest of `data`. */
  hash(alg: HashAlgorithm, data: Uint8Array): Uint8Array;
  /** A running hash (the handshake transcript). */
  hashContext(alg: HashAlgorithm): HashContext;
  /** HMAC of `data` under `key` (the basis of HKDF). */
  hmac(alg: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array;
  /** An AEAD cipher keyed with `key`, for one direction's records. */
  aead(alg: AeadAlgorithm, key: Uint8Array): AeadCipher;
  /** Client: a fresh ephemeral key share; throws for an unsupported group. */
  generateKeyShare(group: number): KeyShare;
  /**
   * Server: answers the client's share — a fresh key pair and the agreement
   * for (EC)DHE, an encapsulation for a KEM. Throws if the client's share is
   * invalid.
   */
  completeKeyShare(group: number, peerPublic: Uint8Array): CompletedKeyShare;
  /** Parses our PEM private key; throws `TlsError(internal_error)` if it cannot. */
  loadPrivateKey(pem: string): SigningKey;
  /** Signs `data` with `scheme` (RSA-PSS salt = hash length, ECDSA DER-encoded, Ed25519 pure). */
  sign(scheme: number, key: SigningKey, data: Uint8Array): Uint8Array;
  /** Checks a signature by the leaf certificate's key; false on any mismatch. */
  verify(scheme: number, certificateDer: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean;
}

/** The key each CertificateVerify scheme needs (RFC 8446 §4.2.3). */
const SCHEME_KEY: Record<number, { keyType: KeyType; curve?: string }> = {
  [SignatureScheme.rsa_pss_rsae_sha256]: { keyType: "rsa" },
  [SignatureScheme.rsa_pss_rsae_sha384]: { keyType: "rsa" },
  [SignatureScheme.rsa_pss_rsae_sha512]: { keyType: "rsa" },
  // PKCS#1 v1.5: TLS 1.2 signatures only (RFC 8446 §4.2.3 keeps them out of TLS 1.3 CertificateVerify).
  [SignatureScheme.rsa_pkcs1_sha256]: { keyType: "rsa" },
  [SignatureScheme.rsa_pkcs1_sha384]: { keyType: "rsa" },
  [SignatureScheme.rsa_pkcs1_sha512]: { keyType: "rsa" },
  [SignatureScheme.ecdsa_secp256r1_sha256]: { keyType: "ec", curve: "prime256v1" },
  [SignatureScheme.ecdsa_secp384r1_sha384]: { keyType: "ec", curve: "secp384r1" },
  [SignatureScheme.ed25519]: { keyType: "ed25519" },
};

/**
 * Whether `scheme` can be used with a key of this type (RFC 8446 §4.2.3:
 * rsa_pss_rsae_* need an rsaEncryption key, ecdsa_* pin the curve, ed25519
 * an Ed25519 key).
 */
export function schemeFitsKey(scheme: number, key: SigningKey): boolean {
  const needed = SCHEME_KEY[scheme];
  if (!needed || needed.keyType !== key.keyType) return false;
  return needed.curve === undefined || needed.curve === key.curve;
}
