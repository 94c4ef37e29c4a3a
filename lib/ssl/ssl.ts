/**
 * The memory-BIO TLS object, shaped like OpenSSL's `SSL` with
 * `SSL_set_bio(ssl, rbio, wbio)`: the program writes encrypted bytes from
 * the socket into {@link Ssl.rbio}, reads encrypted bytes for the socket
 * out of {@link Ssl.wbio}, and exchanges plaintext through
 * {@link Ssl.read}/{@link Ssl.write}. It never does I/O itself; every call
 * is synchronous.
 *
 * ```
 * socket --read()--> rbio.write() --> [ Ssl ] --> read()  --> plaintext in
 * socket <--write()-- wbio.read() <-- [ Ssl ] <-- write() <-- plaintext out
 * ```
 *
 * @module
 */

import { MemoryBio } from "./memory_bio.ts";
import { Alert, TlsError } from "./alerts.ts";
import type { ConnectionInfo, EngineFactory, TlsConfig, TlsEngine, TraceEvent } from "./engine.ts";
import { RecordScanner } from "../protocol/records.ts";

/**
 * What the last call needs next, like `SSL_get_error`:
 * - `none`: it succeeded;
 * - `want-read`: feed more bytes into the rbio (and flush the wbio first);
 * - `zero-return`: the peer sent close_notify, no more data will come;
 * - `ssl`: a fatal protocol error, see {@link Ssl.error}.
 */
export type SslStatus = "none" | "want-read" | "zero-return" | "ssl";

/**
 * Options for {@link Ssl} beyond the engine's {@link TlsConfig}.
 *
 * @example Trace the records and handshake messages a client sends
 * ```ts
 * import { createTls13Engine, Ssl, type TraceEvent } from "@ssl-nonblock/tls";
 * import assert from "node:assert/strict";
 *
 * const events: TraceEvent[] = [];
 * const ssl = new Ssl(createTls13Engine, { role: "client", serverName: "example.com" }, {
 *   trace: (e) => events.push(e),
 * });
 * ssl.handshake();
 * const sent = events.filter((e) => (e.kind === "record" || e.kind === "message") && e.direction === "out");
 * assert.deepEqual(sent.map((e) => e.kind === "record" ? e.contentType : e.kind === "message" && e.name), [
 *   "ClientHello",
 *   "handshake",
 * ]);
 * ```
 */
export interface SslOptions {
  /**
   * Receives protocol tracing: the engine's state changes and handshake
   * messages, and every record in and out — each record once, traced here
   * from the bytes on the wire whichever engine runs.
   */
  trace?: (event: TraceEvent) => void;
  /**
   * The tracer also gets secrets and bytes: every record whole, record
   * plaintext, the key schedule, application data (for `--trace-html`).
   */
  traceSecrets?: boolean;
}

/**
 * A TLS connection over two memory BIOs.
 *
 * @example A handshake, data and close_notify, with the network played by plain assignments
 * ```ts
 * import { createTls13Engine, issueCertificate, Ssl } from "@ssl-nonblock/tls";
 * import assert from "node:assert/strict";
 *
 * const ca = issueCertificate({ commonName: "Example CA", keyType: "ecdsa", isCA: true });
 * const leaf = issueCertificate({ commonName: "localhost", keyType: "ecdsa", issuer: ca, dnsNames: ["localhost"] });
 * const client = new Ssl(createTls13Engine, { role: "client", serverName: "localhost", caCertificates: [ca.certPem] });
 * const server = new Ssl(createTls13Engine, { role: "server", certificateChain: leaf.certPem, privateKey: leaf.keyPem });
 *
 * assert.equal(client.handshake(), "want-read"); // SSL_do_handshake: ClientHello into the wbio
 * server.rbio.write(client.wbio.read()); // BIO_read(wbio) → socket → BIO_write(rbio)
 * assert.equal(server.handshake(), "want-read"); // ServerHello … Finished
 * client.rbio.write(server.wbio.read());
 * assert.equal(client.handshake(), "none"); // done on the client's side; its Finished is queued
 * server.rbio.write(client.wbio.read());
 * assert.equal(server.handshake(), "none");
 *
 * client.write(new TextEncoder().encode("ping")); // SSL_write
 * server.rbio.write(client.wbio.read());
 * assert.equal(new TextDecoder().decode(server.read()), "ping"); // SSL_read
 * assert.equal(server.read().length, 0);
 * assert.equal(server.getError(), "want-read"); // SSL_get_error: nothing more for now
 *
 * client.shutdown(); // SSL_shutdown: close_notify
 * server.rbio.write(client.wbio.read());
 * server.read();
 * assert.equal(server.getError(), "zero-return");
 * ```
 */
export class Ssl {
  /** Encrypted bytes from the peer: the program writes, the TLS object reads. */
  readonly rbio: MemoryBio = new MemoryBio();
  /** Encrypted bytes for the peer: the TLS object writes, the program reads. */
  readonly wbio: MemoryBio = new MemoryBio({ copy: true });
  readonly #engine: TlsEngine;
  readonly #plaintext = new MemoryBio();
  readonly #inbound?: RecordScanner;
  readonly #outbound?: RecordScanner;
  #started = false;
  #error: TlsError | undefined;
  #status: SslStatus = "none";
  #shutdownSent = false;
  readonly #trace?: (event: TraceEvent) => void;
  readonly #traceData: boolean;

  /**
   * A new connection, not started: the first {@link handshake} call starts it.
   *
   * @param factory The engine, e.g. `createTls13Engine`.
   * @param config Role, certificates, trust anchors, versions: what every engine understands.
   * @param options Tracing.
   */
  constructor(factory: EngineFactory, config: TlsConfig, options: SslOptions = {}) {
    const trace = this.#trace = options.trace;
    const traceSecrets = this.#traceData = trace !== undefined && options.traceSecrets === true;
    if (trace) {
      this.#inbound = new RecordScanner("in", trace, { recordBytes: traceSecrets });
      this.#outbound = new RecordScanner("out", trace, { recordBytes: traceSecrets });
    }
    this.#engine = factory(config, {
      outgoing: (bytes) => {
        this.#outbound?.push(bytes);
        this.wbio.write(bytes);
      },
      copiesOutgoing: true, // the wbio copies, the tracer copies what it keeps
      plaintext: traceSecrets
        ? (bytes) => {
          trace!({ kind: "data", direction: "in", bytes: bytes.slice() });
          this.#plaintext.write(bytes);
        }
        : (bytes) => this.#plaintext.write(bytes),
      trace,
      traceSecrets,
    });
  }

  /** The handshake has completed (`SSL_is_init_finished`). */
  get isInitFinished(): boolean {
    return this.#engine.handshakeDone;
  }

  /** Negotiated protocol, cipher, peer chain… once the handshake is done. */
  get info(): ConnectionInfo | undefined {
    return this.#engine.info;
  }

  /** The fatal error, once {@link getError} has said `ssl`. */
  get error(): TlsError | undefined {
    return this.#error;
  }

  /** The peer sent close_notify. */
  get peerClosed(): boolean {
    return this.#engine.peerClosed;
  }

  /** What the last call needs next (`SSL_get_error`). */
  getError(): SslStatus {
    return this.#status;
  }

  /** The underlying engine, for engine-specific extras (e.g. KeyUpdate). */
  get engine(): TlsEngine {
    return this.#engine;
  }

  /**
   * Moves everything in the rbio into the engine (rustls' `read_tls` +
   * `process_new_packets`). Returns false after a fatal error.
   */
  #process(): boolean {
    if (this.#error) return false;
    try {
      if (!this.#started) {
        this.#started = true;
        this.#engine.start();
      }
      while (this.rbio.pending > 0) {
        const bytes = this.rbio.read();
        this.#inbound?.push(bytes);
        this.#engine.receive(bytes);
      }
      return true;
    } catch (e) {
      this.#failed(
        e instanceof TlsError ? e : new TlsError(Alert.internal_error, e instanceof Error ? e.message : String(e)),
      );
      return false;
    }
  }

  #failed(error: TlsError): void {
    this.#error = error;
    this.#status = "ssl";
    this.#trace?.({
      kind: "failure",
      alert: error.alertName,
      sent: error.sent,
      received: error.received,
      reason: error.message,
    });
  }

  /**
   * Advances the handshake (`SSL_do_handshake`): `none` once complete,
   * `want-read` while it needs the peer's bytes, `ssl` on failure.
   */
  handshake(): SslStatus {
    if (!this.#process()) return this.#status = "ssl";
    if (this.#engine.handshakeDone) return this.#status = "none";
    if (this.#engine.peerClosed) return this.#status = "zero-return";
    return this.#status = "want-read";
  }

  /**
   * Decrypted bytes, at most `max` (`SSL_read`). An empty array means
   * nothing now: {@link getError} says whether to wait (`want-read`), the
   * peer closed (`zero-return`) or the connection failed (`ssl`).
   */
  read(max = Infinity): Uint8Array {
    if (!this.#hasPlaintext()) return new Uint8Array(0);
    return this.#plaintext.read(max);
  }

  /**
   * Decrypted bytes into `buffer` (`SSL_read` proper, into the caller's
   * buffer); returns how many, 0 meaning nothing now — {@link getError}
   * says why, as for {@link read}. A reader that reuses one buffer
   * allocates nothing per call.
   *
   * @example
   * ```ts
   * import { createTls13Engine, issueCertificate, Ssl } from "@ssl-nonblock/tls";
   * import assert from "node:assert/strict";
   *
   * const ca = issueCertificate({ commonName: "Example CA", keyType: "ecdsa", isCA: true });
   * const leaf = issueCertificate({ commonName: "localhost", keyType: "ecdsa", issuer: ca, dnsNames: ["localhost"] });
   * const client = new Ssl(createTls13Engine, { role: "client", serverName: "localhost", caCertificates: [ca.certPem] });
   * const server = new Ssl(createTls13Engine, { role: "server", certificateChain: leaf.certPem, privateKey: leaf.keyPem });
   * for (let done = false; !done;) {
   *   const states = [client.handshake(), server.handshake()];
   *   server.rbio.write(client.wbio.read());
   *   client.rbio.write(server.wbio.read());
   *   done = states.every((s) => s === "none");
   * }
   *
   * client.write(new TextEncoder().encode("hello"));
   * server.rbio.write(client.wbio.read());
   * const buffer = new Uint8Array(4);
   * assert.equal(server.readInto(buffer), 4);
   * assert.equal(new TextDecoder().decode(buffer), "hell");
   * assert.equal(server.readInto(buffer), 1);
   * assert.equal(server.readInto(buffer), 0);
   * assert.equal(server.getError(), "want-read");
   * ```
   *
   * @param buffer Where the bytes go; at most its length is taken.
   * @returns The number of bytes written into `buffer`.
   */
  readInto(buffer: Uint8Array): number {
    return this.#hasPlaintext() ? this.#plaintext.readInto(buffer) : 0;
  }

  /** Takes in what the rbio holds; true when plaintext is waiting, else sets why not. */
  #hasPlaintext(): boolean {
    const ok = this.#process();
    if (this.#plaintext.pending > 0) {
      this.#status = "none";
      return true;
    }
    this.#status = !ok ? "ssl" : this.#engine.peerClosed ? "zero-return" : "want-read";
    return false;
  }

  /**
   * Encrypts `data` into the wbio (`SSL_write`); returns the number of bytes
   * taken: all of them, or 0 with `want-read` while the handshake is not
   * done yet, or 0 with `ssl` on failure.
   */
  write(data: Uint8Array): number {
    if (!this.#process()) return 0;
    if (!this.#engine.handshakeDone) {
      this.#status = "want-read";
      return 0;
    }
    try {
      this.#engine.send(data);
    } catch (e) {
      this.#failed(e instanceof TlsError ? e : new TlsError(Alert.internal_error, String(e)));
      return 0;
    }
    if (this.#traceData) this.#trace!({ kind: "data", direction: "out", bytes: data.slice() });
    this.#status = "none";
    return data.length;
  }

  /**
   * Sends close_notify once (`SSL_shutdown`). Returns true when the peer's
   * close_notify has been received too.
   */
  shutdown(): boolean {
    if (this.#error) return false;
    if (!this.#shutdownSent) {
      this.#shutdownSent = true;
      try {
        this.#engine.close();
      } catch (e) {
        if (e instanceof TlsError) this.#error = e;
        return false;
      }
    }
    return this.#engine.peerClosed;
  }
}
