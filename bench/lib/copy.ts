/**
 * The copy loops of the reference pairs (bench/native_tls_*.ts): read into
 * one buffer, write all of it, like lib/app/pump.ts does with its socket.
 *
 * @module
 */

/** Read size, the same as lib/app/pump.ts's socket reads. */
export const COPY_BUFFER = 256 * 1024;

/** Something with `read` into a buffer (a socket, stdin). */
export interface Source {
  read(p: Uint8Array): Promise<number | null>;
}

/** Something with `write` that may take part of a buffer (a socket, stdout). */
export interface Sink {
  write(p: Uint8Array): Promise<number>;
}

/**
 * Copies `from` to `to` until `from` ends; returns the byte count.
 *
 * @example
 * ```ts
 * const n = await copy(conn, Deno.stdout);
 * ```
 */
export async function copy(from: Source, to: Sink): Promise<number> {
  const buffer = new Uint8Array(COPY_BUFFER);
  let total = 0;
  while (true) {
    const n = await from.read(buffer);
    if (n === null) return total;
    for (let off = 0; off < n;) off += await to.write(buffer.subarray(off, n));
    total += n;
  }
}
