/**
 * The client/server pairs of the end-to-end benchmark, as commands for a
 * given port: this project (per engine), OpenSSL's s_server/s_client,
 * Deno's native TLS and plain TCP.
 *
 * @module
 */

import type { Cmd } from "./procs.ts";
import type { PairCommands } from "./transfer.ts";

/** Where things are. */
export interface PairPaths {
  /** The project's root directory. */
  root: string;
  /** A gen-certs directory (ca, server). */
  certs: string;
  /** How to run Deno. */
  deno: string;
}

const NET = "--allow-net=127.0.0.1";

/**
 * V8 settings of deno.json's `server` and `client` tasks, so the benchmark
 * runs the programs as `make server` / `make client` do: a 1 MiB young
 * generation (semi-space) instead of up to 16 MiB, because every record
 * leaves short-lived buffers behind and a large nursery only lets them pile up;
 * and optimizing compiles on the main thread, whose memory allocator arena is
 * reused, instead of a background thread that keeps its own.
 */
export const PROGRAM_V8_FLAGS = ["--v8-flags=--max-semi-space-size=1,--no-concurrent-recompilation"];

/**
 * Deno settings of deno.json's `server` task besides V8's: no code cache. The
 * server starts once and lives long, so reading the cache saves it little and
 * costs memory for its whole life; the client keeps it (its start-up is part of every transfer).
 */
export const SERVER_RUN_FLAGS = ["--no-code-cache"];

function denoRun(paths: PairPaths, withCerts: boolean, script: string, args: string[], flags: string[] = []): Cmd {
  return {
    cmd: paths.deno,
    args: [
      "run",
      ...flags,
      NET,
      ...(withCerts ? [`--allow-read=${paths.certs}`] : []),
      `${paths.root}/${script}`,
      ...args,
    ],
  };
}

/**
 * server.ts and client.ts with one engine, quiet, as a user runs them
 * (with the tasks' {@link PROGRAM_V8_FLAGS}).
 *
 * @example
 * ```ts
 * const pair = projectPair(paths, "forge", 55555);
 * ```
 */
export function projectPair(paths: PairPaths, engine: string, port: number): PairCommands {
  const c = paths.certs;
  return {
    server: denoRun(paths, true, "server.ts", [
      String(port),
      "--quiet",
      "--engine",
      engine,
      "--cert",
      `${c}/server.crt`,
      "--key",
      `${c}/server.key`,
    ], [...SERVER_RUN_FLAGS, ...PROGRAM_V8_FLAGS]),
    client: denoRun(paths, true, "client.ts", [
      "127.0.0.1",
      String(port),
      "--quiet",
      "--engine",
      engine,
      "--ca",
      `${c}/ca.crt`,
    ], PROGRAM_V8_FLAGS),
    serverExits: false,
  };
}

/**
 * `openssl s_server` and `s_client` with their default protocol and suites.
 *
 * @example
 * ```ts
 * const pair = opensslPair(paths, 55555);
 * ```
 */
export function opensslPair(paths: PairPaths, port: number): PairCommands {
  const c = paths.certs;
  return {
    // -quiet: only the client's data on stdout; -naccept 1: exit after one client.
    server: {
      cmd: "openssl",
      args: [
        "s_server",
        "-accept",
        `127.0.0.1:${port}`,
        "-naccept",
        "1",
        "-cert",
        `${c}/server.crt`,
        "-key",
        `${c}/server.key`,
        "-quiet",
      ],
    },
    // -brief reports the session on stderr without -quiet's implied -ign_eof, so
    // stdin EOF sends close_notify; -nocommands: payload bytes are not commands.
    client: {
      cmd: "openssl",
      args: [
        "s_client",
        "-connect",
        `127.0.0.1:${port}`,
        "-CAfile",
        `${c}/ca.crt`,
        "-verify_return_error",
        "-brief",
        "-no_ign_eof",
        "-nocommands",
      ],
    },
    serverExits: true,
  };
}

/**
 * bench/native_tls_{server,client}.ts: Deno's own TLS, or plain TCP.
 *
 * @example
 * ```ts
 * const pair = nativePair(paths, 55555, { plain: true });
 * ```
 */
export function nativePair(paths: PairPaths, port: number, { plain = false } = {}): PairCommands {
  const c = paths.certs;
  return {
    server: denoRun(
      paths,
      !plain,
      "bench/native_tls_server.ts",
      [String(port), ...(plain ? ["--plain"] : ["--cert", `${c}/server.crt`, "--key", `${c}/server.key`])],
    ),
    client: denoRun(
      paths,
      !plain,
      "bench/native_tls_client.ts",
      ["127.0.0.1", String(port), ...(plain ? ["--plain"] : ["--ca", `${c}/ca.crt`])],
    ),
    serverExits: true,
  };
}

/**
 * A long-running `openssl s_server` for the connection loops. SECLEVEL=0
 * lets OpenSSL 3 accept TLS 1.0/1.1 clients such as forge; TLS 1.3 is
 * unaffected.
 *
 * @example
 * ```ts
 * const server = new Child("openssl s_server", opensslServer(paths, 55555));
 * ```
 */
export function opensslServer(paths: PairPaths, port: number): Cmd {
  const c = paths.certs;
  return {
    cmd: "openssl",
    args: [
      "s_server",
      "-accept",
      `127.0.0.1:${port}`,
      "-cert",
      `${c}/server.crt`,
      "-key",
      `${c}/server.key`,
      "-cipher",
      "DEFAULT@SECLEVEL=0",
      "-quiet",
    ],
  };
}
