/**
 * A byte source that several connections take turns reading, without
 * losing or duplicating a chunk when a connection ends in the middle of a
 * read: the unfinished read is kept and its result goes to the next reader.
 *
 * @module
 */

/** Returned by {@link ChunkSource.read} when the reader gave up waiting. */
export const CANCELLED: unique symbol = Symbol("cancelled");

/**
 * Wraps a `ReadableStream<Uint8Array>` (e.g. `Deno.stdin.readable`).
 *
 * @example
 * ```ts
 * const stdin = new ChunkSource(Deno.stdin.readable);
 * const chunk = await stdin.read(connectionEnded.signal); // Uint8Array, null at EOF, or CANCELLED
 * ```
 */
export class ChunkSource {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  #inflight: Promise<ReadableStreamReadResult<Uint8Array>> | undefined;
  #eof = false;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
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
    const read = this.#reader.read().catch((e): ReadableStreamReadResult<Uint8Array> => {
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
