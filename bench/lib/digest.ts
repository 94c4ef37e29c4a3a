/**
 * Checking what arrived at the far end: a streaming SHA-256 with a byte
 * count, and the comparison that turns a mismatch into a loud failure.
 *
 * @module
 */

import { createHash, type Hash } from "node:crypto";

/** What a transfer carried: its length and SHA-256 (hex). */
export interface Fingerprint {
  bytes: number;
  sha256: string;
}

/**
 * SHA-256 over a stream of chunks, with the time of the first and last one.
 *
 * @example
 * ```ts
 * const hasher = new StreamHasher();
 * for await (const chunk of child.stdout) hasher.update(chunk);
 * hasher.fingerprint(); // { bytes, sha256 }
 * ```
 */
export class StreamHasher {
  readonly #hash: Hash = createHash("sha256");
  #bytes = 0;
  /** `performance.now()` when the first byte arrived, and after the last one. */
  firstAt: number | undefined;
  lastAt: number | undefined;
  /** Length of the first chunk: it is not counted in the steady-state rate. */
  firstChunkBytes = 0;

  /** Bytes seen so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Adds a chunk. */
  update(chunk: Uint8Array, now = performance.now()): void {
    if (chunk.length === 0) return;
    if (this.firstAt === undefined) {
      this.firstAt = now;
      this.firstChunkBytes = chunk.length;
    }
    this.lastAt = now;
    this.#bytes += chunk.length;
    this.#hash.update(chunk);
  }

  /** Length and digest; the hasher cannot be updated afterwards. */
  fingerprint(): Fingerprint {
    return { bytes: this.#bytes, sha256: this.#hash.digest("hex") };
  }
}

/** The bytes that arrived are not the bytes that were sent. */
export class DigestMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DigestMismatchError";
  }
}

/**
 * Throws {@link DigestMismatchError} unless `actual` matches `expected`.
 *
 * @example
 * ```ts
 * checkFingerprint("server.ts (forge)", { bytes: n, sha256: want }, hasher.fingerprint());
 * ```
 */
export function checkFingerprint(label: string, expected: Fingerprint, actual: Fingerprint): void {
  if (actual.bytes !== expected.bytes) {
    throw new DigestMismatchError(`${label}: received ${actual.bytes} bytes, sent ${expected.bytes}`);
  }
  if (actual.sha256 !== expected.sha256) {
    throw new DigestMismatchError(
      `${label}: SHA-256 mismatch: received ${actual.sha256}, sent ${expected.sha256} (${actual.bytes} bytes)`,
    );
  }
}
