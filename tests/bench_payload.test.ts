/**
 * The benchmark's payload and its check at the far end: deterministic from
 * a seed, the right length however it is cut, and a single flipped byte
 * is caught.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { newSeed, PAYLOAD_CHUNK, payloadChunks, payloadDigest, PayloadGenerator } from "../bench/lib/payload.ts";
import { checkFingerprint, DigestMismatchError, StreamHasher } from "../bench/lib/digest.ts";
import { concat } from "./helpers.ts";

const collect = (seed: string, length: number, chunkSize?: number) =>
  concat([...payloadChunks(seed, length, { chunkSize })]);

Deno.test("bench payload: the same seed gives the same bytes, another seed different ones", () => {
  const a = collect("seed-a", 100_000);
  assert.deepEqual(collect("seed-a", 100_000), a);
  const b = collect("seed-b", 100_000);
  assert.notDeepEqual(b, a);
  // Random-looking: every byte value occurs, no long runs of zeros.
  assert.equal(new Set(a).size, 256);
  assert.ok(a.filter((x) => x === 0).length < 1000);
});

Deno.test("bench payload: exact length, in chunks of the asked size, whatever the cut", () => {
  for (const length of [0, 1, 3, 4, 5, 4095, PAYLOAD_CHUNK, PAYLOAD_CHUNK + 7, 3 * PAYLOAD_CHUNK]) {
    const chunks = [...payloadChunks("len", length)];
    assert.equal(chunks.reduce((n, c) => n + c.length, 0), length, `length ${length}`);
    assert.ok(chunks.every((c, i) => i === chunks.length - 1 || c.length === PAYLOAD_CHUNK));
  }
  const whole = collect("cut", 50_003);
  assert.deepEqual(collect("cut", 50_003, 4), whole);
  assert.deepEqual(collect("cut", 50_003, 4096), whole);
  // A shorter payload is a prefix of a longer one.
  assert.deepEqual(collect("cut", 1001), whole.subarray(0, 1001));
  assert.throws(() => [...payloadChunks("bad", 10, { chunkSize: 6 })], RangeError);
  assert.throws(() => [...payloadChunks("bad", -1)], RangeError);
});

Deno.test("bench payload: a reused buffer carries the same bytes, one chunk at a time", () => {
  const copies = [...payloadChunks("reuse", 10_001, { chunkSize: 4096, reuse: true })].map((c) => c.length);
  assert.deepEqual(copies, [4096, 4096, 1809]);
  const seen: Uint8Array[] = [];
  for (const chunk of payloadChunks("reuse", 10_001, { chunkSize: 4096, reuse: true })) seen.push(chunk.slice());
  assert.deepEqual(concat(seen), collect("reuse", 10_001));
});

Deno.test("bench payload: a generator filling an unaligned view gives the same stream", () => {
  const aligned = new Uint8Array(64);
  new PayloadGenerator("view").fill(aligned);
  const backing = new Uint8Array(65);
  new PayloadGenerator("view").fill(backing.subarray(1));
  assert.deepEqual(backing.subarray(1), aligned);
});

Deno.test("bench payload: payloadDigest is the SHA-256 of the chunks; seeds are fresh", () => {
  const bytes = collect("digest", 3 * PAYLOAD_CHUNK + 11);
  assert.equal(payloadDigest("digest", bytes.length), createHash("sha256").update(bytes).digest("hex"));
  assert.match(newSeed(), /^[0-9a-f]{32}$/);
  assert.notEqual(newSeed(), newSeed());
});

Deno.test("bench hash check: a flipped byte, a missing byte or an extra byte fails loudly", () => {
  const seed = "check";
  const length = 200_000;
  const expected = { bytes: length, sha256: payloadDigest(seed, length) };
  const received = (mutate: (b: Uint8Array) => Uint8Array) => {
    const hasher = new StreamHasher();
    const bytes = mutate(collect(seed, length));
    for (let off = 0; off < bytes.length; off += 65_536) hasher.update(bytes.subarray(off, off + 65_536));
    return hasher.fingerprint();
  };
  checkFingerprint("intact", expected, received((b) => b));
  const flipped = received((b) => {
    b[123_456] ^= 0x01;
    return b;
  });
  assert.throws(() => checkFingerprint("flipped", expected, flipped), (e: unknown) => {
    assert.ok(e instanceof DigestMismatchError);
    assert.match(e.message, /flipped: SHA-256 mismatch/);
    return true;
  });
  assert.throws(
    () => checkFingerprint("short", expected, received((b) => b.subarray(1))),
    /received 199999 bytes, sent 200000/,
  );
  assert.throws(
    () => checkFingerprint("long", expected, received((b) => concat([b, new Uint8Array(1)]))),
    DigestMismatchError,
  );
});

Deno.test("bench hash check: StreamHasher notes the first and last arrival", () => {
  const hasher = new StreamHasher();
  hasher.update(new Uint8Array(0), 1);
  assert.equal(hasher.firstAt, undefined);
  hasher.update(new Uint8Array(10), 5);
  hasher.update(new Uint8Array(20), 9);
  assert.equal(hasher.firstAt, 5);
  assert.equal(hasher.lastAt, 9);
  assert.equal(hasher.firstChunkBytes, 10);
  assert.equal(hasher.bytes, 30);
});
