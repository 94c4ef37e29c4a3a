/**
 * `--trace-html FILE` for the programs: the file is checked (and made
 * private) when the program starts, so a bad path is one line before any
 * connection; each connection's page then replaces it when the connection
 * ends. The page code (lib/trace) is loaded only then: without the flag a
 * program never runs it.
 *
 * @module
 */

import { errorText, fail, info } from "./cli.ts";
import type { Role, TraceEvent } from "../ssl/engine.ts";
import type { SslOptions } from "../ssl/ssl.ts";
import type { PageContext, TracePage } from "../trace/mod.ts";

/** A checked `--trace-html` file, and the page code loaded for it. */
export interface TraceFile {
  /** Where each connection's page goes. */
  readonly path: string;
  /** The page class, from lib/trace. */
  readonly TracePage: typeof TracePage;
}

/**
 * Creates `path` mode 0600 (or makes an existing file 0600) and loads the
 * page code, or fails with one line; undefined when the flag was not given.
 */
export async function prepareTraceFile(path: string | undefined): Promise<TraceFile | undefined> {
  if (path === undefined) return undefined;
  if (path === "") fail("--trace-html takes a file name");
  try {
    const file = await Deno.open(path, { write: true, create: true, mode: 0o600 });
    file.close();
    await Deno.chmod(path, 0o600);
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      fail(`no permission to write trace page ${path} (grant it with --allow-write=${path})`, 1);
    }
    fail(`cannot write trace page ${path}: ${errorText(e)}`, 1);
  }
  return { path, TracePage: (await import("../trace/mod.ts")).TracePage };
}

/** One connection's page and the Ssl options that feed it. */
export interface TraceSession {
  page: TracePage | undefined;
  sslOptions: SslOptions;
}

/**
 * Ssl options for one connection: stderr tracing as asked, plus the page's
 * events when `--trace-html` was given.
 */
export function traceSession(
  role: Role,
  file: TraceFile | undefined,
  stderr: ((event: TraceEvent) => void) | undefined,
): TraceSession {
  if (file === undefined) return { page: undefined, sslOptions: { trace: stderr } };
  const page = new file.TracePage(role);
  const trace = stderr
    ? (event: TraceEvent) => {
      stderr(event);
      page.trace(event);
    }
    : page.trace;
  return { page, sslOptions: { trace, traceSecrets: true } };
}

/**
 * Writes the page of a finished connection; a failure to write is one line
 * on stderr, not the end of the program.
 */
export async function writeTracePage(
  session: TraceSession,
  file: TraceFile | undefined,
  ctx: PageContext,
  quiet: boolean,
): Promise<void> {
  if (!session.page || file === undefined) return;
  const { path } = file;
  try {
    await session.page.write(path, ctx);
    if (!quiet) info(`wrote trace page ${path} (it contains this connection's secrets)`);
  } catch (e) {
    info(`cannot write trace page ${path}: ${errorText(e)}`);
  }
}
