import assert from "node:assert/strict";
import { CANCELLED, ChunkSource } from "../lib/app/chunk_source.ts";

/** A stream that hands out the given chunks one per pull and counts the pulls. */
function countingStream(chunks: Uint8Array[]): { stream: ReadableStream<Uint8Array>; pulls: () => number } {
  let pulls = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulls++;
      const next = chunks.shift();
      if (next) controller.enqueue(next);
      else controller.close();
    },
  }, { highWaterMark: 0 });
  return { stream, pulls: () => pulls };
}

Deno.test("ChunkSource reads one chunk ahead, and a reader that gives up leaves it to the next", async () => {
  const { stream, pulls } = countingStream([new Uint8Array([1]), new Uint8Array([2]), new Uint8Array([3])]);
  const source = new ChunkSource(stream);
  assert.deepEqual(await source.read(), new Uint8Array([1]));
  await Promise.resolve();
  assert.equal(pulls(), 2, "the next chunk is asked for while the caller works on this one");

  // A connection that ends right after its chunk: the chunk read ahead is not lost.
  const ended = new AbortController();
  ended.abort();
  assert.equal(await source.read(ended.signal), CANCELLED);
  assert.deepEqual(await source.read(), new Uint8Array([2]));

  // Given back, it comes out before the one read ahead behind it.
  const three = await source.read();
  assert.deepEqual(three, new Uint8Array([3]));
  source.unread(three as Uint8Array);
  assert.deepEqual(await source.read(), new Uint8Array([3]));
  assert.equal(await source.read(), null);
  assert.equal(source.eof, true);
  assert.equal(await source.read(), null);
});

Deno.test("ChunkSource treats a failing source as its end and keeps the error, never an unhandled rejection", async () => {
  let calls = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (calls++ === 0) controller.enqueue(new Uint8Array([7]));
      else controller.error(new Error("stdin broke"));
    },
  }, { highWaterMark: 0 });
  const source = new ChunkSource(stream);
  assert.deepEqual(await source.read(), new Uint8Array([7]));
  await new Promise((resolve) => setTimeout(resolve, 10)); // the read ahead fails with nobody waiting
  assert.equal(source.eof, true, "the end is noticed while nobody reads");
  assert.equal(await source.read(), null);
  assert.match(String(source.error), /stdin broke/);
});

Deno.test("ChunkSource notices the end of its input while nobody is reading", async () => {
  const source = new ChunkSource(ReadableStream.from([new Uint8Array([1])]));
  assert.deepEqual(await source.read(), new Uint8Array([1])); // the read ahead finds the end
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(source.eof, true);
});

/** A reader that hands out the given bytes in reads of at most `step`, noting every buffer it was given. */
function stepReader(data: Uint8Array, step: number) {
  let at = 0;
  const buffers: ArrayBufferLike[] = [];
  return {
    buffers,
    read(p: Uint8Array): Promise<number | null> {
      buffers.push(p.buffer);
      if (at >= data.length) return Promise.resolve(null);
      const n = Math.min(step, p.length, data.length - at);
      p.set(data.subarray(at, at + n));
      at += n;
      return Promise.resolve(n);
    },
  };
}

Deno.test("ChunkSource on a reader: every byte once, in order, through two reused buffers", async () => {
  const data = Uint8Array.from({ length: 1000 }, (_, i) => i * 7);
  const reader = stepReader(data, 300);
  const source = new ChunkSource(reader, 256);
  const got: number[] = [];
  for (let chunk = await source.read(); chunk !== null; chunk = await source.read()) {
    assert.ok(chunk !== CANCELLED);
    assert.ok(chunk.length <= 256);
    got.push(...chunk); // used before the next read, as the pump does
  }
  assert.deepEqual(got, [...data]);
  assert.equal(source.eof, true);
  assert.equal(new Set(reader.buffers).size, 2, "no buffer per chunk: two, taken in turn");
});

Deno.test("ChunkSource on a reader: a chunk given back or left by a cancelled read comes out intact", async () => {
  const data = Uint8Array.from({ length: 40 }, (_, i) => i);
  const source = new ChunkSource(stepReader(data, 10), 10);
  assert.deepEqual(await source.read(), data.subarray(0, 10));
  const ended = new AbortController();
  ended.abort();
  assert.equal(await source.read(ended.signal), CANCELLED);
  const second = await source.read();
  assert.deepEqual(second, data.subarray(10, 20));
  source.unread(second as Uint8Array); // the connection ended: the next one gets it
  assert.deepEqual(await source.read(), data.subarray(10, 20));
  assert.deepEqual(await source.read(), data.subarray(20, 30));
  assert.deepEqual(await source.read(), data.subarray(30, 40));
  assert.equal(await source.read(), null);
});

Deno.test("ChunkSource on a reader: a failing read is the end, with its error kept", async () => {
  let calls = 0;
  const source = new ChunkSource({
    read(p: Uint8Array) {
      if (calls++ > 0) return Promise.reject(new Error("stdin broke"));
      p[0] = 9;
      return Promise.resolve(1);
    },
  });
  assert.deepEqual(await source.read(), new Uint8Array([9]));
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(source.eof, true);
  assert.equal(await source.read(), null);
  assert.match(String(source.error), /stdin broke/);
});
