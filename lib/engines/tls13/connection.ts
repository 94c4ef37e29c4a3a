/**
 * The TLS 1.3 engine: the sans-IO connection object behind
 * {@link createTls13Engine}. It reads records (RFC 8446 §5), reassembles
 * handshake messages, and handles alerts, ChangeCipherSpec tolerance,
 * skipped early data, application data, KeyUpdate and close_notify; the
 * role modules (client_handshake.ts, server_handshake.ts) own the handshake
 * proper, and outbound.ts builds what we send.
 *
 * Every failure becomes a {@link TlsError}: the alert goes out first (under
 * the current write keys), then the error is thrown, and the same error is
 * thrown again by every later call.
 *
 * @module
 */

import { Alert, alertName, TlsError } from "../../ssl/alerts.ts";
import type { ConnectionInfo, EngineSink, TlsConfig, TlsEngine } from "../../ssl/engine.ts";
import { toHex } from "../../protocol/bytes.ts";
import { ClientHandshake } from "./client_handshake.ts";
import { type CipherSuiteInfo, ContentType, HANDSHAKE_NAMES, HandshakeType } from "../../protocol/constants.ts";
import {
  type HandshakeContext,
  type ResolvedOptions,
  resolveOptions,
  type RoleHandshake,
  type Tls13Options,
} from "./context.ts";
import type { CryptoProvider } from "../../crypto/provider.ts";
import { NodeCryptoProvider } from "../../crypto/node_provider.ts";
import { nextTrafficSecret, type SecretTrace, trafficKeys, Transcript } from "./key_schedule.ts";
import { handshakeMessage, parseNewSessionTicket } from "../../protocol/messages.ts";
import { type InboundRecord, RecordProtection, RecordReader } from "./record.ts";
import { HandshakeReassembler } from "./handshake_reassembly.ts";
import { checkPlacement, NEW_SESSION_TICKET_EXTENSIONS } from "./extension_rules.ts";
import { type Epoch, Outbound } from "./outbound.ts";
import { EARLY_DATA_SKIP_LIMIT, PeerLimits } from "./peer_limits.ts";
import { ServerHandshake } from "./server_handshake.ts";
import { SecretTracer } from "./secret_trace.ts";

/**
 * A TLS 1.3 engine: the {@link TlsEngine} interface plus KeyUpdate.
 *
 * @example Updating the keys mid-connection (RFC 8446 §4.6.3)
 * ```ts
 * import { createTls13Engine, issueCertificate, Ssl, type Tls13Engine } from "@ssl-nonblock/tls";
 * import assert from "node:assert/strict";
 *
 * const ca = issueCertificate({ commonName: "Example CA", keyType: "ecdsa", isCA: true });
 * const leaf = issueCertificate({ commonName: "localhost", keyType: "ecdsa", issuer: ca, dnsNames: ["localhost"] });
 * const client = new Ssl(createTls13Engine, { role: "client", serverName: "localhost", caCertificates: [ca.certPem] });
 * const server = new Ssl(createTls13Engine, { role: "server", certificateChain: leaf.certPem, privateKey: leaf.keyPem });
 * client.handshake();
 * while (client.wbio.pending > 0 || server.wbio.pending > 0) {
 *   server.rbio.write(client.wbio.read());
 *   server.handshake();
 *   client.rbio.write(server.wbio.read());
 *   client.handshake();
 * }
 * (client.engine as Tls13Engine).keyUpdate(true); // and ask the server to update its keys too
 * client.write(new TextEncoder().encode("under new keys"));
 * server.rbio.write(client.wbio.read());
 * assert.equal(new TextDecoder().decode(server.read()), "under new keys");
 * client.rbio.write(server.wbio.read()); // the server's KeyUpdate answer
 * assert.equal(client.read().length, 0);
 * assert.equal(client.getError(), "want-read");
 * ```
 */
export interface Tls13Engine extends TlsEngine {
  /**
   * Sends a KeyUpdate and switches to the next write key; with
   * `requestPeer` the peer is asked to update its keys too (RFC 8446 §4.6.3).
   */
  keyUpdate(requestPeer: boolean): void;
}

let defaultProvider: CryptoProvider | undefined;
function nodeProvider(): CryptoProvider {
  return defaultProvider ??= new NodeCryptoProvider();
}

class Tls13Connection implements Tls13Engine, HandshakeContext {
  readonly config: TlsConfig;
  readonly options: ResolvedOptions;
  readonly crypto: CryptoProvider;
  readonly transcript: Transcript;
  readonly secretTrace?: SecretTrace;
  readonly #secrets?: SecretTracer;
  readonly #sink: EngineSink;
  readonly #role: RoleHandshake;
  readonly #reader = new RecordReader();
  readonly #handshake = new HandshakeReassembler();
  readonly #out: Outbound;
  #read: Epoch | undefined;
  #started = false;
  #ccsReceived = false;
  #handshakeDone = false;
  #peerClosed = false;
  /** A protected record from the peer has been read (plaintext alerts end there, see #onAlert). */
  #protectedSeen = false;
  /**
   * Includes early data the client offered and we skip: while no read keys
   * are set (after a HelloRetryRequest) as application_data records, then as
   * records that fail to authenticate under the handshake key.
   */
  readonly #limits = new PeerLimits();
  #writeClosed = false;
  #info: ConnectionInfo | undefined;
  #error: TlsError | undefined;

  constructor(config: TlsConfig, sink: EngineSink, options: Tls13Options) {
    this.config = config;
    this.#sink = sink;
    this.options = resolveOptions(options, nodeProvider);
    this.crypto = this.options.crypto;
    this.transcript = new Transcript(this.crypto);
    this.#secrets = SecretTracer.for(sink);
    this.secretTrace = this.#secrets?.schedule;
    this.#out = new Outbound(this.crypto, sink, this.options.keyUpdateAfterRecords);
    this.#role = config.role === "client" ? new ClientHandshake(this) : new ServerHandshake(this);
  }

  get handshakeDone(): boolean {
    return this.#handshakeDone;
  }

  get peerClosed(): boolean {
    return this.#peerClosed;
  }

  get info(): ConnectionInfo | undefined {
    return this.#info;
  }

  // ---- public API ---------------------------------------------------------

  start(): void {
    this.#guard(() => {
      if (this.#started) return;
      this.#started = true;
      this.#role.start();
    });
  }

  receive(bytes: Uint8Array): void {
    this.#guard(() => {
      if (!this.#started) {
        this.#started = true;
        this.#role.start();
      }
      // RFC 8446 §6.1: whatever arrives after close_notify is ignored.
      this.#reader.push(bytes, (rec) => this.#onRecord(rec));
    });
  }

  send(bytes: Uint8Array): void {
    if (this.#error) throw this.#error;
    if (!this.#handshakeDone) throw new TlsError(Alert.internal_error, "send() before the handshake completed");
    if (this.#writeClosed) throw new TlsError(Alert.internal_error, "send() after close()");
    if (bytes.length === 0 && !this.options.sendEmptyRecords) return;
    this.#guard(() => this.#out.applicationData(bytes));
  }

  close(): void {
    this.#guard(() => {
      if (this.#writeClosed) return;
      this.#out.alert(1, Alert.close_notify);
      this.#writeClosed = true;
      this.state("sent close_notify");
    });
  }

  keyUpdate(requestPeer: boolean): void {
    if (this.#error) throw this.#error;
    if (!this.#handshakeDone || this.#writeClosed) {
      throw new TlsError(Alert.internal_error, "keyUpdate() needs a completed handshake and an open write side");
    }
    this.#guard(() => this.#out.keyUpdate(requestPeer));
  }

  // ---- HandshakeContext ---------------------------------------------------

  sendHandshake(type: number, body: Uint8Array, recordVersion = 0x0303): Uint8Array {
    const msg = handshakeMessage(type, body);
    this.transcript.add(msg);
    this.#out.queueHandshake(msg, recordVersion);
    this.#sink.trace?.({
      kind: "message",
      direction: "out",
      name: HANDSHAKE_NAMES[type] ?? `type ${type}`,
      length: body.length,
    });
    return msg;
  }

  sendChangeCipherSpec(): void {
    this.#out.changeCipherSpec();
    this.#sink.trace?.({ kind: "message", direction: "out", name: "ChangeCipherSpec", length: 1 });
  }

  setReadKeys(suite: CipherSuiteInfo, secret: Uint8Array): void {
    // RFC 8446 §5.1: a message before a key change must end its record.
    if (this.#handshake.pending !== 0) {
      throw new TlsError(Alert.unexpected_message, "handshake data spans a key change");
    }
    this.#read = { suite, secret };
    const k = trafficKeys(this.crypto, suite, secret);
    this.#reader.protection = new RecordProtection(this.crypto.aead(suite.aead, k.key), k.iv);
    this.#secrets?.keys("read", suite, secret, k);
    // Rejected early data is protected under a key we never derive: skip what fails under this one.
    this.#reader.undecryptableAllowance = this.#limits.earlyDataLeft;
    this.#limits.earlyDataLeft = 0;
  }

  setWriteKeys(suite: CipherSuiteInfo, secret: Uint8Array): void {
    this.#out.setKeys(suite, secret);
  }

  ignoreEarlyData(): void {
    this.#limits.earlyDataLeft = EARLY_DATA_SKIP_LIMIT;
    this.state("early data offered: not accepted, skipping it");
  }

  keyLog(label: string, secret: Uint8Array): void {
    this.config.keyLog?.(`${label} ${toHex(this.#role.clientRandom)} ${toHex(secret)}`);
  }

  state(text: string): void {
    this.#sink.trace?.({ kind: "state", text });
  }

  complete(info: ConnectionInfo): void {
    this.#info = info;
    this.#handshakeDone = true;
    this.state("SSL negotiation finished successfully");
  }

  // ---- internals ----------------------------------------------------------

  #guard(fn: () => void): void {
    if (this.#error) throw this.#error;
    try {
      fn();
      this.#out.flushHandshake();
      this.#out.deliver();
    } catch (e) {
      throw this.#fail(e);
    }
  }

  #fail(e: unknown): TlsError {
    let err: TlsError;
    // Half-built flights are dropped; what was already sealed goes out before the alert.
    this.#out.dropHandshake();
    if (e instanceof TlsError && e.received) {
      err = e;
    } else {
      const alert = e instanceof TlsError ? e.alert : Alert.internal_error;
      const message = e instanceof Error ? e.message : String(e);
      let sent = false;
      if (!this.#writeClosed) {
        try {
          this.#out.alert(2, alert);
          sent = true;
        } catch {
          // Could not even protect the alert: report without it.
        }
      }
      err = new TlsError(alert, message, { sent });
    }
    this.#error = err;
    this.state(`fatal: ${err.describe()}`);
    try {
      this.#out.deliver();
    } catch {
      // The sink failing must not hide the protocol error.
    }
    return err;
  }

  // Records are traced by the adapter (lib/ssl/ssl.ts), the one owner for every engine.
  #onRecord(rec: InboundRecord): void {
    if (rec.protected) this.#secrets?.opened(rec);
    if (rec.protected) this.#protectedSeen = true;
    // RFC 8446 §5.1: nothing may come between the records of one handshake message.
    if (this.#handshake.pending !== 0 && rec.type !== ContentType.handshake) {
      throw new TlsError(Alert.unexpected_message, "record interleaved with a fragmented handshake message");
    }
    switch (rec.type) {
      case ContentType.change_cipher_spec:
        return this.#onChangeCipherSpec(rec);
      case ContentType.alert:
        return this.#onAlert(rec);
      case ContentType.handshake:
        // RFC 8446 §5: once keys are in use, every handshake record is protected.
        if (!rec.protected && this.#reader.protection) {
          throw new TlsError(Alert.unexpected_message, "plaintext handshake record after keys were set");
        }
        if (rec.fragment.length === 0) throw new TlsError(Alert.unexpected_message, "empty handshake record");
        this.#limits.earlyDataLeft = 0; // early data ends where the next ClientHello begins
        return this.#handshake.push(rec.fragment, (raw) => {
          this.#onHandshakeMessage(raw);
          return !this.#error;
        });
      case ContentType.application_data:
        // RFC 8446 §4.2.10: after a HelloRetryRequest, skip early data until the second ClientHello.
        if (!rec.protected) {
          return this.#limits.skipEarlyData(rec.length, "application data before the handshake completed");
        }
        if (!this.#handshakeDone) {
          throw new TlsError(Alert.unexpected_message, "application data before the handshake completed");
        }
        if (rec.fragment.length) {
          this.#limits.applicationData();
          this.#sink.plaintext(rec.fragment);
        } else this.#limits.idleRecord("empty records");
        return;
      default:
        throw new TlsError(Alert.unexpected_message, `unexpected inner content type ${rec.type}`);
    }
  }

  #onChangeCipherSpec(rec: InboundRecord): void {
    // RFC 8446 §5: one unprotected CCS of value 1 between the first ClientHello and the peer's Finished is dropped.
    const ok = !rec.protected && rec.fragment.length === 1 && rec.fragment[0] === 1 && this.#role.helloSeen &&
      !this.#role.peerFinished && !this.#ccsReceived;
    if (!ok) throw new TlsError(Alert.unexpected_message, "unexpected ChangeCipherSpec");
    this.#ccsReceived = true;
    this.#sink.trace?.({ kind: "message", direction: "in", name: "ChangeCipherSpec", length: 1 });
  }

  #onAlert(rec: InboundRecord): void {
    // RFC 8446 §5.1: zero-length Alert fragments are forbidden, protected or not.
    if (rec.fragment.length === 0) throw new TlsError(Alert.unexpected_message, "empty alert record");
    if (rec.fragment.length !== 2) throw new TlsError(Alert.decode_error, "malformed alert record");
    const [level, code] = rec.fragment;
    if (!rec.protected && this.#reader.protection && !this.#plaintextAlertAllowed(level, code)) {
      throw new TlsError(Alert.unexpected_message, `plaintext alert ${alertName(code)} after keys were set`);
    }
    this.#sink.trace?.({ kind: "message", direction: "in", name: "Alert", length: 2, detail: alertName(code) });
    if (code === Alert.close_notify) {
      this.#peerClosed = true;
      this.#reader.halt();
      this.state("received close_notify");
      return;
    }
    if (code === Alert.user_canceled) return this.#limits.idleRecord("user_canceled alerts"); // close_notify follows
    throw new TlsError(code, `peer sent alert ${alertName(code)}`, { received: true });
  }

  /**
   * Once we read under keys the peer protects with them too (RFC 8446 §5),
   * with one exception, as OpenSSL makes it: a client that cannot process
   * our ServerHello has no keys yet, so a server takes its fatal alert in
   * plaintext until the client's first protected record.
   */
  #plaintextAlertAllowed(level: number, code: number): boolean {
    return this.config.role === "server" && !this.#protectedSeen && !this.#handshakeDone && level === 2 &&
      code !== Alert.close_notify;
  }

  #onHandshakeMessage(raw: Uint8Array): void {
    const type = raw[0];
    const body = raw.subarray(4);
    this.#sink.trace?.({
      kind: "message",
      direction: "in",
      name: HANDSHAKE_NAMES[type] ?? `type ${type}`,
      length: body.length,
    });
    if (!this.#handshakeDone) return this.#role.handle(type, body, raw);
    const isTicket = type === HandshakeType.new_session_ticket && this.config.role === "client";
    if (type !== HandshakeType.key_update && !isTicket) {
      throw new TlsError(
        Alert.unexpected_message,
        `unexpected post-handshake message ${HANDSHAKE_NAMES[type] ?? type}`,
      );
    }
    this.#limits.postHandshakeMessage();
    if (type === HandshakeType.key_update) return this.#onKeyUpdate(body);
    // Resumption is not offered: the ticket is checked and dropped.
    checkPlacement(parseNewSessionTicket(body).extensions, NEW_SESSION_TICKET_EXTENSIONS, "NewSessionTicket");
  }

  #onKeyUpdate(body: Uint8Array): void {
    if (body.length !== 1) throw new TlsError(Alert.decode_error, "malformed KeyUpdate");
    if (body[0] > 1) throw new TlsError(Alert.illegal_parameter, "bad KeyUpdate request_update value");
    const read = this.#read!;
    this.setReadKeys(read.suite, nextTrafficSecret(this.crypto, read.suite, read.secret));
    this.state("read keys updated");
    if (body[0] === 1 && !this.#writeClosed) this.#out.keyUpdate(false);
  }
}

/**
 * Builds a TLS 1.3 engine for one connection. Matches {@link EngineFactory};
 * the optional third argument picks algorithms, the crypto provider and test
 * hooks.
 *
 * @example The first flight of a client
 * ```ts
 * import { createTls13Engine, Ssl } from "@ssl-nonblock/tls";
 * import assert from "node:assert/strict";
 *
 * const ssl = new Ssl(createTls13Engine, { role: "client", serverName: "example.com", alpnProtocols: ["h2"] });
 * assert.equal(ssl.handshake(), "want-read");
 * const hello = ssl.wbio.read();
 * assert.deepEqual([...hello.subarray(0, 3)], [22, 3, 1]); // a handshake record, legacy version TLS 1.0
 * assert.equal(hello[5], 1); // ClientHello
 * ```
 *
 * @param config Role, certificates, trust anchors, versions.
 * @param sink Where encrypted bytes, plaintext and trace events go.
 * @param options Algorithms, crypto provider, test hooks.
 * @returns The engine, not started.
 */
export function createTls13Engine(config: TlsConfig, sink: EngineSink, options: Tls13Options = {}): Tls13Engine {
  return new Tls13Connection(config, sink, options);
}
