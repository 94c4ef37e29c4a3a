/**
 * The markdown report printed at the end of a run, from {@link BenchResults}
 * alone (so the JSON file can be rendered again later).
 *
 * @module
 */

import { formatKiB, formatNumber, formatRatio, markdownTable } from "./table.ts";
import { median } from "./stats.ts";
import type { BenchResults, EngineResult, FileTransferResult, RssTrace, TransferResult } from "./types.ts";
import { COLD_MIB, MEMORY_TEST_SECONDS, SLOW_ENGINE_CAP_MIB, SLOW_ENGINE_MBPS } from "./config.ts";

function range(t: TransferResult | FileTransferResult): string {
  if (t.runs.length < 2) return "—";
  const rates = t.runs.map((r) => "wallMBps" in r ? r.wallMBps : r.mbps);
  return `${formatNumber(Math.min(...rates))}–${formatNumber(Math.max(...rates))}`;
}

function maxOf(values: (number | undefined)[]): number | undefined {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length ? Math.max(...known) : undefined;
}

function medianOf(values: (number | undefined)[]): number | undefined {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length ? median(known) : undefined;
}

function payload(mib: number, capped: boolean): string {
  return capped ? `${mib} MiB (capped)` : `${mib} MiB`;
}

function drift(t: RssTrace): string {
  return `${formatKiB(t.at10KiB)} → ${formatKiB(t.at90KiB)}`;
}

/**
 * Section 1's table (also printed by bench/engine_bench.ts on its own).
 *
 * @example
 * ```ts
 * console.log(engineTable(parseEngineResults(json)));
 * ```
 */
export function engineTable(engines: EngineResult[]): string {
  return markdownTable(
    [
      "engine",
      "cipher suite, group",
      "protocol",
      "handshakes/s",
      "client→server MB/s",
      "server→client MB/s",
      "encrypt MB/s",
      "decrypt MB/s",
    ],
    engines.map((e) => [
      e.engine,
      (e.restricted ? e.suite : `${e.suite} (negotiated)`) + (e.group ? `, ${e.group}` : ""),
      e.protocol,
      formatNumber(e.handshakesPerSecond),
      formatNumber(e.clientToServerMBps),
      formatNumber(e.serverToClientMBps),
      formatNumber(e.encryptMBps),
      formatNumber(e.decryptMBps),
    ]),
    ["l", "l", "l", "r", "r", "r", "r", "r"],
  );
}

/** CPU seconds per GiB moved: `seconds` spent on a payload of `mib` MiB. */
function perGiB(seconds: number | undefined, mib: number): number | undefined {
  return seconds === undefined ? undefined : seconds / (mib / 1024);
}

/**
 * Section 2's table: file-fed transfers, long and cold rows.
 *
 * @example
 * ```ts
 * console.log(fileTable(results.fileTransfers));
 * ```
 */
export function fileTable(transfers: FileTransferResult[]): string {
  const runs = Math.max(0, ...transfers.map((t) => t.runs.length));
  return markdownTable(
    [
      "pair",
      "cipher",
      "payload",
      `MB/s start → last byte (median of ${runs})`,
      "min–max",
      "× OpenSSL",
      "steady MB/s",
      "wall s",
      "CPU s/GiB server / client",
      "server peak RSS",
      "client peak RSS",
    ],
    transfers.map((t) => [
      t.label,
      t.cipher,
      `${payload(t.payloadMib, t.capped)}, ${t.kind}`,
      formatNumber(t.medianMBps),
      range(t),
      formatRatio(t.ratioToOpenssl),
      formatNumber(medianOf(t.runs.map((x) => x.steadyMBps))),
      formatNumber(medianOf(t.runs.map((x) => x.wallSeconds))),
      `${formatNumber(perGiB(medianOf(t.runs.map((x) => x.serverCpuSeconds)), t.payloadMib))} / ${
        formatNumber(perGiB(medianOf(t.runs.map((x) => x.clientCpuSeconds)), t.payloadMib))
      }`,
      formatKiB(maxOf(t.runs.map((x) => x.serverPeakKiB))),
      formatKiB(maxOf(t.runs.map((x) => x.clientPeakKiB))),
    ]),
    ["l", "l", "r", "r", "r", "r", "r", "r", "r", "r", "r"],
  );
}

/**
 * Section 2b's table: transfers fed and hashed through the benchmark's pipes.
 *
 * @example
 * ```ts
 * console.log(pipedTable(results.transfers));
 * ```
 */
export function pipedTable(transfers: TransferResult[]): string {
  const runs = Math.max(0, ...transfers.map((t) => t.runs.length));
  return markdownTable(
    [
      "pair",
      "cipher",
      "payload",
      `MB/s (median of ${runs})`,
      "min–max",
      "× OpenSSL",
      "wall s (median)",
      "CPU s server / client",
      "server peak RSS",
      "client peak RSS",
    ],
    transfers.map((t) => [
      t.label,
      t.cipher,
      payload(t.payloadMib, t.capped),
      formatNumber(t.medianMBps),
      range(t),
      formatRatio(t.ratioToOpenssl),
      formatNumber(t.runs.length ? median(t.runs.map((x) => x.wallSeconds)) : undefined),
      `${formatNumber(medianOf(t.runs.map((x) => x.serverCpuSeconds)))} / ${
        formatNumber(medianOf(t.runs.map((x) => x.clientCpuSeconds)))
      }`,
      formatKiB(maxOf(t.runs.map((x) => x.serverPeakKiB))),
      formatKiB(maxOf(t.runs.map((x) => x.clientPeakKiB))),
    ]),
    ["l", "l", "r", "r", "r", "r", "r", "r", "r", "r"],
  );
}

/**
 * The whole report as markdown.
 *
 * @example
 * ```ts
 * console.log(renderReport(results));
 * ```
 */
export function renderReport(r: BenchResults): string {
  const m = r.machine;
  const out: string[] = [];
  out.push("# TLS benchmark", "");
  out.push(
    `- machine: ${m.arch}, ${m.cores} cores${m.cpuModel ? ` (${m.cpuModel})` : ""}${
      m.loadAverage ? `, load ${m.loadAverage.join(" ")} at start` : ""
    }`,
  );
  out.push(`- date: ${m.date}`);
  out.push(`- Deno ${m.deno} (V8 ${m.v8}, TypeScript ${m.typescript}); ${m.openssl ?? "OpenSSL: not found"}`);
  out.push(
    `- settings: MIB=${r.config.mib} RUNS=${r.config.runs} MEM_MIB=${r.config.memMib} BENCH_SECONDS=${r.config.seconds}` +
      `; MB = 10^6 bytes; the run took ${Math.round(r.elapsedSeconds)} s`,
  );

  out.push("", "## 1. Engines in memory (no sockets; one thread runs both ends)", "");
  out.push(engineTable(r.engines));

  out.push(
    "",
    "## 2. End to end on 127.0.0.1, file-fed: client stdin from a file → server stdout to a file, SHA-256 checked",
    "",
  );
  out.push(fileTable(r.fileTransfers));

  if (r.transfers.length) {
    out.push("", "## 2b. End to end through the benchmark's pipes (its feeder and hasher in the data path)", "");
    out.push(pipedTable(r.transfers));
  }

  out.push("", "## 3. New connections per second (full handshake, close_notify, close; one at a time)", "");
  out.push(markdownTable(
    ["client", "server", "cipher", "connections/s", "× same client → s_server", "connections", "failures"],
    r.connections.map((c) => [
      c.client,
      c.server,
      c.cipher,
      formatNumber(c.connectionsPerSecond),
      formatRatio(c.ratioToOpenssl),
      String(c.connections),
      String(c.failures),
    ]),
    ["l", "l", "l", "r", "r", "r", "r"],
  ));

  out.push("", "## 4. Memory under backpressure (the server's stdout is read at a throttled pace)", "");
  out.push(markdownTable(
    [
      "pair",
      "payload",
      "read pace MB/s",
      "achieved MB/s",
      "max in flight",
      "server peak RSS",
      "server RSS at 10% → 90%",
      "client peak RSS",
      "client RSS at 10% → 90%",
    ],
    r.memory.map((x) => [
      x.label,
      payload(x.payloadMib, x.capped),
      formatNumber(x.paceMBps),
      formatNumber(x.achievedMBps),
      `${formatNumber(x.maxInFlightMib)} MiB`,
      formatKiB(x.server.peakKiB),
      drift(x.server),
      formatKiB(x.client.peakKiB),
      drift(x.client),
    ]),
    ["l", "r", "r", "r", "r", "r", "r", "r", "r"],
  ));

  const notes = [
    `"(capped)" in section 2: the engine moves less than a tenth of the fastest engine's in-memory rate (or ${SLOW_ENGINE_MBPS} MB/s without section 1), so its payload is at most ${SLOW_ENGINE_CAP_MIB} MiB; ` +
    `in section 4: the payload is what the read pace moves in ${MEMORY_TEST_SECONDS} s.`,
    "Section 2: the client reads the payload file on its stdin and the server writes its stdout to a file (both opened by the kernel; " +
    "the output is hashed afterwards), fresh processes every run. MB/s counts from starting the client to the last byte in the " +
    "output file (start-up and handshake included); steady MB/s from the first to the last byte there. " +
    "CPU s/GiB is user + system time of each program over its whole life per GiB moved, and peak RSS its ru_maxrss " +
    "(both from GNU time; medians, and the highest peak of all runs). Long rows carry MIB, cold rows " +
    `${COLD_MIB} MiB (or MIB if smaller).`,
    "Section 2b (only with `--only=piped`): the benchmark itself feeds the client and hashes the server's output through pipes on " +
    "the same cores, so plain TCP there is the ceiling of that harness, not of the machine; CPU s sampled every 100 ms.",
    ...r.notes,
  ];
  out.push("", "Notes:", "", ...notes.map((n) => `- ${n}`));
  return out.join("\n") + "\n";
}
