/**
 * key_share (RFC 8446 §4.2.8) in its three shapes: the client's list of
 * shares, the server's one share, and a HelloRetryRequest's group (a plain
 * 16-bit value: see `encodeU16` in extensions.ts).
 *
 * @module
 */

import { Alert, TlsError } from "../ssl/alerts.ts";
import { Reader, Writer } from "./bytes.ts";

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
 * const data = encodeClientKeyShares([{ group: 0x001d, keyExchange: new Uint8Array(32) }]); // x25519
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
 * const data = encodeClientKeyShares([{ group: 0x001d, keyExchange: new Uint8Array(32) }]);
 * const [share] = parseClientKeyShares(data);
 * share.group; // 0x001d
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
 * const data = encodeServerKeyShare({ group: 0x001d, keyExchange: new Uint8Array(32) });
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
 * const data = encodeServerKeyShare({ group: 0x001d, keyExchange: new Uint8Array(32) });
 * const { group, keyExchange } = parseServerKeyShare(data); // 0x001d, 32 bytes
 * ```
 */
export function parseServerKeyShare(data: Uint8Array): KeyShareEntry {
  const r = new Reader(data);
  const group = r.u16();
  const keyExchange = r.vec16();
  r.expectEnd("key_share");
  return { group, keyExchange };
}
