/**
 * Protocol tracing through the adapter: every record on the wire is traced
 * exactly once, whichever engine runs, and every handshake message is named
 * once per side.
 */
import assert from "node:assert/strict";
import { createForgeEngine } from "../lib/engines/forge/forge_engine.ts";
import { createTls13Engine } from "../lib/engines/tls13/mod.ts";
import { versionRouter } from "../lib/engines/version_router.ts";
import type { EngineFactory, ProtocolVersion, TraceEvent } from "../lib/ssl/engine.ts";
import { Ssl } from "../lib/ssl/ssl.ts";
import { concat, pem, readAll } from "./helpers.ts";

interface Traced {
  ssl: Ssl;
  events: TraceEvent[];
  /** Every byte this side put on the wire. */
  sent: Uint8Array[];
}

/** [content type, length] of each record in a byte stream, from the headers. */
function recordsOn(wire: Uint8Array): [number, number][] {
  const out: [number, number][] = [];
  for (let at = 0; at < wire.length;) {
    const length = (wire[at + 3] << 8) | wire[at + 4];
    out.push([wire[at], length]);
    at += 5 + length;
  }
  return out;
}

const CONTENT_TYPE_CODES: Record<string, number> = {
  change_cipher_spec: 20,
  alert: 21,
  handshake: 22,
  application_data: 23,
};

/** [content type, length] of each traced record in one direction. */
function tracedRecords(events: TraceEvent[], direction: "in" | "out"): [number, number][] {
  return events.flatMap((e) =>
    e.kind === "record" && e.direction === direction ? [[CONTENT_TYPE_CODES[e.contentType], e.length]] : []
  );
}

function messageCount(events: TraceEvent[], direction: "in" | "out", name: string): number {
  return events.filter((e) => e.kind === "message" && e.direction === direction && e.name === name).length;
}

/** Moves bytes both ways until quiet, keeping a copy of what each side sent. */
function exchange(a: Traced, b: Traced): void {
  for (let moved = true; moved;) {
    moved = false;
    for (const [from, to] of [[a, b], [b, a]]) {
      if (!from.ssl.isInitFinished) from.ssl.handshake();
      while (from.ssl.wbio.pending > 0) {
        const bytes = from.ssl.wbio.read();
        from.sent.push(bytes);
        to.ssl.rbio.write(bytes);
        moved = true;
        if (!to.ssl.isInitFinished) to.ssl.handshake();
        readAll(to.ssl);
      }
    }
  }
}

const CASES: [string, EngineFactory, EngineFactory, ProtocolVersion?][] = [
  ["tls13", createTls13Engine, createTls13Engine],
  ["forge", createForgeEngine, createForgeEngine],
  ["tls13 client, version-routing server", createTls13Engine, versionRouter(createTls13Engine, createForgeEngine)],
  ["forge client, version-routing server", createForgeEngine, versionRouter(createTls13Engine, createForgeEngine)],
];

for (const [name, clientEngine, serverEngine, minVersion] of CASES) {
  Deno.test(`${name}: with a trace, every record in and out is traced exactly once`, async () => {
    const client: Traced = { ssl: undefined!, events: [], sent: [] };
    const server: Traced = { ssl: undefined!, events: [], sent: [] };
    const ca = await pem("ca.crt");
    client.ssl = new Ssl(
      clientEngine,
      { role: "client", serverName: "localhost", caCertificates: [ca], minVersion },
      { trace: (e) => client.events.push(e) },
    );
    server.ssl = new Ssl(
      serverEngine,
      { role: "server", certificateChain: await pem("server.crt"), privateKey: await pem("server.key"), minVersion },
      { trace: (e) => server.events.push(e) },
    );
    exchange(client, server);
    assert.equal(client.ssl.isInitFinished && server.ssl.isInitFinished, true);
    client.ssl.write(new TextEncoder().encode("hello"));
    server.ssl.write(new Uint8Array(40000)); // more than one record
    exchange(client, server);
    client.ssl.shutdown();
    exchange(client, server);
    server.ssl.shutdown();
    exchange(client, server);

    const up = recordsOn(concat(client.sent));
    const down = recordsOn(concat(server.sent));
    assert.equal(up.length > 3 && down.length > 3, true);
    assert.deepEqual(tracedRecords(client.events, "out"), up);
    assert.deepEqual(tracedRecords(server.events, "in"), up);
    assert.deepEqual(tracedRecords(server.events, "out"), down);
    assert.deepEqual(tracedRecords(client.events, "in"), down);
    assert.equal(messageCount(client.events, "out", "ClientHello"), 1);
    assert.equal(messageCount(server.events, "in", "ClientHello"), 1);
    assert.equal(messageCount(server.events, "out", "ServerHello"), 1);
    assert.equal(messageCount(client.events, "in", "ServerHello"), 1);
  });
}
