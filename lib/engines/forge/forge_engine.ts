/**
 * The node-forge engine: `forge.tls` (TLS 1.0/1.1, RSA key exchange,
 * AES-CBC-SHA) behind the engine-neutral {@link TlsEngine} interface.
 *
 * forge speaks "binary strings"; this file is the only place that converts.
 * Certificate checks go through {@link verifyChain}, so both engines refuse
 * the same chains with the same words.
 *
 * @module
 */

import { forge, fromBinaryString, toBinaryString } from "../../pki/forge.ts";
import { Alert, TlsError } from "../../ssl/alerts.ts";
import type { EngineSink, ProtocolVersion, TlsConfig, TlsEngine, TraceEvent } from "../../ssl/engine.ts";
import { CertificateError, isIpLiteral, peerVerifyOptions, verifyChain } from "../../pki/x509.ts";
import { RecordScanner } from "../../protocol/records.ts";

// Connection fields forge's type definitions do not list.
interface ForgeConnectionInternals {
  open: boolean;
  isConnected: boolean;
  handshaking: boolean;
  reset: (clearFail?: boolean) => void;
  close: (clearFail?: boolean) => void;
  error: (c: unknown, e: ForgeError) => void;
}

/** Empty application-data records tolerated in a row. */
const MAX_EMPTY_RECORDS = 64;

interface ForgeError {
  message: string;
  fatal?: boolean;
  send?: boolean;
  origin?: string;
  alert?: { level: number; description: number };
}

const VERSION_NAMES: Record<number, ProtocolVersion> = { 1: "TLSv1", 2: "TLSv1.1", 3: "TLSv1.2" };

const LEGACY_RANK: Record<ProtocolVersion, number> = { "TLSv1": 1, "TLSv1.1": 2, "TLSv1.2": 3, "TLSv1.3": 4 };

/** Why `version` is outside the configured range, or undefined when inside it. */
function versionOutside(version: ProtocolVersion, config: TlsConfig): string | undefined {
  const { minVersion, maxVersion } = config;
  if (minVersion && LEGACY_RANK[version] < LEGACY_RANK[minVersion]) {
    return `negotiated ${version}, below the minimum ${minVersion}`;
  }
  if (maxVersion && LEGACY_RANK[version] > LEGACY_RANK[maxVersion]) {
    return `negotiated ${version}, above the maximum ${maxVersion}`;
  }
  return undefined;
}

function certToDer(cert: forge.pki.Certificate): Uint8Array {
  return fromBinaryString(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes());
}

/**
 * A {@link TlsEngine} on `forge.tls`.
 *
 * @example Both ends on forge: TLS 1.0 with an RSA certificate (forge signs with RSA only)
 * ```ts
 * import { createForgeEngine, issueCertificate, Ssl } from "@ssl-nonblock/tls";
 * import assert from "node:assert/strict";
 *
 * const ca = issueCertificate({ commonName: "Example CA", isCA: true });
 * const leaf = issueCertificate({ commonName: "localhost", issuer: ca, dnsNames: ["localhost"] });
 * const client = new Ssl(createForgeEngine, { role: "client", serverName: "localhost", caCertificates: [ca.certPem] });
 * const server = new Ssl(createForgeEngine, { role: "server", certificateChain: leaf.certPem, privateKey: leaf.keyPem });
 * client.handshake();
 * while (client.wbio.pending > 0 || server.wbio.pending > 0) {
 *   server.rbio.write(client.wbio.read());
 *   server.handshake();
 *   client.rbio.write(server.wbio.read());
 *   client.handshake();
 * }
 * assert.equal(client.info?.protocol, "TLSv1");
 * assert.equal(client.info?.cipher, "TLS_RSA_WITH_AES_128_CBC_SHA");
 * ```
 *
 * @param config Role, certificates, trust anchors.
 * @param sink Where encrypted bytes, plaintext and trace events go.
 * @returns The engine, not started.
 */
export function createForgeEngine(config: TlsConfig, sink: EngineSink): TlsEngine {
  return new ForgeEngine(config, sink);
}

class ForgeEngine implements TlsEngine {
  readonly #c: forge.tls.Connection;
  readonly #sink: EngineSink;
  readonly #config: TlsConfig;
  #error: TlsError | undefined;
  #peerChain: Uint8Array[] = [];
  #handshakeDone = false;
  #peerClosed = false;
  #closeSent = false;
  #selfClosing = false;
  readonly #inbound: RecordScanner;
  #emptyRecords = 0;
  #outbound?: RecordScanner;

  constructor(config: TlsConfig, sink: EngineSink) {
    this.#config = config;
    this.#sink = sink;
    const server = config.role === "server";
    // Only message names: the adapter traces records itself.
    const messagesOnly = (e: TraceEvent) => e.kind === "message" && sink.trace?.(e);
    // forge buffers records and fragmented handshake messages of any length;
    // the scanner refuses what no TLS peer may send before forge sees it.
    this.#inbound = new RecordScanner("in", messagesOnly, {
      nameMessages: sink.trace !== undefined,
      enforceLimits: true,
    });
    if (sink.trace) this.#outbound = new RecordScanner("out", messagesOnly, { nameMessages: true });
    const verifyClient = server && config.requireClientCertificate
      ? true
      : server && config.requestClientCertificate
      ? "optional"
      : false;
    this.#c = forge.tls.createConnection({
      server,
      caStore: [],
      sessionCache: {},
      cipherSuites: [
        forge.tls.CipherSuites.TLS_RSA_WITH_AES_128_CBC_SHA,
        forge.tls.CipherSuites.TLS_RSA_WITH_AES_256_CBC_SHA,
      ],
      virtualHost: !server && config.serverName && !isIpLiteral(config.serverName) ? config.serverName : undefined,
      verifyClient: verifyClient as boolean, // forge also takes "optional"; its types omit it
      verify: (_c, _verified, depth, certs) => this.#verify(depth, certs),
      getCertificate: () => config.certificateChain ?? (undefined as unknown as string),
      getPrivateKey: () => config.privateKey ?? (undefined as unknown as string),
      connected: (c) => {
        // forge negotiates whatever it speaks (its server always picks TLS 1.0):
        // the configured range is ours to enforce before any data moves.
        const outside = versionOutside(VERSION_NAMES[c.version.minor] ?? "TLSv1", config);
        if (outside) return this.#abort(Alert.protocol_version, outside);
        this.#handshakeDone = true;
        sink.trace?.({ kind: "state", text: "handshake complete" });
      },
      tlsDataReady: (c) => {
        const bytes = fromBinaryString(c.tlsData.getBytes());
        this.#outbound?.push(bytes);
        sink.outgoing(bytes);
      },
      dataReady: (c) => {
        const bytes = fromBinaryString(c.data.getBytes());
        if (bytes.length > 0) {
          this.#emptyRecords = 0;
          sink.plaintext(bytes);
        } else if (++this.#emptyRecords > MAX_EMPTY_RECORDS) {
          // Empty records cost us work and give nothing: a flood is an attack.
          this.#abort(Alert.unexpected_message, `more than ${MAX_EMPTY_RECORDS} empty records in a row`);
        }
      },
      closed: () => {
        if (!this.#error && !this.#selfClosing) {
          this.#peerClosed = true;
          this.#closeSent = true; // forge answers close_notify with its own
          sink.trace?.({ kind: "state", text: "peer sent close_notify" });
        }
      },
      error: (c, e) => this.#fail(c, e as unknown as ForgeError),
    });
    // forge answers a close_notify that arrives before its handshake has
    // really begun by resetting itself without calling closed(): notice it.
    const internals = this.#c as unknown as ForgeConnectionInternals;
    const close = internals.close;
    internals.close = (clearFail?: boolean) => {
      if (!this.#error && !this.#selfClosing && !this.#peerClosed) {
        this.#peerClosed = true;
        this.#closeSent = true;
      }
      close(clearFail);
    };
  }

  #verify(depth: number, certs: forge.pki.Certificate[]): true | { alert: number; message: string } {
    // forge calls this once per chain element, leaf first; the whole chain is
    // checked at depth 0 by our own verifier (forge's caStore is empty).
    if (depth !== 0) return true;
    try {
      this.#peerChain = certs.map(certToDer);
    } catch {
      return { alert: Alert.bad_certificate, message: "peer certificate could not be encoded" };
    }
    if (this.#config.verifyPeer === false) return true;
    try {
      const keyUsage = this.#config.role === "client" ? "keyEncipherment" : "digitalSignature";
      verifyChain(this.#peerChain, peerVerifyOptions(this.#config, keyUsage));
      return true;
    } catch (e) {
      if (e instanceof CertificateError) return { alert: e.alert, message: e.message };
      throw e;
    }
  }

  #fail(c: forge.tls.Connection, e: ForgeError): void {
    if (this.#error) return;
    const ours = (c.entity === forge.tls.ConnectionEnd.client) === (e.origin === "client");
    const code = e.alert?.description ?? Alert.internal_error;
    // forge's text for a received alert only restates the alert's name.
    this.#error = new TlsError(code, ours ? e.message.replace(/\.$/, "") : "", {
      sent: ours && e.send === true,
      received: !ours,
    });
    // A fatal alert ends the connection: keep forge from following it with close_notify.
    const internals = c as unknown as ForgeConnectionInternals;
    internals.isConnected = false;
    internals.handshaking = false;
  }

  #check(): void {
    if (this.#error) throw this.#error;
  }

  get handshakeDone(): boolean {
    return this.#handshakeDone;
  }

  get peerClosed(): boolean {
    return this.#peerClosed;
  }

  get info() {
    if (!this.#handshakeDone) return undefined;
    const session = this.#c.session as unknown as { cipherSuite?: { name: string } } | null;
    return {
      protocol: VERSION_NAMES[this.#c.version.minor] ?? "TLSv1",
      cipher: session?.cipherSuite?.name ?? "unknown",
      peerCertificates: this.#peerChain,
      serverName: this.#config.role === "server" ? this.#sniName() : undefined,
    };
  }

  #sniName(): string | undefined {
    const session = this.#c.session as unknown as {
      extensions?: { server_name?: { serverNameList?: string[] } };
    } | null;
    return session?.extensions?.server_name?.serverNameList?.[0];
  }

  start(): void {
    this.#check();
    if (this.#config.role === "client") this.#c.handshake();
    this.#check();
  }

  receive(bytes: Uint8Array): void {
    this.#check();
    // After close_notify forge has reset itself; what follows is not ours to parse.
    if (this.#peerClosed) return;
    try {
      this.#inbound.push(bytes);
      this.#c.process(toBinaryString(bytes));
    } catch (e) {
      if (e instanceof TlsError) this.#abort(e.alert, e.message);
      else if (!this.#error) this.#abort(Alert.decode_error, `malformed input (${(e as Error).message})`);
    }
    this.#check();
  }

  /** Fails the connection with a fatal alert sent through forge (encrypted once keys are active). */
  #abort(alert: number, message: string): void {
    if (this.#error) return;
    (this.#c as unknown as ForgeConnectionInternals).error(this.#c, {
      message,
      send: true,
      alert: { level: 2, description: alert },
    });
    this.#error ??= new TlsError(alert, message, { sent: true });
  }

  send(bytes: Uint8Array): void {
    this.#check();
    if (!this.#handshakeDone) {
      throw new TlsError(Alert.internal_error, "cannot send application data before the handshake completes");
    }
    if (this.#closeSent) {
      throw new TlsError(Alert.internal_error, "cannot send after close_notify");
    }
    this.#c.prepare(toBinaryString(bytes));
    this.#check();
  }

  close(): void {
    this.#check();
    if (this.#closeSent) return;
    this.#closeSent = true;
    // forge's close() sends close_notify but then resets the connection and
    // drops buffered input, while we still want to read what the peer sends
    // until its own close_notify. So: close with reset disabled, then put
    // the connection back in a state where forge still reads records and
    // reports the peer's close_notify without answering it a second time.
    const c = this.#c as unknown as ForgeConnectionInternals;
    const buffered = this.#c.input.bytes();
    const reset = c.reset;
    this.#selfClosing = true;
    c.reset = () => {};
    try {
      c.close();
    } finally {
      c.reset = reset;
      this.#selfClosing = false;
    }
    c.open = true;
    c.isConnected = false;
    this.#c.input.putBytes(buffered);
  }
}
