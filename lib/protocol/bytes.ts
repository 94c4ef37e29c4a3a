/**
 * Byte-level helpers for TLS wire formats: a bounds-checked reader that fails
 * with `decode_error` (RFC 8446 §6.2) instead of reading past the end, a
 * growable writer with length-prefixed blocks, and a few array utilities.
 *
 * @module
 */

import { Alert, TlsError } from "../ssl/alerts.ts";

/**
 * Reads big-endian integers and length-prefixed vectors from a byte range.
 * Every read is bounds-checked: a short or overlong field is a malformed
 * message, so it throws `TlsError(decode_error)`.
 *
 * @example
 * ```ts
 * const r = new Reader(new Uint8Array([0, 2, 0xab, 0xcd]));
 * const body = r.vec16(); // Uint8Array [0xab, 0xcd]
 * r.expectEnd("example");
 * ```
 */
export class Reader {
  readonly buf: Uint8Array;
  pos: number;
  readonly end: number;

  constructor(buf: Uint8Array, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  /** Bytes not read yet. */
  get left(): number {
    return this.end - this.pos;
  }

  /** Nothing is left to read. */
  get atEnd(): boolean {
    return this.pos >= this.end;
  }

  #need(n: number): void {
    if (this.end - this.pos < n) throw new TlsError(Alert.decode_error, "message truncated");
  }

  /** One byte. */
  u8(): number {
    this.#need(1);
    return this.buf[this.pos++];
  }

  /** A 16-bit big-endian integer. */
  u16(): number {
    this.#need(2);
    const v = (this.buf[this.pos] << 8) | this.buf[this.pos + 1];
    this.pos += 2;
    return v;
  }

  /** A 24-bit big-endian integer. */
  u24(): number {
    this.#need(3);
    const b = this.buf, p = this.pos;
    this.pos += 3;
    return (b[p] << 16) | (b[p + 1] << 8) | b[p + 2];
  }

  /** A 32-bit big-endian integer. */
  u32(): number {
    this.#need(4);
    const b = this.buf, p = this.pos;
    this.pos += 4;
    return ((b[p] << 24) >>> 0) + ((b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]);
  }

  /** `n` raw bytes (a view, not a copy). */
  bytes(n: number): Uint8Array {
    this.#need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A vector with a one-byte length prefix. */
  vec8(): Uint8Array {
    return this.bytes(this.u8());
  }

  /** A vector with a two-byte length prefix. */
  vec16(): Uint8Array {
    return this.bytes(this.u16());
  }

  /** A vector with a three-byte length prefix. */
  vec24(): Uint8Array {
    return this.bytes(this.u24());
  }

  /** A reader over the next two-byte-length-prefixed vector. */
  sub16(): Reader {
    const n = this.u16();
    this.#need(n);
    const r = new Reader(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }

  /** A reader over the next one-byte-length-prefixed vector. */
  sub8(): Reader {
    const n = this.u8();
    this.#need(n);
    const r = new Reader(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }

  /** Trailing bytes after a structure are a decode error. */
  expectEnd(what: string): void {
    if (this.pos !== this.end) throw new TlsError(Alert.decode_error, `trailing bytes in ${what}`);
  }
}

/**
 * Builds wire structures. Length prefixes are written as placeholders and
 * patched when the block closes, so nested vectors need no second pass.
 *
 * @example
 * ```ts
 * const w = new Writer();
 * w.u8(1);
 * w.block16(() => w.bytes(new Uint8Array([1, 2, 3])));
 * w.finish(); // Uint8Array [1, 0, 3, 1, 2, 3]
 * ```
 */
export class Writer {
  #buf: Uint8Array;
  #len = 0;

  constructor(capacity = 256) {
    this.#buf = new Uint8Array(capacity);
  }

  #room(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#len;
  }

  /** One byte. */
  u8(v: number): this {
    this.#room(1);
    this.#buf[this.#len++] = v;
    return this;
  }

  /** A 16-bit big-endian integer. */
  u16(v: number): this {
    this.#room(2);
    this.#buf[this.#len++] = v >>> 8;
    this.#buf[this.#len++] = v;
    return this;
  }

  /** A 24-bit big-endian integer. */
  u24(v: number): this {
    this.#room(3);
    this.#buf[this.#len++] = v >>> 16;
    this.#buf[this.#len++] = v >>> 8;
    this.#buf[this.#len++] = v;
    return this;
  }

  /** A 32-bit big-endian integer. */
  u32(v: number): this {
    this.#room(4);
    this.#buf[this.#len++] = v >>> 24;
    this.#buf[this.#len++] = v >>> 16;
    this.#buf[this.#len++] = v >>> 8;
    this.#buf[this.#len++] = v;
    return this;
  }

  /** Raw bytes. */
  bytes(b: Uint8Array): this {
    this.#room(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
    return this;
  }

  #block(prefix: number, max: number, fill: () => void): this {
    this.#room(prefix);
    const at = this.#len;
    this.#len += prefix;
    fill();
    const n = this.#len - at - prefix;
    if (n > max) throw new TlsError(Alert.internal_error, "vector too long to encode");
    for (let i = prefix - 1, v = n; i >= 0; i--, v >>>= 8) this.#buf[at + i] = v & 0xff;
    return this;
  }

  /** A vector with a one-byte length prefix, filled by `fill`. */
  block8(fill: () => void): this {
    return this.#block(1, 0xff, fill);
  }

  /** A vector with a two-byte length prefix, filled by `fill`. */
  block16(fill: () => void): this {
    return this.#block(2, 0xffff, fill);
  }

  /** A vector with a three-byte length prefix, filled by `fill`. */
  block24(fill: () => void): this {
    return this.#block(3, 0xffffff, fill);
  }

  /** A copy of what was written. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

/**
 * Concatenates byte arrays into a new one.
 *
 * @example
 * ```ts
 * concat(new Uint8Array([1]), new Uint8Array([2, 3])); // [1, 2, 3]
 * ```
 */
export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Equality that takes the same time wherever the first difference is, for
 * comparing MACs (Finished verify_data).
 *
 * @example
 * ```ts
 * constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2])); // true
 * ```
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/**
 * Plain equality for non-secret values.
 *
 * @example
 * ```ts
 * equalBytes(new Uint8Array([1]), new Uint8Array([1])); // true
 * ```
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Lower-case hex, for key log lines and diagnostics.
 *
 * @example
 * ```ts
 * toHex(new Uint8Array([0xde, 0xad])); // "dead"
 * ```
 */
export function toHex(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += (b[i] < 16 ? "0" : "") + b[i].toString(16);
  return s;
}

/**
 * Parses hex, ignoring whitespace (so RFC-style dumps paste in directly).
 *
 * @example
 * ```ts
 * fromHex("de ad"); // Uint8Array [0xde, 0xad]
 * ```
 */
export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, "");
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new Error("invalid hex");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.substr(i * 2, 2), 16);
  return out;
}
