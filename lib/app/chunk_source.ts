/**
 * A byte source that several connections take turns reading, without
 * losing or duplicating a chunk when a connection ends in the middle of a
 * read: the unfinished read is kept and its result goes to the next reader.
 *
 * @module
 */

/**
 * Returned by {@link ChunkSource.read} when the reader gave up waiting.
 *
 * @example
 * ```ts
 * import { CANCELLED, ChunkSource } from "@ssl-nonblock/tls";
 * import assert from "node:assert/strict";
 *
 * const source = new ChunkSource(new ReadableStream()); // never yields
 * assert.equal(await source.read(AbortSignal.timeout(10)), CANCELLED);
 * ```
 */
export const CANCELLED: unique symbol = Symbol("cancelled");

/** Something read into a caller's buffer, such as `Deno.stdin`. */
export interface ByteReader {
  /** Reads into `p`; the number of bytes read, or `null` at the end. */
  read(p: Uint8Array): Promise<number | null>;
}

/** Read size for a {@link ByteReader}: large reads keep per-call overhead low. */
export const CHUNK_SIZE = 256 * 1024;

/**
 * Wraps `Deno.stdin` (any {@link ByteReader}) or a `ReadableStream<Uint8Array>`.
 *
 * A reader is read straight into two buffers used in turn — one filling
 * while the caller works on the other — instead of a fresh array per
 * chunk, as `Deno.stdin.readable` would allocate: a chunk from a reader is
 * therefore valid only until the next call to {@link read}. Its consumer
 * (`Ssl.write`) encrypts it at once.
 *
 * @example A reader that gives up loses nothing: the next one gets the chunk
 * ```ts
 * import { CANCELLED, ChunkSource } from "@ssl-nonblock/tls";
 * import assert from "node:assert/strict";
 *
 * const enc = new TextEncoder();
 * const source = new ChunkSource(ReadableStream.from([enc.encode("one"), enc.encode("two")]));
 * assert.deepEqual(await source.read(), enc.encode("one"));
 * assert.equal(await source.read(AbortSignal.abort()), CANCELLED); // e.g. the connection ended
 * assert.deepEqual(await source.read(), enc.encode("two"));
 * assert.equal(await source.read(), null); // the end
 * assert.equal(source.eof, true);
 * ```
 */
export class ChunkSource {
  readonly #next: () => Promise<ReadableStreamReadResult<Uint8Array>>;
  #inflight: Promise<ReadableStreamReadResult<Uint8Array>> | undefined;
  #eof = false;

  /**
   * Nothing is read until the first {@link read}.
   *
   * @param source `Deno.stdin` (read into two reused buffers) or a stream.
   * @param chunkSize Buffer size for a {@link ByteReader}.
   */
  constructor(source: ByteReader | ReadableStream<Uint8Array>, chunkSize = CHUNK_SIZE) {
    if (source instanceof ReadableStream) {
      const reader = source.getReader();
      this.#next = () => reader.read();
    } else {
      const buffers = [new Uint8Array(chunkSize), new Uint8Array(chunkSize)];
      let turn = 0;
      this.#next = async () => {
        const buffer = buffers[turn];
        turn ^= 1;
        const n = await source.read(buffer);
        return n === null ? { done: true, value: undefined } : { done: false, value: buffer.subarray(0, n) };
      };
    }
  }

  #returned: Uint8Array | undefined;

  #error: unknown;

  /**
   * The source has ended — noticed as soon as the end arrives, even while
   * nobody is reading, so a server can tell an input that ended between
   * two connections from one that ends during a connection.
   */
  get eof(): boolean {
    return this.#eof;
  }

  /** Why the source failed, if it did; a failure counts as its end. */
  get error(): unknown {
    return this.#error;
  }

  /** Starts the next read of the underlying stream and watches it for the end. */
  #startRead(): Promise<ReadableStreamReadResult<Uint8Array>> {
    const read = this.#next().catch((e): ReadableStreamReadResult<Uint8Array> => {
      this.#error = e;
      return { done: true, value: undefined };
    });
    read.then((r) => {
      if (r.done) this.#eof = true;
    });
    return read;
  }

  /**
   * The next chunk, `null` at end of input, or {@link CANCELLED} when
   * `signal` aborts first — in which case the chunk still on its way is
   * kept for the next call.
   */
  async read(signal?: AbortSignal): Promise<Uint8Array | null | typeof CANCELLED> {
    if (this.#returned) {
      const chunk = this.#returned;
      this.#returned = undefined;
      return chunk;
    }
    if (this.#eof) return null;
    if (signal?.aborted) return CANCELLED;
    this.#inflight ??= this.#startRead();
    let result: ReadableStreamReadResult<Uint8Array> | typeof CANCELLED;
    if (!signal) {
      result = await this.#inflight;
    } else {
      // One listener per read, removed afterwards: a promise derived from a
      // long-lived one would keep every chunk reachable until it settles.
      let onAbort = () => {};
      const aborted = new Promise<typeof CANCELLED>((resolve) => {
        onAbort = () => resolve(CANCELLED);
        signal.addEventListener("abort", onAbort, { once: true });
      });
      try {
        result = await Promise.race([this.#inflight, aborted]);
      } finally {
        signal.removeEventListener("abort", onAbort);
      }
    }
    if (result === CANCELLED) return CANCELLED;
    this.#inflight = undefined;
    if (result.done) {
      this.#eof = true;
      return null;
    }
    // Ask for the next chunk now, so the source reads while the caller
    // encrypts and sends this one. At most one chunk is held this way, the
    // same one a cancelled read would hold, and it goes to the next reader.
    this.#inflight = this.#startRead();
    return result.value;
  }

  /** Gives back a chunk that was read but could not be used; it comes out next. */
  unread(chunk: Uint8Array): void {
    this.#returned = chunk;
  }
}
