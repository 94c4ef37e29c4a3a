/**
 * Engine-only benchmark: full handshakes per second and bulk throughput
 * (16 KiB writes, each direction) for every engine in `ENGINES` and every
 * cipher suite and key exchange group it can be pinned to
 * (bench/lib/suites.ts), in memory, timed
 * with `performance.now()`. One thread runs both ends, so a rate here is
 * the cost of encrypting and decrypting together.
 *
 * ```
 * deno run --allow-read=DIR bench/engine_bench.ts --certs DIR [--seconds 3] [--engine NAME] [--json]
 * ```
 *
 * `--json` prints the results as a JSON array (what bench/run.ts parses);
 * otherwise a markdown table.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { loadEngines } from "../lib/app/options.ts";
import type { EngineFactory } from "../lib/ssl/engine.ts";
import { handshakePair, type PairCerts, readPairCerts, sendThrough, type SplitTimes } from "./lib/memory_pair.ts";
import { suitePins } from "./lib/suites.ts";
import { mbPerSecond } from "./lib/stats.ts";
import { engineTable } from "./lib/report.ts";
import type { EngineResult } from "./lib/types.ts";

/** Every engine by its `--engine` name. */
const ENGINES = await loadEngines();

/** Write size for the bulk figures: one full TLS record. */
const WRITE_SIZE = 16 * 1024;

/** Repeats `step` for at least `ms` and `minCount` times; returns count and elapsed ms. */
function timed(ms: number, minCount: number, step: () => number): { count: number; units: number; elapsed: number } {
  const start = performance.now();
  let count = 0;
  let units = 0;
  let elapsed = 0;
  while (elapsed < ms || count < minCount) {
    units += step();
    count++;
    elapsed = performance.now() - start;
  }
  return { count, units, elapsed };
}

function measure(engine: string, factory: EngineFactory, certs: PairCerts, seconds: number, restricted: boolean) {
  const chunk = new Uint8Array(WRITE_SIZE);
  crypto.getRandomValues(chunk);
  // Warm-up, so that the timed loops do not pay for compilation (the suite
  // measured first would otherwise look slower).
  const warmMs = Math.min(1000, seconds * 250);
  timed(warmMs, 2, () => (handshakePair(factory, certs), 1));
  const warm = handshakePair(factory, certs);
  timed(warmMs, 4, () => sendThrough(warm.client, warm.server, chunk));
  timed(warmMs, 4, () => sendThrough(warm.server, warm.client, chunk));

  const hs = timed(seconds * 1000, 3, () => (handshakePair(factory, certs), 1));
  const { client, server } = handshakePair(factory, certs);
  const split: SplitTimes = { encryptMs: 0, decryptMs: 0 };
  const up = timed(seconds * 1000, 16, () => sendThrough(client, server, chunk, split));
  const down = timed(seconds * 1000, 16, () => sendThrough(server, client, chunk, split));
  const info = client.info!;
  const result: EngineResult = {
    engine,
    suite: info.cipher,
    restricted,
    protocol: info.protocol,
    group: info.group,
    handshakesPerSecond: hs.count / (hs.elapsed / 1000),
    handshakes: hs.count,
    clientToServerMBps: mbPerSecond(up.units, up.elapsed),
    serverToClientMBps: mbPerSecond(down.units, down.elapsed),
    encryptMBps: mbPerSecond(up.units + down.units, split.encryptMs),
    decryptMBps: mbPerSecond(up.units + down.units, split.decryptMs),
  };
  return result;
}

/**
 * Benchmarks every engine (or one) and suite.
 *
 * @example
 * ```ts
 * const results = await runEngineBench(await readPairCerts(dir), 1);
 * ```
 */
export async function runEngineBench(certs: PairCerts, seconds: number, only?: string): Promise<EngineResult[]> {
  const results: EngineResult[] = [];
  for (const [name, base] of Object.entries(ENGINES)) {
    if (only && name !== only) continue;
    const pins = await suitePins(name, base);
    for (const suite of pins?.suites ?? [undefined]) {
      console.error(`engine ${name}: ${suite ?? "negotiated suite"}…`);
      const factory = suite ? pins!.factory(suite) : base;
      const result = measure(name, factory, certs, seconds, suite !== undefined);
      if (suite && result.suite !== suite) {
        throw new Error(`engine ${name}: pinned ${suite} but negotiated ${result.suite}`);
      }
      results.push(result);
    }
    for (const group of pins?.groups ?? []) {
      console.error(`engine ${name}: group ${group}…`);
      const result = measure(name, pins!.groupFactory!(group), certs, seconds, true);
      if (result.group?.toLowerCase() !== group.toLowerCase()) {
        throw new Error(`engine ${name}: pinned group ${group} but negotiated ${result.group}`);
      }
      // The default group with the default suite is already a suite row: one row per (suite, group).
      const same = (r: EngineResult) => r.engine === name && r.suite === result.suite && r.group === result.group;
      if (!results.some(same)) results.push(result);
    }
  }
  return results;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      certs: { type: "string" },
      seconds: { type: "string", default: "3" },
      engine: { type: "string" },
      json: { type: "boolean", default: false },
    },
    strict: true,
  });
  const seconds = Number(values.seconds);
  if (!values.certs || !(seconds > 0)) {
    console.error("usage: engine_bench.ts --certs DIR [--seconds S] [--engine NAME] [--json]");
    Deno.exit(2);
  }
  if (values.engine && !ENGINES[values.engine]) {
    console.error(`unknown engine '${values.engine}' (choose from: ${Object.keys(ENGINES).join(", ")})`);
    Deno.exit(2);
  }
  const results = await runEngineBench(await readPairCerts(values.certs), seconds, values.engine);
  if (values.json) {
    console.log(JSON.stringify(results, null, 2));
    return;
  }
  console.log(engineTable(results));
}

if (import.meta.main) await main();
