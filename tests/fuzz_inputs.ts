/**
 * Seeded inputs for the fuzz tests: a small reproducible PRNG and mutations
 * of real records, shared by the engine fuzz and the trace annotator fuzz.
 *
 * @module
 */

/** mulberry32: small, fast, and the same sequence on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const BOUNDARY = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];

/** Seeded random bytes, so every case can be replayed from FUZZ_SEED. */
export function randomBytes(n: number, rnd: () => number): Uint8Array {
  return Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));
}

/** Bit flips, boundary bytes, truncation, insertion, duplicated slices, corrupted lengths. */
export function mutate(input: Uint8Array, rnd: () => number): Uint8Array {
  const int = (n: number) => Math.floor(rnd() * n);
  let out = input.slice();
  const rounds = 1 + int(4);
  for (let r = 0; r < rounds && out.length > 0; r++) {
    const at = int(out.length);
    switch (int(7)) {
      case 0: // flip a bit
        out[at] ^= 1 << int(8);
        break;
      case 1: // a boundary value
        out[at] = BOUNDARY[int(BOUNDARY.length)];
        break;
      case 2: // truncate
        out = out.slice(0, at);
        break;
      case 3: { // insert random bytes
        const extra = randomBytes(1 + int(16), rnd);
        out = new Uint8Array([...out.subarray(0, at), ...extra, ...out.subarray(at)]);
        break;
      }
      case 4: { // duplicate a slice
        const end = Math.min(out.length, at + 1 + int(64));
        out = new Uint8Array([...out.subarray(0, end), ...out.subarray(at, end), ...out.subarray(end)]);
        break;
      }
      case 5: // corrupt a 16-bit length (record or vector headers)
        if (at + 1 < out.length) {
          const v = int(4) === 0 ? 0xffff : int(0x10000);
          out[at] = v >> 8;
          out[at + 1] = v & 0xff;
        }
        break;
      case 6: // overwrite with random bytes
        for (let i = at; i < Math.min(out.length, at + 1 + int(8)); i++) out[i] = int(256);
        break;
    }
  }
  return out;
}
