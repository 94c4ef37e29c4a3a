/**
 * Command-line options shared by `server.ts` and `client.ts`, and the
 * loading of the files they name, with one-line errors.
 *
 * @module
 */

import { errorText, fail } from "./cli.ts";
import type { EngineFactory, ProtocolVersion } from "../ssl/engine.ts";
import { createTls13Engine, GROUP_BY_NAME, tls13EngineFactory } from "../engines/tls13/mod.ts";
import { createTls12Engine, TLS12_GROUP_NAMES, tls12EngineFactory } from "../engines/tls12/mod.ts";
import { clientVersionRouter, versionRouter } from "../engines/version_router.ts";
import { keyMatchesCertificate } from "../pki/x509.ts";
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
export const COMMON_HELP =
  `  --min-version V          lowest protocol version: TLSv1.2 (default), TLSv1.3, TLSv1.1 or TLSv1
  --max-version V          highest protocol version: TLSv1.3 (default), TLSv1.2, TLSv1.1 or TLSv1
                           (TLS 1.0/1.1 use the legacy forge engine)
  --engine NAME            force an engine: tls13, tls12 or forge (default: chosen by version)
  --alpn LIST              ALPN protocols, comma-separated, in preference order
  --groups LIST            key exchange groups in preference order, separated by : or ,
                           (default X25519MLKEM768:X25519:P-256:P-384; TLS 1.2 uses the ECDHE ones)
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

/** `--groups` names as OpenSSL takes them, any case (`p-256`, `x25519mlkem768`). */
const GROUP_NAME_BY_LOWER_CASE = new Map(Object.keys(GROUP_BY_NAME).map((name) => [name.toLowerCase(), name]));

/** The `--groups` order: every name for TLS 1.3, the ECDHE ones for TLS 1.2 (undefined: the defaults). */
function parseGroups(text: string | undefined): { tls13?: string[]; tls12?: string[] } {
  if (text === undefined) return {};
  const groups: string[] = [];
  for (const given of text.split(/[:,]/).map((g) => g.trim())) {
    const name = GROUP_NAME_BY_LOWER_CASE.get(given.toLowerCase());
    if (name === undefined) {
      fail(`--groups: unknown group '${given}' (choose from X25519MLKEM768, X25519, P-256, P-384)`);
    }
    // A group listed twice would be offered twice (and key-shared twice), which peers may refuse.
    if (groups.some((g) => GROUP_BY_NAME[g] === GROUP_BY_NAME[name])) fail(`--groups: '${given}' is listed twice`);
    groups.push(name);
  }
  const ecdhe = groups.filter((g) => TLS12_GROUP_NAMES.includes(g));
  return { tls13: groups, tls12: ecdhe.length ? ecdhe : undefined };
}

/**
 * The forge engine (TLS 1.0/1.1), loaded only when the options choose it:
 * node-forge is 1.6 MB of JavaScript, several MiB of memory and a good part
 * of start-up that the TLS 1.2/1.3 path never uses.
 */
async function loadForgeEngine(): Promise<EngineFactory> {
  try {
    return (await import("../engines/forge/forge_engine.ts")).createForgeEngine;
  } catch (e) {
    fail(`cannot load the forge engine (node-forge): ${errorText(e)}`, 1);
  }
}

/** Engines by their `--engine` name, each loaded when asked for. */
const ENGINE_LOADERS: Readonly<Record<string, () => Promise<EngineFactory>>> = {
  tls13: () => Promise.resolve(createTls13Engine),
  tls12: () => Promise.resolve(createTls12Engine),
  forge: loadForgeEngine,
};

/** The `--engine` names. */
export const ENGINE_NAMES: readonly string[] = Object.keys(ENGINE_LOADERS);

/**
 * Every engine by its `--engine` name, all loaded (the benchmark runs each).
 *
 * @example
 * ```ts
 * const engines = await loadEngines();
 * console.log(Object.keys(engines)); // [ "tls13", "tls12", "forge" ]
 * ```
 */
export async function loadEngines(): Promise<Record<string, EngineFactory>> {
  const entries = await Promise.all(ENGINE_NAMES.map(async (name) => [name, await ENGINE_LOADERS[name]()] as const));
  return Object.fromEntries(entries);
}

const VERSIONS: Record<string, number> = { "TLSv1": 1, "TLSv1.1": 2, "TLSv1.2": 3, "TLSv1.3": 4 };

/** The versions each forced engine speaks, which are also its defaults. */
const ENGINE_RANGE: Record<string, [ProtocolVersion, ProtocolVersion]> = {
  tls13: ["TLSv1.3", "TLSv1.3"],
  tls12: ["TLSv1.2", "TLSv1.2"],
  forge: ["TLSv1", "TLSv1.1"],
};

function parseVersion(text: string | undefined, flag: string): ProtocolVersion | undefined {
  if (text === undefined) return undefined;
  if (!(text in VERSIONS)) fail(`--${flag} takes TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3, got '${text}'`);
  return text as ProtocolVersion;
}

/** The lower of two versions. */
function lower(a: ProtocolVersion, b: ProtocolVersion): ProtocolVersion {
  return VERSIONS[a] <= VERSIONS[b] ? a : b;
}

/**
 * Picks the engine from `--engine` and the version flags (default: TLS 1.2
 * to TLS 1.3; the default minimum follows an explicit maximum below it, so
 * `--max-version TLSv1.1` alone means TLS 1.1 only). The forge engine is
 * loaded only when the result can use it.
 * - server: each client goes to the engine for the highest version both
 *   accept: TLS 1.3, TLS 1.2, or forge for TLS 1.0/1.1 when `--min-version`
 *   allows them;
 * - client: one ClientHello offering TLS 1.3 and TLS 1.2, continued in the
 *   version the server picks; only one of them when the range says so; forge
 *   when `--max-version` is below TLS 1.2.
 *
 * @example
 * ```ts
 * const { engine } = await chooseEngine("server", { "min-version": "TLSv1" });
 * ```
 */
export async function chooseEngine(
  role: "server" | "client",
  values: { engine?: string; "min-version"?: string; "max-version"?: string; groups?: string },
): Promise<{ engine: EngineFactory; minVersion: ProtocolVersion; maxVersion: ProtocolVersion }> {
  const groups = parseGroups(values.groups);
  const tls13 = groups.tls13 ? tls13EngineFactory({ groups: groups.tls13 }) : createTls13Engine;
  const tls12 = groups.tls12 ? tls12EngineFactory({ groups: groups.tls12 }) : createTls12Engine;
  const forced = values.engine;
  if (forced !== undefined && !Object.hasOwn(ENGINE_LOADERS, forced)) {
    fail(`unknown engine '${forced}' (choose from: ${ENGINE_NAMES.join(", ")})`);
  }
  const givenMin = parseVersion(values["min-version"], "min-version");
  const givenMax = parseVersion(values["max-version"], "max-version");
  if (givenMin && givenMax && VERSIONS[givenMin] > VERSIONS[givenMax]) {
    fail(`--min-version ${givenMin} is above --max-version ${givenMax}`);
  }
  if (forced) {
    const [lo, hi] = ENGINE_RANGE[forced];
    const outside = (v: ProtocolVersion | undefined) => v && (VERSIONS[v] < VERSIONS[lo] || VERSIONS[v] > VERSIONS[hi]);
    if (outside(givenMin) || outside(givenMax)) {
      const range = lo === hi ? lo : `${lo} to ${hi}`;
      fail(`the ${forced} engine speaks ${range} only: set --min-version/--max-version within it`);
    }
  }
  const [defaultMin, defaultMax] = forced ? ENGINE_RANGE[forced] : ["TLSv1.2", "TLSv1.3"] as const;
  const maxVersion = givenMax ?? defaultMax; // the highest there is, or the forced engine's
  // A legacy maximum opens the legacy engine's whole range (TLSv1 up to it).
  const minVersion = givenMin ??
    (VERSIONS[maxVersion] <= VERSIONS["TLSv1.1"] && !forced ? "TLSv1" : lower(defaultMin, maxVersion));
  if (forced) {
    const engine = forced === "tls13" ? tls13 : forced === "tls12" ? tls12 : await loadForgeEngine();
    return { engine, minVersion, maxVersion };
  }
  const legacyAllowed = VERSIONS[minVersion] <= VERSIONS["TLSv1.1"];
  const tls12Allowed = VERSIONS[minVersion] <= VERSIONS["TLSv1.2"] && VERSIONS[maxVersion] >= VERSIONS["TLSv1.2"];
  if (VERSIONS[maxVersion] <= VERSIONS["TLSv1.1"]) return { engine: await loadForgeEngine(), minVersion, maxVersion };
  if (role === "client") {
    if (legacyAllowed) {
      fail("the client speaks either TLS 1.2-1.3 or TLS 1.0-1.1 on a connection, not both: choose with --max-version");
    }
    const both = () => clientVersionRouter({ tls13: { groups: groups.tls13 }, tls12: { groups: groups.tls12 } });
    const engine = maxVersion === "TLSv1.2" ? tls12 : minVersion === "TLSv1.3" ? tls13 : both();
    return { engine, minVersion, maxVersion };
  }
  return {
    engine: versionRouter(tls13, legacyAllowed ? await loadForgeEngine() : undefined, tls12Allowed ? tls12 : undefined),
    minVersion,
    maxVersion,
  };
}

/** ALPN protocol list from `--alpn a,b`. */
export function parseAlpn(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const list = text.split(",").map((p) => p.trim());
  if (list.some((p) => p.length === 0 || p.length > 255)) fail(`--alpn takes a comma-separated list, got '${text}'`);
  return list;
}

/**
 * Opens the `--keylog` file and returns a line writer for
 * {@link TlsConfig.keyLog}. A new file is created 0600 (it holds secrets),
 * which needs write access only; appending to an existing one needs read
 * access too, to check that it is a plain file nobody else can read.
 */
export async function openKeyLog(path: string | undefined): Promise<((line: string) => void) | undefined> {
  if (path === undefined) return undefined;
  const file = await openKeyLogFile(path, { write: true, createNew: true, mode: 0o600 }) ??
    await openExistingKeyLog(path);
  const encoder = new TextEncoder();
  // Synchronous, so every secret is on disk before the handshake goes on.
  return (line) => void file.writeSync(encoder.encode(line.endsWith("\n") ? line : `${line}\n`));
}

/** The key log opened with `options`; undefined if it exists and `options` create a new file only. */
async function openKeyLogFile(path: string, options: Deno.OpenOptions): Promise<Deno.FsFile | undefined> {
  try {
    return await Deno.open(path, options);
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists && options.createNew) return undefined;
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      fail(`no permission to write key log ${path} (grant it with --allow-write=${path})`, 1);
    }
    fail(`cannot open key log ${path}: ${(e as Error).message}`, 1);
  }
}

/** An existing key log, once it is known to be a plain file that nobody else can read. */
async function openExistingKeyLog(path: string): Promise<Deno.FsFile> {
  const file = (await openKeyLogFile(path, { append: true }))!; // undefined only for createNew
  let info: Deno.FileInfo;
  try {
    info = await file.stat();
  } catch (e) {
    file.close();
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      fail(`key log ${path} exists: grant --allow-read=${path} too, so its mode can be checked before appending`, 1);
    }
    fail(`cannot check key log ${path}: ${(e as Error).message}`, 1);
  }
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
  return file;
}

/** Seconds from a flag, as milliseconds. */
export function parseSeconds(text: string, flag: string): number {
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !Number.isFinite(n)) {
    fail(`--${flag} takes a number of seconds, 0 or more, got '${text}'`);
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

/** Reads a PEM file that must hold at least one certificate (not, say, the key by mistake). */
export async function readCertificateFile(path: string, what: string): Promise<string> {
  const text = await readPemFile(path, what);
  if (!text.includes("-----BEGIN CERTIFICATE-----")) fail(`no certificate in ${what} file ${path}`, 1);
  return text;
}

/** Reads a PEM file that must hold a private key. */
export async function readPrivateKeyFile(path: string): Promise<string> {
  const text = await readPemFile(path, "private key");
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) fail(`no private key in private key file ${path}`, 1);
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
