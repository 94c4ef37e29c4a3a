/**
 * `deno task client [host] [port]` — the seed's ssl_client_nonblock, in Deno.
 *
 * Connects to a TLS server, verifies its certificate against a CA file and
 * the host name, then sends stdin (encrypted) and writes what the server
 * sends (decrypted) to stdout. Exits 0 after a clean close.
 *
 * @module
 */

import { Ssl } from "./lib/ssl/ssl.ts";
import { ChunkSource } from "./lib/app/chunk_source.ts";
import { pump, writeAll } from "./lib/app/pump.ts";
import { connectAny } from "./lib/app/connect.ts";
import { errorText, fail, info, Interrupt, parseArguments, parsePort, runMain, setProgramName } from "./lib/app/cli.ts";
import {
  checkKeyPair,
  chooseEngine,
  COMMON_HELP,
  COMMON_OPTIONS,
  openKeyLog,
  parseAlpn,
  parseSeconds,
  readCertificateFile,
  readPrivateKeyFile,
  traceFlags,
} from "./lib/app/options.ts";
import { describeChain, describeSession, describeTransfer, dumpToStderr, traceToStderr } from "./lib/app/report.ts";
import type { EngineFactory, TlsConfig } from "./lib/ssl/engine.ts";
import { prepareTraceFile, type TraceFile, traceSession, writeTracePage } from "./lib/app/trace_file.ts";

const USAGE = `usage: deno task client [host] [port] [options]

Connects to host (default 127.0.0.1) on port (default 55555) over TLS.
stdin is encrypted and sent to the server; the server's data is decrypted
to stdout. Exits 0 after a clean close, 1 on failure.

  --ca FILE                CA certificates to trust, PEM (default certs/ca.crt)
  --servername NAME        name for SNI and certificate checks (default: host)
  --insecure               do not verify the server's certificate (warns)
  --cert FILE              client certificate for mutual TLS, PEM
  --key FILE               its private key, PEM
${COMMON_HELP}`;

async function main(): Promise<number> {
  setProgramName("client");
  const opts = await parseClientArgs(Deno.args);
  if (!opts) return 0;
  const { conn, address } = await connect(opts.host, opts.port);
  conn.setNoDelay(true); // handshake flights and close_notify must not wait for ACKs
  if (!opts.quiet) info(`connected to ${opts.host}:${opts.port}${address === opts.host ? "" : ` (${address})`}`);
  const tracing = traceSession("client", opts.traceHtml, traceToStderr(opts.trace));
  const ssl = new Ssl(opts.engine, opts.config, tracing.sslOptions);
  const interrupt = new Interrupt(); // SIGINT/SIGTERM: close_notify to the server, then exit
  const stdin = new ChunkSource(Deno.stdin);
  try {
    // stdin → ssl.write() → wbio → socket,  socket → rbio → ssl.readInto() → stdout
    const result = await pump(conn, ssl, {
      input: stdin,
      output: (bytes) => writeAll(Deno.stdout, bytes),
      onHandshake: (session) => {
        if (!opts.quiet) info(`handshake complete: ${describeSession(session)}`);
        if (opts.trace.showcerts) console.error(describeChain(session.peerCertificates));
      },
      onSocketData: dumpToStderr(opts.trace),
      handshakeTimeoutMs: opts.handshakeTimeoutMs,
      idleTimeoutMs: opts.idleTimeoutMs,
      interrupt: interrupt.abortSignal,
    });
    if (stdin.error) info(`cannot read stdin (${errorText(stdin.error)}): treated it as ended`);
    if (!opts.quiet) {
      info(`server closed the connection: ${describeTransfer(result.bytesIn, result.bytesOut, result.durationMs)}`);
    }
    return 0;
  } catch (e) {
    if (interrupt.signal) {
      if (!opts.quiet) info(`${interrupt.signal}: sent close_notify, exiting`);
      return interrupt.exitStatus;
    }
    info(`connection failed: ${errorText(e)}`);
    return 1;
  } finally {
    try {
      conn.close();
    } catch { /* closed by the pump */ }
    const title = `client, connected to ${opts.host}:${opts.port}`;
    await writeTracePage(tracing, opts.traceHtml, { title, info: ssl.info }, opts.quiet);
  }
}

interface ClientOptions {
  host: string;
  port: number;
  config: TlsConfig;
  engine: EngineFactory;
  trace: ReturnType<typeof traceFlags>;
  traceHtml: TraceFile | undefined;
  quiet: boolean;
  handshakeTimeoutMs: number;
  idleTimeoutMs: number;
}

async function parseClientArgs(args: string[]): Promise<ClientOptions | undefined> {
  const { values, positionals } = parseArguments({
    args,
    options: {
      ...COMMON_OPTIONS,
      servername: { type: "string" },
      insecure: { type: "boolean", default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return undefined;
  }
  if (positionals.length > 2) fail(`unexpected argument '${positionals[2]}'`);
  const host = (positionals[0] ?? "127.0.0.1").replace(/^\[(.*)\]$/, "$1");
  if (host === "") fail("host must not be empty");
  const port = parsePort(positionals[1] ?? "55555");
  if ((values.cert === undefined) !== (values.key === undefined)) fail("--cert and --key go together");
  if (values.servername === "") fail("--servername must not be empty");
  // Every argument is checked before any file is read: a bad one is the only line printed.
  const { engine, minVersion, maxVersion } = await chooseEngine("client", values);
  const alpnProtocols = parseAlpn(values.alpn);
  const handshakeTimeoutMs = parseSeconds(values["handshake-timeout"]!, "handshake-timeout");
  const idleTimeoutMs = parseSeconds(values["idle-timeout"]!, "idle-timeout");
  const certificateChain = values.cert ? await readCertificateFile(values.cert, "certificate") : undefined;
  const privateKey = values.key ? await readPrivateKeyFile(values.key) : undefined;
  if (certificateChain && privateKey) checkKeyPair(privateKey, certificateChain, values.key!, values.cert!);
  const insecure = values.insecure!;
  const caCertificates = insecure ? [] : [await readCertificateFile(values.ca ?? "certs/ca.crt", "CA certificate")];
  if (insecure) info("WARNING: --insecure: the server's certificate is NOT verified");
  const keyLog = await openKeyLog(values.keylog);
  return {
    host,
    port,
    engine,
    config: {
      role: "client",
      minVersion,
      maxVersion,
      alpnProtocols,
      keyLog,
      serverName: values.servername ?? host,
      verifyPeer: !insecure,
      caCertificates,
      certificateChain,
      privateKey,
    },
    trace: traceFlags(values),
    traceHtml: await prepareTraceFile(values["trace-html"]),
    quiet: values.quiet!,
    handshakeTimeoutMs,
    idleTimeoutMs,
  };
}

async function connect(hostname: string, port: number): Promise<{ conn: Deno.TcpConn; address: string }> {
  try {
    return await connectAny(hostname, port);
  } catch (e) {
    fail(errorText(e), 1);
  }
}

if (import.meta.main) runMain(main);
