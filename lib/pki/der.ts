/**
 * A strict DER reader (X.690 §10): definite, minimal lengths only, so a
 * certificate has exactly one encoding and the signed bytes are the bytes we
 * read. Values are views into the input, never copies.
 *
 * @module
 */

/** Universal tags used in certificates (class and constructed bits included). */
export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8String: 0x0c,
  PrintableString: 0x13,
  T61String: 0x14,
  IA5String: 0x16,
  UTCTime: 0x17,
  GeneralizedTime: 0x18,
  UniversalString: 0x1c,
  BMPString: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Context-specific tag `[n]`, primitive or constructed. */
export const context = (n: number, constructed: boolean): number => 0x80 | (constructed ? 0x20 : 0) | n;

/** Thrown for any encoding that is not valid DER. */
export class DerError extends Error {}

/** One tag-length-value: `bytes` is the whole encoding, `value` its contents. */
export interface Tlv {
  tag: number;
  bytes: Uint8Array;
  value: Uint8Array;
}

/** Reads consecutive TLVs from a buffer. */
export class DerReader {
  #buf: Uint8Array;
  #pos = 0;

  constructor(buf: Uint8Array) {
    this.#buf = buf;
  }

  get done(): boolean {
    return this.#pos >= this.#buf.length;
  }

  /** The tag of the next TLV, or -1 at the end. */
  peek(): number {
    return this.done ? -1 : this.#buf[this.#pos];
  }

  /** The next TLV; with `tag`, it must have that tag. */
  read(tag?: number): Tlv {
    const buf = this.#buf, start = this.#pos;
    if (start + 2 > buf.length) throw new DerError("truncated");
    const t = buf[start];
    if ((t & 0x1f) === 0x1f) throw new DerError("multi-byte tag");
    if (tag !== undefined && t !== tag) throw new DerError(`expected tag 0x${tag.toString(16)}`);
    let len = buf[start + 1], pos = start + 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 4 || pos + n > buf.length) throw new DerError("bad length");
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + buf[pos++];
      if (len < 0x80 || buf[start + 2] === 0) throw new DerError("non-minimal length");
    }
    if (pos + len > buf.length) throw new DerError("truncated");
    this.#pos = pos + len;
    return { tag: t, bytes: buf.subarray(start, pos + len), value: buf.subarray(pos, pos + len) };
  }

  /** The next TLV only if it has `tag`. */
  optional(tag: number): Tlv | undefined {
    return this.peek() === tag ? this.read() : undefined;
  }

  /** Nothing may follow. */
  end(): void {
    if (!this.done) throw new DerError("trailing data");
  }
}

/** Every TLV inside a constructed value. */
export function children(tlv: Tlv): Tlv[] {
  const r = new DerReader(tlv.value), out: Tlv[] = [];
  while (!r.done) out.push(r.read());
  return out;
}

/** A single TLV filling `bytes` exactly (an extension's OCTET STRING contents). */
export function readOne(bytes: Uint8Array, tag?: number): Tlv {
  const r = new DerReader(bytes);
  const tlv = r.read(tag);
  r.end();
  return tlv;
}

/** Dotted form of an OBJECT IDENTIFIER's contents. */
export function oidText(value: Uint8Array): string {
  if (value.length === 0 || value[value.length - 1] & 0x80) throw new DerError("bad OID");
  const arcs: number[] = [];
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    if (n === 0 && value[i] === 0x80) throw new DerError("non-minimal OID arc");
    n = n * 128 + (value[i] & 0x7f);
    if (!(value[i] & 0x80)) {
      if (arcs.length === 0) arcs.push(n < 80 ? Math.floor(n / 40) : 2, n < 80 ? n % 40 : n - 80);
      else arcs.push(n);
      n = 0;
    }
  }
  return arcs.join(".");
}

/** A DER BOOLEAN (0x00 or 0xff only). */
export function readBoolean(tlv: Tlv): boolean {
  if (tlv.tag !== Tag.BOOLEAN || tlv.value.length !== 1) throw new DerError("bad BOOLEAN");
  if (tlv.value[0] !== 0 && tlv.value[0] !== 0xff) throw new DerError("non-DER BOOLEAN");
  return tlv.value[0] === 0xff;
}

/** A small non-negative INTEGER. */
export function readSmallInteger(tlv: Tlv): number {
  const v = tlv.value;
  if (tlv.tag !== Tag.INTEGER || v.length === 0 || v.length > 4 || v[0] & 0x80) throw new DerError("bad INTEGER");
  if (v.length > 1 && v[0] === 0 && !(v[1] & 0x80)) throw new DerError("non-minimal INTEGER");
  return v.reduce((n, b) => n * 256 + b, 0);
}

/** A BIT STRING's bytes and unused-bit count; the unused bits must be zero (X.690 §11.2.1). */
export function readBitString(tlv: Tlv): { bits: Uint8Array; unused: number } {
  const v = tlv.value;
  if (tlv.tag !== Tag.BIT_STRING || v.length === 0 || v[0] > 7 || (v.length === 1 && v[0] !== 0)) {
    throw new DerError("bad BIT STRING");
  }
  if (v[v.length - 1] & ((1 << v[0]) - 1)) throw new DerError("BIT STRING with unused bits set");
  return { bits: v.subarray(1), unused: v[0] };
}

const TIME_FORMATS: Record<number, RegExp> = {
  [Tag.UTCTime]: /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/,
  [Tag.GeneralizedTime]: /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/,
};

/**
 * A UTCTime or GeneralizedTime in the only forms RFC 5280 §4.1.2.5 allows
 * (seconds, `Z`, no fractions), as milliseconds since the epoch.
 */
export function readTime(tlv: Tlv): number {
  const m = TIME_FORMATS[tlv.tag]?.exec(String.fromCharCode(...tlv.value));
  if (!m) throw new DerError("bad time");
  let year = Number(m[1]);
  if (tlv.tag === Tag.UTCTime) year += year >= 50 ? 1900 : 2000; // RFC 5280 §4.1.2.5.1
  const [mo, d, h, mi, s] = m.slice(2).map(Number);
  const date = new Date(Date.UTC(2000, mo - 1, d, h, mi, s));
  date.setUTCFullYear(year, mo - 1, d); // Date.UTC alone reads years 0–99 as 1900–1999
  const t = date.getTime();
  const check = new Date(t);
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    throw new DerError("bad time");
  }
  return t;
}

/** Byte equality. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The GeneralName form number of a tag (RFC 5280 §4.2.1.6). Each form is
 * either primitive (rfc822Name, dNSName, URI, iPAddress, registeredID) or
 * constructed (otherName, x400Address, directoryName, ediPartyName); a tag
 * with the wrong one is not that form, so it is refused rather than taken
 * for "another form" that no check looks at.
 */
export function generalNameForm(tag: number): number {
  const form = tag & 0x1f;
  const constructed = [0, 3, 4, 5].includes(form);
  if ((tag & 0xc0) !== 0x80 || form > 8 || tag !== context(form, constructed)) {
    throw new DerError("bad GeneralName tag");
  }
  return form;
}
