/**
 * New TLS connections per second: the project's own client code in this
 * process (lib/ssl/ssl.ts over `Deno.connect`) connects, completes a full
 * handshake, exchanges close_notify and closes, one connection after the
 * other, for a fixed time. Also `openssl s_time -new` as a second opinion.
 *
 * @module
 */

import { Ssl } from "../lib/ssl/ssl.ts";
import { writeAll } from "../lib/app/pump.ts";
import type { EngineFactory, TlsConfig } from "../lib/ssl/engine.ts";
import { Child } from "./procs.ts";
import { parseOpensslBrief, parseSTime } from "./lib/parse.ts";

/** The result of a connection loop. */
export interface LoopResult {
  connections: number;
  failures: number;
  seconds: number;
  /** The cipher suite of the last good connection. */
  cipher: string;
  /** The first failure's message, if any. */
  firstError?: string;
}

/** A connection slower than this counts as failed. */
const CONNECTION_TIMEOUT_MS = 10_000;

/** Options of {@link connectOnce} and {@link connectionLoop}. */
export interface LoopOptions {
  /**
   * Set TCP_NODELAY (default true). With Nagle's algorithm on (Deno's
   * default), close_notify written right after Finished can wait for the
   * server's delayed ACK, which says more about the loop than the server.
   */
  noDelay?: boolean;
}

/**
 * One connection: handshake, close_notify both ways (or the server's FIN),
 * close. Returns the negotiated cipher suite.
 *
 * @example
 * ```ts
 * const cipher = await connectOnce(createForgeEngine, config, 55555);
 * ```
 */
export async function connectOnce(
  engine: EngineFactory,
  config: TlsConfig,
  port: number,
  options: LoopOptions = {},
): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  if (options.noDelay ?? true) conn.setNoDelay(true);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    conn.close(); // wakes the pending read
  }, CONNECTION_TIMEOUT_MS);
  try {
    const ssl = new Ssl(engine, config);
    const flush = async () => {
      while (ssl.wbio.pending > 0) await writeAll(conn, ssl.wbio.read());
    };
    const fail = () => {
      throw new Error(ssl.error?.describe() ?? "TLS error");
    };
    if (ssl.handshake() === "ssl") fail();
    await flush();
    const buffer = new Uint8Array(64 * 1024);
    while (!ssl.isInitFinished) {
      const n = await conn.read(buffer);
      if (n === null) throw new Error("server closed the connection during the handshake");
      ssl.rbio.write(buffer.slice(0, n));
      if (ssl.handshake() === "ssl") fail();
      await flush();
    }
    const cipher = ssl.info?.cipher ?? "unknown";
    ssl.shutdown();
    await flush();
    // Until the server's close_notify (or its FIN): reading also takes in
    // anything sent after the handshake, such as TLS 1.3 session tickets.
    while (true) {
      ssl.read();
      const status = ssl.getError();
      if (status === "zero-return") break;
      if (status === "ssl") fail();
      const n = await conn.read(buffer);
      if (n === null) break;
      ssl.rbio.write(buffer.slice(0, n));
    }
    return cipher;
  } catch (e) {
    throw timedOut ? new Error(`no answer within ${CONNECTION_TIMEOUT_MS} ms`) : e;
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed by the timer */ }
  }
}

/**
 * Connects again and again for `seconds`.
 *
 * @example
 * ```ts
 * const { connections, seconds } = await connectionLoop(createForgeEngine, config, port, 3);
 * ```
 */
export async function connectionLoop(
  engine: EngineFactory,
  config: TlsConfig,
  port: number,
  seconds: number,
  options: LoopOptions = {},
): Promise<LoopResult> {
  const result: LoopResult = { connections: 0, failures: 0, seconds: 0, cipher: "unknown" };
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    try {
      result.cipher = await connectOnce(engine, config, port, options);
      result.connections++;
    } catch (e) {
      result.failures++;
      result.firstError ??= e instanceof Error ? e.message : String(e);
      // A server that refuses everything is not worth hammering for the whole time.
      if (result.connections === 0 && result.failures >= 5) break;
    }
  }
  result.seconds = (performance.now() - start) / 1000;
  return result;
}

/**
 * The cipher suite OpenSSL's client negotiates with the server on `port`
 * (one `s_client -brief` connection with its default offer, as s_time
 * makes), or `undefined` when the connection fails.
 */
async function opensslNegotiatedSuite(port: number): Promise<string | undefined> {
  const out = await new Deno.Command("openssl", {
    args: ["s_client", "-brief", "-connect", `127.0.0.1:${port}`],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  return parseOpensslBrief(new TextDecoder().decode(out.stderr)).cipher;
}

/** The line of OpenSSL's output that says what went wrong, for a one-line report. */
function opensslErrorLine(text: string): string {
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  const error = lines.find((l) => /:error:/.test(l));
  // "40E7…:error:0A000152:SSL routines:final_renegotiate:unsafe legacy renegotiation disabled:…" → the reason
  const reason = error?.split(":")[5];
  return reason ?? lines.at(-1) ?? "no output";
}

/**
 * `openssl s_time -connect 127.0.0.1:PORT -new -time SECONDS`; the rate is
 * its connection count over the wall time measured here (s_time reports
 * whole seconds of real time only). `suite` is what OpenSSL's client
 * negotiates with that server.
 *
 * @example
 * ```ts
 * const { connections, seconds, suite } = await sTime(port, 5);
 * ```
 */
export async function sTime(
  port: number,
  seconds: number,
): Promise<{ connections: number; seconds: number; suite: string | undefined }> {
  const suite = await opensslNegotiatedSuite(port);
  let output = "";
  const decoder = new TextDecoder();
  const start = performance.now();
  const child = new Child("openssl s_time", {
    cmd: "openssl",
    args: ["s_time", "-connect", `127.0.0.1:${port}`, "-new", "-time", String(Math.max(1, Math.round(seconds)))],
  }, async (stream) => {
    for await (const chunk of stream) output += decoder.decode(chunk, { stream: true });
  });
  try {
    const status = await child.done;
    const elapsed = (performance.now() - start) / 1000;
    const parsed = parseSTime(output);
    if (status.code !== 0 || !parsed) {
      throw new Error(`openssl s_time failed (${status.code}): ${opensslErrorLine(output + child.stderrTail())}`);
    }
    return { connections: parsed.connections, seconds: elapsed, suite };
  } finally {
    await child.kill();
  }
}
