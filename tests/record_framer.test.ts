/**
 * The record framer both engines share: the same records whatever the read
 * boundaries, and every header checked before its body is buffered.
 */

import assert from "node:assert/strict";
import { RECORD_HEADER, RecordFramer } from "../lib/protocol/record_framer.ts";

function record(type: number, body: number[]): number[] {
  return [type, 3, 3, body.length >> 8, body.length & 0xff, ...body];
}

const stream = new Uint8Array([...record(22, [1, 2, 3]), ...record(23, []), ...record(21, [2, 0]), ...record(23, [9])]);
const lengthOf = (b: Uint8Array, at: number) => (b[at + 3] << 8) | b[at + 4];

function frame(cuts: number[], maxBody = 16): string[] {
  const framer = new RecordFramer(maxBody);
  const seen: string[] = [];
  let from = 0;
  for (const to of [...cuts, stream.length]) {
    framer.push(stream.subarray(from, to), lengthOf, (b, at, total) => seen.push(b.subarray(at, at + total).join(",")));
    from = to;
  }
  assert.equal(framer.buffered, 0);
  return seen;
}

Deno.test("RFC 8446 §5.1 / RFC 5246 §6.2: records are cut the same at every read boundary", () => {
  const whole = frame([]);
  assert.equal(whole.length, 4);
  for (let a = 0; a <= stream.length; a++) {
    for (let b = a; b <= stream.length; b++) assert.deepEqual(frame([a, b]), whole, `cuts at ${a}, ${b}`);
  }
  assert.deepEqual(frame(Array.from({ length: stream.length }, (_, i) => i)), whole); // one byte at a time
});

Deno.test("a header is checked as soon as its five bytes are here, before the body is buffered", () => {
  const refuse = (b: Uint8Array, at: number) => {
    const n = lengthOf(b, at);
    if (n > 16) throw new Error(`record of ${n} bytes`);
    return n;
  };
  const huge = new Uint8Array([23, 3, 3, 0x40, 0x01]);
  const handled: number[] = [];
  const framer = new RecordFramer(16);
  framer.push(huge.subarray(0, RECORD_HEADER - 1), refuse, (_b, _at, total) => handled.push(total));
  assert.equal(framer.buffered, RECORD_HEADER - 1);
  assert.throws(() => framer.push(huge.subarray(RECORD_HEADER - 1), refuse, () => {}), /record of 16385 bytes/);
  // In one read, too: refused at the header, not after waiting for 16 KiB.
  assert.throws(() => new RecordFramer(16).push(huge, refuse, () => {}), /record of 16385 bytes/);
  assert.deepEqual(handled, []);
});

Deno.test("a reader that stops takes no more records from the same read", () => {
  const framer = new RecordFramer(16);
  const seen: number[] = [];
  framer.push(stream, lengthOf, (b, at) => seen.push(b[at]), () => seen.length >= 2);
  assert.deepEqual(seen, [22, 23]);
  assert.equal(framer.buffered, 0);
});
