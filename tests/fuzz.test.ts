/**
 * Seeded, reproducible fuzzing of each engine's record and handshake
 * parsing, both roles: real handshake flights, mutated (bit flips, boundary
 * bytes, truncation, insertion, duplicated slices, corrupted lengths), plus
 * purely random input. Every case must end in success or a clean TlsError:
 * never another exception, never a hang.
 *
 * FUZZ_CASES (cases per target, default 600) and FUZZ_SEED reproduce or
 * extend a run: `deno task fuzz` runs 20000 per target. Inputs that once
 * broke an engine are kept in tests/fixtures/fuzz/ and replayed first.
 */
import assert from "node:assert/strict";
import { createForgeEngine } from "../lib/engines/forge/forge_engine.ts";
import { createTls13Engine } from "../lib/engines/tls13/mod.ts";
import { createTls12Engine } from "../lib/engines/tls12/mod.ts";
import { TlsError } from "../lib/ssl/alerts.ts";
import type { EngineFactory, TlsConfig, TlsEngine } from "../lib/ssl/engine.ts";
import { pem } from "./helpers.ts";
import { mutate, prng, randomBytes } from "./fuzz_inputs.ts";

const CASES = Number(Deno.env.get("FUZZ_CASES") ?? (Deno.args.includes("--long") ? 20000 : 600));
const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 20261127);

interface Flights {
  clientHello: Uint8Array;
  serverFlight: Uint8Array;
  clientFinish: Uint8Array;
}

/** One real handshake, recorded flight by flight. */
function record(engine: EngineFactory, client: TlsConfig, server: TlsConfig): Flights {
  const toServer: Uint8Array[] = [];
  const toClient: Uint8Array[] = [];
  const c = engine(client, { outgoing: (b) => toServer.push(b), plaintext: () => {} });
  const s = engine(server, { outgoing: (b) => toClient.push(b), plaintext: () => {} });
  const drain = (q: Uint8Array[]) => {
    const all = new Uint8Array(q.reduce((n, b) => n + b.length, 0));
    let off = 0;
    for (const b of q.splice(0)) {
      all.set(b, off);
      off += b.length;
    }
    return all;
  };
  c.start();
  const clientHello = drain(toServer);
  s.receive(clientHello);
  const serverFlight = drain(toClient);
  c.receive(serverFlight);
  const clientFinish = drain(toServer);
  s.receive(clientFinish);
  c.receive(drain(toClient)); // TLS 1.0-1.2 have a fourth flight; TLS 1.3 sends nothing more here
  assert.ok(c.handshakeDone && s.handshakeDone, "the recorded handshake completed");
  return { clientHello, serverFlight, clientFinish };
}

/**
 * Feeds input to a fresh engine in random-sized pieces; anything but a
 * TlsError fails the test. Returns the alert's name, or how far it got.
 */
function feed(make: () => TlsEngine, prelude: (e: TlsEngine) => void, input: Uint8Array, rnd: () => number): string {
  const engine = make();
  try {
    prelude(engine);
    for (let off = 0; off < input.length;) {
      const n = 1 + Math.floor(rnd() * 300);
      engine.receive(input.subarray(off, off + n));
      off += n;
    }
  } catch (e) {
    if (!(e instanceof TlsError)) throw e;
    return e.alertName;
  }
  return engine.handshakeDone ? "handshake done" : "waiting for more";
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const unhex = (s: string) => new Uint8Array(s.trim().match(/../g)!.map((h) => parseInt(h, 16)));

const FIXTURES = new URL("./fixtures/fuzz/", import.meta.url);

async function regressionInputs(): Promise<{ name: string; bytes: Uint8Array }[]> {
  const out = [];
  try {
    for await (const f of Deno.readDir(FIXTURES)) {
      if (f.name.endsWith(".hex")) {
        out.push({ name: f.name, bytes: unhex(await Deno.readTextFile(new URL(f.name, FIXTURES))) });
      }
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out;
}

for (
  const [name, engine] of [["tls13", createTls13Engine], ["tls12", createTls12Engine], [
    "forge",
    createForgeEngine,
  ]] as const
) {
  Deno.test(`fuzz ${name}: mutated and random input to both roles ends in success or a clean error`, async () => {
    const serverConfig: TlsConfig = {
      role: "server",
      certificateChain: await pem("server.crt"),
      privateKey: await pem("server.key"),
    };
    const clientConfig: TlsConfig = { role: "client", serverName: "localhost", caCertificates: [await pem("ca.crt")] };
    const flights = record(engine, clientConfig, serverConfig);
    const sink = { outgoing: () => {}, plaintext: () => {} };
    const newServer = () => engine(serverConfig, sink);
    const newClient = () => engine(clientConfig, sink);
    const start = (e: TlsEngine) => e.start();
    const rnd = prng(SEED);

    for (const { name: file, bytes } of await regressionInputs()) {
      const target = file.includes("client") ? newClient : newServer;
      feed(target, start, bytes, rnd);
    }
    const failures: string[] = [];
    const targets: [string, () => TlsEngine, Uint8Array][] = [
      ["server <- ClientHello", newServer, flights.clientHello],
      ["client <- server flight", newClient, flights.serverFlight],
      [
        "server <- ClientHello + client Finished",
        newServer,
        new Uint8Array([...flights.clientHello, ...flights.clientFinish]),
      ],
    ];
    for (const [label, make, base] of targets) {
      const outcomes = new Map<string, number>();
      for (let i = 0; i < CASES; i++) {
        const input = i % 10 === 9 ? randomBytes(Math.floor(rnd() * 2048), rnd) : mutate(base, rnd);
        const began = performance.now();
        try {
          const outcome = feed(make, start, input, rnd);
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        } catch (e) {
          failures.push(`${label} case ${i}: ${e instanceof Error ? e.stack : e}\n  input ${hex(input)}`);
        }
        const ms = performance.now() - began;
        if (ms > 2000) failures.push(`${label} case ${i}: took ${ms.toFixed(0)} ms\n  input ${hex(input)}`);
      }
      // Where the cases ended: shows the mutations reach past the first parser.
      const summary = [...outcomes].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(", ");
      console.log(`${name} ${label}: ${summary}`);
    }
    assert.deepEqual(failures, [], `seed ${SEED}: ${failures.length} failing cases`);
  });
}
