/**
 * Where an engine's sealed records gather during one call, until the sink
 * takes them in one piece.
 *
 * When the sink copies what it is given before returning
 * (`EngineSink.copiesOutgoing`, as `Ssl` does into its wbio), one buffer
 * serves every call: a 256 KiB write then costs no new buffer and no fresh
 * pages to fault in. Otherwise each call's output is a buffer of its own,
 * which the sink keeps.
 *
 * @module
 */

import { MAX_PLAINTEXT } from "./constants.ts";
import { RECORD_HEADER, writeRecordHeader } from "./record_framer.ts";

/**
 * What every version's record writer shares: content cut into records of at
 * most 2^14 bytes, plaintext records before keys, and the size of the
 * result. A version supplies its protected record.
 */
export abstract class RecordSealer {
  /** Bytes a protected record adds to its content; `undefined` while records are plaintext. */
  protected abstract get overhead(): number | undefined;

  /** Writes one protected record (header included) for `chunk` at `offset`; returns the end offset. */
  protected abstract sealRecord(type: number, chunk: Uint8Array, out: Uint8Array, offset: number): number;

  /** Size of the records for `n` bytes of content under the current protection. */
  sizeFor(n: number): number {
    const records = Math.max(1, Math.ceil(n / MAX_PLAINTEXT));
    return n + records * (RECORD_HEADER + (this.overhead ?? 0));
  }

  /**
   * The records for `data`, in a buffer of their own. `version` is the
   * plaintext record version (0x0301 only for an initial ClientHello).
   */
  seal(type: number, data: Uint8Array, version = 0x0303): Uint8Array {
    const out = new Uint8Array(this.sizeFor(data.length));
    this.sealInto(type, data, out, 0, version);
    return out;
  }

  /** Like {@link seal} into a caller-sized buffer at `offset`; returns the end offset. */
  sealInto(type: number, data: Uint8Array, out: Uint8Array, offset: number, version = 0x0303): number {
    let pos = 0;
    do {
      const n = Math.min(MAX_PLAINTEXT, data.length - pos);
      const chunk = data.subarray(pos, pos + n);
      pos += n;
      if (this.overhead === undefined) {
        writeRecordHeader(out, offset, type, version, n);
        out.set(chunk, offset + RECORD_HEADER);
        offset += RECORD_HEADER + n;
      } else {
        offset = this.sealRecord(type, chunk, out, offset);
      }
    } while (pos < data.length);
    return offset;
  }
}

/** Output kept for reuse above this size is let go, so one huge write does not pin its buffer. */
const KEEP_AT_MOST = 1 << 20;

/** The records sealed since the last {@link take}. */
export class RecordOutput {
  readonly #reuse: boolean;
  #buf = new Uint8Array(0);
  #used = 0;

  /** @param reuse The sink copies what {@link take} returns before the next call: keep one buffer. */
  constructor(reuse: boolean) {
    this.#reuse = reuse;
  }

  /** Bytes waiting. */
  get length(): number {
    return this.#used;
  }

  /** Seals `data` with `writer`, after what is already here. */
  seal(writer: RecordSealer, type: number, data: Uint8Array, version?: number): void {
    const buf = this.#room(writer.sizeFor(data.length));
    this.#used = writer.sealInto(type, data, buf, this.#used, version);
  }

  /** Adds bytes that are already a record. */
  append(bytes: Uint8Array): void {
    this.#room(bytes.length).set(bytes, this.#used);
    this.#used += bytes.length;
  }

  /**
   * Everything gathered, and an empty output. Without reuse the caller owns
   * the result; with it, the result is valid until the next seal or append.
   */
  take(): Uint8Array {
    const out = this.#buf.subarray(0, this.#used);
    this.#used = 0;
    if (!this.#reuse || this.#buf.length > KEEP_AT_MOST) this.#buf = new Uint8Array(0);
    return out;
  }

  /** The buffer, with room for `n` more bytes after what is here. */
  #room(n: number): Uint8Array {
    const need = this.#used + n;
    if (need > this.#buf.length) {
      // Growing inside one call (a flight of several records) doubles; a first record gets its exact size.
      const grown = new Uint8Array(this.#used === 0 ? need : Math.max(need, this.#buf.length * 2));
      grown.set(this.#buf.subarray(0, this.#used));
      this.#buf = grown;
    }
    return this.#buf;
  }
}
