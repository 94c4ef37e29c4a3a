/**
 * TLS code points (RFC 8446 §4, §B.3, §B.4, and the TLS 1.2 ones every
 * engine shares), their IANA names, and protocol limits: one table per concept.
 *
 * @module
 */

/**
 * Record content types (RFC 8446 §5.1, RFC 6520 for heartbeat).
 */
export const ContentType = {
  change_cipher_spec: 20,
  alert: 21,
  handshake: 22,
  application_data: 23,
  heartbeat: 24,
} as const;

/** Names of {@link ContentType} values, for tracing. */
export const CONTENT_TYPE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(ContentType).map(([name, code]) => [code, name]),
);

/**
 * Handshake message types of TLS 1.3 (RFC 8446 §4) and TLS 1.2 (RFC 5246 §7.4).
 */
export const HandshakeType = {
  hello_request: 0,
  client_hello: 1,
  server_hello: 2,
  new_session_ticket: 4,
  end_of_early_data: 5,
  encrypted_extensions: 8,
  certificate: 11,
  server_key_exchange: 12,
  certificate_request: 13,
  server_hello_done: 14,
  certificate_verify: 15,
  client_key_exchange: 16,
  finished: 20,
  key_update: 24,
  message_hash: 254,
} as const;

/** Names of {@link HandshakeType} values as traces print them (`ClientHello`), for every engine. */
export const HANDSHAKE_NAMES: Readonly<Record<number, string>> = {
  [HandshakeType.hello_request]: "HelloRequest",
  [HandshakeType.client_hello]: "ClientHello",
  [HandshakeType.server_hello]: "ServerHello",
  [HandshakeType.new_session_ticket]: "NewSessionTicket",
  [HandshakeType.end_of_early_data]: "EndOfEarlyData",
  [HandshakeType.encrypted_extensions]: "EncryptedExtensions",
  [HandshakeType.certificate]: "Certificate",
  [HandshakeType.server_key_exchange]: "ServerKeyExchange",
  [HandshakeType.certificate_request]: "CertificateRequest",
  [HandshakeType.server_hello_done]: "ServerHelloDone",
  [HandshakeType.certificate_verify]: "CertificateVerify",
  [HandshakeType.client_key_exchange]: "ClientKeyExchange",
  [HandshakeType.finished]: "Finished",
  [HandshakeType.key_update]: "KeyUpdate",
  [HandshakeType.message_hash]: "message_hash",
};

/**
 * Extension types this implementation reads or writes (RFC 8446 §4.2, and
 * the TLS 1.2 ones: RFC 4492, 5077, 5746, 7366, 7627).
 */
export const ExtensionType = {
  server_name: 0,
  max_fragment_length: 1,
  status_request: 5,
  supported_groups: 10,
  ec_point_formats: 11,
  signature_algorithms: 13,
  use_srtp: 14,
  heartbeat: 15,
  alpn: 16,
  signed_certificate_timestamp: 18,
  client_certificate_type: 19,
  server_certificate_type: 20,
  padding: 21,
  encrypt_then_mac: 22,
  extended_master_secret: 23,
  record_size_limit: 28,
  session_ticket: 35,
  pre_shared_key: 41,
  early_data: 42,
  supported_versions: 43,
  cookie: 44,
  psk_key_exchange_modes: 45,
  certificate_authorities: 47,
  oid_filters: 48,
  post_handshake_auth: 49,
  signature_algorithms_cert: 50,
  key_share: 51,
  renegotiation_info: 0xff01,
} as const;

/**
 * Name of an extension type, for messages: `key_share`, or the number.
 */
export function extensionName(type: number): string {
  return EXTENSION_NAMES[type] ?? `extension ${type}`;
}

const EXTENSION_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(ExtensionType).map(([name, code]) => [code, name]),
);

/** Protocol version code points. */
export const Version = { TLS12: 0x0303, TLS13: 0x0304 } as const;

/**
 * What a cipher suite needs from the crypto provider.
 */
export interface CipherSuiteInfo {
  readonly id: number;
  /** IANA name, e.g. `TLS_AES_128_GCM_SHA256`. */
  readonly name: string;
  readonly hash: "sha256" | "sha384";
  readonly hashLength: number;
  readonly aead: "aes-128-gcm" | "aes-256-gcm" | "chacha20-poly1305";
  readonly keyLength: number;
}

/**
 * The three TLS 1.3 cipher suites, in our default preference order.
 */
export const CIPHER_SUITES: readonly CipherSuiteInfo[] = [
  { id: 0x1301, name: "TLS_AES_128_GCM_SHA256", hash: "sha256", hashLength: 32, aead: "aes-128-gcm", keyLength: 16 },
  { id: 0x1302, name: "TLS_AES_256_GCM_SHA384", hash: "sha384", hashLength: 48, aead: "aes-256-gcm", keyLength: 32 },
  {
    id: 0x1303,
    name: "TLS_CHACHA20_POLY1305_SHA256",
    hash: "sha256",
    hashLength: 32,
    aead: "chacha20-poly1305",
    keyLength: 32,
  },
];

/**
 * The suite with this code point, if supported.
 */
export function suiteById(id: number): CipherSuiteInfo | undefined {
  return CIPHER_SUITES.find((s) => s.id === id);
}

/**
 * Named groups (RFC 8446 §4.2.7) supported for key exchange, with the
 * post-quantum hybrid X25519MLKEM768 (draft-ietf-tls-ecdhe-mlkem).
 */
export const Group = { secp256r1: 0x0017, secp384r1: 0x0018, x25519: 0x001d, X25519MLKEM768: 0x11ec } as const;

/** IANA names of supported groups. */
export const GROUP_NAMES: Readonly<Record<number, string>> = {
  0x0017: "secp256r1",
  0x0018: "secp384r1",
  0x001d: "x25519",
  0x11ec: "X25519MLKEM768",
};

/**
 * Signature schemes (RFC 8446 §4.2.3).
 */
export const SignatureScheme = {
  rsa_pkcs1_sha256: 0x0401,
  rsa_pkcs1_sha384: 0x0501,
  rsa_pkcs1_sha512: 0x0601,
  ecdsa_secp256r1_sha256: 0x0403,
  ecdsa_secp384r1_sha384: 0x0503,
  ecdsa_secp521r1_sha512: 0x0603,
  rsa_pss_rsae_sha256: 0x0804,
  rsa_pss_rsae_sha384: 0x0805,
  rsa_pss_rsae_sha512: 0x0806,
  ed25519: 0x0807,
  rsa_pss_pss_sha256: 0x0809,
  rsa_pss_pss_sha384: 0x080a,
  rsa_pss_pss_sha512: 0x080b,
} as const;

/** Names of signature schemes. */
export const SIGNATURE_SCHEME_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(SignatureScheme).map(([name, id]) => [id, name]),
);

/** Schemes we can produce and check in CertificateVerify, in preference order. */
export const CERTIFICATE_VERIFY_SCHEMES: readonly number[] = [
  SignatureScheme.ecdsa_secp256r1_sha256,
  SignatureScheme.ecdsa_secp384r1_sha384,
  SignatureScheme.ed25519,
  SignatureScheme.rsa_pss_rsae_sha256,
  SignatureScheme.rsa_pss_rsae_sha384,
  SignatureScheme.rsa_pss_rsae_sha512,
];

/** Schemes we accept on certificates (signature_algorithms_cert), which adds PKCS#1 v1.5. */
export const CERTIFICATE_SCHEMES: readonly number[] = [
  ...CERTIFICATE_VERIFY_SCHEMES,
  SignatureScheme.rsa_pkcs1_sha256,
  SignatureScheme.rsa_pkcs1_sha384,
  SignatureScheme.rsa_pkcs1_sha512,
];

/**
 * The last eight bytes of ServerHello.random from a TLS 1.3-capable server
 * that negotiated TLS 1.2 ("DOWNGRD\x01") or TLS 1.1 and below
 * ("DOWNGRD\x00") (RFC 8446 §4.1.3).
 */
export const DOWNGRADE_SENTINELS: readonly Uint8Array[] = [
  new Uint8Array([0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01]),
  new Uint8Array([0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x00]),
];

/** ServerHello.random of a HelloRetryRequest: SHA-256("HelloRetryRequest") (RFC 8446 §4.1.3). */
export const HRR_RANDOM: Uint8Array = new Uint8Array([
  0xcf,
  0x21,
  0xad,
  0x74,
  0xe5,
  0x9a,
  0x61,
  0x11,
  0xbe,
  0x1d,
  0x8c,
  0x02,
  0x1e,
  0x65,
  0xb8,
  0x91,
  0xc2,
  0xa2,
  0x11,
  0x16,
  0x7a,
  0xbb,
  0x8c,
  0x5e,
  0x07,
  0x9e,
  0x09,
  0xe2,
  0xc8,
  0xa8,
  0x33,
  0x9c,
]);

/** Largest TLSPlaintext fragment (RFC 8446 §5.1). */
export const MAX_PLAINTEXT = 1 << 14;
/** Largest TLSCiphertext fragment (RFC 8446 §5.2). */
export const MAX_CIPHERTEXT = MAX_PLAINTEXT + 256;
/** The largest record body any TLS version allows (RFC 5246 §6.2.3: 2^14 + 2048). */
export const MAX_RECORD_BODY = MAX_PLAINTEXT + 2048;
/**
 * Largest handshake message body we accept, but for ClientHello (a long
 * certificate chain fits); bounds buffering of peer input.
 */
export const MAX_HANDSHAKE_MESSAGE = 64 * 1024;

/**
 * The largest ClientHello body the RFC 8446 §4.1.2 structure allows: version,
 * random, session id<0..32>, cipher_suites<2..2^16-2>,
 * compression_methods<1..2^8-1>, extensions<8..2^16-1>. Legal hellos with
 * long lists (signature_algorithms of 32,000 entries) exceed 64 KiB.
 */
export const MAX_CLIENT_HELLO = 2 + 32 + (1 + 32) + (2 + 65534) + (1 + 255) + (2 + 65535);

/**
 * The largest body accepted for a handshake message of this type: a
 * ClientHello as large as its structure allows, anything else
 * {@link MAX_HANDSHAKE_MESSAGE}.
 */
export function maxHandshakeLength(type: number): number {
  return type === HandshakeType.client_hello ? MAX_CLIENT_HELLO : MAX_HANDSHAKE_MESSAGE;
}
