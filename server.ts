/**
 * `deno task server [port]` — the seed's ssl_server_nonblock, in Deno.
 *
 * Accepts one TLS client at a time. What the client sends is decrypted and
 * written to stdout; what arrives on stdin is encrypted and sent to the
 * client. All TLS happens in memory (lib/ssl/ssl.ts): this program moves the
 * encrypted bytes between the socket and the two memory BIOs (lib/app/pump.ts).
 *
 * @module
 */

import { Ssl } from "./lib/ssl/ssl.ts";
import { ChunkSource } from "./lib/app/chunk_source.ts";
import { pump, PumpError, writeAll } from "./lib/app/pump.ts";
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

const USAGE = `usage: deno task server [port] [options]

Accepts TLS clients one at a time on port (default 55555). The client's data
is decrypted to stdout; stdin is encrypted and sent to the client.

  --host ADDR              address to bind (default 127.0.0.1; :: or 0.0.0.0 for all)
  --cert FILE              server certificate chain, PEM (default certs/server.crt)
  --key FILE               server private key, PEM (default certs/server.key)
  --ca FILE                CA for client certificates (default certs/ca.crt)
  --verify-client          ask clients for a certificate, verify it if sent
  --require-client-cert    refuse clients without a valid certificate
${COMMON_HELP}`;

async function main(): Promise<number> {
  setProgramName("server");
  const opts = await parseServerArgs(Deno.args);
  if (!opts) return 0;
  const listener = listen(opts.host, opts.port);
  const interrupt = new Interrupt(); // SIGINT/SIGTERM: close_notify to the client, then exit
  const stdin = new ChunkSource(Deno.stdin); // read only while a client is connected
  const stdout = (bytes: Uint8Array) => writeAll(Deno.stdout, bytes);
  let stdinErrorReported = false;

  while (true) {
    if (!opts.quiet) info(`waiting for next connection on port ${opts.port}`);
    // Later clients wait in the listen backlog.
    const conn = await accept(listener, interrupt.abortSignal);
    if (!conn) break;
    (conn as Deno.TcpConn).setNoDelay(true); // handshake flights and close_notify must not wait for ACKs
    const peer = conn.remoteAddr as Deno.NetAddr;
    if (!opts.quiet) info(`new connection from ${peer.hostname}:${peer.port}`);
    const tracing = traceSession("server", opts.traceHtml, traceToStderr(opts.trace));
    const ssl = new Ssl(opts.engine, opts.config, tracing.sslOptions);
    try {
      // socket → rbio → ssl.readInto() → stdout,  stdin → ssl.write() → wbio → socket
      const result = await pump(conn, ssl, {
        input: stdin,
        output: stdout,
        onHandshake: (session) => {
          if (!opts.quiet) info(`handshake complete: ${describeSession(session)}`);
          if (opts.trace.showcerts) console.error(describeChain(session.peerCertificates));
        },
        onSocketData: dumpToStderr(opts.trace),
        handshakeTimeoutMs: opts.handshakeTimeoutMs,
        idleTimeoutMs: opts.idleTimeoutMs,
        interrupt: interrupt.abortSignal,
      });
      if (!opts.quiet) {
        info(`client closed the connection: ${describeTransfer(result.bytesIn, result.bytesOut, result.durationMs)}`);
      }
    } catch (e) {
      const why = interrupt.signal ? `${interrupt.signal}: sent close_notify` : errorText(e);
      info(`connection from ${peer.hostname}:${peer.port} ended: ${why}`);
      if (e instanceof PumpError && e.outputFailed) return 1; // stdout is gone: nowhere to deliver data
    } finally {
      try {
        conn.close();
      } catch { /* closed by the pump */ }
      const title = `server, connection from ${peer.hostname}:${peer.port}`;
      await writeTracePage(tracing, opts.traceHtml, { title, info: ssl.info }, opts.quiet);
    }
    if (stdin.error && !stdinErrorReported) {
      stdinErrorReported = true;
      info(`cannot read stdin (${errorText(stdin.error)}): treating it as ended`);
    }
    if (interrupt.signal) break;
  }
  if (!opts.quiet) info(`${interrupt.signal}: exiting`);
  return interrupt.exitStatus;
}

interface ServerOptions {
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

async function parseServerArgs(args: string[]): Promise<ServerOptions | undefined> {
  const { values, positionals } = parseArguments({
    args,
    options: {
      ...COMMON_OPTIONS,
      host: { type: "string", default: "127.0.0.1" },
      "verify-client": { type: "boolean", default: false },
      "require-client-cert": { type: "boolean", default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return undefined;
  }
  if (positionals.length > 1) fail(`unexpected argument '${positionals[1]}'`);
  const port = parsePort(positionals[0] ?? "55555");
  // Every argument is checked before any file is read: a bad one is the only line printed.
  const { engine, minVersion, maxVersion } = await chooseEngine("server", values);
  const alpnProtocols = parseAlpn(values.alpn);
  const handshakeTimeoutMs = parseSeconds(values["handshake-timeout"]!, "handshake-timeout");
  const idleTimeoutMs = parseSeconds(values["idle-timeout"]!, "idle-timeout");
  const certFile = values.cert ?? "certs/server.crt";
  const keyFile = values.key ?? "certs/server.key";
  const certificateChain = await readCertificateFile(certFile, "certificate");
  const privateKey = await readPrivateKeyFile(keyFile);
  checkKeyPair(privateKey, certificateChain, keyFile, certFile);
  const wantClientCert = values["verify-client"] || values["require-client-cert"];
  const caCertificates = wantClientCert
    ? [await readCertificateFile(values.ca ?? "certs/ca.crt", "CA certificate")]
    : [];
  const keyLog = await openKeyLog(values.keylog);
  if (!values.quiet) info(`private key ${keyFile} matches certificate ${certFile}`);
  return {
    host: values.host!,
    port,
    engine,
    config: {
      role: "server",
      minVersion,
      maxVersion,
      alpnProtocols,
      keyLog,
      certificateChain,
      privateKey,
      caCertificates,
      verifyPeer: wantClientCert,
      requestClientCertificate: wantClientCert,
      requireClientCertificate: values["require-client-cert"],
    },
    trace: traceFlags(values),
    traceHtml: await prepareTraceFile(values["trace-html"]),
    quiet: values.quiet!,
    handshakeTimeoutMs,
    idleTimeoutMs,
  };
}

/**
 * The next connection, or undefined once `interrupt` aborts. A connection
 * that failed before it was accepted (reset, aborted) is reported and the
 * next one taken at once; running out of resources (file descriptors,
 * memory) is reported and retried after a pause, to let connections end.
 */
function accept(listener: Deno.Listener, interrupt: AbortSignal): Promise<Deno.Conn | undefined> {
  return new Promise((resolve) => {
    // A listener removed per connection: a reaction on a process-long promise would keep each one alive.
    const onAbort = () => resolve(undefined);
    interrupt.addEventListener("abort", onAbort, { once: true });
    (async () => {
      while (!interrupt.aborted) {
        try {
          return await listener.accept();
        } catch (e) {
          if (!isResourceError(e)) {
            info(`accept failed: ${errorText(e)}; taking the next connection`);
            continue;
          }
          info(`accept failed: ${errorText(e)}; retrying in 1 s`);
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    })().then((conn) => {
      interrupt.removeEventListener("abort", onAbort);
      resolve(conn);
    });
  });
}

/** EMFILE, ENFILE, ENOMEM, ENOBUFS: the process or system is out of something, not the peer at fault. */
function isResourceError(e: unknown): boolean {
  return /\(os error (24|23|12|105)\)/.test(errorText(e));
}

function listen(hostname: string, port: number): Deno.Listener {
  try {
    return Deno.listen({ hostname, port, transport: "tcp" });
  } catch (e) {
    if (e instanceof Deno.errors.AddrInUse) fail(`port ${port} on ${hostname} is already in use`, 1);
    if (e instanceof Deno.errors.AddrNotAvailable) fail(`cannot bind to ${hostname}: address not available`, 1);
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      fail(`no permission to listen on ${hostname}:${port} (${errorText(e)})`, 1);
    }
    throw e;
  }
}

if (import.meta.main) runMain(main);
