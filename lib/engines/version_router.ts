/**
 * A server-side engine that waits for the client's first ClientHello, reads
 * its supported_versions, and hands the connection to the TLS 1.3 engine
 * or — only when the user allowed legacy versions — to the legacy engine.
 * A client that offers no version we accept gets a protocol_version alert.
 *
 * @module
 */

import { Alert, TlsError } from "../ssl/alerts.ts";
import type { ConnectionInfo, EngineFactory, EngineSink, TlsConfig, TlsEngine } from "../ssl/engine.ts";
import { MemoryBio } from "../ssl/memory_bio.ts";
import { RecordScanner } from "../protocol/records.ts";
import { parseClientHelloVersions } from "./tls13/mod.ts";

/** A plaintext fatal alert, as sent before any version is agreed. */
function alertRecord(alert: number): Uint8Array {
  return new Uint8Array([21, 3, 3, 0, 2, 2, alert]);
}

/**
 * Builds the routing factory.
 *
 * @example A server that serves TLS 1.3 clients and, on request, TLS 1.0/1.1 ones
 * ```ts
 * import { createForgeEngine, createTls13Engine, issueCertificate, Ssl, versionRouter } from "@ssl-nonblock/tls";
 * import assert from "node:assert/strict";
 *
 * const ca = issueCertificate({ commonName: "Example CA", isCA: true });
 * const leaf = issueCertificate({ commonName: "localhost", issuer: ca, dnsNames: ["localhost"] });
 * const router = versionRouter(createTls13Engine, createForgeEngine); // without the second: TLS 1.3 only
 * for (const [engine, expected] of [[createTls13Engine, "TLSv1.3"], [createForgeEngine, "TLSv1"]] as const) {
 *   const client = new Ssl(engine, { role: "client", serverName: "localhost", caCertificates: [ca.certPem] });
 *   const server = new Ssl(router, { role: "server", certificateChain: leaf.certPem, privateKey: leaf.keyPem });
 *   client.handshake();
 *   while (client.wbio.pending > 0 || server.wbio.pending > 0) {
 *     server.rbio.write(client.wbio.read());
 *     server.handshake();
 *     client.rbio.write(server.wbio.read());
 *     client.handshake();
 *   }
 *   assert.equal(server.info?.protocol, expected);
 * }
 * ```
 *
 * @param modern The engine for clients that offer TLS 1.3.
 * @param legacy The engine for the others; without it they get a protocol_version alert.
 * @returns A server-side factory for {@link Ssl}.
 */
export function versionRouter(modern: EngineFactory, legacy?: EngineFactory): EngineFactory {
  return (config, sink) => new VersionRouter(modern, legacy, config, sink);
}

class VersionRouter implements TlsEngine {
  readonly #modern: EngineFactory;
  readonly #legacy?: EngineFactory;
  readonly #config: TlsConfig;
  readonly #sink: EngineSink;
  readonly #buffered = new MemoryBio();
  readonly #guard = new RecordScanner("in", () => {}, { enforceLimits: true });
  #engine: TlsEngine | undefined;
  #error: TlsError | undefined;

  constructor(modern: EngineFactory, legacy: EngineFactory | undefined, config: TlsConfig, sink: EngineSink) {
    this.#modern = modern;
    this.#legacy = legacy;
    this.#config = config;
    this.#sink = sink;
  }

  start(): void {}

  receive(bytes: Uint8Array): void {
    if (this.#error) throw this.#error;
    if (this.#engine) return this.#engine.receive(bytes);
    try {
      this.#guard.push(bytes);
    } catch (e) {
      // Not TLS at all, or an impossible record: refuse in plain text.
      this.#error = e as TlsError;
      this.#sink.outgoing(alertRecord(this.#error.alert));
      this.#error = new TlsError(this.#error.alert, this.#error.message, { sent: true });
      throw this.#error;
    }
    this.#buffered.write(bytes.slice()); // the caller may reuse its buffer
    const first = this.#buffered.peek();
    const probe = parseClientHelloVersions(first);
    if (!probe.complete) return;
    if (probe.offersTls13 || probe.malformed) {
      // Malformed input goes to the TLS 1.3 engine, which names the problem.
      this.#engine = this.#modern(this.#config, this.#sink);
    } else if (this.#legacy) {
      this.#sink.trace?.({ kind: "state", text: "client offers no TLS 1.3: using the legacy engine" });
      this.#engine = this.#legacy(this.#config, this.#sink);
    } else {
      this.#sink.outgoing(alertRecord(Alert.protocol_version));
      this.#error = new TlsError(
        Alert.protocol_version,
        "client does not offer TLS 1.3 (start the server with --min-version TLSv1 to accept TLS 1.0/1.1)",
        { sent: true },
      );
      throw this.#error;
    }
    this.#engine.start();
    this.#engine.receive(this.#buffered.read());
  }

  send(bytes: Uint8Array): void {
    if (!this.#engine) throw new TlsError(Alert.internal_error, "cannot send before the handshake");
    this.#engine.send(bytes);
  }

  close(): void {
    this.#engine?.close();
  }

  get handshakeDone(): boolean {
    return this.#engine?.handshakeDone ?? false;
  }

  get peerClosed(): boolean {
    return this.#engine?.peerClosed ?? false;
  }

  get info(): ConnectionInfo | undefined {
    return this.#engine?.info;
  }

  /** The engine chosen, once the ClientHello has been seen. */
  get chosen(): TlsEngine | undefined {
    return this.#engine;
  }
}
