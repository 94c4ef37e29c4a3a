/**
 * The benchmark payload: pseudo-random bytes expanded from a seed, so the
 * sender can produce them fast and the checker can recompute their hash
 * without keeping them. The generator is xoshiro128** keyed by SHA-256 of
 * the seed: several GB/s in plain JS, where node:crypto's AES-CTR manages a
 * few hundred MB/s here and would cap the fastest pairs.
 *
 * Not for cryptography: the bytes only need to be incompressible and
 * reproducible.
 *
 * @module
 */

import { createHash } from "node:crypto";

/** Chunk size of {@link payloadChunks}: large writes keep pipe overhead low. */
export const PAYLOAD_CHUNK = 1 << 20;

/**
 * A seed for a new run: 16 random bytes as hex.
 *
 * @example
 * ```ts
 * const seed = newSeed(); // "9f1c…"
 * ```
 */
export function newSeed(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * An endless deterministic byte stream. Successive {@link fill} calls
 * continue the stream, so the bytes do not depend on how it is cut, as
 * long as every call but the last asks for a multiple of 4 bytes.
 *
 * @example
 * ```ts
 * const gen = new PayloadGenerator("seed");
 * const a = new Uint8Array(8);
 * gen.fill(a);
 * ```
 */
export class PayloadGenerator {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  constructor(seed: string) {
    const key = createHash("sha256").update(seed).digest();
    const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
    this.#s0 = view.getUint32(0, true);
    this.#s1 = view.getUint32(4, true);
    this.#s2 = view.getUint32(8, true);
    this.#s3 = view.getUint32(12, true);
    // The all-zero state is the generator's one fixed point.
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) this.#s0 = 1;
  }

  /** Fills `out` with the next bytes of the stream. */
  fill(out: Uint8Array): void {
    const words = out.length >>> 2;
    // Little-endian words: the byte order of every platform Deno ships for.
    const aligned = out.byteOffset % 4 === 0
      ? new Uint32Array(out.buffer, out.byteOffset, words)
      : new Uint32Array(words);
    let s0 = this.#s0, s1 = this.#s1, s2 = this.#s2, s3 = this.#s3;
    for (let i = 0; i < words; i++) {
      const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = rotl(s3, 11);
      aligned[i] = r;
    }
    if (aligned.buffer !== out.buffer) out.set(new Uint8Array(aligned.buffer), 0);
    const tail = out.length - words * 4;
    if (tail > 0) {
      const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = rotl(s3, 11);
      for (let i = 0; i < tail; i++) out[words * 4 + i] = (r >>> (8 * i)) & 0xff;
    }
    this.#s0 = s0;
    this.#s1 = s1;
    this.#s2 = s2;
    this.#s3 = s3;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Options for {@link payloadChunks}. */
export interface ChunkOptions {
  /** Bytes per chunk, a multiple of 4 (default {@link PAYLOAD_CHUNK}); the last one may be shorter. */
  chunkSize?: number;
  /**
   * Fill one buffer again and again instead of allocating a chunk each time:
   * a chunk is then valid only until the next one is asked for. Much faster
   * when each chunk is written and awaited before the next (fresh 1 MiB
   * arrays cost page faults and GC).
   */
  reuse?: boolean;
}

/**
 * The first `length` bytes of the stream for `seed`, in chunks.
 *
 * @example
 * ```ts
 * for (const chunk of payloadChunks("seed", 3 << 20, { reuse: true })) await writer.write(chunk);
 * ```
 */
export function* payloadChunks(seed: string, length: number, options: ChunkOptions = {}): Generator<Uint8Array> {
  const chunkSize = options.chunkSize ?? PAYLOAD_CHUNK;
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`bad payload length ${length}`);
  if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0 || chunkSize % 4 !== 0) {
    throw new RangeError(`chunk size must be a positive multiple of 4, got ${chunkSize}`);
  }
  const gen = new PayloadGenerator(seed);
  const shared = options.reuse ? new Uint8Array(Math.min(chunkSize, length)) : undefined;
  for (let left = length; left > 0; left -= chunkSize) {
    const size = Math.min(chunkSize, left);
    const chunk = shared ? shared.subarray(0, size) : new Uint8Array(size);
    gen.fill(chunk);
    yield chunk;
  }
}

/**
 * SHA-256 (hex) of the first `length` bytes of the stream for `seed`.
 *
 * @example
 * ```ts
 * const expected = payloadDigest("seed", 64 << 20);
 * ```
 */
export function payloadDigest(seed: string, length: number): string {
  const hash = createHash("sha256");
  for (const chunk of payloadChunks(seed, length, { reuse: true })) hash.update(chunk);
  return hash.digest("hex");
}

/**
 * Writes the first `length` bytes of the stream for `seed` to a file (mode
 * 0600, replaced if it exists) and returns their SHA-256.
 *
 * @example
 * ```ts
 * const sha256 = await writePayloadFile("seed", 64 << 20, "bench/results/payload-64.bin");
 * ```
 */
export async function writePayloadFile(seed: string, length: number, path: string): Promise<string> {
  const hash = createHash("sha256");
  using file = await Deno.open(path, { write: true, create: true, truncate: true, mode: 0o600 });
  for (const chunk of payloadChunks(seed, length, { reuse: true })) {
    hash.update(chunk);
    for (let off = 0; off < chunk.length;) off += await file.write(chunk.subarray(off));
  }
  return hash.digest("hex");
}
