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

  /** The source has ended (a read returned null). */
  get eof(): boolean {
    return this.#eof;
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
    this.#inflight ??= this.#reader.read();
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
    return result.value;
  }

  /** Gives back a chunk that was read but could not be used; it comes out next. */
  unread(chunk: Uint8Array): void {
    this.#returned = chunk;
  }
}
