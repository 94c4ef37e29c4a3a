/**
 * Moves bytes between a `Deno.Conn`, an {@link Ssl} and the local side
 * (stdin/stdout), like the seed's main loop:
 *
 * ```
 * conn.read() → ssl.rbio → ssl.readInto() → output (stdout)
 * conn.write() ← ssl.wbio ← ssl.write() ← input (stdin)
 * ```
 *
 * Two copy loops, one per direction, run concurrently: neither waits on
 * the other. Every write is awaited, so a slow peer holds back our input
 * and a slow output holds back the socket — memory stays bounded. The
 * connection's state lives in {@link PumpLifecycle}; timeouts and the
 * interrupt are wired in `pump_guards.ts`.
 *
 * @module
 */

import type { Ssl } from "../ssl/ssl.ts";
import type { ConnectionInfo } from "../ssl/engine.ts";
import { CANCELLED, type ChunkSource } from "./chunk_source.ts";
import { guard, type Guarded, type PumpLimits } from "./pump_guards.ts";
import { PumpError, PumpLifecycle, type PumpResult, type PumpState } from "./pump_lifecycle.ts";

export { PumpError, type PumpResult } from "./pump_lifecycle.ts";
export type { PumpLimits } from "./pump_guards.ts";

/** Socket read size once data flows: large reads keep per-call overhead low. */
const READ_SIZE = 256 * 1024;

/** Socket write size once data flows: a 256 KiB input chunk (CHUNK_SIZE) sealed into records, with room to spare. */
const SEND_SIZE = 288 * 1024;

/**
 * Buffer size until then: a handshake flight fits (a larger one takes a few
 * more calls), and a connection that ends after its handshake never pays for
 * the large buffers.
 */
const SMALL_SIZE = 16 * 1024;

/** Options for {@link pump}. */
export interface PumpOptions extends PumpLimits {
  /** Plaintext to send to the peer (stdin). */
  input: ChunkSource;
  /**
   * Where the peer's decrypted bytes go (stdout); awaited. `bytes` is a view
   * of a buffer the pump reuses once the promise settles: copy what must be
   * kept longer.
   */
  output: (bytes: Uint8Array) => Promise<void>;
  /** Called once, when the handshake completes. */
  onHandshake?: (info: ConnectionInfo) => void;
  /** Sees every encrypted byte crossing the socket (hex dumps). */
  onSocketData?: (direction: "in" | "out", bytes: Uint8Array) => void;
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
 * @example A writer that takes at most 3 bytes per call
 * ```ts
 * import { writeAll } from "@ssl-nonblock/tls";
 * import assert from "node:assert/strict";
 *
 * const calls: number[] = [];
 * const narrow = {
 *   write: (p: Uint8Array) => {
 *     calls.push(Math.min(p.length, 3));
 *     return Promise.resolve(Math.min(p.length, 3));
 *   },
 * };
 * await writeAll(narrow, new Uint8Array(10));
 * assert.deepEqual(calls, [3, 3, 3, 1]);
 * ```
 *
 * @param writer Anything with a `write` that may take part of its input, such as `Deno.stdout` or a `Deno.Conn`.
 * @param bytes What to write, all of it.
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
 * @example A client sends two chunks to a server over loopback, then its input ends
 * ```ts
 * import { ChunkSource, createTls13Engine, issueCertificate, pump, Ssl } from "@ssl-nonblock/tls";
 * import assert from "node:assert/strict";
 *
 * const ca = issueCertificate({ commonName: "Example CA", keyType: "ecdsa", isCA: true });
 * const leaf = issueCertificate({ commonName: "localhost", keyType: "ecdsa", issuer: ca, dnsNames: ["localhost"] });
 * const enc = new TextEncoder();
 * const dec = new TextDecoder();
 *
 * // The server writes what arrives into `received`; it has nothing to send (its input never yields).
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * let received = "";
 * const serving = listener.accept().then(async (conn) => {
 *   const ssl = new Ssl(createTls13Engine, { role: "server", certificateChain: leaf.certPem, privateKey: leaf.keyPem });
 *   try {
 *     return await pump(conn, ssl, {
 *       input: new ChunkSource(new ReadableStream()),
 *       output: (bytes) => Promise.resolve(void (received += dec.decode(bytes, { stream: true }))),
 *       handshakeTimeoutMs: 10_000,
 *     });
 *   } finally {
 *     conn.close();
 *   }
 * });
 *
 * // The client sends its input; at the input's end it sends close_notify, and the server answers.
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * const ssl = new Ssl(createTls13Engine, { role: "client", serverName: "localhost", caCertificates: [ca.certPem] });
 * const sent = await pump(conn, ssl, {
 *   input: new ChunkSource(ReadableStream.from([enc.encode("hello, "), enc.encode("world")])),
 *   output: () => Promise.resolve(),
 *   onHandshake: (info) => assert.equal(info.protocol, "TLSv1.3"),
 * });
 * conn.close();
 * const served = await serving;
 * listener.close();
 *
 * assert.equal(sent.bytesOut, 12);
 * assert.equal(served.bytesIn, 12);
 * assert.equal(received, "hello, world");
 * ```
 *
 * @param conn The connected socket; left open.
 * @param ssl A fresh {@link Ssl} for this connection.
 * @param opts Where plaintext comes from and goes to, limits, callbacks.
 * @returns How the connection went.
 */
export function pump(conn: Deno.Conn, ssl: Ssl, opts: PumpOptions): Promise<PumpResult> {
  return new Pump(conn, ssl, opts).run();
}

/** One connection being pumped: the two copy loops and the socket writes they share. */
class Pump implements Guarded {
  readonly #conn: Deno.Conn;
  readonly #ssl: Ssl;
  readonly #opts: PumpOptions;
  readonly #life: PumpLifecycle;
  readonly #result: PumpResult = { bytesIn: 0, bytesOut: 0, durationMs: 0, info: undefined };
  readonly started = performance.now();
  lastActivity = this.started;
  /**
   * Writes from both directions go through one chain, so records reach the
   * socket whole and in the order the Ssl produced them.
   */
  #writing: Promise<void> = Promise.resolve();
  /** What goes to the socket is copied here from the wbio: a full input chunk's records fit in one write. */
  #sendBuffer = new Uint8Array(SMALL_SIZE);

  constructor(conn: Deno.Conn, ssl: Ssl, opts: PumpOptions) {
    this.#conn = conn;
    this.#ssl = ssl;
    this.#opts = opts;
    // A failure closes the socket: that wakes whichever loop still waits on it.
    this.#life = new PumpLifecycle(() => {
      try {
        conn.close();
      } catch { /* already closed */ }
    });
  }

  get state(): PumpState {
    return this.#life.state;
  }

  fail(e: unknown): void {
    this.#life.fail(e);
  }

  async run(): Promise<PumpResult> {
    const socketSide = this.#socketToOutput().then(() => this.#life.finish(), (e) => this.fail(e));
    const inputSide = this.#inputToSocket().catch((e) => this.fail(e));
    await guard(this, Promise.all([socketSide, inputSide]), this.#opts);
    const result = this.#result;
    result.durationMs = performance.now() - this.started;
    result.info ??= this.#ssl.info;
    const failure = this.#life.failure;
    if (failure) {
      failure.result = result;
      throw failure;
    }
    return result;
  }

  /** Writes everything the Ssl has queued for the peer, after what is already being written. */
  #flush(): Promise<void> {
    this.#writing = this.#writing.then(async () => {
      const ssl = this.#ssl;
      // One drain at a time (the chain above), so one send buffer serves them all.
      if (ssl.wbio.pending > this.#sendBuffer.length && ssl.isInitFinished) {
        this.#sendBuffer = new Uint8Array(SEND_SIZE);
      }
      const sendBuffer = this.#sendBuffer;
      while (ssl.wbio.pending > 0) {
        const bytes = sendBuffer.subarray(0, ssl.wbio.readInto(sendBuffer));
        this.#opts.onSocketData?.("out", bytes);
        try {
          await writeAll(this.#conn, bytes);
        } catch (e) {
          throw new PumpError(socketErrorText(e));
        }
      }
    });
    return this.#writing;
  }

  async sendCloseNotify(): Promise<void> {
    if (this.state === "open" || this.state === "closing") {
      this.#life.closing();
      this.#ssl.shutdown(); // sent once, however many ways we get here
    }
    await this.#flush();
  }

  async #tlsFailure(): Promise<never> {
    await this.#flush().catch(() => {}); // the alert, if the engine queued one
    throw new PumpError(this.#ssl.error?.describe() ?? "TLS error");
  }

  /** socket → rbio → ssl.readInto() → output, driving the handshake on the way. */
  async #socketToOutput(): Promise<void> {
    const ssl = this.#ssl;
    const opts = this.#opts;
    if (ssl.handshake() === "ssl") await this.#tlsFailure();
    await this.#flush();
    let buffer = new Uint8Array(SMALL_SIZE); // grows to READ_SIZE at the first full read after the handshake
    let plaintext = new Uint8Array(SMALL_SIZE);
    while (true) {
      let n: number | null;
      try {
        n = await this.#conn.read(buffer);
      } catch (e) {
        if (this.state === "closed") return;
        throw new PumpError(socketErrorText(e));
      }
      if (n === null) {
        throw new PumpError(
          ssl.isInitFinished
            ? "peer closed the connection without close_notify (data may be truncated)"
            : "peer closed the connection during the handshake",
        );
      }
      this.lastActivity = performance.now();
      const bytes = buffer.subarray(0, n);
      opts.onSocketData?.("in", bytes);
      ssl.rbio.write(bytes);
      if (this.state === "handshaking") {
        const status = ssl.handshake();
        if (status === "ssl") await this.#tlsFailure();
        if (status === "zero-return") throw new PumpError("peer sent close_notify during the handshake");
        if (status === "none") {
          this.#result.info = ssl.info;
          opts.onHandshake?.(ssl.info!);
          this.#life.open();
        }
      }
      // What one read decrypts to fits one output write.
      if (plaintext.length < buffer.length) plaintext = new Uint8Array(buffer.length);
      for (let got = ssl.readInto(plaintext); got > 0; got = ssl.readInto(plaintext)) {
        this.#result.bytesIn += got;
        try {
          await opts.output(plaintext.subarray(0, got));
        } catch (e) {
          throw new PumpError(`cannot write output: ${e instanceof Error ? e.message : e}`, true);
        }
      }
      const status = ssl.getError();
      // The read buffer is handed to the rbio without a copy and reused once
      // every byte of it has gone into the engine, which copies what it keeps
      // (TlsEngine.receive's contract): no copy and no allocation per read.
      // Bytes still in the rbio (a failed connection) keep their buffer.
      if (ssl.rbio.pending > 0) buffer = new Uint8Array(buffer.length);
      else if (n === buffer.length && ssl.isInitFinished && buffer.length < READ_SIZE) {
        buffer = new Uint8Array(READ_SIZE); // a full read after the handshake: data is flowing
      }
      if (status === "ssl") await this.#tlsFailure();
      if (status === "zero-return") return await this.sendCloseNotify(); // answer close_notify with ours
      // Handshake replies, KeyUpdate answers: small, so sent without waiting.
      // Waiting here while our input side's large write is stuck would stop
      // us reading, and a peer doing the same would deadlock with us.
      if (ssl.wbio.pending > 0) this.#flush().catch(() => {}); // a failed write surfaces on the next read
      else if (!ssl.isInitFinished) await this.#flush();
    }
  }

  /** input → ssl.write() → wbio → socket, once the handshake is done; its end sends close_notify. */
  async #inputToSocket(): Promise<void> {
    const ssl = this.#ssl;
    const input = this.#opts.input;
    await this.#life.openOrEnded;
    // An input that ended before this connection began has nothing to say:
    // the peer is only listened to, not hung up on.
    if (this.state !== "open" || input.eof) return;
    while (true) {
      const chunk = await input.read(this.#life.ended);
      if (chunk === CANCELLED) return;
      if (this.state !== "open" || ssl.peerClosed) {
        // The connection is ending while this chunk was on its way: keep it for the next one.
        if (chunk !== null) input.unread(chunk);
        return;
      }
      this.lastActivity = performance.now();
      if (chunk === null) {
        await this.sendCloseNotify();
        try {
          await this.#conn.closeWrite();
        } catch { /* the peer may already be gone */ }
        return;
      }
      if (ssl.write(chunk) === 0 && ssl.getError() === "ssl") await this.#tlsFailure();
      this.#result.bytesOut += chunk.length;
      await this.#flush();
    }
  }
}
