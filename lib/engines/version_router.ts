/**
 * Version negotiation across engines. On the server, an engine that waits
 * for the client's first ClientHello, reads the versions it offers, and hands
 * the connection to the engine for the highest version both sides accept:
 * TLS 1.3, TLS 1.2, or — only when the user allowed legacy versions — the
 * legacy engine; a client that offers no version we accept gets a
 * protocol_version alert. On the client, one ClientHello offers TLS 1.3 and
 * TLS 1.2 and the ServerHello picks the engine that continues.
 *
 * @module
 */

import { Alert, TlsError } from "../ssl/alerts.ts";
import type {
  ConnectionInfo,
  EngineFactory,
  EngineSink,
  ProtocolVersion,
  TlsConfig,
  TlsEngine,
} from "../ssl/engine.ts";
import { MemoryBio } from "../ssl/memory_bio.ts";
import { RecordScanner } from "../protocol/records.ts";
import { type ClientHelloProbe, firstHandshakeMessage, parseClientHelloVersions } from "../protocol/probe.ts";
import { ExtensionType, Group, HandshakeType, Version } from "../protocol/constants.ts";
import {
  type ClientHello,
  encodeSupportedVersions,
  encodeU16List,
  type Extension,
  findExtension,
  parseClientHello,
  parseServerHello,
  parseU16List,
  type ServerHello,
} from "../protocol/messages.ts";
import { createTls13Engine, type Tls13Options } from "./tls13/mod.ts";
import { continueTls12Client, type Tls12Options } from "./tls12/mod.ts";
import { tls12ClientExtensions } from "./tls12/client_handshake.ts";
import { TLS12_SIGNATURE_SCHEMES, TLS12_SUITES } from "./tls12/suites.ts";

/** A plaintext fatal alert, as sent before any version is agreed. */
function alertRecord(alert: number): Uint8Array {
  return new Uint8Array([21, 3, 3, 0, 2, 2, alert]);
}

const RANK: Record<ProtocolVersion, number> = { "TLSv1": 1, "TLSv1.1": 2, "TLSv1.2": 3, "TLSv1.3": 4 };

/**
 * Builds the routing factory. `tls12` serves TLS 1.2 clients when the
 * configured version range includes TLS 1.2.
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
 * @param legacy The engine for TLS 1.0/1.1 clients; without it they get a protocol_version alert.
 * @param tls12 The engine for clients whose best offer is TLS 1.2, when the configured range includes it.
 * @returns A server-side factory for {@link Ssl}.
 */
export function versionRouter(modern: EngineFactory, legacy?: EngineFactory, tls12?: EngineFactory): EngineFactory {
  return (config, sink) => new VersionRouter({ modern, legacy, tls12 }, config, sink);
}

interface Engines {
  modern: EngineFactory;
  legacy?: EngineFactory;
  tls12?: EngineFactory;
}

class VersionRouter implements TlsEngine {
  readonly #engines: Engines;
  readonly #config: TlsConfig;
  readonly #sink: EngineSink;
  readonly #buffered = new MemoryBio();
  readonly #guard = new RecordScanner("in", () => {}, { enforceLimits: true });
  #engine: TlsEngine | undefined;
  #error: TlsError | undefined;

  constructor(engines: Engines, config: TlsConfig, sink: EngineSink) {
    this.#engines = engines;
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
    const probe = parseClientHelloVersions(this.#buffered.peek());
    if (!probe.complete) return;
    const factory = this.#choose(probe);
    if (!factory) {
      this.#sink.outgoing(alertRecord(Alert.protocol_version));
      this.#error = new TlsError(Alert.protocol_version, this.#refusal(), { sent: true });
      throw this.#error;
    }
    this.#engine = factory(this.#config, this.#sink);
    this.#engine.start();
    this.#engine.receive(this.#buffered.read());
  }

  #choose(probe: ClientHelloProbe): EngineFactory | undefined {
    const min = RANK[this.#config.minVersion ?? "TLSv1.2"];
    const max = RANK[this.#config.maxVersion ?? "TLSv1.3"];
    const { modern, legacy, tls12 } = this.#engines;
    // Malformed input goes to the TLS 1.3 engine, which names the problem.
    if (probe.malformed || (probe.offersTls13 && max >= 4)) return modern;
    if (probe.offersTls12 && tls12 && min <= 3 && max >= 3) {
      this.#sink.trace?.({ kind: "state", text: "client offers TLS 1.2: using the TLS 1.2 engine" });
      return tls12;
    }
    if (legacy) {
      this.#sink.trace?.({ kind: "state", text: "client offers neither TLS 1.3 nor TLS 1.2: using the legacy engine" });
      return legacy;
    }
    return undefined;
  }

  #refusal(): string {
    const min = this.#config.minVersion ?? "TLSv1.2";
    const max = this.#config.maxVersion ?? "TLSv1.3";
    const range = min === max ? min : `${min} to ${max}`;
    return `client offers no version in ${range} (start the server with --min-version TLSv1 to accept TLS 1.0/1.1)`;
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

/** Engine options for the client router's two engines. */
export interface ClientRouterOptions {
  tls13?: Tls13Options;
  tls12?: Tls12Options;
}

/**
 * Builds the client's routing factory: one ClientHello offers TLS 1.3 and
 * TLS 1.2 (the TLS 1.3 engine's hello, with the TLS 1.2 suites and
 * extensions added), and the ServerHello decides which engine carries on.
 *
 * @example One ClientHello, and a TLS 1.3 server answers it in TLS 1.3
 * ```ts
 * import { createTls13Engine, issueCertificate, Ssl } from "@ssl-nonblock/tls";
 * import assert from "node:assert/strict";
 *
 * const ca = issueCertificate({ commonName: "Example CA", isCA: true });
 * const leaf = issueCertificate({ commonName: "localhost", issuer: ca, dnsNames: ["localhost"] });
 * const client = new Ssl(clientVersionRouter(), { role: "client", serverName: "localhost", caCertificates: [ca.certPem] });
 * const server = new Ssl(createTls13Engine, { role: "server", certificateChain: leaf.certPem, privateKey: leaf.keyPem });
 * client.handshake();
 * while (client.wbio.pending > 0 || server.wbio.pending > 0) {
 *   server.rbio.write(client.wbio.read());
 *   server.handshake();
 *   client.rbio.write(server.wbio.read());
 *   client.handshake();
 * }
 * assert.equal(client.info?.protocol, "TLSv1.3");
 * ```
 *
 * @param options Options for the two engines.
 * @returns A client-side factory for {@link Ssl}.
 */
export function clientVersionRouter(options: ClientRouterOptions = {}): EngineFactory {
  return (config, sink) => new ClientVersionRouter(config, sink, options);
}

/** Adds what a TLS 1.2 server needs to a TLS 1.3 ClientHello's extensions. */
function offerTls12Too(exts: Extension[], groups: readonly number[]): Extension[] {
  const added = tls12ClientExtensions(groups).filter((e) =>
    e.type !== ExtensionType.supported_groups && e.type !== ExtensionType.signature_algorithms
  );
  return [
    ...exts.map((e) => {
      if (e.type === ExtensionType.supported_versions) {
        return { type: e.type, data: encodeSupportedVersions([Version.TLS13, Version.TLS12]) };
      }
      // RFC 8446 §4.2.3: rsa_pkcs1_* may be offered for TLS 1.2's sake; TLS 1.3 never accepts them in CertificateVerify.
      if (e.type === ExtensionType.signature_algorithms) {
        const tls13 = parseU16List(e.data);
        return {
          type: e.type,
          data: encodeU16List([...tls13, ...TLS12_SIGNATURE_SCHEMES.filter((s) => !tls13.includes(s))]),
        };
      }
      return e;
    }),
    ...added,
  ];
}

class ClientVersionRouter implements TlsEngine {
  readonly #config: TlsConfig;
  readonly #sink: EngineSink;
  readonly #options: ClientRouterOptions;
  readonly #tls13: TlsEngine;
  readonly #buffered = new MemoryBio();
  #hello: { raw: Uint8Array; parsed: ClientHello } | undefined;
  #engine: TlsEngine | undefined;

  constructor(config: TlsConfig, sink: EngineSink, options: ClientRouterOptions) {
    this.#config = config;
    this.#sink = sink;
    this.#options = options;
    const tls12Suites = (options.tls12?.cipherSuites ?? TLS12_SUITES.map((s) => s.name))
      .map((name) => TLS12_SUITES.find((s) => s.name === name)?.id)
      .filter((id): id is number => id !== undefined);
    const userHook = options.tls13?.clientHelloExtensions;
    const groups = [Group.x25519, Group.secp256r1];
    this.#tls13 = createTls13Engine(config, {
      outgoing: (bytes) => {
        if (!this.#hello) this.#captureHello(bytes);
        sink.outgoing(bytes);
      },
      copiesOutgoing: sink.copiesOutgoing, // what it keeps of the hello, it copies
      plaintext: (bytes) => sink.plaintext(bytes),
      trace: sink.trace ? (event) => sink.trace!(event) : undefined,
      traceSecrets: sink.traceSecrets,
    }, {
      ...options.tls13,
      extraCipherSuites: tls12Suites,
      clientHelloExtensions: (exts) => {
        const all = offerTls12Too(exts, groups);
        return userHook ? userHook(all) : all;
      },
    });
  }

  #captureHello(bytes: Uint8Array): void {
    const raw = firstHandshakeMessage(bytes, HandshakeType.client_hello);
    if (!(raw instanceof Uint8Array)) return;
    // Parsed from the copy: the typed hello refers to its bytes, and the engine may reuse its output buffer.
    const copy = raw.slice();
    this.#hello = { raw: copy, parsed: parseClientHello(copy.subarray(4)) };
  }

  start(): void {
    this.#tls13.start();
  }

  receive(bytes: Uint8Array): void {
    if (this.#engine) return this.#engine.receive(bytes);
    this.#buffered.write(bytes.slice()); // the caller may reuse its buffer
    const first = firstHandshakeMessage(this.#buffered.peek(), HandshakeType.server_hello);
    if (first === "need_more") return;
    this.#engine = this.#choose(first);
    this.#engine.receive(this.#buffered.read());
  }

  /** TLS 1.2 for a ServerHello without supported_versions that names TLS 1.2; everything else is TLS 1.3's to judge. */
  #choose(first: Uint8Array | "malformed"): TlsEngine {
    if (first === "malformed" || !this.#hello) return this.#tls13;
    let sh: ServerHello;
    try {
      sh = parseServerHello(first.subarray(4));
    } catch {
      return this.#tls13;
    }
    if (sh.legacyVersion !== Version.TLS12 || findExtension(sh.extensions, ExtensionType.supported_versions)) {
      return this.#tls13;
    }
    this.#sink.trace?.({ kind: "state", text: "server chose TLS 1.2: continuing with the TLS 1.2 engine" });
    return continueTls12Client(this.#config, this.#sink, this.#hello.raw, this.#hello.parsed, this.#options.tls12);
  }

  send(bytes: Uint8Array): void {
    (this.#engine ?? this.#tls13).send(bytes);
  }

  close(): void {
    (this.#engine ?? this.#tls13).close();
  }

  get handshakeDone(): boolean {
    return this.#engine?.handshakeDone ?? false;
  }

  get peerClosed(): boolean {
    return (this.#engine ?? this.#tls13).peerClosed;
  }

  get info(): ConnectionInfo | undefined {
    return this.#engine?.info;
  }
}
