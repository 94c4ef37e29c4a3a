/**
 * Names the bytes of a record: which byte ranges are the record header, the
 * handshake header, each hello field, each extension. The record boundaries,
 * message names and plaintext come from the engine's trace events; this only
 * labels the bytes inside them for the page, using the protocol's own tables
 * of names.
 *
 * @module
 */

import { CONTENT_TYPE_NAMES as CONTENT_TYPES, HANDSHAKE_NAMES as HANDSHAKE_TYPES } from "../protocol/constants.ts";
import { ALERT_NAMES } from "../ssl/alerts.ts";
import { HRR_RANDOM } from "../protocol/constants.ts";
import { equalBytes } from "../protocol/bytes.ts";
import { messageBody } from "./message_fields.ts";

/** A named byte range; `children` split it further. */
export interface Field {
  name: string;
  start: number;
  end: number;
  /** What the bytes mean, in words (e.g. a cipher suite's name). */
  value?: string;
  children: Field[];
}

/** Thrown inside a walk when the bytes end before the structure does. */
class Short extends Error {}

/**
 * Walks a byte array, recording named fields as it goes.
 */
export class Annotator {
  readonly bytes: Uint8Array;
  pos: number;
  readonly fields: Field[] = [];
  #stack: Field[][] = [];

  constructor(bytes: Uint8Array, pos = 0) {
    this.bytes = bytes;
    this.pos = pos;
    this.#stack.push(this.fields);
  }

  #add(field: Field): Field {
    this.#stack.at(-1)!.push(field);
    return field;
  }

  #need(n: number): void {
    if (this.pos + n > this.bytes.length) throw new Short();
  }

  /** Raw bytes as one field. */
  leaf(name: string, n: number, value?: (b: Uint8Array) => string | undefined): Uint8Array {
    this.#need(n);
    const b = this.bytes.subarray(this.pos, this.pos + n);
    const f = this.#add({ name, start: this.pos, end: this.pos + n, children: [] });
    const v = value?.(b);
    if (v !== undefined) f.value = v;
    this.pos += n;
    return b;
  }

  #int(name: string, n: number, value?: (v: number) => string | undefined): number {
    this.#need(n);
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + this.bytes[this.pos + i];
    this.leaf(name, n, () => value ? value(v) : String(v));
    return v;
  }

  u8(name: string, value?: (v: number) => string | undefined): number {
    return this.#int(name, 1, value);
  }
  u16(name: string, value?: (v: number) => string | undefined): number {
    return this.#int(name, 2, value);
  }
  u24(name: string, value?: (v: number) => string | undefined): number {
    return this.#int(name, 3, value);
  }
  u32(name: string, value?: (v: number) => string | undefined): number {
    return this.#int(name, 4, value);
  }

  /** A field of `n` bytes made of the fields `fn` reads (what it leaves unread is named "rest"). */
  group(name: string, n: number, fn: (end: number) => void, value?: string): void {
    const end = Math.min(this.pos + n, this.bytes.length);
    const f = this.#add({ name, start: this.pos, end, children: [] });
    if (value !== undefined) f.value = value;
    this.#stack.push(f.children);
    try {
      fn(end);
      if (this.pos < end) this.leaf("(unexpected bytes)", end - this.pos);
    } catch (e) {
      if (!(e instanceof Short) && !(e instanceof RangeError)) throw e;
      if (this.pos < end) this.leaf("(cannot be decoded)", end - this.pos);
    } finally {
      this.#stack.pop();
      this.pos = end;
    }
    if (end < f.start + n) throw new Short();
  }

  /** A vector: its length prefix, then a group of that many bytes. */
  vector(name: string, prefix: 1 | 2 | 3, fn: (end: number) => void, value?: string): void {
    this.#need(prefix);
    let n = 0;
    for (let i = 0; i < prefix; i++) n = n * 256 + this.bytes[this.pos + i];
    this.group(name, prefix + n, () => {
      this.leaf("length", prefix, () => String(n));
      fn(this.pos + n);
    }, value);
  }

  /** Repeats `fn` until `end`. */
  until(end: number, fn: () => void): void {
    while (this.pos < end) fn();
  }
}

const hex4 = (v: number) => `0x${v.toString(16).padStart(4, "0")}`;

/**
 * The fields of a whole record as it crossed the wire: header, then the
 * body (messages for clear text, ciphertext and tag when protected).
 */
export function recordFields(bytes: Uint8Array, isProtected: boolean): Field[] {
  const a = new Annotator(bytes);
  const type = bytes[0];
  const length = ((bytes[3] ?? 0) << 8) | (bytes[4] ?? 0);
  try {
    a.group("record header", 5, () => {
      a.u8("content type", (v) => `${CONTENT_TYPES[v] ?? "unknown"} (${v})`);
      a.u16("legacy_record_version", hex4);
      a.u16("length", (v) => `${v} bytes`);
    });
    if (isProtected) {
      a.group("encrypted_record", length, () => {
        a.leaf("ciphertext (inner content, type, padding)", Math.max(0, length - 16));
        a.leaf("AEAD authentication tag", Math.min(16, length));
      });
    } else {
      contentFields(a, CONTENT_TYPES[type] ?? "", 5 + length);
    }
  } catch (e) {
    if (!(e instanceof Short)) throw e;
  }
  return a.fields;
}

/**
 * The fields of a protected record's inner plaintext (RFC 8446 §5.2):
 * content, the real content type, zero padding.
 */
export function plaintextFields(
  content: Uint8Array,
  contentType: string,
  padding: number,
): { bytes: Uint8Array; fields: Field[] } {
  const code = Number(Object.entries(CONTENT_TYPES).find(([, n]) => n === contentType)?.[0] ?? 0);
  const bytes = new Uint8Array(content.length + 1 + padding);
  bytes.set(content);
  bytes[content.length] = code;
  const a = new Annotator(bytes);
  a.group("content", content.length, (end) => contentFields(a, contentType, end));
  a.u8("inner content type", (v) => `${contentType} (${v})`);
  if (padding) a.leaf("zero padding", padding, () => `${padding} bytes`);
  return { bytes, fields: a.fields };
}

function contentFields(a: Annotator, contentType: string, end: number): void {
  switch (contentType) {
    case "handshake":
      return a.until(end, () => handshakeMessage(a, end));
    case "alert":
      a.u8("level", (v) => v === 1 ? "warning (1)" : v === 2 ? "fatal (2)" : String(v));
      a.u8("description", (v) => `${ALERT_NAMES[v] ?? "unknown"} (${v})`);
      return;
    case "change_cipher_spec":
      a.u8("change_cipher_spec", (v) => `${v} (compatibility, RFC 8446 §D.4)`);
      return;
    default:
      a.leaf(
        contentType === "application_data" ? "application data" : contentType,
        end - a.pos,
        (b) => `${b.length} bytes`,
      );
  }
}

function handshakeMessage(a: Annotator, end: number): void {
  if (end - a.pos < 4) {
    a.leaf("handshake fragment (continues in the next record)", end - a.pos);
    return;
  }
  const type = a.bytes[a.pos];
  const length = (a.bytes[a.pos + 1] << 16) | (a.bytes[a.pos + 2] << 8) | a.bytes[a.pos + 3];
  let name = HANDSHAKE_TYPES[type] ?? `handshake(${type})`;
  const isHrr = type === 2 && a.pos + 4 + 34 <= end && equalBytes(a.bytes.subarray(a.pos + 6, a.pos + 38), HRR_RANDOM);
  if (isHrr) name = "HelloRetryRequest";
  const whole = a.pos + 4 + length <= end;
  a.group(name, Math.min(4 + length, end - a.pos), () => {
    a.group("handshake header", 4, () => {
      a.u8("msg_type", (v) => `${HANDSHAKE_TYPES[v] ?? "unknown"} (${v})`);
      a.u24("length", (v) => `${v} bytes`);
    });
    if (!whole) {
      a.leaf("body (continues in the next record)", end - a.pos);
      return;
    }
    a.group("body", length, (bodyEnd) => messageBody(a, isHrr ? "HelloRetryRequest" : name, bodyEnd));
  });
}
