/**
 * What the TLS 1.2 handshake states see of the engine, the engine options,
 * and the pieces both roles share: the transcript, negotiation of
 * signature schemes, and the session facts gathered along the way.
 *
 * @module
 */

import { Alert, TlsError } from "../../ssl/alerts.ts";
import type { ConnectionInfo, TlsConfig } from "../../ssl/engine.ts";
import { type CryptoProvider, schemeFitsKey, type SigningKey } from "../../crypto/provider.ts";
import { concat } from "../../protocol/bytes.ts";
import { Group, HANDSHAKE_NAMES } from "../../protocol/constants.ts";
import { GROUP_BY_NAME } from "../tls13/context.ts";
import type { Extension } from "../../protocol/messages.ts";
import { TLS12_SIGNATURE_SCHEMES, TLS12_SUITES, type Tls12Suite, VERIFY_DATA_LENGTH } from "./suites.ts";
import type { Tls12Protection } from "./record.ts";

/**
 * Engine options beyond {@link TlsConfig}: algorithm choices and test hooks.
 */
export interface Tls12Options {
  /** Crypto implementation (default: `node:crypto`). */
  crypto?: CryptoProvider;
  /** Cipher suites by IANA name, in preference order (default: all of {@link TLS12_SUITES}). */
  cipherSuites?: string[];
  /** ECDHE groups in preference order (default: x25519, secp256r1, and secp384r1 when the provider has it). */
  groups?: string[];
  /** Send an empty application-data record for an empty write (default false: skip it); for testing peers. */
  sendEmptyRecords?: boolean;
  /** Client: last look at the ClientHello extensions (tests use it to play a peer without EMS). */
  clientHelloExtensions?: (extensions: Extension[]) => Extension[];
  /** Server: last look at the ServerHello extensions (same purpose). */
  serverHelloExtensions?: (extensions: Extension[]) => Extension[];
}

/** {@link Tls12Options} resolved to code points. */
export interface ResolvedTls12Options {
  crypto: CryptoProvider;
  suites: Tls12Suite[];
  groups: number[];
  sendEmptyRecords: boolean;
  clientHelloExtensions?: (extensions: Extension[]) => Extension[];
  serverHelloExtensions?: (extensions: Extension[]) => Extension[];
}

/** The ECDHE groups TLS 1.2 can use (RFC 8422 §5.1.1, RFC 7748); hybrid post-quantum groups are TLS 1.3 only. */
const ECDHE_GROUPS: readonly number[] = [Group.x25519, Group.secp256r1, Group.secp384r1];

/**
 * Group names this engine accepts in {@link Tls12Options.groups}: the TLS 1.3
 * engine's names for the ECDHE groups.
 */
export const TLS12_GROUP_NAMES: readonly string[] = Object.keys(GROUP_BY_NAME).filter((n) =>
  ECDHE_GROUPS.includes(GROUP_BY_NAME[n])
);

function providerHas(crypto: CryptoProvider, group: number): boolean {
  try {
    crypto.generateKeyShare(group);
    return true;
  } catch {
    return false;
  }
}

/**
 * Resolves option names; unknown names are a configuration error.
 */
export function resolveTls12Options(o: Tls12Options, crypto: CryptoProvider): ResolvedTls12Options {
  const suites = o.cipherSuites
    ? o.cipherSuites.map((name) => {
      const s = TLS12_SUITES.find((x) => x.name === name);
      if (!s) throw new TlsError(Alert.internal_error, `unsupported TLS 1.2 cipher suite ${name}`);
      return s;
    })
    : [...TLS12_SUITES];
  const groups = o.groups
    ? o.groups.map((name) => {
      const g = TLS12_GROUP_NAMES.includes(name) ? GROUP_BY_NAME[name] : undefined;
      if (g === undefined || !providerHas(crypto, g)) {
        throw new TlsError(Alert.internal_error, `unsupported group ${name}`);
      }
      return g;
    })
    : ECDHE_GROUPS.filter((g) => providerHas(crypto, g));
  if (!suites.length || !groups.length) throw new TlsError(Alert.internal_error, "empty cipher suite or group list");
  return {
    crypto,
    suites,
    groups,
    sendEmptyRecords: o.sendEmptyRecords ?? false,
    clientHelloExtensions: o.clientHelloExtensions,
    serverHelloExtensions: o.serverHelloExtensions,
  };
}

/**
 * The handshake transcript. TLS 1.2 signs the messages themselves in
 * CertificateVerify (RFC 5246 §7.4.8), not their hash, so they are kept
 * until the handshake ends; the hash function is the suite's PRF hash.
 */
export class Transcript12 {
  readonly #p: CryptoProvider;
  #messages: Uint8Array[] = [];

  constructor(p: CryptoProvider) {
    this.#p = p;
  }

  /** Adds one whole handshake message (header included). */
  add(message: Uint8Array): void {
    this.#messages.push(message.slice());
  }

  /** All messages so far, concatenated. */
  bytes(): Uint8Array {
    return concat(...this.#messages);
  }

  /** The hash of all messages so far. */
  hash(alg: "sha256" | "sha384"): Uint8Array {
    return this.#p.hash(alg, this.bytes());
  }
}

/** The engine services a handshake state uses. */
export interface Tls12Context {
  readonly config: TlsConfig;
  readonly options: ResolvedTls12Options;
  readonly crypto: CryptoProvider;
  readonly transcript: Transcript12;
  /** Frames, adds to the transcript and queues a handshake message. */
  sendHandshake(type: number, body: Uint8Array, recordVersion?: number): void;
  /** Sends ChangeCipherSpec and protects everything after it with `protection`. */
  changeWriteCipher(protection: Tls12Protection): void;
  /** The peer's ChangeCipherSpec may now come; records after it are read with `protection`. */
  expectChangeCipherSpec(protection: Tls12Protection): void;
  /** True once the peer's ChangeCipherSpec switched the read side. */
  readonly readProtected: boolean;
  /** Logs `CLIENT_RANDOM <client random> <master secret>` when the user asked for a key log. */
  keyLog(clientRandom: Uint8Array, master: Uint8Array): void;
  /** A state trace line. */
  state(text: string): void;
  /** The handshake is complete on our side. */
  complete(info: ConnectionInfo): void;
}

/**
 * One handshake state: it holds exactly the data that state needs and
 * returns the state that follows a message.
 */
export interface Tls12State {
  /** For error messages: what the state waits for. */
  readonly expecting: string;
  handle(type: number, body: Uint8Array, raw: Uint8Array): Tls12State;
}

/**
 * The error for a handshake message the state does not accept (RFC 5246 §7.3).
 */
export function unexpected(state: Tls12State, type: number): never {
  throw new TlsError(
    Alert.unexpected_message,
    `unexpected handshake message ${HANDSHAKE_NAMES[type] ?? type} while expecting ${state.expecting}`,
  );
}

/** After the handshake the connection handles every message itself (connection.ts). */
export class Connected implements Tls12State {
  readonly expecting = "nothing";
  handle(type: number): Tls12State {
    throw new TlsError(Alert.unexpected_message, `unexpected handshake message ${type} after the handshake`);
  }
}

/**
 * The first scheme in `preference` that the peer offered, that our key can
 * sign with, and that is not SHA-1 (RFC 5246 §7.4.1.4.1).
 */
export function chooseTls12Scheme(offered: readonly number[], key: SigningKey): number | undefined {
  return TLS12_SIGNATURE_SCHEMES.find((s) => offered.includes(s) && schemeFitsKey(s, key));
}

/**
 * Checks a peer's signature scheme is one we offered and fits the
 * certificate type the suite needs.
 */
export function requireOfferedScheme(scheme: number, what: string): void {
  if (!TLS12_SIGNATURE_SCHEMES.includes(scheme)) {
    throw new TlsError(
      Alert.illegal_parameter,
      `${what} signed with a scheme we did not offer (0x${scheme.toString(16)})`,
    );
  }
}

/**
 * RFC 5246 §7.4.9: a Finished body is verify_data alone, 12 bytes; any
 * other length is malformed (decode_error), not merely wrong (decrypt_error).
 */
export function checkVerifyDataLength(body: Uint8Array, peer: "client" | "server"): void {
  if (body.length !== VERIFY_DATA_LENGTH) {
    throw new TlsError(Alert.decode_error, `${peer} Finished is ${body.length} bytes, not ${VERIFY_DATA_LENGTH}`);
  }
}
