/**
 * Moves bytes between a `Deno.Conn`, an {@link Ssl} and the local side
 * (stdin/stdout), like the seed's main loop:
 *
 * ```
 * conn.read() → ssl.rbio → ssl.read()  → output (stdout)
 * conn.write() ← ssl.wbio ← ssl.write() ← input (stdin)
 * ```
 *
 * The socket and the input are read concurrently, neither waits on the
 * other; every write is awaited, so a slow peer holds back our input and a
 * slow output holds back the socket — memory stays bounded.
 *
 * @module
 */

import type { Ssl } from "../ssl/ssl.ts";
import type { ConnectionInfo } from "../ssl/engine.ts";
import { CANCELLED, type ChunkSource } from "./chunk_source.ts";

/** How long close_notify may take to leave when the user interrupts. */
const INTERRUPT_GRACE_MS = 1000;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Socket read size: large reads keep per-call overhead low. */
const READ_SIZE = 256 * 1024;

/** Options for {@link pump}. */
export interface PumpOptions {
  /** Plaintext to send to the peer (stdin). */
  input: ChunkSource;
  /** Where the peer's decrypted bytes go (stdout); awaited. */
  output: (bytes: Uint8Array) => Promise<void>;
  /** Called once, when the handshake completes. */
  onHandshake?: (info: ConnectionInfo) => void;
  /** Sees every encrypted byte crossing the socket (hex dumps). */
  onSocketData?: (direction: "in" | "out", bytes: Uint8Array) => void;
  /** Give up when the handshake has not completed after this many ms. */
  handshakeTimeoutMs?: number;
  /** Give up when nothing moved for this many ms (0 or unset: never). */
  idleTimeoutMs?: number;
  /** When this aborts, send close_notify, flush (for at most a moment), and end (e.g. on SIGINT). */
  interrupt?: AbortSignal;
}

/** How a connection went. */
export interface PumpResult {
  /** Plaintext bytes received from the peer and written to the output. */
  bytesIn: number;
  /** Plaintext bytes taken from the input and sent to the peer. */
  bytesOut: number;
  /** From the start of the handshake to the end, in milliseconds. */
  durationMs: number;
  info: ConnectionInfo | undefined;
}

/** Why a connection ended badly; the message is one line for the user. */
export class PumpError extends Error {
  /** Bytes moved before the failure. */
  result?: PumpResult;
  /** The local output (stdout) failed, not the connection. */
  readonly outputFailed: boolean;
  constructor(message: string, outputFailed = false) {
    super(message);
    this.name = "PumpError";
    this.outputFailed = outputFailed;
  }
}

function socketErrorText(e: unknown): string {
  if (e instanceof Deno.errors.ConnectionReset) return "connection reset by peer";
  if (e instanceof Deno.errors.BrokenPipe) return "connection closed by peer while sending";
  if (e instanceof Deno.errors.ConnectionAborted) return "connection aborted";
  return `socket error: ${e instanceof Error ? e.message : String(e)}`;
}

/**
 * Writes all of `bytes` (a socket or stdout may take them in parts).
 *
 * @example
 * ```ts
 * await writeAll(Deno.stdout, new TextEncoder().encode("hi\n"));
 * ```
 */
export async function writeAll(writer: { write(p: Uint8Array): Promise<number> }, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await writer.write(bytes.subarray(off));
}

/**
 * Runs one TLS connection to its end. Resolves after a clean close (the
 * peer's close_notify); rejects with a {@link PumpError} otherwise. Does not
 * close `conn`: the caller owns it.
 *
 * @example
 * ```ts
 * const stdin = new ChunkSource(Deno.stdin.readable);
 * const result = await pump(conn, ssl, {
 *   input: stdin,
 *   output: (b) => writeAllTo(Deno.stdout, b),
 * });
 * console.error(`${result.bytesIn} bytes in`);
 * ```
 */
export async function pump(conn: Deno.Conn, ssl: Ssl, opts: PumpOptions): Promise<PumpResult> {
  const started = performance.now();
  const result: PumpResult = { bytesIn: 0, bytesOut: 0, durationMs: 0, info: undefined };
  const ended = Promise.withResolvers<void>();
  const endedSignal = new AbortController();
  ended.promise.then(() => endedSignal.abort());
  const handshook = Promise.withResolvers<void>();
  let failure: PumpError | undefined;
  let finished = false;

  // Writes from both directions go through one chain, so records reach the
  // socket whole and in the order the Ssl produced them.
  let writing: Promise<void> = Promise.resolve();
  const flush = (): Promise<void> => {
    writing = writing.then(async () => {
      while (ssl.wbio.pending > 0) {
        const bytes = ssl.wbio.read();
        opts.onSocketData?.("out", bytes);
        try {
          await writeAll(conn, bytes);
        } catch (e) {
          throw new PumpError(socketErrorText(e));
        }
      }
    });
    return writing;
  };

  const stop = (e: unknown): void => {
    if (finished) return;
    finished = true;
    failure = e instanceof PumpError ? e : new PumpError(e instanceof Error ? e.message : String(e));
    ended.resolve();
    // Wakes whichever loop is still waiting on the socket.
    try {
      conn.close();
    } catch { /* already closed */ }
  };

  let lastActivity = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    if (!ssl.isInitFinished && opts.handshakeTimeoutMs && now - started > opts.handshakeTimeoutMs) {
      stop(new PumpError(`handshake not completed within ${opts.handshakeTimeoutMs / 1000} s`));
    } else if (opts.idleTimeoutMs && now - lastActivity > opts.idleTimeoutMs) {
      stop(new PumpError(`idle for more than ${opts.idleTimeoutMs / 1000} s`));
    }
  }, 100);

  // A listener removed when the pump ends: a callback on a process-long
  // promise would keep every connection's objects alive.
  const onInterrupt = async () => {
    if (finished) return;
    try {
      if (ssl.isInitFinished) ssl.shutdown();
      // A peer that does not read must not hold the exit up.
      await Promise.race([flush(), delay(INTERRUPT_GRACE_MS)]);
    } catch { /* the peer may be gone already */ }
    stop(new PumpError("interrupted"));
  };
  opts.interrupt?.addEventListener("abort", onInterrupt, { once: true });

  const tlsFailure = async (): Promise<never> => {
    await flush().catch(() => {}); // the alert, if the engine queued one
    throw new PumpError(ssl.error?.describe() ?? "TLS error");
  };

  const socketToOutput = async (): Promise<void> => {
    if (ssl.handshake() === "ssl") await tlsFailure();
    await flush();
    let buffer = new Uint8Array(READ_SIZE);
    while (true) {
      let n: number | null;
      try {
        n = await conn.read(buffer);
      } catch (e) {
        if (finished) return;
        throw new PumpError(socketErrorText(e));
      }
      if (n === null) {
        throw new PumpError(
          ssl.isInitFinished
            ? "peer closed the connection without close_notify (data may be truncated)"
            : "peer closed the connection during the handshake",
        );
      }
      lastActivity = performance.now();
      const bytes = buffer.subarray(0, n);
      opts.onSocketData?.("in", bytes);
      ssl.rbio.write(bytes);
      if (!ssl.isInitFinished) {
        const status = ssl.handshake();
        if (status === "ssl") await tlsFailure();
        if (status === "zero-return") throw new PumpError("peer sent close_notify during the handshake");
        if (status === "none") {
          result.info = ssl.info;
          opts.onHandshake?.(ssl.info!);
          handshook.resolve();
        }
      }
      for (let data = ssl.read(); data.length > 0; data = ssl.read()) {
        result.bytesIn += data.length;
        try {
          await opts.output(data);
        } catch (e) {
          throw new PumpError(`cannot write output: ${e instanceof Error ? e.message : e}`, true);
        }
      }
      const status = ssl.getError();
      // The read buffer is handed to the rbio without a copy and reused once
      // the handshake is done and every byte of it has gone into the engine,
      // which copies what it keeps (a partial record): this spares a copy
      // and a large allocation per read. Until then (the server's version
      // probe holds on to the ClientHello's bytes) each read gets a new one.
      if (!(ssl.isInitFinished && ssl.rbio.pending === 0)) buffer = new Uint8Array(READ_SIZE);
      if (status === "ssl") await tlsFailure();
      if (status === "zero-return") {
        ssl.shutdown(); // answer close_notify with ours, if not sent yet
        await flush();
        return;
      }
      // Handshake replies, KeyUpdate answers: small, so sent without waiting.
      // Waiting here while our input side's large write is stuck would stop
      // us reading, and a peer doing the same would deadlock with us.
      if (ssl.wbio.pending > 0) flush().catch(() => {}); // a failed write surfaces on the next read
      else if (!ssl.isInitFinished) await flush();
    }
  };

  const inputToSocket = async (): Promise<void> => {
    await Promise.race([handshook.promise, ended.promise]);
    // An input that ended before this connection began has nothing to say:
    // the peer is only listened to, not hung up on.
    if (finished || opts.input.eof) return;
    while (true) {
      const chunk = await opts.input.read(endedSignal.signal);
      if (chunk === CANCELLED) return;
      if (finished || ssl.peerClosed) {
        // The connection is ending while this chunk was on its way: keep it for the next one.
        if (chunk !== null) opts.input.unread(chunk);
        return;
      }
      lastActivity = performance.now();
      if (chunk === null) {
        ssl.shutdown();
        await flush();
        try {
          await conn.closeWrite();
        } catch { /* the peer may already be gone */ }
        return;
      }
      if (ssl.write(chunk) === 0 && ssl.getError() === "ssl") await tlsFailure();
      result.bytesOut += chunk.length;
      await flush();
    }
  };

  const socketSide = socketToOutput().then(() => {
    finished = true;
    ended.resolve();
  }, stop);
  const inputSide = inputToSocket().catch(stop);
  const bothSides = Promise.all([socketSide, inputSide]);
  // On a signal the process exits next: a loop stuck writing to a stalled
  // stdout must not hold that up for more than a moment.
  let onAbortWait = () => {};
  const interrupted = new Promise<void>((resolve) => {
    onAbortWait = () => resolve();
    opts.interrupt?.addEventListener("abort", onAbortWait, { once: true });
  });
  await Promise.race([bothSides, interrupted.then(() => Promise.race([bothSides, delay(2 * INTERRUPT_GRACE_MS)]))]);
  opts.interrupt?.removeEventListener("abort", onAbortWait);
  opts.interrupt?.removeEventListener("abort", onInterrupt);
  clearInterval(timer);
  result.durationMs = performance.now() - started;
  result.info ??= ssl.info;
  if (failure) {
    failure.result = result;
    throw failure;
  }
  return result;
}
