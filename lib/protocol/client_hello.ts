/**
 * ClientHello (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2), decoded once into typed
 * values: the fixed fields, every extension as received (in order, so that
 * unknown ones and the order itself survive), and the known extensions as
 * typed fields. The same value serves TLS 1.3 and TLS 1.2 engines.
 *
 * @module
 */

import { Alert, TlsError } from "../ssl/alerts.ts";
import { Reader, Writer } from "./bytes.ts";
import { ExtensionType } from "./constants.ts";
import {
  type Extension,
  parseAlpn,
  parseEmpty,
  parseOpaque,
  parseServerName,
  parseSupportedVersions,
  parseU16List,
  parseU8List,
  readExtensions,
  writeExtensions,
} from "./extensions.ts";
import { type KeyShareEntry, parseClientKeyShares } from "./key_share.ts";

/** A ClientHello as it is framed: fixed fields and the extension list, nothing interpreted. */
export interface RawClientHello {
  legacyVersion: number;
  random: Uint8Array;
  sessionId: Uint8Array;
  /** Every offered suite, TLS 1.3 and legacy ones alike, in the client's order. */
  cipherSuites: number[];
  compressionMethods: Uint8Array;
  /** Every extension as it came on the wire, in order; unknown ones are only here. */
  extensions: Extension[];
}

/** One PskIdentity (RFC 8446 §4.2.11). */
export interface PskIdentity {
  identity: Uint8Array;
  obfuscatedTicketAge: number;
}

/** pre_shared_key as a client offers it (RFC 8446 §4.2.11). */
export interface OfferedPsks {
  identities: PskIdentity[];
  binders: Uint8Array[];
}

/** status_request (RFC 6066 §8): the status type, and its request still encoded. */
export interface CertificateStatusRequest {
  statusType: number;
  request: Uint8Array;
}

/** The known extensions of a ClientHello, decoded; absent ones are undefined (or false). */
export interface ClientHelloExtensions {
  /** server_name: the host_name entry, if any. */
  serverName?: string;
  statusRequest?: CertificateStatusRequest;
  supportedGroups?: number[];
  /** ec_point_formats (RFC 8422 §5.1.2), for TLS 1.2. */
  ecPointFormats?: number[];
  signatureAlgorithms?: number[];
  signatureAlgorithmsCert?: number[];
  alpn?: string[];
  /** extended_master_secret (RFC 7627), for TLS 1.2. */
  extendedMasterSecret: boolean;
  /** SessionTicket (RFC 5077), for TLS 1.2: empty when the client asks for a new ticket. */
  sessionTicket?: Uint8Array;
  preSharedKey?: OfferedPsks;
  earlyData: boolean;
  supportedVersions?: number[];
  cookie?: Uint8Array;
  pskKeyExchangeModes?: number[];
  postHandshakeAuth: boolean;
  keyShares?: KeyShareEntry[];
  /** renegotiation_info (RFC 5746): the renegotiated_connection value. */
  renegotiationInfo?: Uint8Array;
}

/** A decoded ClientHello: the framed fields plus its known extensions as typed fields. */
export type ClientHello = RawClientHello & ClientHelloExtensions;

/**
 * ClientHello body, from the fixed fields and the extension list in order.
 *
 * @example
 * ```ts
 * const body = encodeClientHello({
 *   legacyVersion: 0x0303,
 *   random: new Uint8Array(32),
 *   sessionId: new Uint8Array(0),
 *   cipherSuites: [0x1301],
 *   compressionMethods: new Uint8Array([0]),
 *   extensions: [{ type: 43, data: new Uint8Array([2, 3, 4]) }], // supported_versions: TLS 1.3
 * });
 * ```
 */
export function encodeClientHello(ch: RawClientHello): Uint8Array {
  const w = new Writer(512);
  w.u16(ch.legacyVersion).bytes(ch.random);
  w.block8(() => w.bytes(ch.sessionId));
  w.block16(() => ch.cipherSuites.forEach((s) => w.u16(s)));
  w.block8(() => w.bytes(ch.compressionMethods));
  writeExtensions(w, ch.extensions);
  return w.finish();
}

/**
 * Parses the framing of a ClientHello body without interpreting extensions;
 * a repeated extension, or pre_shared_key anywhere but last, is
 * illegal_parameter (RFC 8446 §4.2, §4.2.11).
 *
 * @example
 * ```ts
 * const body = encodeClientHello({
 *   legacyVersion: 0x0303,
 *   random: new Uint8Array(32),
 *   sessionId: new Uint8Array(0),
 *   cipherSuites: [0x1301],
 *   compressionMethods: new Uint8Array([0]),
 *   extensions: [{ type: 43, data: new Uint8Array([2, 3, 4]) }], // supported_versions: TLS 1.3
 * });
 * const { legacyVersion, extensions } = parseRawClientHello(body); // 0x0303, one raw extension
 * ```
 */
export function parseRawClientHello(body: Uint8Array): RawClientHello {
  const r = new Reader(body);
  const legacyVersion = r.u16();
  const random = r.bytes(32);
  const sessionId = r.vec8();
  if (sessionId.length > 32) throw new TlsError(Alert.illegal_parameter, "session id longer than 32 bytes");
  const suites = r.sub16();
  if (suites.left === 0 || suites.left % 2) throw new TlsError(Alert.decode_error, "bad cipher_suites length");
  const cipherSuites: number[] = [];
  while (!suites.atEnd) cipherSuites.push(suites.u16());
  const compressionMethods = r.vec8();
  if (compressionMethods.length === 0) throw new TlsError(Alert.decode_error, "no compression methods");
  const extensions = r.atEnd ? [] : readExtensions(r);
  r.expectEnd("ClientHello");
  const psk = extensions.findIndex((e) => e.type === ExtensionType.pre_shared_key);
  if (psk >= 0 && psk !== extensions.length - 1) {
    throw new TlsError(Alert.illegal_parameter, "pre_shared_key is not the last extension");
  }
  return { legacyVersion, random, sessionId, cipherSuites, compressionMethods, extensions };
}

/**
 * Parses a ClientHello body and decodes its known extensions; a malformed
 * known extension is decode_error.
 *
 * @example
 * ```ts
 * const body = encodeClientHello({
 *   legacyVersion: 0x0303,
 *   random: new Uint8Array(32),
 *   sessionId: new Uint8Array(0),
 *   cipherSuites: [0x1301],
 *   compressionMethods: new Uint8Array([0]),
 *   extensions: [{ type: 43, data: new Uint8Array([2, 3, 4]) }], // supported_versions: TLS 1.3
 * });
 * const hello = parseClientHello(body);
 * hello.supportedVersions?.includes(0x0304); // true
 * ```
 */
export function parseClientHello(body: Uint8Array): ClientHello {
  const raw = parseRawClientHello(body);
  return { ...raw, ...decodeClientHelloExtensions(raw.extensions) };
}

/**
 * Decodes the known extensions of a ClientHello.
 *
 * @example
 * ```ts
 * const { supportedVersions, keyShares } = decodeClientHelloExtensions([{ type: 43, data: new Uint8Array([2, 3, 4]) }]);
 * // supportedVersions: [0x0304]; keyShares: undefined
 * ```
 */
export function decodeClientHelloExtensions(exts: readonly Extension[]): ClientHelloExtensions {
  const out: ClientHelloExtensions = { extendedMasterSecret: false, earlyData: false, postHandshakeAuth: false };
  for (const { type, data } of exts) {
    switch (type) {
      case ExtensionType.server_name:
        out.serverName = parseServerName(data);
        break;
      case ExtensionType.status_request:
        out.statusRequest = parseStatusRequest(data);
        break;
      case ExtensionType.supported_groups:
        out.supportedGroups = parseU16List(data);
        break;
      case ExtensionType.ec_point_formats:
        out.ecPointFormats = parseU8List(data);
        break;
      case ExtensionType.signature_algorithms:
        out.signatureAlgorithms = parseU16List(data);
        break;
      case ExtensionType.signature_algorithms_cert:
        out.signatureAlgorithmsCert = parseU16List(data);
        break;
      case ExtensionType.alpn:
        out.alpn = parseAlpn(data);
        break;
      case ExtensionType.extended_master_secret:
        out.extendedMasterSecret = parseEmpty(data);
        break;
      case ExtensionType.session_ticket:
        out.sessionTicket = data;
        break;
      case ExtensionType.pre_shared_key:
        out.preSharedKey = parseOfferedPsks(data);
        break;
      case ExtensionType.early_data:
        out.earlyData = parseEmpty(data);
        break;
      case ExtensionType.supported_versions:
        out.supportedVersions = parseSupportedVersions(data);
        break;
      case ExtensionType.cookie:
        out.cookie = parseOpaque(16, data, 1);
        break;
      case ExtensionType.psk_key_exchange_modes:
        out.pskKeyExchangeModes = parseU8List(data);
        break;
      case ExtensionType.post_handshake_auth:
        out.postHandshakeAuth = parseEmpty(data);
        break;
      case ExtensionType.key_share:
        out.keyShares = parseClientKeyShares(data);
        break;
      case ExtensionType.renegotiation_info:
        out.renegotiationInfo = parseOpaque(8, data);
        break;
    }
  }
  return out;
}

/**
 * pre_shared_key as a client sends it.
 *
 * @example
 * ```ts
 * const data = encodeOfferedPsks({
 *   identities: [{ identity: new Uint8Array([1, 2, 3]), obfuscatedTicketAge: 0 }],
 *   binders: [new Uint8Array(32)],
 * });
 * ```
 */
export function encodeOfferedPsks(psks: OfferedPsks): Uint8Array {
  const w = new Writer(128);
  w.block16(() => {
    for (const id of psks.identities) w.block16(() => w.bytes(id.identity)).u32(id.obfuscatedTicketAge);
  });
  w.block16(() => {
    for (const b of psks.binders) w.block8(() => w.bytes(b));
  });
  return w.finish();
}

/**
 * Parses a client's pre_shared_key: both lists non-empty, no empty
 * identity, binders of at least 32 bytes, one for each identity (RFC 8446 §4.2.11).
 *
 * @example
 * ```ts
 * const data = encodeOfferedPsks({
 *   identities: [{ identity: new Uint8Array([1, 2, 3]), obfuscatedTicketAge: 0 }],
 *   binders: [new Uint8Array(32)],
 * });
 * const { identities } = parseOfferedPsks(data); // one identity, [1, 2, 3]
 * ```
 */
export function parseOfferedPsks(data: Uint8Array): OfferedPsks {
  const r = new Reader(data);
  const ids = r.sub16();
  const binderList = r.sub16();
  r.expectEnd("pre_shared_key");
  const identities: PskIdentity[] = [];
  while (!ids.atEnd) {
    const identity = ids.vec16();
    if (identity.length === 0) throw new TlsError(Alert.decode_error, "empty PSK identity");
    identities.push({ identity, obfuscatedTicketAge: ids.u32() });
  }
  const binders: Uint8Array[] = [];
  while (!binderList.atEnd) {
    const binder = binderList.vec8();
    if (binder.length < 32) throw new TlsError(Alert.decode_error, "PSK binder shorter than 32 bytes");
    binders.push(binder);
  }
  if (!identities.length || !binders.length) throw new TlsError(Alert.decode_error, "empty pre_shared_key list");
  // RFC 8446 §4.2.11: one binder for each identity, in the same order.
  if (binders.length !== identities.length) {
    throw new TlsError(Alert.illegal_parameter, "pre_shared_key has a different number of binders and identities");
  }
  return { identities, binders };
}

function parseStatusRequest(data: Uint8Array): CertificateStatusRequest {
  const r = new Reader(data);
  const statusType = r.u8();
  return { statusType, request: r.bytes(r.left) };
}
