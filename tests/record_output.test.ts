/**
 * Output buffers on the way out: an engine's records gather in a
 * RecordOutput, reused across calls only when the sink copies (as Ssl's wbio
 * does); the wbio is a copying MemoryBio the pump drains into its own buffer.
 */
import assert from "node:assert/strict";
import { RecordOutput } from "../lib/protocol/record_output.ts";
import { RecordWriter } from "../lib/engines/tls13/record.ts";
import { MemoryBio } from "../lib/ssl/memory_bio.ts";
import { createTls13Engine } from "../lib/engines/tls13/mod.ts";
import type { EngineSink } from "../lib/ssl/engine.ts";
import { testPki } from "./fixtures/tls13/helpers.ts";

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

Deno.test("RecordOutput without reuse: each call's records are a buffer of their own, untouched by later calls", () => {
  const out = new RecordOutput(false);
  const writer = new RecordWriter();
  out.seal(writer, 22, bytes(100, 1));
  out.append(new Uint8Array([20, 3, 3, 0, 1, 1]));
  const first = out.take();
  const copy = first.slice();
  out.seal(writer, 22, bytes(300, 2));
  const second = out.take();
  assert.deepEqual(first, copy);
  assert.notEqual(second.buffer, first.buffer);
  assert.equal(first.length, 5 + 100 + 6);
  assert.deepEqual(first.subarray(5, 105), bytes(100, 1));
  assert.equal(out.length, 0);
});

Deno.test("RecordOutput with reuse: every call is built in the same buffer, records intact when taken", () => {
  const out = new RecordOutput(true);
  const writer = new RecordWriter();
  out.seal(writer, 23, bytes(40_000, 3)); // three records
  const first = out.take();
  assert.equal(first.length, 40_000 + 3 * 5);
  assert.deepEqual(first.subarray(5, 5 + 16384), bytes(40_000, 3).subarray(0, 16384));
  out.seal(writer, 23, bytes(10, 4));
  const second = out.take();
  assert.equal(second.buffer, first.buffer);
  assert.deepEqual(second.subarray(5), bytes(10, 4));
});

Deno.test("MemoryBio in copy mode: the writer may reuse its buffer at once; order survives growth and compaction", () => {
  const bio = new MemoryBio({ copy: true });
  const reference: number[] = [];
  const scratch = new Uint8Array(70_000);
  let seed = 7;
  const rand = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
  for (let round = 0; round < 400; round++) {
    const n = rand(3) === 0 ? rand(70_000) : rand(300);
    for (let i = 0; i < n; i++) scratch[i] = rand(256);
    bio.write(scratch.subarray(0, n));
    reference.push(...scratch.subarray(0, n));
    scratch.fill(0); // the writer reuses its buffer
    const take = rand(2) === 0 ? rand(100_000) : rand(500);
    const got = rand(2) === 0 ? bio.read(take) : (() => {
      const into = new Uint8Array(take);
      return into.subarray(0, bio.readInto(into));
    })();
    assert.deepEqual([...got], reference.splice(0, got.length));
    assert.equal(bio.pending, reference.length);
  }
  assert.deepEqual([...bio.read()], reference);
});

Deno.test("a TLS 1.3 sink that copies what it is given (copiesOutgoing) gets every record intact, across writes of every size", async () => {
  const pki = await testPki();
  const toServer = new MemoryBio({ copy: true }), toClient = new MemoryBio({ copy: true });
  const received: Uint8Array[] = [];
  const sink = (to: MemoryBio, plain?: Uint8Array[]): EngineSink => ({
    outgoing: (b) => void to.write(b),
    copiesOutgoing: true,
    plaintext: (b) => void plain?.push(b.slice()),
  });
  const client = createTls13Engine(
    { role: "client", serverName: "localhost", caCertificates: [pki.caCert] },
    sink(toServer),
  );
  const server = createTls13Engine(
    { role: "server", certificateChain: pki.rsaCert, privateKey: pki.rsaKey },
    sink(toClient, received),
  );
  client.start();
  for (let i = 0; i < 4 && !(client.handshakeDone && server.handshakeDone); i++) {
    if (toServer.pending) server.receive(toServer.read());
    if (toClient.pending) client.receive(toClient.read());
  }
  assert.ok(client.handshakeDone && server.handshakeDone);
  const sizes = [1, 16384, 16385, 100_000, 7, 262_144];
  // Several writes before the peer reads any: each must stay intact in the wbio.
  for (const [i, n] of sizes.entries()) client.send(bytes(n, i));
  server.receive(toServer.read());
  const total = sizes.reduce((a, b) => a + b, 0);
  const all = new Uint8Array(total);
  let at = 0;
  for (const r of received) all.set(r, at), at += r.length;
  assert.equal(at, total);
  at = 0;
  for (const [i, n] of sizes.entries()) {
    assert.deepEqual(all.subarray(at, at + n), bytes(n, i), `write ${i} of ${n} bytes`);
    at += n;
  }
});
