/**
 * Encoders and decoders for TLS 1.3 handshake messages (RFC 8446 §4) and the
 * extensions this engine speaks. Decoders are strict: truncated or trailing
 * bytes are `decode_error`, a repeated extension is `illegal_parameter`
 * (RFC 8446 §4.2).
 *
 * @module
 */

import { Alert, TlsError } from "../ssl/alerts.ts";
import { Reader, Writer } from "./bytes.ts";
import { ExtensionType } from "./constants.ts";

/**
 * One extension, still encoded.
 *
 * @example
 * ```ts
 * const sni: Extension = { type: ExtensionType.server_name, data: encodeServerName("localhost") };
 * ```
 */
export interface Extension {
  type: number;
  data: Uint8Array;
}

/**
 * Frames a handshake message: type, 24-bit length, body.
 *
 * @example
 * ```ts
 * const finished = handshakeMessage(HandshakeType.finished, verifyData);
 * ```
 */
export function handshakeMessage(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  out[0] = type;
  out[1] = body.length >>> 16;
  out[2] = body.length >>> 8;
  out[3] = body.length;
  out.set(body, 4);
  return out;
}

function writeExtensions(w: Writer, exts: readonly Extension[]): void {
  w.block16(() => {
    for (const e of exts) w.u16(e.type).block16(() => w.bytes(e.data));
  });
}

function readExtensions(r: Reader): Extension[] {
  const list = r.sub16();
  const out: Extension[] = [];
  const seen = new Set<number>();
  while (!list.atEnd) {
    const type = list.u16();
    const data = list.vec16();
    if (seen.has(type)) throw new TlsError(Alert.illegal_parameter, `duplicate extension ${type}`);
    seen.add(type);
    out.push({ type, data });
  }
  return out;
}

/**
 * The data of the extension of this type, if present.
 *
 * @example
 * ```ts
 * const sni = findExtension(hello.extensions, ExtensionType.server_name);
 * ```
 */
export function findExtension(exts: readonly Extension[], type: number): Uint8Array | undefined {
  for (const e of exts) if (e.type === type) return e.data;
  return undefined;
}

/** ClientHello (RFC 8446 §4.1.2). */
export interface ClientHello {
  legacyVersion: number;
  random: Uint8Array;
  sessionId: Uint8Array;
  cipherSuites: number[];
  compressionMethods: Uint8Array;
  extensions: Extension[];
}

/**
 * ClientHello body.
 *
 * @example
 * ```ts
 * const body = encodeClientHello({ legacyVersion: 0x0303, random, sessionId, cipherSuites: [0x1301],
 *   compressionMethods: new Uint8Array([0]), extensions });
 * ```
 */
export function encodeClientHello(ch: ClientHello): Uint8Array {
  const w = new Writer(512);
  w.u16(ch.legacyVersion).bytes(ch.random);
  w.block8(() => w.bytes(ch.sessionId));
  w.block16(() => ch.cipherSuites.forEach((s) => w.u16(s)));
  w.block8(() => w.bytes(ch.compressionMethods));
  writeExtensions(w, ch.extensions);
  return w.finish();
}

/**
 * Parses a ClientHello body; pre_shared_key must be the last extension.
 *
 * @example
 * ```ts
 * const hello = parseClientHello(body);
 * ```
 */
export function parseClientHello(body: Uint8Array): ClientHello {
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

/** ServerHello or HelloRetryRequest (RFC 8446 §4.1.3). */
export interface ServerHello {
  legacyVersion: number;
  random: Uint8Array;
  sessionId: Uint8Array;
  cipherSuite: number;
  compressionMethod: number;
  extensions: Extension[];
}

/**
 * ServerHello body.
 *
 * @example
 * ```ts
 * const body = encodeServerHello({ legacyVersion: 0x0303, random, sessionId, cipherSuite: 0x1301,
 *   compressionMethod: 0, extensions });
 * ```
 */
export function encodeServerHello(sh: ServerHello): Uint8Array {
  const w = new Writer(128);
  w.u16(sh.legacyVersion).bytes(sh.random);
  w.block8(() => w.bytes(sh.sessionId));
  w.u16(sh.cipherSuite).u8(sh.compressionMethod);
  writeExtensions(w, sh.extensions);
  return w.finish();
}

/**
 * Parses a ServerHello body (also a HelloRetryRequest, told apart by its random).
 *
 * @example
 * ```ts
 * const hello = parseServerHello(body);
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
  return { legacyVersion, random, sessionId, cipherSuite, compressionMethod, extensions };
}

/**
 * A bare extension block: the EncryptedExtensions body.
 *
 * @example
 * ```ts
 * const body = encodeExtensions([{ type: ExtensionType.alpn, data }]);
 * ```
 */
export function encodeExtensions(exts: readonly Extension[]): Uint8Array {
  const w = new Writer(64);
  writeExtensions(w, exts);
  return w.finish();
}

/**
 * Parses an EncryptedExtensions body.
 *
 * @example
 * ```ts
 * const exts = parseExtensions(body);
 * ```
 */
export function parseExtensions(body: Uint8Array): Extension[] {
  const r = new Reader(body);
  const exts = readExtensions(r);
  r.expectEnd("extensions");
  return exts;
}

/** Certificate message (RFC 8446 §4.4.2); per-entry extensions are dropped. */
export interface CertificateMessage {
  context: Uint8Array;
  certificates: Uint8Array[];
}

/**
 * Certificate body with no per-certificate extensions.
 *
 * @example
 * ```ts
 * const body = encodeCertificate(new Uint8Array(0), [leafDer, intermediateDer]);
 * ```
 */
export function encodeCertificate(context: Uint8Array, chain: readonly Uint8Array[]): Uint8Array {
  const w = new Writer(2048);
  w.block8(() => w.bytes(context));
  w.block24(() => {
    for (const c of chain) {
      w.block24(() => w.bytes(c));
      w.u16(0);
    }
  });
  return w.finish();
}

/**
 * Parses a Certificate body; certificates are copied out (they outlive the buffer).
 *
 * @example
 * ```ts
 * const { certificates } = parseCertificate(body);
 * ```
 */
export function parseCertificate(body: Uint8Array): CertificateMessage {
  const r = new Reader(body);
  const context = r.vec8().slice();
  const listLen = r.u24();
  const list = new Reader(r.bytes(listLen));
  r.expectEnd("Certificate");
  const certificates: Uint8Array[] = [];
  while (!list.atEnd) {
    const cert = list.vec24();
    if (cert.length === 0) throw new TlsError(Alert.decode_error, "empty certificate entry");
    certificates.push(cert.slice());
    readExtensions(list);
  }
  return { context, certificates };
}

/** CertificateRequest (RFC 8446 §4.3.2). */
export interface CertificateRequest {
  context: Uint8Array;
  extensions: Extension[];
}

/**
 * CertificateRequest body.
 *
 * @example
 * ```ts
 * const body = encodeCertificateRequest({ context: new Uint8Array(0), extensions: [sigAlgs] });
 * ```
 */
export function encodeCertificateRequest(cr: CertificateRequest): Uint8Array {
  const w = new Writer(128);
  w.block8(() => w.bytes(cr.context));
  writeExtensions(w, cr.extensions);
  return w.finish();
}

/**
 * Parses a CertificateRequest body.
 *
 * @example
 * ```ts
 * const cr = parseCertificateRequest(body);
 * ```
 */
export function parseCertificateRequest(body: Uint8Array): CertificateRequest {
  const r = new Reader(body);
  const context = r.vec8().slice();
  const extensions = readExtensions(r);
  r.expectEnd("CertificateRequest");
  return { context, extensions };
}

/**
 * CertificateVerify body: scheme and signature.
 *
 * @example
 * ```ts
 * const body = encodeCertificateVerify(0x0804, signature);
 * ```
 */
export function encodeCertificateVerify(scheme: number, signature: Uint8Array): Uint8Array {
  const w = new Writer(signature.length + 4);
  w.u16(scheme).block16(() => w.bytes(signature));
  return w.finish();
}

/**
 * Parses a CertificateVerify body.
 *
 * @example
 * ```ts
 * const { scheme, signature } = parseCertificateVerify(body);
 * ```
 */
export function parseCertificateVerify(body: Uint8Array): { scheme: number; signature: Uint8Array } {
  const r = new Reader(body);
  const scheme = r.u16();
  const signature = r.vec16();
  r.expectEnd("CertificateVerify");
  return { scheme, signature };
}

/**
 * Checks a NewSessionTicket body is well-formed (the engine does not resume,
 * but a malformed ticket is still a decode_error).
 *
 * @example
 * ```ts
 * parseNewSessionTicket(body);
 * ```
 */
export function parseNewSessionTicket(body: Uint8Array): void {
  const r = new Reader(body);
  r.u32(); // ticket_lifetime
  r.u32(); // ticket_age_add
  r.vec8(); // ticket_nonce
  if (r.vec16().length === 0) throw new TlsError(Alert.decode_error, "empty session ticket");
  readExtensions(r);
  r.expectEnd("NewSessionTicket");
}

const CV_PREFIX = new Uint8Array(64).fill(0x20);
const CV_SERVER = new TextEncoder().encode("TLS 1.3, server CertificateVerify\0");
const CV_CLIENT = new TextEncoder().encode("TLS 1.3, client CertificateVerify\0");

/**
 * The content a CertificateVerify signs (RFC 8446 §4.4.3).
 *
 * @example
 * ```ts
 * const content = certificateVerifyContent("server", transcript.hash());
 * ```
 */
export function certificateVerifyContent(role: "client" | "server", transcriptHash: Uint8Array): Uint8Array {
  const ctx = role === "server" ? CV_SERVER : CV_CLIENT;
  const out = new Uint8Array(64 + ctx.length + transcriptHash.length);
  out.set(CV_PREFIX);
  out.set(ctx, 64);
  out.set(transcriptHash, 64 + ctx.length);
  return out;
}

// ---- extension payloads -------------------------------------------------

/**
 * A list of 16-bit code points with a two-byte length (supported_groups,
 * signature_algorithms).
 *
 * @example
 * ```ts
 * const data = encodeU16List([0x001d, 0x0017]);
 * ```
 */
export function encodeU16List(values: readonly number[]): Uint8Array {
  const w = new Writer(2 + values.length * 2);
  w.block16(() => values.forEach((v) => w.u16(v)));
  return w.finish();
}

/**
 * Parses a two-byte-length list of 16-bit code points; it must not be empty.
 *
 * @example
 * ```ts
 * const groups = parseU16List(data);
 * ```
 */
export function parseU16List(data: Uint8Array): number[] {
  const r = new Reader(data);
  const list = r.sub16();
  r.expectEnd("extension");
  if (list.left === 0 || list.left % 2) throw new TlsError(Alert.decode_error, "bad list length");
  const out: number[] = [];
  while (!list.atEnd) out.push(list.u16());
  return out;
}

/**
 * supported_versions as a client sends it (one-byte length).
 *
 * @example
 * ```ts
 * const data = encodeSupportedVersions([0x0304]);
 * ```
 */
export function encodeSupportedVersions(versions: readonly number[]): Uint8Array {
  const w = new Writer(1 + versions.length * 2);
  w.block8(() => versions.forEach((v) => w.u16(v)));
  return w.finish();
}

/**
 * Parses a client's supported_versions.
 *
 * @example
 * ```ts
 * parseSupportedVersions(data).includes(0x0304);
 * ```
 */
export function parseSupportedVersions(data: Uint8Array): number[] {
  const r = new Reader(data);
  const list = r.sub8();
  r.expectEnd("supported_versions");
  if (list.left === 0 || list.left % 2) throw new TlsError(Alert.decode_error, "bad supported_versions length");
  const out: number[] = [];
  while (!list.atEnd) out.push(list.u16());
  return out;
}

/** One KeyShareEntry. */
export interface KeyShareEntry {
  group: number;
  keyExchange: Uint8Array;
}

/**
 * key_share as a client sends it.
 *
 * @example
 * ```ts
 * const data = encodeClientKeyShares([{ group: 0x001d, keyExchange: pub }]);
 * ```
 */
export function encodeClientKeyShares(entries: readonly KeyShareEntry[]): Uint8Array {
  const w = new Writer(128);
  w.block16(() => {
    for (const e of entries) w.u16(e.group).block16(() => w.bytes(e.keyExchange));
  });
  return w.finish();
}

/**
 * Parses a client's key_share; a repeated group is illegal_parameter.
 *
 * @example
 * ```ts
 * const shares = parseClientKeyShares(data);
 * ```
 */
export function parseClientKeyShares(data: Uint8Array): KeyShareEntry[] {
  const r = new Reader(data);
  const list = r.sub16();
  r.expectEnd("key_share");
  const out: KeyShareEntry[] = [];
  while (!list.atEnd) {
    const group = list.u16();
    const keyExchange = list.vec16();
    if (keyExchange.length === 0) throw new TlsError(Alert.decode_error, "empty key share");
    if (out.some((e) => e.group === group)) throw new TlsError(Alert.illegal_parameter, "duplicate key share group");
    out.push({ group, keyExchange });
  }
  return out;
}

/**
 * key_share as a server sends it in ServerHello.
 *
 * @example
 * ```ts
 * const data = encodeServerKeyShare({ group: 0x001d, keyExchange: pub });
 * ```
 */
export function encodeServerKeyShare(e: KeyShareEntry): Uint8Array {
  const w = new Writer(4 + e.keyExchange.length);
  w.u16(e.group).block16(() => w.bytes(e.keyExchange));
  return w.finish();
}

/**
 * Parses the key_share of a ServerHello.
 *
 * @example
 * ```ts
 * const { group, keyExchange } = parseServerKeyShare(data);
 * ```
 */
export function parseServerKeyShare(data: Uint8Array): KeyShareEntry {
  const r = new Reader(data);
  const group = r.u16();
  const keyExchange = r.vec16();
  r.expectEnd("key_share");
  return { group, keyExchange };
}

/**
 * A single 16-bit value (HelloRetryRequest key_share, ServerHello supported_versions).
 *
 * @example
 * ```ts
 * const data = encodeU16(0x0304);
 * ```
 */
export function encodeU16(v: number): Uint8Array {
  return new Uint8Array([v >>> 8, v & 0xff]);
}

/**
 * Parses a single 16-bit extension value.
 *
 * @example
 * ```ts
 * parseU16(new Uint8Array([3, 4])); // 0x0304
 * ```
 */
export function parseU16(data: Uint8Array): number {
  const r = new Reader(data);
  const v = r.u16();
  r.expectEnd("extension");
  return v;
}

/**
 * server_name with one host_name entry (RFC 6066 §3).
 *
 * @example
 * ```ts
 * const data = encodeServerName("localhost");
 * ```
 */
export function encodeServerName(host: string): Uint8Array {
  const name = new TextEncoder().encode(host);
  const w = new Writer(name.length + 5);
  w.block16(() => w.u8(0).block16(() => w.bytes(name)));
  return w.finish();
}

/**
 * The host_name of a client's server_name extension.
 *
 * @example
 * ```ts
 * parseServerName(encodeServerName("localhost")); // "localhost"
 * ```
 */
export function parseServerName(data: Uint8Array): string | undefined {
  const r = new Reader(data);
  const list = r.sub16();
  r.expectEnd("server_name");
  if (list.atEnd) throw new TlsError(Alert.decode_error, "empty server_name list");
  let host: string | undefined;
  while (!list.atEnd) {
    const type = list.u8();
    const name = list.vec16();
    if (type === 0 && host === undefined) {
      if (name.length === 0) throw new TlsError(Alert.decode_error, "empty host_name");
      host = new TextDecoder().decode(name);
    }
  }
  return host;
}

/**
 * application_layer_protocol_negotiation (RFC 7301).
 *
 * @example
 * ```ts
 * const data = encodeAlpn(["h2", "http/1.1"]);
 * ```
 */
export function encodeAlpn(protocols: readonly string[]): Uint8Array {
  const w = new Writer(64);
  w.block16(() => {
    for (const p of protocols) w.block8(() => w.bytes(new TextEncoder().encode(p)));
  });
  return w.finish();
}

/**
 * Parses an ALPN protocol list; empty names or an empty list are decode_error.
 *
 * @example
 * ```ts
 * parseAlpn(encodeAlpn(["h2"])); // ["h2"]
 * ```
 */
export function parseAlpn(data: Uint8Array): string[] {
  const r = new Reader(data);
  const list = r.sub16();
  r.expectEnd("alpn");
  const out: string[] = [];
  while (!list.atEnd) {
    const name = list.vec8();
    if (name.length === 0) throw new TlsError(Alert.decode_error, "empty ALPN protocol name");
    out.push(new TextDecoder().decode(name));
  }
  if (out.length === 0) throw new TlsError(Alert.decode_error, "empty ALPN list");
  return out;
}
