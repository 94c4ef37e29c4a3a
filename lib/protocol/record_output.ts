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

/** A record writer: how many bytes `n` bytes of content become, and sealing them into a buffer. */
export interface RecordSealer {
  /** Size of the records for `n` bytes of content under the current protection. */
  sizeFor(n: number): number;
  /** Writes the records for `data` into `out` at `offset`; returns the end offset. */
  sealInto(type: number, data: Uint8Array, out: Uint8Array, offset: number, version?: number): number;
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
