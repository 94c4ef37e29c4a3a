/**
 * A byte queue shaped like OpenSSL's `BIO_s_mem`: what is written comes out
 * of `read` in order, in as many or as few pieces as the reader asks for.
 * The adapter owns two of them: the rbio (socket → TLS) and the wbio
 * (TLS → socket).
 *
 * By default chunks are kept as given (no copy on write) and `read` copies
 * only when it has to join or split chunks: the rbio, fed straight from the
 * socket's read buffer. A BIO made with `{ copy: true }` copies on write
 * into one buffer it reuses, as OpenSSL's does: the wbio, which the engine
 * writes from its own reused record buffer, and which the program drains
 * with `readInto` into its socket write buffer — no buffer is allocated per
 * record or per write on the way out.
 *
 * @module
 */

/** A copy-mode store larger than this is dropped once drained. */
const MAX_KEPT_STORE = 1 << 20;

/**
 * An in-memory BIO.
 *
 * @example
 * ```ts
 * import { MemoryBio } from "@ssl-nonblock/tls";
 * import assert from "node:assert/strict";
 *
 * const bio = new MemoryBio();
 * bio.write(new Uint8Array([1, 2, 3]));
 * bio.write(new Uint8Array([4]));
 * assert.equal(bio.pending, 4);
 * assert.deepEqual(bio.read(2), new Uint8Array([1, 2]));
 * assert.deepEqual(bio.read(), new Uint8Array([3, 4])); // joined
 * assert.equal(bio.pending, 0);
 * ```
 */
export class MemoryBio {
  #chunks: Uint8Array[] = [];
  #head = 0; // index of the first unread chunk
  #offset = 0; // bytes already read from that chunk
  #pending = 0;
  /** Copy mode: the bytes live in `#store[#start .. #start + #pending)`. */
  #store: Uint8Array | undefined;
  #start = 0;

  /**
   * An empty BIO.
   *
   * @param options `copy`: `write` copies its input into storage this BIO
   *   reuses, so the writer may reuse its buffer at once (and `read` always
   *   returns a copy).
   */
  constructor(options: { copy?: boolean } = {}) {
    if (options.copy) this.#store = new Uint8Array(0);
  }

  /** Bytes written and not yet read (`BIO_ctrl_pending`). */
  get pending(): number {
    return this.#pending;
  }

  /**
   * Appends bytes (`BIO_write`). Without `copy` the array is kept by
   * reference: callers must not reuse it afterwards. Returns the number of
   * bytes queued.
   */
  write(data: Uint8Array): number {
    if (data.length === 0) return 0;
    if (this.#store) {
      this.#room(data.length).set(data, this.#start + this.#pending);
    } else {
      this.#chunks.push(data);
    }
    this.#pending += data.length;
    return data.length;
  }

  /** Copy mode: the store, with room for `n` more bytes after the pending ones. */
  #room(n: number): Uint8Array {
    let store = this.#store!;
    const need = this.#pending + n;
    if (this.#start + need > store.length) {
      // The pending bytes move to the front, into a larger store if they do not fit.
      if (need > store.length) {
        const grown = new Uint8Array(Math.max(need, store.length * 2));
        grown.set(store.subarray(this.#start, this.#start + this.#pending));
        this.#store = store = grown;
      } else {
        store.copyWithin(0, this.#start, this.#start + this.#pending);
      }
      this.#start = 0;
    }
    return store;
  }

  /**
   * Takes up to `max` bytes (`BIO_read`); an empty array when nothing is
   * pending.
   */
  read(max = Infinity): Uint8Array {
    const n = Math.min(max, this.#pending);
    if (n === 0) return new Uint8Array(0);
    if (this.#store) {
      const out = this.#store.slice(this.#start, this.#start + n);
      this.#consume(n);
      return out;
    }
    const first = this.#chunks[this.#head];
    const available = first.length - this.#offset;
    // Fast path: the request is satisfied by (part of) one chunk.
    if (n <= available) {
      const out = first.subarray(this.#offset, this.#offset + n);
      this.#consume(n);
      return out;
    }
    const out = new Uint8Array(n);
    this.#copyOut(out, n);
    return out;
  }

  /**
   * Moves up to `out.length` bytes into `out` (`BIO_read` into the caller's
   * buffer); returns how many. A reader that reuses one buffer this way
   * allocates nothing per call.
   *
   * @example
   * ```ts
   * import { MemoryBio } from "@ssl-nonblock/tls";
   * import assert from "node:assert/strict";
   *
   * const bio = new MemoryBio();
   * bio.write(new Uint8Array([1, 2]));
   * bio.write(new Uint8Array([3]));
   * const buffer = new Uint8Array(2);
   * assert.equal(bio.readInto(buffer), 2);
   * assert.deepEqual(buffer, new Uint8Array([1, 2]));
   * assert.equal(bio.readInto(buffer), 1);
   * assert.equal(buffer[0], 3);
   * assert.equal(bio.readInto(buffer), 0);
   * ```
   */
  readInto(out: Uint8Array): number {
    const n = Math.min(out.length, this.#pending);
    this.#copyOut(out, n);
    return n;
  }

  /** Copies the first `n` pending bytes into `out` and consumes them. */
  #copyOut(out: Uint8Array, n: number): void {
    if (this.#store) {
      out.set(this.#store.subarray(this.#start, this.#start + n));
      this.#consume(n);
      return;
    }
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[this.#head];
      const take = Math.min(n - filled, chunk.length - this.#offset);
      out.set(chunk.subarray(this.#offset, this.#offset + take), filled);
      filled += take;
      this.#consume(take);
    }
  }

  /** Copies up to `max` bytes without consuming them. */
  peek(max = Infinity): Uint8Array {
    const n = Math.min(max, this.#pending);
    if (this.#store) return this.#store.slice(this.#start, this.#start + n);
    const out = new Uint8Array(n);
    let filled = 0;
    let offset = this.#offset;
    for (let i = this.#head; filled < n; i++) {
      const chunk = this.#chunks[i];
      const take = Math.min(n - filled, chunk.length - offset);
      out.set(chunk.subarray(offset, offset + take), filled);
      filled += take;
      offset = 0;
    }
    return out;
  }

  #consume(n: number): void {
    if (this.#store) {
      this.#pending -= n;
      this.#start = this.#pending === 0 ? 0 : this.#start + n;
      // A burst's large store is let go once drained.
      if (this.#pending === 0 && this.#store.length > MAX_KEPT_STORE) this.#store = new Uint8Array(0);
      return;
    }
    this.#pending -= n;
    this.#offset += n;
    if (this.#offset === this.#chunks[this.#head].length) {
      this.#head++;
      this.#offset = 0;
      if (this.#pending === 0) {
        this.#chunks = [];
        this.#head = 0;
        return;
      }
      // Compact now and then so the array does not grow without bound.
      if (this.#head > 64 && this.#head * 2 > this.#chunks.length) {
        this.#chunks = this.#chunks.slice(this.#head);
        this.#head = 0;
      }
    }
  }
}
