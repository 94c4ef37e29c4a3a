/** The record scanner: tracing names, and the limits it enforces before an engine buffers anything. */
import assert from "node:assert/strict";
import { RecordScanner } from "../lib/protocol/records.ts";
import { TlsError } from "../lib/ssl/alerts.ts";
import type { TraceEvent } from "../lib/ssl/engine.ts";

const record = (type: number, body: number[]) =>
  new Uint8Array([type, 3, 1, body.length >> 8, body.length & 0xff, ...body]);

Deno.test("an oversized handshake message is refused wherever the bytes are split", () => {
  // A ClientHello header announcing 16 MiB, then a few body bytes.
  const wire = record(22, [1, 0xff, 0, 0, 1, 2, 3]);
  for (let cut = 1; cut < wire.length; cut++) {
    const scanner = new RecordScanner("in", () => {}, { enforceLimits: true });
    assert.throws(
      () => {
        scanner.push(wire.subarray(0, cut));
        scanner.push(wire.subarray(cut));
      },
      (e: unknown) => e instanceof TlsError && /exceeds the limit/.test(e.message),
      `cut at ${cut}`,
    );
  }
});

Deno.test("an oversized handshake message is refused when it is not the first in its record", () => {
  const scanner = new RecordScanner("in", () => {}, { enforceLimits: true });
  const wire = record(22, [1, 0, 0, 2, 9, 9, 2, 0x10, 0, 0]);
  assert.throws(() => scanner.push(wire), TlsError);
});

Deno.test("tracing names every clear-text handshake message, across records", () => {
  const events: TraceEvent[] = [];
  const scanner = new RecordScanner("out", (e) => events.push(e), { nameMessages: true });
  // ServerHello (2 bytes) and the first half of a Certificate; its second half; then ServerHelloDone.
  scanner.push(record(22, [2, 0, 0, 2, 7, 7, 11, 0, 0, 4, 1, 2]));
  scanner.push(record(22, [3, 4, 14, 0, 0, 0]));
  const names = events.filter((e) => e.kind === "message").map((e) => e.kind === "message" && e.name);
  assert.deepEqual(names, ["ServerHello", "Certificate", "ServerHelloDone"]);
  assert.equal(events.filter((e) => e.kind === "record").length, 2);
});

Deno.test("a record longer than any TLS version allows is refused; tracing alone only describes", () => {
  const huge = new Uint8Array([23, 3, 3, 0x48, 0x01]);
  assert.throws(() => new RecordScanner("in", () => {}, { enforceLimits: true }).push(huge), /exceeds the TLS maximum/);
  new RecordScanner("in", () => {}).push(huge); // no throw
});
