/**
 * Command-line options shared by `server.ts` and `client.ts`, and the
 * loading of the files they name, with one-line errors.
 *
 * @module
 */

import { fail } from "./cli.ts";
import type { EngineFactory } from "./engine.ts";
import { createForgeEngine } from "./forge_engine.ts";
import type { TraceFlags } from "./report.ts";

/** `parseArgs` option table entries used by both programs. */
export const COMMON_OPTIONS = {
  cert: { type: "string" },
  key: { type: "string" },
  ca: { type: "string" },
  engine: { type: "string", default: "forge" },
  state: { type: "boolean", default: false },
  msg: { type: "boolean", default: false },
  debug: { type: "boolean", default: false },
  showcerts: { type: "boolean", default: false },
  quiet: { type: "boolean", short: "q", default: false },
  "handshake-timeout": { type: "string", default: "10" },
  "idle-timeout": { type: "string", default: "0" },
  help: { type: "boolean", short: "h", default: false },
} as const;

/** Help text for {@link COMMON_OPTIONS}. */
export const COMMON_HELP = `  --engine NAME            TLS engine: forge (default)
  --state                  print handshake state changes (SSL-STATE: ...)
  --msg                    print each handshake message and record in and out
  --debug                  hex dump of every encrypted byte on the socket
  --showcerts              print the peer's certificate chain
  -q, --quiet              print nothing but errors
  --handshake-timeout S    drop a connection whose handshake takes longer (default 10)
  --idle-timeout S         drop a connection idle for longer (default 0: never)
  -h, --help               this help`;

/** Engines by their `--engine` name. */
export const ENGINES: Readonly<Record<string, EngineFactory>> = {
  forge: createForgeEngine,
};

/** The engine named by `--engine`, or a usage error. */
export function engineByName(name: string): EngineFactory {
  const engine = ENGINES[name];
  if (!engine) fail(`unknown engine '${name}' (choose from: ${Object.keys(ENGINES).join(", ")})`);
  return engine;
}

/** Seconds from a flag, as milliseconds. */
export function parseSeconds(text: string, flag: string): number {
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !Number.isFinite(n)) {
    fail(`--${flag} takes a number of seconds, got '${text}'`);
  }
  return n * 1000;
}

/** The trace flags from parsed options. */
export function traceFlags(
  values: { state?: boolean; msg?: boolean; debug?: boolean; showcerts?: boolean },
): TraceFlags {
  return { state: values.state, msg: values.msg, debug: values.debug, showcerts: values.showcerts };
}

/**
 * Reads a PEM file named on the command line; a missing or unreadable file
 * is one clear line, with a hint.
 *
 * @example
 * ```ts
 * const cert = await readPemFile("certs/server.crt", "certificate");
 * ```
 */
export async function readPemFile(path: string, what: string): Promise<string> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      fail(`${what} file ${path} not found (run 'deno task gen-certs' or 'make certs' to create test certificates)`, 1);
    }
    if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable) {
      fail(`no permission to read ${what} file ${path} (grant it with --allow-read=${path})`, 1);
    }
    if (e instanceof Deno.errors.IsADirectory) fail(`${what} file ${path} is a directory`, 1);
    fail(`cannot read ${what} file ${path}: ${(e as Error).message}`, 1);
  }
  if (!text.includes("-----BEGIN ")) fail(`${what} file ${path} is not in PEM format`, 1);
  return text;
}
