/**
 * Parsers for what other programs print: the engine benchmark's JSON,
 * `/proc` files, `openssl s_time` and `openssl s_client -brief`.
 *
 * @module
 */

import type { EngineResult } from "./types.ts";

/**
 * The JSON array printed by `bench/engine_bench.ts --json`, checked field by
 * field so that a changed format fails here rather than as NaN in a table.
 *
 * @example
 * ```ts
 * const results = parseEngineResults(stdoutText);
 * ```
 */
export function parseEngineResults(text: string): EngineResult[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new SyntaxError(`engine benchmark output is not JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(data)) throw new TypeError("engine benchmark output is not an array");
  return data.map((item, i) => {
    const o = item as Record<string, unknown>;
    const str = (k: string) => {
      if (typeof o?.[k] !== "string") throw new TypeError(`engine result ${i}: '${k}' is not a string`);
      return o[k] as string;
    };
    const num = (k: string) => {
      if (typeof o?.[k] !== "number" || !Number.isFinite(o[k])) {
        throw new TypeError(`engine result ${i}: '${k}' is not a number`);
      }
      return o[k] as number;
    };
    if (typeof o?.restricted !== "boolean") throw new TypeError(`engine result ${i}: 'restricted' is not a boolean`);
    if (o.group !== undefined && typeof o.group !== "string") {
      throw new TypeError(`engine result ${i}: 'group' is not a string`);
    }
    return {
      engine: str("engine"),
      suite: str("suite"),
      restricted: o.restricted,
      protocol: str("protocol"),
      group: o.group as string | undefined,
      handshakesPerSecond: num("handshakesPerSecond"),
      handshakes: num("handshakes"),
      clientToServerMBps: num("clientToServerMBps"),
      serverToClientMBps: num("serverToClientMBps"),
      encryptMBps: num("encryptMBps"),
      decryptMBps: num("decryptMBps"),
    };
  });
}

/**
 * VmHWM (peak resident set) and VmRSS from `/proc/PID/status`, in KiB.
 * Both are missing once the process has exited.
 *
 * @example
 * ```ts
 * parseProcStatus("VmHWM:\t  51200 kB\nVmRSS:\t  40960 kB\n"); // { hwmKiB: 51200, rssKiB: 40960 }
 * ```
 */
export function parseProcStatus(text: string): { hwmKiB?: number; rssKiB?: number } {
  const field = (name: string) => {
    const m = text.match(new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, "m"));
    return m ? Number(m[1]) : undefined;
  };
  return { hwmKiB: field("VmHWM"), rssKiB: field("VmRSS") };
}

/** What /proc says about one process. */
export interface ProcSample {
  /** Peak resident set (VmHWM), KiB. */
  hwmKiB?: number;
  /** Current resident set (VmRSS), KiB. */
  rssKiB?: number;
  /** User plus system CPU time, seconds (from /proc/PID/stat). */
  cpuSeconds?: number;
}

/** Clock ticks per second of /proc/PID/stat: 100 on every Linux Deno runs on. */
export const CLOCK_TICKS = 100;

/**
 * `/proc/PID/status` and `/proc/PID/stat` of several processes one after
 * the other (as `cat` prints them), by pid. A status block is read from its
 * `Name:` line on; a stat line (`PID (comm) S …`) gives the CPU time.
 *
 * @example
 * ```ts
 * parseProcFiles("Name:\tdeno\nPid:\t42\nVmHWM:\t  51200 kB\n42 (deno) S 1 1 1 0 -1 0 0 0 0 0 150 50 0\n").get(42);
 * // { hwmKiB: 51200, rssKiB: undefined, cpuSeconds: 2 }
 * ```
 */
export function parseProcFiles(text: string): Map<number, ProcSample> {
  const out = new Map<number, ProcSample>();
  const entry = (pid: number) => {
    let e = out.get(pid);
    if (!e) out.set(pid, e = {});
    return e;
  };
  for (const block of text.split(/^(?=Name:)/m)) {
    const pid = block.match(/^Pid:\s+(\d+)/m);
    if (pid) Object.assign(entry(Number(pid[1])), parseProcStatus(block));
  }
  for (const m of text.matchAll(/^(\d+) \(.*\) (.*)$/gm)) {
    // After the command name: state, ppid, pgrp, session, tty, tpgid, flags,
    // minflt, cminflt, majflt, cmajflt, utime, stime.
    const fields = m[2].split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    if (Number.isFinite(ticks)) entry(Number(m[1])).cpuSeconds = ticks / CLOCK_TICKS;
  }
  return out;
}

/**
 * The ports in LISTEN state in a `/proc/net/tcp` or `/proc/net/tcp6` table.
 * Looking there tells that a server is up without connecting to it (a
 * probe connection would use up `s_server -naccept 1`).
 *
 * @example
 * ```ts
 * listeningPorts(await Deno.readTextFile("/proc/net/tcp")).has(55555);
 * ```
 */
export function listeningPorts(table: string): Set<number> {
  const ports = new Set<number>();
  for (const line of table.split("\n").slice(1)) {
    const cols = line.trim().split(/\s+/);
    // sl local_address rem_address st …; st 0A is LISTEN.
    if (cols.length < 4 || cols[3] !== "0A") continue;
    const port = parseInt(cols[1].split(":")[1] ?? "", 16);
    if (Number.isInteger(port)) ports.add(port);
  }
  return ports;
}

/**
 * The connection count from `openssl s_time` output, e.g.
 * `1234 connections in 3.21s; 384.42 connections/user sec, bytes read 0`.
 *
 * @example
 * ```ts
 * parseSTime("812 connections in 1.90s; 427.37 connections/user sec, bytes read 0"); // { connections: 812, userSeconds: 1.9 }
 * ```
 */
export function parseSTime(text: string): { connections: number; userSeconds: number } | undefined {
  const m = text.match(/(\d+) connections in ([\d.]+)s;/);
  if (!m) return undefined;
  return { connections: Number(m[1]), userSeconds: Number(m[2]) };
}

/**
 * Protocol and cipher suite from `openssl s_client -brief` (stderr).
 *
 * @example
 * ```ts
 * parseOpensslBrief("Protocol version: TLSv1.3\nCiphersuite: TLS_AES_256_GCM_SHA384\n");
 * // { protocol: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384" }
 * ```
 */
export function parseOpensslBrief(text: string): { protocol?: string; cipher?: string } {
  return {
    protocol: text.match(/^Protocol version:\s*(\S+)/m)?.[1],
    cipher: text.match(/^Ciphersuite:\s*(\S+)/m)?.[1],
  };
}
