/**
 * ServerHello and HelloRetryRequest (RFC 8446 §4.1.3, RFC 5246 §7.4.1.3) and
 * EncryptedExtensions (RFC 8446 §4.3.1), decoded once into typed values.
 *
 * @module
 */

import { Alert, TlsError } from "../ssl/alerts.ts";
import { equalBytes, Reader, Writer } from "./bytes.ts";
import { ExtensionType, HRR_RANDOM } from "./constants.ts";
import {
  type Extension,
  parseAlpn,
  parseEmpty,
  parseExtensions,
  parseOpaque,
  parseU16,
  parseU16List,
  parseU8List,
  readExtensions,
  writeExtensions,
} from "./extensions.ts";
import { type KeyShareEntry, parseServerKeyShare } from "./key_share.ts";

/** A ServerHello as it is framed: fixed fields and the extension list, nothing interpreted. */
export interface RawServerHello {
  legacyVersion: number;
  random: Uint8Array;
  sessionId: Uint8Array;
  cipherSuite: number;
  compressionMethod: number;
  /** Every extension as it came on the wire, in order. */
  extensions: Extension[];
}

/** The known extensions of a ServerHello or HelloRetryRequest, decoded. */
export interface ServerHelloExtensions {
  /** supported_versions: the selected version. */
  supportedVersion?: number;
  /** key_share of a ServerHello: the server's share. */
  keyShare?: KeyShareEntry;
  /** key_share of a HelloRetryRequest: the group the client must use. */
  selectedGroup?: number;
  /** cookie of a HelloRetryRequest, to be echoed. */
  cookie?: Uint8Array;
  /** pre_shared_key: the index of the identity the server accepted. */
  selectedIdentity?: number;
  /** ALPN of a TLS 1.2 ServerHello (TLS 1.3 carries it in EncryptedExtensions). */
  alpn?: string[];
  /** extended_master_secret (RFC 7627), for TLS 1.2. */
  extendedMasterSecret: boolean;
  /** renegotiation_info (RFC 5746), for TLS 1.2. */
  renegotiationInfo?: Uint8Array;
  /** ec_point_formats (RFC 8422 §5.2), for TLS 1.2. */
  ecPointFormats?: number[];
}

/** A decoded ServerHello; `isHelloRetryRequest` tells the two apart by the random (RFC 8446 §4.1.3). */
export type ServerHello = RawServerHello & ServerHelloExtensions & { isHelloRetryRequest: boolean };

/**
 * ServerHello body (also a HelloRetryRequest, with {@link HRR_RANDOM}).
 *
 * @example
 * ```ts
 * import { HRR_RANDOM } from "./constants.ts";
 *
 * const body = encodeServerHello({
 *   legacyVersion: 0x0303,
 *   random: HRR_RANDOM,
 *   sessionId: new Uint8Array(0),
 *   cipherSuite: 0x1301,
 *   compressionMethod: 0,
 *   extensions: [{ type: 51, data: new Uint8Array([0x00, 0x17]) }], // key_share: secp256r1, please
 * });
 * ```
 */
export function encodeServerHello(sh: RawServerHello): Uint8Array {
  const w = new Writer(128);
  w.u16(sh.legacyVersion).bytes(sh.random);
  w.block8(() => w.bytes(sh.sessionId));
  w.u16(sh.cipherSuite).u8(sh.compressionMethod);
  writeExtensions(w, sh.extensions);
  return w.finish();
}

/**
 * Parses a ServerHello body (also a HelloRetryRequest) and decodes its known extensions.
 *
 * @example
 * ```ts
 * import { HRR_RANDOM } from "./constants.ts";
 *
 * const body = encodeServerHello({
 *   legacyVersion: 0x0303,
 *   random: HRR_RANDOM,
 *   sessionId: new Uint8Array(0),
 *   cipherSuite: 0x1301,
 *   compressionMethod: 0,
 *   extensions: [{ type: 51, data: new Uint8Array([0x00, 0x17]) }], // key_share: secp256r1, please
 * });
 * const hello = parseServerHello(body);
 * hello.isHelloRetryRequest; // true
 * hello.selectedGroup; // 0x0017
 * ```
 */
export function parseServerHello(body: Uint8Array): ServerHello {
  const r = new Reader(body);
  const legacyVersion = r.u16();
  const random = r.bytes(32);
  const sessionId = r.vec8();
  if (sessionId.length > 32) throw new TlsError(Alert.illegal_parameter, "session id longer than 32 bytes");
  const cipherSuite = r.u16();
  const compressionMethod = r.u8();
  const extensions = r.atEnd ? [] : readExtensions(r);
  r.expectEnd("ServerHello");
  const isHelloRetryRequest = equalBytes(random, HRR_RANDOM);
  const typed: ServerHelloExtensions = { extendedMasterSecret: false };
  for (const { type, data } of extensions) {
    switch (type) {
      case ExtensionType.supported_versions:
        typed.supportedVersion = parseU16(data);
        break;
      case ExtensionType.key_share:
        if (isHelloRetryRequest) typed.selectedGroup = parseU16(data);
        else typed.keyShare = parseServerKeyShare(data);
        break;
      case ExtensionType.cookie:
        typed.cookie = parseOpaque(16, data, 1);
        break;
      case ExtensionType.pre_shared_key:
        typed.selectedIdentity = parseU16(data);
        break;
      case ExtensionType.alpn:
        typed.alpn = parseAlpn(data);
        break;
      case ExtensionType.extended_master_secret:
        typed.extendedMasterSecret = parseEmpty(data);
        break;
      case ExtensionType.renegotiation_info:
        typed.renegotiationInfo = parseOpaque(8, data);
        break;
      case ExtensionType.ec_point_formats:
        typed.ecPointFormats = parseU8List(data);
        break;
    }
  }
  return {
    legacyVersion,
    random,
    sessionId,
    cipherSuite,
    compressionMethod,
    extensions,
    isHelloRetryRequest,
    ...typed,
  };
}

/** A decoded EncryptedExtensions (RFC 8446 §4.3.1). */
export interface EncryptedExtensions {
  /** Every extension as it came on the wire, in order. */
  extensions: Extension[];
  /** An empty server_name: the server used the client's SNI (RFC 6066 §3). */
  serverNameAcknowledged: boolean;
  alpn?: string[];
  earlyData: boolean;
  /** The server's groups, in its preference order (RFC 8446 §4.2.7). */
  supportedGroups?: number[];
}

/**
 * Parses an EncryptedExtensions body and decodes its known extensions.
 *
 * @example
 * ```ts
 * import { encodeAlpn, encodeExtensions } from "./extensions.ts";
 *
 * const body = encodeExtensions([{ type: 16, data: encodeAlpn(["h2"]) }]);
 * const { alpn } = parseEncryptedExtensions(body); // ["h2"]
 * ```
 */
export function parseEncryptedExtensions(body: Uint8Array): EncryptedExtensions {
  const extensions = parseExtensions(body);
  const ee: EncryptedExtensions = { extensions, serverNameAcknowledged: false, earlyData: false };
  for (const { type, data } of extensions) {
    switch (type) {
      case ExtensionType.server_name:
        if (data.length) throw new TlsError(Alert.decode_error, "server_name in EncryptedExtensions must be empty");
        ee.serverNameAcknowledged = true;
        break;
      case ExtensionType.alpn:
        ee.alpn = parseAlpn(data);
        break;
      case ExtensionType.early_data:
        ee.earlyData = parseEmpty(data);
        break;
      case ExtensionType.supported_groups:
        ee.supportedGroups = parseU16List(data);
        break;
    }
  }
  return ee;
}
