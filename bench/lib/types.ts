/**
 * The shape of a benchmark's results, as printed and as written to
 * bench/results/latest.json.
 *
 * @module
 */

import type { BenchConfig } from "./config.ts";

/** Where and with what the benchmark ran. */
export interface MachineInfo {
  /** `uname -m`. */
  arch: string;
  cores: number;
  cpuModel?: string;
  /** 1, 5 and 15 minute load averages when the run started. */
  loadAverage?: number[];
  /** ISO 8601. */
  date: string;
  deno: string;
  v8: string;
  typescript: string;
  /** `openssl version`, or undefined when openssl is missing. */
  openssl?: string;
}

/** Section 1: one engine and cipher suite, in memory. */
export interface EngineResult {
  engine: string;
  /** The suite both ends agreed on. */
  suite: string;
  /** True when the benchmark forced the suite; false when it is the engine's own choice. */
  restricted: boolean;
  protocol: string;
  /** The key exchange group both ends agreed on, when the protocol has one (TLS 1.3). */
  group?: string;
  handshakesPerSecond: number;
  handshakes: number;
  clientToServerMBps: number;
  serverToClientMBps: number;
  /** Both directions, counting only the time in the sender's `write`. */
  encryptMBps: number;
  /** Both directions, counting only the time in the receiver's `read`. */
  decryptMBps: number;
}

/** One end-to-end transfer. */
export interface TransferRun {
  /** From the first to the last byte at the server's stdout. */
  mbps: number;
  /** From starting the client to the last byte, including start-up and handshake. */
  wallSeconds: number;
  serverPeakKiB?: number;
  clientPeakKiB?: number;
  /** CPU seconds (user + system) of each process over its life, start-up included. */
  serverCpuSeconds?: number;
  clientCpuSeconds?: number;
}

/** Section 2b: one client/server pair through the benchmark's pipes, repeated. */
export interface TransferResult {
  /** `project:<engine>`, `openssl`, `native` or `plain`. */
  id: string;
  label: string;
  cipher: string;
  payloadMib: number;
  /** The payload was reduced for a slow engine. */
  capped: boolean;
  runs: TransferRun[];
  medianMBps: number;
  ratioToOpenssl?: number;
}

/** One file-fed transfer (client stdin from a file, server stdout to a file). */
export interface FileTransferRun {
  /** From starting the client to the last byte in the output file. */
  wallSeconds: number;
  wallMBps: number;
  /** From the first to the last byte in the output file. */
  steadyMBps: number;
  /** User + system time of each program over its whole life (GNU time). */
  serverCpuSeconds: number;
  clientCpuSeconds: number;
  /** Peak resident memory of each program (ru_maxrss). */
  serverPeakKiB: number;
  clientPeakKiB: number;
}

/** Section 2: one pair at one payload size, file-fed, repeated. */
export interface FileTransferResult {
  /** `project:<engine>`, `openssl`, `native` or `plain`. */
  id: string;
  label: string;
  cipher: string;
  /** "long": the full payload (MIB); "cold": a short one, where start-up and handshake weigh more. */
  kind: "long" | "cold";
  payloadMib: number;
  capped: boolean;
  runs: FileTransferRun[];
  /** Median of the runs' wall MB/s (client start to last byte). */
  medianMBps: number;
  ratioToOpenssl?: number;
}

/** Section 3: a connect/handshake/close loop. */
export interface ConnectionResult {
  client: string;
  server: string;
  cipher: string;
  connections: number;
  failures: number;
  seconds: number;
  connectionsPerSecond: number;
  /** Against the same client's rate with openssl s_server. */
  ratioToOpenssl?: number;
}

/** Resident memory of one process during a transfer, KiB. */
export interface RssTrace {
  peakKiB?: number;
  /** VmRSS when 10% and 90% of the payload had arrived. */
  at10KiB?: number;
  at90KiB?: number;
}

/** The state of a transfer when some of it had arrived. */
export interface TransferSample {
  deliveredMib: number;
  /** Written into the client's stdin and not yet out of the server's stdout. */
  inFlightMib: number;
  serverRssKiB?: number;
  clientRssKiB?: number;
}

/** Section 4: a transfer into a slowly read stdout. */
export interface MemoryResult {
  label: string;
  payloadMib: number;
  capped: boolean;
  /** The rate the server's stdout was read at. */
  paceMBps: number;
  achievedMBps: number;
  server: RssTrace;
  client: RssTrace;
  /** The most bytes in flight at any sample: bounded when backpressure holds. */
  maxInFlightMib: number;
  /** At every tenth of the payload. */
  samples: TransferSample[];
}

/** Everything one run measured. */
export interface BenchResults {
  machine: MachineInfo;
  config: BenchConfig;
  engines: EngineResult[];
  /** Section 2: file-fed. */
  fileTransfers: FileTransferResult[];
  /** Section 2b (`--only=piped`): the benchmark feeds and hashes through pipes. */
  transfers: TransferResult[];
  connections: ConnectionResult[];
  memory: MemoryResult[];
  /** Things the reader should know: skipped parts, caps, caveats. */
  notes: string[];
  elapsedSeconds: number;
}
