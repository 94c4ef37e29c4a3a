/**
 * The TLS 1.2 profile this engine speaks: ECDHE key exchange with RSA or
 * ECDSA certificates and AEAD ciphers only (RFC 5289, RFC 7905), and the
 * code points TLS 1.2 adds to the shared tables.
 *
 * @module
 */

import { SignatureScheme } from "../../protocol/constants.ts";

/** A TLS 1.2 cipher suite: key exchange authentication, AEAD and PRF hash. */
export interface Tls12Suite {
  readonly id: number;
  /** IANA name, e.g. `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`. */
  readonly name: string;
  /** The certificate key type the suite needs (RFC 8422 §2, RFC 5246 §7.4.2). */
  readonly auth: "rsa" | "ec";
  readonly aead: "aes-128-gcm" | "aes-256-gcm" | "chacha20-poly1305";
  readonly keyLength: number;
  /** Implicit IV length from the key block: 4 (GCM salt, RFC 5288 §3) or 12 (RFC 7905 §2). */
  readonly fixedIvLength: number;
  /** Explicit nonce bytes carried in each record: 8 for GCM, 0 for ChaCha20-Poly1305. */
  readonly explicitNonceLength: number;
  /** PRF and transcript hash (RFC 5246 §5, RFC 5289 §3). */
  readonly hash: "sha256" | "sha384";
}

function suite(id: number, name: string, auth: "rsa" | "ec", aead: Tls12Suite["aead"]): Tls12Suite {
  const gcm = aead !== "chacha20-poly1305";
  return {
    id,
    name,
    auth,
    aead,
    keyLength: aead === "aes-128-gcm" ? 16 : 32,
    fixedIvLength: gcm ? 4 : 12,
    explicitNonceLength: gcm ? 8 : 0,
    hash: aead === "aes-256-gcm" ? "sha384" : "sha256",
  };
}

/**
 * Every suite we implement, in our default preference order (ChaCha20 first,
 * as for TLS 1.3: fastest on this runtime, see README "Choosing the crypto").
 */
export const TLS12_SUITES: readonly Tls12Suite[] = [
  suite(0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ec", "chacha20-poly1305"),
  suite(0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "rsa", "chacha20-poly1305"),
  suite(0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ec", "aes-128-gcm"),
  suite(0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "rsa", "aes-128-gcm"),
  suite(0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ec", "aes-256-gcm"),
  suite(0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "rsa", "aes-256-gcm"),
];

/** Signaling cipher suite values. */
export const Scsv = {
  /** RFC 5746 §3.3: the client supports secure renegotiation. */
  emptyRenegotiationInfo: 0x00ff,
  /** RFC 7507 §2: the client is retrying with a lower version. */
  fallback: 0x5600,
} as const;

/** Handshake types only TLS 1.2 uses (RFC 5246 §7.4). */
export const Tls12HandshakeType = {
  hello_request: 0,
  server_key_exchange: 12,
  server_hello_done: 14,
  client_key_exchange: 16,
} as const;

/** ClientCertificateType (RFC 5246 §7.4.4, RFC 8422 §5.5). */
export const ClientCertificateType = { rsa_sign: 1, ecdsa_sign: 64 } as const;

/**
 * Signature schemes we produce and accept in TLS 1.2 ServerKeyExchange and
 * CertificateVerify (RFC 5246 §7.4.1.4.1 with the RFC 8446 code points),
 * in preference order. SHA-1 and SHA-224 are deliberately absent.
 */
export const TLS12_SIGNATURE_SCHEMES: readonly number[] = [
  SignatureScheme.ecdsa_secp256r1_sha256,
  SignatureScheme.ecdsa_secp384r1_sha384,
  SignatureScheme.rsa_pss_rsae_sha256,
  SignatureScheme.rsa_pss_rsae_sha384,
  SignatureScheme.rsa_pss_rsae_sha512,
  SignatureScheme.rsa_pkcs1_sha256,
  SignatureScheme.rsa_pkcs1_sha384,
  SignatureScheme.rsa_pkcs1_sha512,
];

/** The last eight bytes of ServerHello.random from a TLS 1.3 server that settled on TLS 1.2 (RFC 8446 §4.1.3). */
export const DOWNGRADE_TLS12 = new Uint8Array([0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01]);
/** The same from a server that settled on TLS 1.1 or below (RFC 8446 §4.1.3): a TLS 1.2 ServerHello never carries it. */
export const DOWNGRADE_TLS11 = new Uint8Array([0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x00]);

/** verify_data is 12 bytes for every suite we speak (RFC 5246 §7.4.9). */
export const VERIFY_DATA_LENGTH = 12;
