/**
 * Command-line options shared by `server.ts` and `client.ts`, and the
 * loading of the files they name, with one-line errors.
 *
 * @module
 */

import { fail } from "./cli.ts";
import type { EngineFactory, ProtocolVersion } from "../ssl/engine.ts";
import { createTls13Engine, GROUP_BY_NAME, tls13EngineFactory } from "../engines/tls13/mod.ts";
import { versionRouter } from "../engines/version_router.ts";
import { keyMatchesCertificate } from "../pki/x509.ts";
import { createForgeEngine } from "../engines/forge/forge_engine.ts";
import type { TraceFlags } from "./report.ts";

/** `parseArgs` option table entries used by both programs. */
export const COMMON_OPTIONS = {
  cert: { type: "string" },
  key: { type: "string" },
  ca: { type: "string" },
  engine: { type: "string" },
  "min-version": { type: "string" },
  "max-version": { type: "string" },
  alpn: { type: "string" },
  groups: { type: "string" },
  keylog: { type: "string" },
  "trace-html": { type: "string" },
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
export const COMMON_HELP = `  --min-version V          lowest protocol version: TLSv1.3 (default), TLSv1.1 or TLSv1
  --max-version V          highest protocol version: TLSv1.3 (default), TLSv1.1 or TLSv1
                           (TLS 1.0/1.1 use the legacy forge engine; TLS 1.2 is not offered)
  --engine NAME            force an engine: tls13 or forge (default: chosen by version)
  --alpn LIST              ALPN protocols, comma-separated, in preference order
  --groups LIST            TLS 1.3 key exchange groups in preference order, separated by : or ,
                           (default X25519MLKEM768:X25519:P-256:P-384)
  --keylog FILE            append TLS secrets to FILE (SSLKEYLOGFILE format) for Wireshark
  --trace-html FILE        write an illustrated page of the connection, secrets included, to
                           FILE (mode 0600) when it ends; a server rewrites it per connection
  --state                  print handshake state changes (SSL-STATE: ...)
  --msg                    print each handshake message and record in and out
  --debug                  hex dump of every encrypted byte on the socket
  --showcerts              print the peer's certificate chain
  -q, --quiet              print nothing but errors
  --handshake-timeout S    drop a connection whose handshake takes longer (default 10; 0: no limit)
  --idle-timeout S         drop a connection idle for longer (default 0: never)
  -h, --help               this help`;

/** TLS 1.3 engine as the programs use it: default options. */
const tls13: EngineFactory = createTls13Engine;

/** The TLS 1.3 engine with the `--groups` order, if one was given. */
function tls13WithGroups(text: string | undefined): EngineFactory {
  if (text === undefined) return tls13;
  const groups = text.split(/[:,]/).map((g) => g.trim());
  for (const g of groups) {
    if (!Object.hasOwn(GROUP_BY_NAME, g)) {
      fail(`--groups: unknown group '${g}' (choose from X25519MLKEM768, X25519, P-256, P-384)`);
    }
  }
  return tls13EngineFactory({ groups });
}

/** Engines by their `--engine` name. */
export const ENGINES: Readonly<Record<string, EngineFactory>> = {
  tls13,
  forge: createForgeEngine,
};

const VERSIONS: Record<string, number> = { "TLSv1": 1, "TLSv1.1": 2, "TLSv1.2": 3, "TLSv1.3": 4 };

function parseVersion(text: string | undefined, flag: string, fallback: ProtocolVersion): ProtocolVersion {
  if (text === undefined) return fallback;
  if (!(text in VERSIONS)) fail(`--${flag} takes TLSv1, TLSv1.1 or TLSv1.3, got '${text}'`);
  if (text === "TLSv1.2") fail(`TLS 1.2 is not implemented: use TLSv1.3, or TLSv1.1 for legacy peers`);
  return text as ProtocolVersion;
}

/**
 * Picks the engine from `--engine` and the version flags.
 * - server: TLS 1.3 clients always go to the TLS 1.3 engine; older ones to
 *   the forge engine only when `--min-version` allows them;
 * - client: one engine per connection — TLS 1.3, or forge when
 *   `--max-version` is below TLS 1.3.
 */
export function chooseEngine(
  role: "server" | "client",
  values: { engine?: string; "min-version"?: string; "max-version"?: string; groups?: string },
): { engine: EngineFactory; minVersion: ProtocolVersion; maxVersion: ProtocolVersion } {
  const tls13 = tls13WithGroups(values.groups);
  const forced = values.engine;
  if (forced !== undefined && !(forced in ENGINES)) {
    fail(`unknown engine '${forced}' (choose from: ${Object.keys(ENGINES).join(", ")})`);
  }
  const legacyDefault = forced === "forge";
  const minVersion = parseVersion(values["min-version"], "min-version", legacyDefault ? "TLSv1" : "TLSv1.3");
  const maxVersion = parseVersion(values["max-version"], "max-version", legacyDefault ? "TLSv1.1" : "TLSv1.3");
  if (VERSIONS[minVersion] > VERSIONS[maxVersion]) {
    fail(`--min-version ${minVersion} is above --max-version ${maxVersion}`);
  }
  const legacyAllowed = VERSIONS[minVersion] <= VERSIONS["TLSv1.1"];
  const modernAllowed = maxVersion === "TLSv1.3";
  if (forced === "forge" && modernAllowed) fail("the forge engine speaks TLS 1.0 and 1.1 only: --max-version TLSv1.1");
  if (forced === "tls13" && legacyAllowed) fail("the tls13 engine speaks TLS 1.3 only: --min-version TLSv1.3");
  if (forced) return { engine: forced === "tls13" ? tls13 : ENGINES[forced], minVersion, maxVersion };
  if (!modernAllowed) return { engine: createForgeEngine, minVersion, maxVersion };
  if (role === "client") {
    if (legacyAllowed) {
      fail("the client speaks either TLS 1.3 or TLS 1.0-1.1 on a connection, not both: choose with --max-version");
    }
    return { engine: tls13, minVersion, maxVersion };
  }
  return { engine: versionRouter(tls13, legacyAllowed ? createForgeEngine : undefined), minVersion, maxVersion };
}

/** ALPN protocol list from `--alpn a,b`. */
export function parseAlpn(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const list = text.split(",").map((p) => p.trim());
  if (list.some((p) => p.length === 0 || p.length > 255)) fail(`--alpn takes a comma-separated list, got '${text}'`);
  return list;
}

/**
 * Opens the `--keylog` file (created 0600: it holds secrets) and returns a
 * line writer for {@link TlsConfig.keyLog}.
 */
export async function openKeyLog(path: string | undefined): Promise<((line: string) => void) | undefined> {
  if (path === undefined) return undefined;
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { append: true, create: true, mode: 0o600 });
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      fail(`no permission to write key log ${path} (grant it with --allow-write=${path})`, 1);
    }
    fail(`cannot open key log ${path}: ${(e as Error).message}`, 1);
  }
  // The mode above applies only to a file we create: an existing one must be
  // a plain file that nobody else can read, or secrets would leak into it.
  const info = await file.stat();
  if (!info.isFile) {
    file.close();
    fail(`key log ${path} is not a regular file`, 1);
  }
  if ((info.mode ?? 0) & 0o077) {
    file.close();
    fail(
      `key log ${path} is readable by others (mode ${((info.mode ?? 0) & 0o777).toString(8)}); chmod 600 it first`,
      1,
    );
  }
  const encoder = new TextEncoder();
  // Synchronous, so every secret is on disk before the handshake goes on.
  return (line) => void file.writeSync(encoder.encode(line.endsWith("\n") ? line : `${line}\n`));
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

/**
 * Checks that a private key belongs to the certificate it goes with, like
 * OpenSSL's SSL_CTX_check_private_key; one line and exit status 1 if not.
 */
export function checkKeyPair(key: string, cert: string, keyFile: string, certFile: string): void {
  let matches: boolean;
  try {
    matches = keyMatchesCertificate(key, cert);
  } catch {
    fail(`${keyFile} or ${certFile} could not be parsed as a private key and certificate`, 1);
  }
  if (!matches) fail(`private key ${keyFile} does not match certificate ${certFile}`, 1);
}
