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

/** Thrown when a page's field budget is spent: the walk stops where it is. */
class Spent extends Error {}

/**
 * Fields one page may name at most, shared by all its records: whatever the
 * bytes, drawing the page stays bounded in time and size.
 */
export class FieldBudget {
  left: number;
  constructor(fields = 50_000) {
    this.left = fields;
  }
  /** Whether the budget ran out during a walk (the page says so). */
  spent = false;
}

/** How the bytes are to be read: the version decides some layouts. */
export interface AnnotateOptions {
  /** The negotiated version's code point (e.g. 0x0301), when known. */
  version?: number;
  budget?: FieldBudget;
}

/**
 * Walks a byte array, recording named fields as it goes.
 */
export class Annotator {
  readonly bytes: Uint8Array;
  pos: number;
  readonly fields: Field[] = [];
  /** The negotiated version, when known (Certificate differs before TLS 1.3). */
  readonly version?: number;
  #stack: Field[][] = [];
  /** Where the innermost open group ends: nothing inside it reads past. */
  #limits: number[] = [];
  #budget: FieldBudget;

  constructor(bytes: Uint8Array, pos = 0, options: AnnotateOptions = {}) {
    this.bytes = bytes;
    this.pos = pos;
    this.version = options.version;
    this.#budget = options.budget ?? new FieldBudget();
    this.#stack.push(this.fields);
    this.#limits.push(bytes.length);
  }

  /** The end of the innermost open group (the buffer's end at the top). */
  get limit(): number {
    return this.#limits.at(-1)!;
  }

  #add(field: Field): Field {
    if (this.#budget.left <= 0) {
      this.#budget.spent = true;
      throw new Spent();
    }
    this.#budget.left--;
    this.#stack.at(-1)!.push(field);
    return field;
  }

  /**
   * Runs a whole walk: a structure cut short keeps the fields named so far,
   * and a spent budget ends the walk quietly.
   */
  walk(fn: () => void): Field[] {
    try {
      fn();
    } catch (e) {
      if (!(e instanceof Short) && !(e instanceof Spent)) throw e;
    }
    return this.fields;
  }

  #need(n: number): void {
    if (n < 0 || this.pos + n > this.limit) throw new Short();
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

  /**
   * A field of `n` bytes made of the fields `fn` reads, which gets the
   * group's end capped to the bytes present (those of the enclosing group). Bytes `fn` leaves unread are
   * named "(unexpected bytes)"; bytes it cannot read, "(cannot be decoded)".
   * A group declared longer than the bytes present is marked truncated, and
   * the walk around it stops there.
   */
  group(name: string, n: number, fn: (end: number) => void, value?: string): void {
    const declared = this.pos + Math.max(0, n);
    const end = Math.min(declared, this.limit);
    const f = this.#add({ name, start: this.pos, end, children: [] });
    if (value !== undefined) f.value = value;
    if (end < declared) {
      f.value = `${value === undefined ? "" : `${value}; `}truncated: ${n} bytes declared, ${end - f.start} present`;
    }
    this.#stack.push(f.children);
    this.#limits.push(end);
    try {
      fn(end);
      if (this.pos < end) this.leaf("(unexpected bytes)", end - this.pos);
    } catch (e) {
      if (!(e instanceof Short) && !(e instanceof RangeError)) throw e;
      if (this.pos < end) this.leaf("(cannot be decoded)", end - this.pos);
      else f.value = f.value === undefined ? "(cannot be decoded)" : `${f.value}; cannot be decoded`;
    } finally {
      this.#limits.pop();
      this.#stack.pop();
      this.pos = end;
    }
    if (end < declared) throw new Short();
  }

  /** A vector: its length prefix, then a group of that many bytes. */
  vector(name: string, prefix: 1 | 2 | 3, fn: (end: number) => void, value?: string): void {
    this.#need(prefix);
    let n = 0;
    for (let i = 0; i < prefix; i++) n = n * 256 + this.bytes[this.pos + i];
    this.group(name, prefix + n, (end) => {
      this.leaf("length", prefix, () => String(n));
      fn(end);
    }, value);
  }

  /**
   * Repeats `fn` until `end`; an item that reads nothing, or reads past
   * `end`, ends the list as undecodable.
   */
  until(end: number, fn: () => void): void {
    while (this.pos < end) {
      const before = this.pos;
      fn();
      if (this.pos <= before || this.pos > end) throw new Short();
    }
  }
}

const hex4 = (v: number) => `0x${v.toString(16).padStart(4, "0")}`;

/**
 * The fields of a whole record as it crossed the wire: header, then the
 * body (messages for clear text, ciphertext and tag when protected).
 */
export function recordFields(bytes: Uint8Array, isProtected: boolean, options: AnnotateOptions = {}): Field[] {
  const a = new Annotator(bytes, 0, options);
  const type = bytes[0];
  const length = ((bytes[3] ?? 0) << 8) | (bytes[4] ?? 0);
  return a.walk(() => {
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
      contentFields(a, CONTENT_TYPES[type] ?? "", Math.min(5 + length, bytes.length));
    }
  });
}

/**
 * The fields of a protected record's inner plaintext (RFC 8446 §5.2):
 * content, the real content type, zero padding.
 */
export function plaintextFields(
  content: Uint8Array,
  contentType: string,
  padding: number,
  options: AnnotateOptions = {},
): { bytes: Uint8Array; fields: Field[] } {
  const code = Number(Object.entries(CONTENT_TYPES).find(([, n]) => n === contentType)?.[0] ?? 0);
  const bytes = new Uint8Array(content.length + 1 + padding);
  bytes.set(content);
  bytes[content.length] = code;
  const a = new Annotator(bytes, 0, options);
  const fields = a.walk(() => {
    a.group("content", content.length, (end) => contentFields(a, contentType, end));
    a.u8("inner content type", (v) => `${contentType} (${v})`);
    if (padding) a.leaf("zero padding", padding, () => `${padding} bytes`);
  });
  return { bytes, fields };
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
