/**
 * Benchmark settings from the environment (`make bench MIB=64 RUNS=1`),
 * checked so that a typo stops the run before anything starts.
 *
 * @module
 */

/** What one benchmark run does. */
export interface BenchConfig {
  /** MiB sent end to end per run (env MIB, default 256). */
  mib: number;
  /** Repetitions of each end-to-end transfer (env RUNS, default 3). */
  runs: number;
  /** MiB sent in the backpressure test (env MEM_MIB, default min(1024, 4 × MIB)). */
  memMib: number;
  /** Length of each timed loop: handshakes, bulk, connections (env BENCH_SECONDS, default 3). */
  seconds: number;
}

/** Payload cap for engines too slow for the full size (see {@link capMib}). */
export const SLOW_ENGINE_CAP_MIB = 16;

/**
 * Below this in-memory bulk rate (MB/s) an engine counts as slow, or below a
 * tenth of the fastest engine's rate in the same run when that is known: on
 * a busy machine every rate drops, and only the relative one tells forge
 * from TLS 1.3.
 */
export const SLOW_ENGINE_MBPS = 50;

function positive(env: Record<string, string | undefined>, name: string, fallback: number, integer: boolean): number {
  const text = env[name];
  if (text === undefined || text === "") return fallback;
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || !(n > 0) || (integer && !Number.isInteger(n))) {
    throw new RangeError(`${name} must be a positive ${integer ? "whole " : ""}number, got '${text}'`);
  }
  return n;
}

/**
 * Reads MIB, RUNS, MEM_MIB and BENCH_SECONDS.
 *
 * @example
 * ```ts
 * benchConfig({ MIB: "64" }); // { mib: 64, runs: 3, memMib: 256, seconds: 3 }
 * ```
 */
export function benchConfig(env: Record<string, string | undefined>): BenchConfig {
  const mib = positive(env, "MIB", 256, true);
  const runs = positive(env, "RUNS", 3, true);
  const memMib = positive(env, "MEM_MIB", Math.min(1024, 4 * mib), true);
  const seconds = positive(env, "BENCH_SECONDS", 3, false);
  return { mib, runs, memMib, seconds };
}

/**
 * The payload for one engine: the requested size, or at most
 * {@link SLOW_ENGINE_CAP_MIB} when its in-memory bulk rate is below
 * {@link SLOW_ENGINE_MBPS}, so that a run stays within minutes.
 *
 * @example
 * ```ts
 * capMib(256, 4.2); // { mib: 16, capped: true }
 * capMib(256, 900); // { mib: 256, capped: false }
 * capMib(256, 30, 60); // { mib: 256, capped: false }  (a loaded machine: half the fastest engine)
 * ```
 */
export function capMib(
  requested: number,
  engineMbps: number | undefined,
  fastestMbps?: number,
): { mib: number; capped: boolean } {
  const threshold = fastestMbps !== undefined && fastestMbps > 0 ? fastestMbps / 10 : SLOW_ENGINE_MBPS;
  const slow = engineMbps === undefined || engineMbps < threshold;
  if (slow && requested > SLOW_ENGINE_CAP_MIB) return { mib: SLOW_ENGINE_CAP_MIB, capped: true };
  return { mib: requested, capped: false };
}

/** The backpressure test lasts about this long at most, whatever the pace. */
export const MEMORY_TEST_SECONDS = 25;

/**
 * The backpressure test's payload: MEM_MIB, or what the read pace moves in
 * {@link MEMORY_TEST_SECONDS} when that is less (a slow pair is paced slowly).
 *
 * @example
 * ```ts
 * memoryMib(1024, 50); // { mib: 1024, capped: false }  (1024 MiB at 50 MB/s: 21.5 s)
 * memoryMib(1024, 3); // { mib: 71, capped: true }
 * ```
 */
export function memoryMib(requested: number, paceMBps: number): { mib: number; capped: boolean } {
  const fits = Math.max(1, Math.floor((paceMBps * 1e6 * MEMORY_TEST_SECONDS) / (1 << 20)));
  return fits < requested ? { mib: fits, capped: true } : { mib: requested, capped: false };
}

/** The parts of a run, for `--only`. */
export const SECTIONS = ["engine", "e2e", "piped", "conn", "memory"] as const;

/** What runs without `--only`: "piped" (the benchmark in the data path) is on request. */
export const DEFAULT_SECTIONS: readonly Section[] = ["engine", "e2e", "conn", "memory"];

/** The payload of the cold rows of section 2, MiB (or MIB when that is smaller). */
export const COLD_MIB = 64;

/** One of {@link SECTIONS}. */
export type Section = typeof SECTIONS[number];

/**
 * The sections named by `--only` (comma-separated), or {@link DEFAULT_SECTIONS}.
 *
 * @example
 * ```ts
 * parseSections("e2e,memory"); // Set { "e2e", "memory" }
 * parseSections(undefined); // all but "piped"
 * ```
 */
export function parseSections(text: string | undefined): Set<Section> {
  if (text === undefined) return new Set(DEFAULT_SECTIONS);
  const names = text.split(",").map((n) => n.trim()).filter((n) => n !== "");
  for (const name of names) {
    if (!(SECTIONS as readonly string[]).includes(name)) {
      throw new RangeError(`unknown section '${name}' (choose from: ${SECTIONS.join(", ")})`);
    }
  }
  if (names.length === 0) throw new RangeError("--only needs at least one section");
  return new Set(names as Section[]);
}
