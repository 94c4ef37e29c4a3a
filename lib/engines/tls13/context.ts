/**
 * What the client and server handshake state machines see of the engine:
 * sending messages, switching keys, logging secrets, finishing. Keeping this
 * narrow lets the role modules hold only protocol logic.
 *
 * @module
 */

import { Alert, TlsError } from "../../ssl/alerts.ts";
import type { ConnectionInfo, TlsConfig } from "../../ssl/engine.ts";
import { CertificateError, peerVerifyOptions, pemToDer, verifyChain } from "../../pki/x509.ts";
import type { CipherSuiteInfo } from "../../protocol/constants.ts";
import { CERTIFICATE_VERIFY_SCHEMES, CIPHER_SUITES, Group, GROUP_NAMES } from "../../protocol/constants.ts";
import { type CryptoProvider, schemeFitsKey, type SigningKey } from "../../crypto/provider.ts";
import { clientKeyShareGroups, DEFAULT_GROUPS } from "./group_policy.ts";
import type { SecretTrace, Transcript } from "./key_schedule.ts";
import { constantTimeEqual } from "../../protocol/bytes.ts";
import type { Extension } from "../../protocol/messages.ts";

/**
 * Engine options beyond {@link TlsConfig}: algorithm choices and test hooks.
 *
 * @example A client whose first key share the server does not take: HelloRetryRequest (RFC 8446 §4.1.4)
 * ```ts
 * import { issueCertificate, Ssl, tls13EngineFactory, type Tls13Options } from "@ssl-nonblock/tls";
 * import assert from "node:assert/strict";
 *
 * const ca = issueCertificate({ commonName: "Example CA", keyType: "ecdsa", isCA: true });
 * const leaf = issueCertificate({ commonName: "localhost", keyType: "ecdsa", issuer: ca, dnsNames: ["localhost"] });
 * const clientOptions: Tls13Options = { groups: ["x25519", "secp256r1"], keyShareGroups: ["x25519"] };
 * const serverOptions: Tls13Options = { groups: ["secp256r1"] };
 * const client = new Ssl(tls13EngineFactory(clientOptions), {
 *   role: "client",
 *   serverName: "localhost",
 *   caCertificates: [ca.certPem],
 * });
 * const server = new Ssl(tls13EngineFactory(serverOptions), {
 *   role: "server",
 *   certificateChain: leaf.certPem,
 *   privateKey: leaf.keyPem,
 * });
 * client.handshake();
 * while (client.wbio.pending > 0 || server.wbio.pending > 0) {
 *   server.rbio.write(client.wbio.read());
 *   server.handshake();
 *   client.rbio.write(server.wbio.read());
 *   client.handshake();
 * }
 * assert.equal(client.info?.group, "secp256r1");
 * ```
 */
export interface Tls13Options {
  /** Crypto implementation (default: `node:crypto`). */
  crypto?: CryptoProvider;
  /** Cipher suites by IANA name, in preference order (default: {@link DEFAULT_SUITE_ORDER}). */
  cipherSuites?: string[];
  /**
   * Key exchange groups, in preference order, by IANA or OpenSSL name:
   * `X25519MLKEM768`, `x25519`, `secp256r1` (`P-256`), `secp384r1` (`P-384`)
   * (default: {@link DEFAULT_GROUPS}, all four in that order).
   */
  groups?: string[];
  /**
   * Client: groups that get a key share in the first ClientHello (default:
   * the first group, and the first classical one after a hybrid).
   */
  keyShareGroups?: string[];
  /** Middlebox compatibility mode (RFC 8446 §D.4): client session id and dummy CCS (default true). */
  middleboxCompat?: boolean;
  /** Send an empty application-data record for an empty write (default false: skip it); for testing peers. */
  sendEmptyRecords?: boolean;
  /** Client: last look at the ClientHello extensions (for fingerprint shaping and reproducing traces). */
  clientHelloExtensions?: (extensions: Extension[]) => Extension[];
  /** Client: cipher suites of an older version offered after ours, in a ClientHello that offers that version too. */
  extraCipherSuites?: readonly number[];
  /** Server: last look at the EncryptedExtensions (same purpose). */
  encryptedExtensions?: (extensions: Extension[]) => Extension[];
  /** Records one write key protects before a KeyUpdate replaces it (default 2^23; lower for tests). */
  keyUpdateAfterRecords?: number;
}

/**
 * Default preference, fastest first as measured by `make bench` on the
 * runtime's crypto: ChaCha20-Poly1305 moves about 4x the bytes per second of
 * AES-GCM here (see README, "Choosing the crypto").
 */
export const DEFAULT_SUITE_ORDER: readonly string[] = [
  "TLS_CHACHA20_POLY1305_SHA256",
  "TLS_AES_128_GCM_SHA256",
  "TLS_AES_256_GCM_SHA384",
];

/** {@link Tls13Options} with names resolved to code points. */
export interface ResolvedOptions {
  crypto: CryptoProvider;
  suites: CipherSuiteInfo[];
  groups: number[];
  keyShareGroups: number[];
  middleboxCompat: boolean;
  sendEmptyRecords: boolean;
  clientHelloExtensions?: (extensions: Extension[]) => Extension[];
  extraCipherSuites: readonly number[];
  encryptedExtensions?: (extensions: Extension[]) => Extension[];
  keyUpdateAfterRecords?: number;
}

/** Group code points by IANA and OpenSSL names. */
export const GROUP_BY_NAME: Readonly<Record<string, number>> = {
  X25519MLKEM768: Group.X25519MLKEM768,
  x25519: Group.x25519,
  X25519: Group.x25519,
  secp256r1: Group.secp256r1,
  "P-256": Group.secp256r1,
  prime256v1: Group.secp256r1,
  secp384r1: Group.secp384r1,
  "P-384": Group.secp384r1,
};

/**
 * Resolves option names; unknown names are a configuration error.
 */
export function resolveOptions(o: Tls13Options, fallback: () => CryptoProvider): ResolvedOptions {
  const suites = (o.cipherSuites ?? DEFAULT_SUITE_ORDER).map((name) => {
    const s = CIPHER_SUITES.find((x) => x.name === name);
    if (!s) throw new TlsError(Alert.internal_error, `unsupported cipher suite ${name}`);
    return s;
  });
  const groupOf = (name: string) => {
    const g = Object.hasOwn(GROUP_BY_NAME, name) ? GROUP_BY_NAME[name] : undefined;
    if (g === undefined) throw new TlsError(Alert.internal_error, `unsupported group ${name}`);
    return g;
  };
  const groups = (o.groups ?? DEFAULT_GROUPS).map(groupOf);
  const keyShareGroups = o.keyShareGroups ? o.keyShareGroups.map(groupOf) : clientKeyShareGroups(groups);
  if (!suites.length || !groups.length || keyShareGroups.some((g) => !groups.includes(g))) {
    throw new TlsError(Alert.internal_error, "empty cipher suite or group list, or a key share outside the groups");
  }
  return {
    crypto: o.crypto ?? fallback(),
    suites,
    groups,
    keyShareGroups,
    middleboxCompat: o.middleboxCompat ?? true,
    sendEmptyRecords: o.sendEmptyRecords ?? false,
    clientHelloExtensions: o.clientHelloExtensions,
    extraCipherSuites: o.extraCipherSuites ?? [],
    encryptedExtensions: o.encryptedExtensions,
    keyUpdateAfterRecords: o.keyUpdateAfterRecords,
  };
}

/** The engine services a handshake state machine uses. */
export interface HandshakeContext {
  readonly config: TlsConfig;
  readonly options: ResolvedOptions;
  readonly crypto: CryptoProvider;
  readonly transcript: Transcript;
  /** Receives the key schedule's steps, only when the tracer asked for secrets. */
  readonly secretTrace?: SecretTrace;
  /** Frames, adds to the transcript, queues under the current write keys. Returns the framed message. */
  sendHandshake(type: number, body: Uint8Array, recordVersion?: number): Uint8Array;
  /** Queues a plaintext dummy ChangeCipherSpec record (middlebox compatibility). */
  sendChangeCipherSpec(): void;
  /** New read keys; the current record must end exactly here (RFC 8446 §5.1). */
  setReadKeys(suite: CipherSuiteInfo, secret: Uint8Array): void;
  /** New write keys; queued messages go out under the old ones first. */
  setWriteKeys(suite: CipherSuiteInfo, secret: Uint8Array): void;
  /**
   * Server: the client offered early data, which we do not accept; its
   * records are skipped (RFC 8446 §4.2.10).
   */
  ignoreEarlyData(): void;
  /** An NSS key log line, when the user asked for one. */
  keyLog(label: string, secret: Uint8Array): void;
  /** A state trace line. */
  state(text: string): void;
  /** The handshake is complete on our side. */
  complete(info: ConnectionInfo): void;
}

/** A role's handshake state machine. */
export interface RoleHandshake {
  /** Client: send ClientHello. Server: nothing. */
  start(): void;
  /** One complete handshake message received before the handshake completed. */
  handle(type: number, body: Uint8Array, raw: Uint8Array): void;
  /** The first ClientHello went out (client) or came in (server): CCS is acceptable from now on. */
  readonly helloSeen: boolean;
  /** The peer's Finished was processed: CCS is no longer acceptable. */
  readonly peerFinished: boolean;
  /** ClientHello.random (empty until known), for key log lines. */
  readonly clientRandom: Uint8Array;
}

/**
 * Verifies the peer's chain as configured; maps certificate problems to the
 * alert {@link CertificateError} carries.
 */
export function verifyPeerChain(chain: Uint8Array[], config: TlsConfig, purpose: "server" | "client"): void {
  if (config.verifyPeer === false) return;
  try {
    verifyChain(chain, { ...peerVerifyOptions(config), purpose });
  } catch (e) {
    if (e instanceof CertificateError) {
      throw new TlsError(e.alert, e.message);
    }
    if (e instanceof TlsError) throw e;
    throw new TlsError(Alert.bad_certificate, `certificate could not be parsed: ${(e as Error).message}`);
  }
}

/** Our certificate chain (DER) and key, loaded once. */
export interface Credentials {
  chain: Uint8Array[];
  key: SigningKey;
  /**
   * A server's Certificate message body per protocol version, encoded on
   * first use: it is the same for every connection (TLS 1.3: empty request
   * context, no entry extensions).
   */
  certificateBodies: { tls13?: Uint8Array; tls12?: Uint8Array };
}

/**
 * The credentials each provider loaded last, with the PEM they came from: a
 * server loads the same chain and key for every connection, and parsing
 * them (the key above all) is a measurable part of a handshake.
 */
const lastLoaded = new WeakMap<CryptoProvider, { chainPem: string; keyPem: string; credentials: Credentials }>();

/**
 * Loads {@link TlsConfig.certificateChain} and {@link TlsConfig.privateKey},
 * or returns undefined when either is missing. The same PEM with the same
 * provider gives the credentials parsed the first time.
 */
export function loadCredentials(config: TlsConfig, crypto: CryptoProvider): Credentials | undefined {
  const chainPem = config.certificateChain, keyPem = config.privateKey;
  if (!chainPem || !keyPem) return undefined;
  const cached = lastLoaded.get(crypto);
  if (cached && cached.chainPem === chainPem && cached.keyPem === keyPem) return cached.credentials;
  const chain = pemToDer(chainPem);
  if (!chain.length) throw new TlsError(Alert.internal_error, "certificateChain holds no PEM certificate");
  const credentials: Credentials = { chain, key: crypto.loadPrivateKey(keyPem), certificateBodies: {} };
  lastLoaded.set(crypto, { chainPem, keyPem, credentials });
  return credentials;
}

/**
 * The first scheme the peer offered that our key can sign with.
 */
export function chooseScheme(offered: readonly number[], key: SigningKey): number | undefined {
  return offered.find((s) => CERTIFICATE_VERIFY_SCHEMES.includes(s) && schemeFitsKey(s, key));
}

/**
 * Checks the peer's Finished (RFC 8446 §4.4.4). verify_data is exactly one
 * hash long: another length is a malformed message, `decode_error`
 * (RFC 8446 §6.2); `decrypt_error` is kept for the right length with the
 * wrong value.
 */
export function verifyFinished(expected: Uint8Array, received: Uint8Array, peer: "client" | "server"): void {
  if (received.length !== expected.length) {
    throw new TlsError(Alert.decode_error, `${peer} Finished of ${received.length} bytes, not ${expected.length}`);
  }
  if (!constantTimeEqual(expected, received)) throw new TlsError(Alert.decrypt_error, `${peer} Finished is invalid`);
}

/**
 * Name of a group for {@link ConnectionInfo.group}.
 */
export function groupName(g: number): string {
  return GROUP_NAMES[g] ?? `0x${g.toString(16).padStart(4, "0")}`;
}
