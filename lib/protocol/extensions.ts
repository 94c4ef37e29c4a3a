/**
 * Hello extensions (RFC 8446 §4.2, RFC 6066, RFC 7301, RFC 5746, RFC 7627,
 * RFC 8422): the extension block, and each payload's encoder beside its
 * decoder. Decoders are strict: truncated or trailing bytes are
 * `decode_error`, a repeated extension is `illegal_parameter` (RFC 8446 §4.2).
 *
 * @module
 */

import { Alert, TlsError } from "../ssl/alerts.ts";
import { Reader, Writer } from "./bytes.ts";

/**
 * One extension, still encoded.
 *
 * @example
 * ```ts
 * const sni: Extension = { type: 0, data: encodeServerName("localhost") }; // server_name
 * ```
 */
export interface Extension {
  /** The extension type (RFC 8446 §4.2 code point). */
  type: number;
  /** The extension_data bytes, undecoded. */
  data: Uint8Array;
}

/** Writes an extension block: a two-byte length, then type, length, data for each. */
export function writeExtensions(w: Writer, exts: readonly Extension[]): void {
  w.block16(() => {
    for (const e of exts) w.u16(e.type).block16(() => w.bytes(e.data));
  });
}

/** Reads an extension block; a type seen twice is illegal_parameter. */
export function readExtensions(r: Reader): Extension[] {
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
 * A bare extension block: the EncryptedExtensions body.
 *
 * @example
 * ```ts
 * const body = encodeExtensions([{ type: 16, data: encodeAlpn(["h2"]) }]); // alpn
 * ```
 */
export function encodeExtensions(exts: readonly Extension[]): Uint8Array {
  const w = new Writer(64);
  writeExtensions(w, exts);
  return w.finish();
}

/**
 * Parses a bare extension block (an EncryptedExtensions body).
 *
 * @example
 * ```ts
 * const exts = parseExtensions(encodeExtensions([{ type: 0x1a1a, data: new Uint8Array(0) }]));
 * exts[0].type; // 0x1a1a
 * ```
 */
export function parseExtensions(body: Uint8Array): Extension[] {
  const r = new Reader(body);
  const exts = readExtensions(r);
  r.expectEnd("extensions");
  return exts;
}

/**
 * The data of the extension of this type, if present.
 *
 * @example
 * ```ts
 * const exts: Extension[] = [{ type: 16, data: encodeAlpn(["h2"]) }];
 * findExtension(exts, 16); // the ALPN payload
 * findExtension(exts, 0); // undefined
 * ```
 */
export function findExtension(exts: readonly Extension[], type: number): Uint8Array | undefined {
  for (const e of exts) if (e.type === type) return e.data;
  return undefined;
}

// ---- lists of code points -----------------------------------------------

/**
 * A list of 16-bit code points with a two-byte length (supported_groups,
 * signature_algorithms, signature_algorithms_cert).
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
 * const groups = parseU16List(encodeU16List([0x001d, 0x0017])); // [0x001d, 0x0017]
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
 * A one-byte-length list of 8-bit code points (psk_key_exchange_modes,
 * ec_point_formats).
 */
export function encodeU8List(values: readonly number[]): Uint8Array {
  return new Uint8Array([values.length, ...values]);
}

/**
 * Parses a one-byte-length list of 8-bit code points; it must not be empty.
 */
export function parseU8List(data: Uint8Array): number[] {
  const r = new Reader(data);
  const list = r.vec8();
  r.expectEnd("extension");
  if (list.length === 0) throw new TlsError(Alert.decode_error, "empty list");
  return [...list];
}

/**
 * supported_versions as a client sends it (one-byte length).
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
 * parseSupportedVersions(encodeSupportedVersions([0x0304, 0x0303])).includes(0x0304); // true
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

/**
 * A single 16-bit value (HelloRetryRequest key_share, ServerHello
 * supported_versions, ServerHello pre_shared_key).
 */
export function encodeU16(v: number): Uint8Array {
  return new Uint8Array([v >>> 8, v & 0xff]);
}

/**
 * Parses a single 16-bit extension value.
 */
export function parseU16(data: Uint8Array): number {
  const r = new Reader(data);
  const v = r.u16();
  r.expectEnd("extension");
  return v;
}

// ---- names: server_name (RFC 6066 §3), ALPN (RFC 7301) -----------------

/**
 * A host name as RFC 6066 §3 wants it in server_name: the ASCII form
 * (internationalized labels as A-labels), lower case, no trailing dot.
 *
 * @example
 * ```ts
 * sniHostName("Bücher.Example."); // "xn--bcher-kva.example"
 * ```
 */
export function sniHostName(host: string): string {
  let ascii: string;
  try {
    ascii = new URL(`http://${host}/`).hostname; // IDNA (UTS #46) mapping: A-labels, lower case
  } catch {
    ascii = host.toLowerCase(); // not a valid host name: sent as given, the certificate check will refuse it
  }
  return ascii.replace(/\.$/, "");
}

/**
 * server_name with one host_name entry (RFC 6066 §3), normalized by {@link sniHostName}.
 *
 * @example
 * ```ts
 * const data = encodeServerName("localhost");
 * ```
 */
export function encodeServerName(host: string): Uint8Array {
  const name = new TextEncoder().encode(sniHostName(host));
  const w = new Writer(name.length + 5);
  w.block16(() => w.u8(0).block16(() => w.bytes(name)));
  return w.finish();
}

/**
 * The host_name of a client's server_name extension; other name types are skipped.
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
    if (type !== 0) continue;
    // RFC 6066 §3: at most one name of each type.
    if (host !== undefined) throw new TlsError(Alert.illegal_parameter, "server_name lists two host_name entries");
    if (name.length === 0) throw new TlsError(Alert.decode_error, "empty host_name");
    host = new TextDecoder().decode(name);
  }
  return host;
}

/**
 * application_layer_protocol_negotiation (RFC 7301).
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

// ---- opaque payloads ----------------------------------------------------

/**
 * A payload that is one opaque vector with a one- or two-byte length: cookie
 * (RFC 8446 §4.2.2, `<1..2^16-1>`), renegotiation_info (RFC 5746 §3.2, `<0..255>`).
 *
 * @example
 * ```ts
 * const data = encodeOpaque(16, new Uint8Array([1, 2, 3])); // [0, 3, 1, 2, 3]
 * ```
 */
export function encodeOpaque(lengthBits: 8 | 16, value: Uint8Array): Uint8Array {
  const w = new Writer(value.length + 2);
  if (lengthBits === 8) w.block8(() => w.bytes(value));
  else w.block16(() => w.bytes(value));
  return w.finish();
}

/**
 * Parses a payload that is one opaque vector; `minLength` bounds it from below.
 *
 * @example
 * ```ts
 * const cookie = parseOpaque(16, new Uint8Array([0, 3, 1, 2, 3]), 1); // [1, 2, 3]
 * ```
 */
export function parseOpaque(lengthBits: 8 | 16, data: Uint8Array, minLength = 0): Uint8Array {
  const r = new Reader(data);
  const value = lengthBits === 8 ? r.vec8() : r.vec16();
  r.expectEnd("extension");
  if (value.length < minLength) throw new TlsError(Alert.decode_error, "extension value too short");
  return value;
}

/**
 * Checks a payload that must be empty (extended_master_secret, early_data in
 * a ClientHello or EncryptedExtensions, post_handshake_auth) and says it was there.
 */
export function parseEmpty(data: Uint8Array): true {
  if (data.length) throw new TlsError(Alert.decode_error, "extension must be empty");
  return true;
}
