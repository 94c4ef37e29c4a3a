import assert from "node:assert/strict";
import { MemoryBio } from "../lib/ssl/memory_bio.ts";

Deno.test("MemoryBio returns bytes in order across chunk boundaries", () => {
  const bio = new MemoryBio();
  bio.write(new Uint8Array([1, 2, 3]));
  bio.write(new Uint8Array([]));
  bio.write(new Uint8Array([4, 5]));
  assert.equal(bio.pending, 5);
  assert.deepEqual([...bio.read(2)], [1, 2]);
  assert.deepEqual([...bio.peek(2)], [3, 4]);
  assert.deepEqual([...bio.read(2)], [3, 4]);
  assert.deepEqual([...bio.read()], [5]);
  assert.equal(bio.pending, 0);
  assert.equal(bio.read().length, 0);
});

Deno.test("MemoryBio keeps a million single-byte writes intact and compacts", () => {
  const bio = new MemoryBio();
  for (let i = 0; i < 1_000_000; i++) {
    bio.write(new Uint8Array([i & 0xff]));
    if (i % 3 === 2) {
      const got = bio.read(3);
      assert.deepEqual([...got], [(i - 2) & 0xff, (i - 1) & 0xff, i & 0xff]);
    }
  }
  assert.equal(bio.pending, 1);
});

Deno.test("MemoryBio.readInto fills the caller's buffer across chunk boundaries and reports how much", () => {
  const bio = new MemoryBio();
  bio.write(new Uint8Array([1, 2, 3]));
  bio.write(new Uint8Array([4, 5]));
  bio.write(new Uint8Array([6]));
  const buffer = new Uint8Array(4).fill(9);
  assert.equal(bio.readInto(buffer), 4);
  assert.deepEqual([...buffer], [1, 2, 3, 4]);
  assert.equal(bio.pending, 2);
  buffer.fill(9);
  assert.equal(bio.readInto(buffer), 2);
  assert.deepEqual([...buffer], [5, 6, 9, 9]); // the rest of the buffer is untouched
  assert.equal(bio.readInto(buffer), 0);
  assert.equal(bio.readInto(new Uint8Array(0)), 0);
});
