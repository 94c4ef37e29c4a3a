/**
 * Cuts a stream of bytes into whole TLS records, for every TLS version: the
 * record header (RFC 8446 §5.1, RFC 5246 §6.2) is the same five bytes.
 *
 * Each header is checked by the engine's `checkHeader` as soon as its five
 * bytes are here, so an impossible length is refused before its body is
 * buffered. Whole records are handed over straight from the caller's buffer;
 * only a record split across calls is copied, into one buffer of the largest
 * record the engine allows.
 *
 * @module
 */

/** Length of a TLS record header: type, version, length. */
export const RECORD_HEADER = 5;

/** Writes a record header (type, version, length) at `at`. */
export function writeRecordHeader(out: Uint8Array, at: number, type: number, version: number, length: number): void {
  out[at] = type;
  out[at + 1] = version >>> 8;
  out[at + 2] = version & 0xff;
  out[at + 3] = length >>> 8;
  out[at + 4] = length & 0xff;
}

/** Checks a record header at `at`; returns the body length or throws. */
export type HeaderCheck = (bytes: Uint8Array, at: number) => number;

/** Takes one whole record: `bytes[at .. at + total)` (header included), valid only during the call. */
export type RecordHandler = (bytes: Uint8Array, at: number, total: number) => void;

/** Reassembles records split across reads. */
export class RecordFramer {
  /** Made at the first split record: a handshake of whole records never needs one. */
  #partialBuffer: Uint8Array | undefined;
  readonly #maxRecord: number;
  #fill = 0;

  /** @param maxBody The largest record body the engine accepts. */
  constructor(maxBody: number) {
    this.#maxRecord = RECORD_HEADER + maxBody;
  }

  get #partial(): Uint8Array {
    return this.#partialBuffer ??= new Uint8Array(this.#maxRecord);
  }

  /** Bytes of an incomplete record held back. */
  get buffered(): number {
    return this.#fill;
  }

  /** Forgets an incomplete record. */
  clear(): void {
    this.#fill = 0;
  }

  /**
   * Feeds bytes; calls `handle` for each complete record, in order, until
   * `stopped()` says the reader wants no more (what is left is dropped).
   */
  push(bytes: Uint8Array, check: HeaderCheck, handle: RecordHandler, stopped: () => boolean = () => false): void {
    let i = 0;
    // Finish a record started by an earlier call.
    if (this.#fill > 0) {
      if (this.#fill < RECORD_HEADER) {
        const take = Math.min(RECORD_HEADER - this.#fill, bytes.length);
        this.#partial.set(bytes.subarray(0, take), this.#fill);
        this.#fill += take;
        i = take;
        if (this.#fill < RECORD_HEADER) return;
      }
      const total = RECORD_HEADER + check(this.#partial, 0);
      const take = Math.min(total - this.#fill, bytes.length - i);
      this.#partial.set(bytes.subarray(i, i + take), this.#fill);
      this.#fill += take;
      i += take;
      if (this.#fill < total) return;
      this.#fill = 0;
      handle(this.#partial, 0, total);
    }
    // Whole records straight from the caller's buffer.
    while (bytes.length - i >= RECORD_HEADER && !stopped()) {
      const total = RECORD_HEADER + check(bytes, i);
      if (bytes.length - i < total) break;
      handle(bytes, i, total);
      i += total;
    }
    if (i < bytes.length && !stopped()) {
      if (bytes.length - i >= RECORD_HEADER) check(bytes, i);
      this.#partial.set(bytes.subarray(i), 0);
      this.#fill = bytes.length - i;
    }
  }
}
