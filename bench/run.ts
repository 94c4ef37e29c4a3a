/**
 * `deno task bench` / `make bench [MIB=256] [RUNS=3] [MEM_MIB=…] [BENCH_SECONDS=3]`
 *
 * Measures, on 127.0.0.1, for every engine in `ENGINES`:
 * 1. the engine alone, in memory (bench/engine_bench.ts): handshakes/s and
 *    bulk MB/s per cipher suite;
 * 2. end to end: random bytes from the client's stdin to the server's
 *    stdout, SHA-256 checked, for server.ts + client.ts, openssl s_server +
 *    s_client, Deno's native TLS and plain TCP; median of RUNS;
 * 3. new connections per second against server.ts and openssl s_server,
 *    and `openssl s_time`;
 * 4. peak memory of server.ts and client.ts while the server's stdout is
 *    read at a throttled pace (backpressure).
 *
 * `deno task bench --only=e2e,memory` runs some sections only (engine, e2e,
 * conn, memory); the report then leaves the others empty.
 *
 * Prints a markdown report on stdout and writes the same figures to
 * bench/results/latest.json. Progress goes to stderr. A wrong byte at the
 * far end, or any process failing, stops the run with exit status 1.
 *
 * Child programs run as `deno` from PATH; the task appends .tools/bin to
 * PATH so that the Makefile's own copy is found when no other is installed.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { loadEngines } from "../lib/app/options.ts";
import {
  type BenchConfig,
  benchConfig,
  capMib,
  COLD_MIB,
  memoryMib,
  parseSections,
  type Section,
} from "./lib/config.ts";
import { clientConfig, handshakePair, readPairCerts } from "./lib/memory_pair.ts";
import { newSeed, payloadDigest, writePayloadFile } from "./lib/payload.ts";
import { parseEngineResults, parseOpensslBrief } from "./lib/parse.ts";
import { renderReport } from "./lib/report.ts";
import { median, MIB, ratio } from "./lib/stats.ts";
import { suitePins } from "./lib/suites.ts";
import type {
  BenchResults,
  ConnectionResult,
  EngineResult,
  FileTransferResult,
  MachineInfo,
  MemoryResult,
  TransferResult,
} from "./lib/types.ts";
import { Child, type Cmd, freePort, killAll, outputOf, waitListening } from "./procs.ts";
import { machineInfo } from "./machine.ts";
import { type PairCommands, runTransfer } from "./transfer.ts";
import { nativePair, opensslPair, opensslServer, type PairPaths, projectPair } from "./pairs.ts";
import { connectionLoop, sTime } from "./conn_rate.ts";
import { runFileTransfer } from "./file_transfer.ts";
import { GNU_TIME, haveGnuTime } from "./measured.ts";

/** Every engine by its `--engine` name. */
const ENGINES = await loadEngines();

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const RESULTS = `${ROOT}/bench/results`;
const CERTS = `${RESULTS}/certs`;
const DENO = "deno";

/** The pace of the backpressure test when the pair is fast enough for it. */
const MEMORY_PACE_MBPS = 50;

const runStarted = performance.now();

function log(message: string): void {
  const t = ((performance.now() - runStarted) / 1000).toFixed(0).padStart(4);
  console.error(`bench [${t} s] ${message}`);
}

const PATHS: PairPaths = { root: ROOT, certs: CERTS, deno: DENO };
const readCerts = `--allow-read=${CERTS}`;

interface Variant {
  id: string;
  label: string;
  cipher: string;
  mib: number;
  capped: boolean;
  pair: (port: number) => PairCommands;
}

// --- the sections ------------------------------------------------------------

async function engineSection(config: BenchConfig): Promise<EngineResult[]> {
  log(`engines in memory: ${Object.keys(ENGINES).join(", ")} (${config.seconds} s per figure)`);
  const text = await outputOf("engine benchmark", {
    cmd: DENO,
    args: [
      "run",
      readCerts,
      `${ROOT}/bench/engine_bench.ts`,
      "--certs",
      CERTS,
      "--seconds",
      String(config.seconds),
      "--json",
    ],
  });
  const results = parseEngineResults(text);
  for (const r of results) {
    log(
      `  ${r.engine} ${r.suite}${r.group ? `, ${r.group}` : ""}: ${r.handshakesPerSecond.toFixed(1)} handshakes/s, ` +
        `${r.clientToServerMBps.toFixed(2)} / ${r.serverToClientMBps.toFixed(2)} MB/s`,
    );
  }
  return results;
}

/** An engine's slower bulk direction in section 1, for `suite` (or its first row). */
function engineBulk(engines: EngineResult[], name: string, suite?: string): number | undefined {
  const rows = engines.filter((e) => e.engine === name);
  const r = rows.find((e) => e.suite === suite) ?? rows[0];
  return r ? Math.min(r.clientToServerMBps, r.serverToClientMBps) : undefined;
}

/** The pairs of section 2, with their payload for a requested size. */
async function pairVariants(
  config: BenchConfig,
  engines: EngineResult[],
  haveOpenssl: boolean,
  mib = config.mib,
): Promise<Variant[]> {
  const certs = await readPairCerts(CERTS);
  const variants: Variant[] = [];
  const bulk = Object.keys(ENGINES).map((name) => engineBulk(engines, name)).filter((r): r is number =>
    r !== undefined
  );
  const fastest = bulk.length ? Math.max(...bulk) : undefined;
  for (const [name, factory] of Object.entries(ENGINES)) {
    const { client } = handshakePair(factory, certs);
    const cap = capMib(mib, engineBulk(engines, name, client.info!.cipher), fastest);
    variants.push({
      id: `project:${name}`,
      label: `server.ts + client.ts (${name})`,
      cipher: `${client.info!.cipher} (${client.info!.protocol})`,
      mib: cap.mib,
      capped: cap.capped,
      pair: (port) => projectPair(PATHS, name, port),
    });
  }
  if (haveOpenssl) {
    variants.push({
      id: "openssl",
      label: "openssl s_server + s_client",
      cipher: "OpenSSL default",
      mib,
      capped: false,
      pair: (port) => opensslPair(PATHS, port),
    });
  }
  variants.push({
    id: "native",
    label: "Deno.listenTls + Deno.connectTls",
    cipher: "rustls default (TLSv1.3)",
    mib,
    capped: false,
    pair: (port) => nativePair(PATHS, port),
  });
  variants.push({
    id: "plain",
    label: "plain TCP, no TLS (Deno)",
    cipher: "none",
    mib,
    capped: false,
    pair: (port) => nativePair(PATHS, port, { plain: true }),
  });
  return variants;
}

/**
 * Section 2: file-fed transfers, MIB ("long") and {@link COLD_MIB} ("cold")
 * with fresh processes each time, every pair once per round.
 */
async function fileSection(
  config: BenchConfig,
  engines: EngineResult[],
  haveOpenssl: boolean,
): Promise<FileTransferResult[]> {
  if (!(await haveGnuTime())) {
    log(`  skipped: ${GNU_TIME} (Debian package 'time') is needed for exact CPU time and peak memory`);
    return [];
  }
  const kinds = [
    { kind: "long" as const, variants: await pairVariants(config, engines, haveOpenssl) },
    {
      kind: "cold" as const,
      variants: await pairVariants(config, engines, haveOpenssl, Math.min(COLD_MIB, config.mib)),
    },
  ];
  const seed = newSeed();
  const inputs = new Map<number, { path: string; sha256: string }>();
  const results = new Map<string, FileTransferResult>();
  for (const { kind, variants } of kinds) {
    for (const v of variants) {
      if (!inputs.has(v.mib)) {
        const path = `${RESULTS}/payload-${v.mib}.bin`;
        inputs.set(v.mib, { path, sha256: await writePayloadFile(seed, v.mib * MIB, path) });
      }
      results.set(`${kind}:${v.id}`, {
        id: v.id,
        label: v.label,
        cipher: v.cipher,
        kind,
        payloadMib: v.mib,
        capped: v.capped,
        runs: [],
        medianMBps: NaN,
      });
    }
  }
  try {
    for (let run = 1; run <= config.runs; run++) {
      for (const { kind, variants } of kinds) {
        for (const v of variants) {
          const bytes = v.mib * MIB;
          const port = freePort();
          const input = inputs.get(v.mib)!;
          const o = await runFileTransfer(v.pair(port), {
            label: v.label,
            port,
            input: input.path,
            bytes,
            sha256: input.sha256,
            workDir: RESULTS,
            timeoutMs: 60_000 + bytes / 1e3,
          });
          const result = results.get(`${kind}:${v.id}`)!;
          result.runs.push({
            wallSeconds: o.wallSeconds,
            wallMBps: o.wallMBps,
            steadyMBps: o.steadyMBps,
            serverCpuSeconds: o.server.cpuSeconds,
            clientCpuSeconds: o.client.cpuSeconds,
            serverPeakKiB: o.server.peakKiB,
            clientPeakKiB: o.client.peakKiB,
          });
          if (v.id === "openssl") {
            const brief = parseOpensslBrief(o.clientStderr);
            if (brief.cipher) result.cipher = `${brief.cipher} (${brief.protocol ?? "?"})`;
          }
          log(
            `  run ${run}/${config.runs} ${v.label}, ${v.mib} MiB: ${o.wallSeconds.toFixed(3)} s, ` +
              `${o.wallMBps.toFixed(1)} MB/s (steady ${o.steadyMBps.toFixed(1)}), CPU ${
                o.server.cpuSeconds.toFixed(2)
              } / ${o.client.cpuSeconds.toFixed(2)} s, peak ${kib(o.server.peakKiB)} / ${
                kib(o.client.peakKiB)
              }, SHA-256 ok`,
          );
        }
      }
    }
  } finally {
    for (const { path } of inputs.values()) await Deno.remove(path).catch(() => {});
  }
  const all = [...results.values()];
  for (const r of all) r.medianMBps = median(r.runs.map((x) => x.wallMBps));
  for (const r of all) r.ratioToOpenssl = ratio(r.medianMBps, results.get(`${r.kind}:openssl`)?.medianMBps);
  return all;
}

/** Section 2b: the former harness, which feeds the client and hashes the server's stdout through pipes. */
async function transferSection(
  config: BenchConfig,
  engines: EngineResult[],
  haveOpenssl: boolean,
): Promise<TransferResult[]> {
  const variants = await pairVariants(config, engines, haveOpenssl);
  const seed = newSeed();
  const digests = new Map<number, string>();
  const results = new Map<string, TransferResult>();
  for (const v of variants) {
    if (!digests.has(v.mib)) digests.set(v.mib, payloadDigest(seed, v.mib * MIB));
    results.set(v.id, {
      id: v.id,
      label: v.label,
      cipher: v.cipher,
      payloadMib: v.mib,
      capped: v.capped,
      runs: [],
      medianMBps: NaN,
    });
  }
  // Round after round, so that a noisy moment on a shared machine spreads over all pairs.
  for (let run = 1; run <= config.runs; run++) {
    for (const v of variants) {
      const bytes = v.mib * MIB;
      const port = freePort();
      const outcome = await runTransfer(v.pair(port), {
        label: v.label,
        port,
        seed,
        bytes,
        sha256: digests.get(v.mib)!,
        timeoutMs: 60_000 + bytes / 1e3, // generous: 1 MB/s plus a minute
      });
      const result = results.get(v.id)!;
      result.runs.push({
        mbps: outcome.mbps,
        wallSeconds: outcome.wallSeconds,
        serverPeakKiB: outcome.server.peakKiB,
        clientPeakKiB: outcome.client.peakKiB,
        serverCpuSeconds: outcome.serverCpuSeconds,
        clientCpuSeconds: outcome.clientCpuSeconds,
      });
      if (v.id === "openssl") {
        const brief = parseOpensslBrief(outcome.clientStderr);
        if (brief.cipher) result.cipher = `${brief.cipher} (${brief.protocol ?? "?"})`;
      }
      log(`  run ${run}/${config.runs} ${v.label}, ${v.mib} MiB: ${outcome.mbps.toFixed(1)} MB/s, SHA-256 ok`);
    }
  }
  const all = [...results.values()];
  for (const r of all) r.medianMBps = median(r.runs.map((x) => x.mbps));
  const reference = results.get("openssl")?.medianMBps;
  for (const r of all) r.ratioToOpenssl = ratio(r.medianMBps, reference);
  return all;
}

async function withServer<T>(label: string, command: Cmd, port: number, body: () => Promise<T>): Promise<T> {
  const server = new Child(label, command);
  try {
    await waitListening(port, server);
    return await body();
  } finally {
    await server.kill();
  }
}

async function connectionSection(config: BenchConfig, haveOpenssl: boolean, opensslCipher: string | undefined) {
  const certs = await readPairCerts(CERTS);
  const results: ConnectionResult[] = [];
  const seconds = config.seconds;
  const add = (client: string, server: string, r: Awaited<ReturnType<typeof connectionLoop>>) => {
    if (r.connections === 0) throw new Error(`${client} → ${server}: no connection succeeded: ${r.firstError}`);
    const result: ConnectionResult = {
      client,
      server,
      cipher: r.cipher,
      connections: r.connections,
      failures: r.failures,
      seconds: r.seconds,
      connectionsPerSecond: r.connections / r.seconds,
    };
    results.push(result);
    log(
      `  ${client} → ${server}: ${result.connectionsPerSecond.toFixed(1)} connections/s` +
        (r.failures ? ` (${r.failures} failed: ${r.firstError})` : ""),
    );
    return result;
  };

  const ours = new Map<string, ConnectionResult[]>();
  const sTimeOurs: ConnectionResult[] = [];
  for (const [name, factory] of Object.entries(ENGINES)) {
    const port = freePort();
    const { server } = projectPair(PATHS, name, port);
    await withServer(`server.ts (${name})`, server, port, async () => {
      const fast = await connectionLoop(factory, clientConfig(certs), port, seconds);
      // The same with Deno's default socket options, as client.ts connects today.
      const nagle = await connectionLoop(factory, clientConfig(certs), port, seconds, { noDelay: false });
      ours.set(name, [
        add(`lib/ssl/ssl.ts (${name})`, `server.ts (${name})`, fast),
        add(`lib/ssl/ssl.ts (${name}), Nagle on`, `server.ts (${name})`, nagle),
      ]);
      // OpenSSL's own client against server.ts: the server's rate, not our client's.
      if (haveOpenssl) {
        try {
          const s = await sTime(port, seconds);
          const result: ConnectionResult = {
            client: "openssl s_time -new",
            server: `server.ts (${name})`,
            cipher: s.suite ?? "OpenSSL default",
            connections: s.connections,
            failures: 0,
            seconds: s.seconds,
            connectionsPerSecond: s.connections / s.seconds,
          };
          results.push(result);
          sTimeOurs.push(result);
          log(`  openssl s_time -new → server.ts (${name}): ${result.connectionsPerSecond.toFixed(1)} connections/s`);
        } catch (e) {
          log(`  openssl s_time → server.ts (${name}): skipped (${e instanceof Error ? e.message : e})`);
        }
      }
      // The price of each key exchange group over real sockets: the client offers only that group.
      const pins = await suitePins(name, factory);
      for (const group of pins?.groups ?? []) {
        const pinned = await connectionLoop(pins!.groupFactory!(group), clientConfig(certs), port, seconds);
        add(`lib/ssl/ssl.ts (${name}, ${group} only)`, `server.ts (${name})`, pinned);
      }
    });
  }
  if (!haveOpenssl) return results;

  const port = freePort();
  const sServer = opensslServer(PATHS, port);
  await withServer("openssl s_server", sServer, port, async () => {
    for (const [name, factory] of Object.entries(ENGINES)) {
      const reference = add(
        `lib/ssl/ssl.ts (${name})`,
        "openssl s_server",
        await connectionLoop(factory, clientConfig(certs), port, seconds),
      );
      reference.ratioToOpenssl = 1;
      for (const mine of ours.get(name)!) {
        mine.ratioToOpenssl = ratio(mine.connectionsPerSecond, reference.connectionsPerSecond);
      }
    }
    try {
      const s = await sTime(port, seconds);
      const result: ConnectionResult = {
        client: "openssl s_time -new",
        server: "openssl s_server",
        cipher: s.suite ?? opensslCipher ?? "OpenSSL default",
        connections: s.connections,
        failures: 0,
        seconds: s.seconds,
        connectionsPerSecond: s.connections / s.seconds,
        ratioToOpenssl: 1,
      };
      results.push(result);
      for (const mine of sTimeOurs) mine.ratioToOpenssl = ratio(mine.connectionsPerSecond, result.connectionsPerSecond);
      log(`  openssl s_time -new: ${result.connectionsPerSecond.toFixed(1)} connections/s`);
    } catch (e) {
      log(`  openssl s_time: skipped (${e instanceof Error ? e.message : e})`);
    }
  });
  return results;
}

async function memorySection(
  config: BenchConfig,
  engines: EngineResult[],
  transfers: { id: string; medianMBps: number }[],
): Promise<MemoryResult[]> {
  const results: MemoryResult[] = [];
  const seed = newSeed();
  for (const name of Object.keys(ENGINES)) {
    // Slower than the pair itself, or the reader would not hold anything back
    // (the in-memory rate stands in when section 2 was skipped).
    const speed = transfers.find((t) => t.id === `project:${name}`)?.medianMBps ?? engineBulk(engines, name);
    const paceMBps = Math.min(MEMORY_PACE_MBPS, (speed ?? 2 * MEMORY_PACE_MBPS) / 2);
    const cap = memoryMib(config.memMib, paceMBps);
    const bytes = cap.mib * MIB;
    const label = `server.ts + client.ts (${name})`;
    log(`  ${label}: ${cap.mib} MiB, server's stdout read at ${paceMBps.toFixed(1)} MB/s`);
    const port = freePort();
    const outcome = await runTransfer(projectPair(PATHS, name, port), {
      label: `${label}, paced`,
      port,
      seed,
      bytes,
      sha256: payloadDigest(seed, bytes),
      paceBytesPerSecond: paceMBps * 1e6,
      timeoutMs: 60_000 + 3 * (bytes / (paceMBps * 1e6)) * 1000,
    });
    results.push({
      label,
      payloadMib: cap.mib,
      capped: cap.capped,
      paceMBps,
      achievedMBps: outcome.mbps,
      server: outcome.server,
      client: outcome.client,
      maxInFlightMib: Math.max(0, ...outcome.samples.map((x) => x.inFlightMib)),
      samples: outcome.samples,
    });
    log(`    peak RSS: server ${kib(outcome.server.peakKiB)}, client ${kib(outcome.client.peakKiB)}`);
  }
  return results;
}

function kib(n: number | undefined): string {
  return n === undefined ? "n/a" : `${(n / 1024).toFixed(1)} MiB`;
}

async function notes(machine: MachineInfo): Promise<string[]> {
  const out: string[] = [];
  for (const [name, factory] of Object.entries(ENGINES)) {
    const pins = await suitePins(name, factory);
    out.push(
      pins
        ? `${name}: the engine configuration has no cipher-suite setting; section 1 pins each suite ${pins.method} ` +
          "(bench/lib/suites.ts). Sections 2–4 use the suite it negotiates by default."
        : `${name}: no way to pin a cipher suite; measured with the suite it negotiates.`,
    );
  }
  if (!machine.openssl) {
    out.push("openssl not found: its rows are missing and ratios are n/a.");
  } else {
    out.push(
      "openssl pair: `s_server -quiet -naccept 1` and `s_client -brief -no_ign_eof -nocommands` with default settings. " +
        "The connection loops against s_server add `-cipher DEFAULT@SECLEVEL=0` so TLS 1.0/1.1 clients are accepted.",
    );
  }
  out.push(
    "Section 1: encrypt and decrypt MB/s split the bulk time between the sender's write and the receiver's read.",
    'Section 3: one connection at a time from this process, with TCP_NODELAY except on the "Nagle on" rows ' +
      "(Deno's default; client.ts and server.ts set TCP_NODELAY); connections/s of s_time is its count over the wall time measured here.",
    `Section 4: the read pace is ${MEMORY_PACE_MBPS} MB/s or half the pair's end-to-end median, whichever is lower, so data backs up. ` +
      "Max in flight (written to the client, not yet out of the server) stays at a few MiB while backpressure holds; " +
      "RSS that grows while in flight stays flat is memory a process keeps, not data queued.",
  );
  return out;
}

async function main(): Promise<number> {
  let only: Set<Section>;
  let config: BenchConfig;
  try {
    const { values } = parseArgs({ args: Deno.args, options: { only: { type: "string" } }, strict: true });
    only = parseSections(values.only);
    config = benchConfig({
      MIB: Deno.env.get("MIB"),
      RUNS: Deno.env.get("RUNS"),
      MEM_MIB: Deno.env.get("MEM_MIB"),
      BENCH_SECONDS: Deno.env.get("BENCH_SECONDS"),
    });
  } catch (e) {
    console.error(`bench: ${e instanceof Error ? e.message : e}`);
    return 2;
  }
  let stopping = false;
  const interrupted = () => {
    stopping = true;
    log("interrupted: stopping child processes");
    killAll()
      .then(() => Deno.remove(CERTS, { recursive: true }))
      .catch(() => {})
      .finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", interrupted);
  Deno.addSignalListener("SIGTERM", interrupted);
  await Deno.mkdir(RESULTS, { recursive: true });
  try {
    const machine = await machineInfo(DENO);
    log(`${machine.arch}, ${machine.cores} cores, Deno ${machine.deno}, ${machine.openssl ?? "no openssl"}`);
    log(`MIB=${config.mib} RUNS=${config.runs} MEM_MIB=${config.memMib} BENCH_SECONDS=${config.seconds}`);
    await outputOf("gen-certs", {
      cmd: DENO,
      args: [
        "run",
        readCerts,
        `--allow-write=${CERTS}`,
        `${ROOT}/certs/gen_certs.ts`,
        "--dir",
        CERTS,
        "--days",
        "2",
        "--force",
      ],
    });
    const haveOpenssl = machine.openssl !== undefined;

    const section = async <T>(name: Section, title: string, body: () => Promise<T[]>): Promise<T[]> => {
      if (!only.has(name)) return [];
      log(title);
      return await body();
    };
    const engines = await section("engine", "1. engines in memory", () => engineSection(config));
    const fileTransfers = await section(
      "e2e",
      "2. end to end, file-fed",
      () => fileSection(config, engines, haveOpenssl),
    );
    const transfers = await section(
      "piped",
      "2b. end to end through the benchmark's pipes",
      () => transferSection(config, engines, haveOpenssl),
    );
    const opensslCipher = [...fileTransfers, ...transfers].find((t) => t.id === "openssl")?.cipher;
    const connections = await section(
      "conn",
      "3. connections per second",
      () => connectionSection(config, haveOpenssl, opensslCipher),
    );
    const memory = await section(
      "memory",
      "4. memory under backpressure",
      () => memorySection(config, engines, [...fileTransfers, ...transfers]),
    );

    const results: BenchResults = {
      machine,
      config,
      engines,
      fileTransfers,
      transfers,
      connections,
      memory,
      notes: await notes(machine),
      elapsedSeconds: (performance.now() - runStarted) / 1000,
    };
    await Deno.writeTextFile(`${RESULTS}/latest.json`, JSON.stringify(results, null, 2) + "\n");
    console.log(renderReport(results));
    log(`wrote bench/results/latest.json; took ${results.elapsedSeconds.toFixed(0)} s`);
    return 0;
  } catch (e) {
    if (stopping) return 130; // the children were killed on purpose
    log(`FAILED: ${e instanceof Error ? e.message : e}`);
    return 1;
  } finally {
    await killAll();
    await Deno.remove(CERTS, { recursive: true }).catch(() => {});
    Deno.removeSignalListener("SIGINT", interrupted);
    Deno.removeSignalListener("SIGTERM", interrupted);
  }
}

if (import.meta.main) Deno.exit(await main());
