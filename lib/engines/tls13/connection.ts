/**
 * The TLS 1.3 engine: the sans-IO connection object behind
 * {@link createTls13Engine}. It owns the record layer, handshake message
 * reassembly, alerts, ChangeCipherSpec tolerance, application data,
 * KeyUpdate and close_notify; the role modules (client.ts, server.ts) own the
 * handshake proper.
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
import {
  type CipherSuiteInfo,
  ContentType,
  HANDSHAKE_NAMES,
  HandshakeType,
  MAX_HANDSHAKE_MESSAGE,
} from "../../protocol/constants.ts";
import {
  type HandshakeContext,
  type ResolvedOptions,
  resolveOptions,
  type RoleHandshake,
  type Tls13Options,
} from "./context.ts";
import { type CryptoProvider, NodeCryptoProvider } from "../../crypto/node_provider.ts";
import { nextTrafficSecret, trafficKeys, Transcript } from "./key_schedule.ts";
import { handshakeMessage, parseNewSessionTicket } from "../../protocol/messages.ts";
import { type InboundRecord, RecordProtection, RecordReader, RecordWriter } from "./record.ts";
import { ServerHandshake } from "./server_handshake.ts";

/**
 * A TLS 1.3 engine: the {@link TlsEngine} interface plus KeyUpdate.
 *
 * @example
 * ```ts
 * const engine = createTls13Engine(config, sink);
 * if (engine.handshakeDone) engine.keyUpdate(true);
 * ```
 */
export interface Tls13Engine extends TlsEngine {
  /**
   * Sends a KeyUpdate and switches to the next write key; with
   * `requestPeer` the peer is asked to update its keys too (RFC 8446 §4.6.3).
   */
  keyUpdate(requestPeer: boolean): void;
}

/** Empty records or user_canceled warnings tolerated in a row. */
const MAX_IDLE_RECORDS = 64;

const CCS_RECORD = new Uint8Array([ContentType.change_cipher_spec, 3, 3, 0, 1, 1]);

let defaultProvider: CryptoProvider | undefined;
function nodeProvider(): CryptoProvider {
  return defaultProvider ??= new NodeCryptoProvider();
}

/** Keys for one direction, kept so KeyUpdate can derive the next ones. */
interface Epoch {
  suite: CipherSuiteInfo;
  secret: Uint8Array;
}

class Tls13Connection implements Tls13Engine, HandshakeContext {
  readonly config: TlsConfig;
  readonly options: ResolvedOptions;
  readonly crypto: CryptoProvider;
  readonly transcript: Transcript;
  readonly #sink: EngineSink;
  readonly #role: RoleHandshake;
  readonly #reader = new RecordReader();
  readonly #writer = new RecordWriter();
  #read: Epoch | undefined;
  #write: Epoch | undefined;
  // Handshake reassembly: bounded by one maximum message.
  #hsBuf = new Uint8Array(1024);
  #hsLen = 0;
  // Output produced during the current call, delivered in one sink call at its end.
  #out: Uint8Array[] = [];
  #pendingHs: Uint8Array[] = [];
  #pendingVersion = 0x0303;
  #started = false;
  #ccsReceived = false;
  #handshakeDone = false;
  #peerClosed = false;
  #idleRecords = 0;
  #writeClosed = false;
  #info: ConnectionInfo | undefined;
  #error: TlsError | undefined;

  constructor(config: TlsConfig, sink: EngineSink, options: Tls13Options) {
    this.config = config;
    this.#sink = sink;
    this.options = resolveOptions(options, nodeProvider);
    this.crypto = this.options.crypto;
    this.transcript = new Transcript(this.crypto);
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
      // Checked before decryption: after close_notify nothing more is read at all.
      if (this.#peerClosed && bytes.length) {
        throw new TlsError(Alert.unexpected_message, "data received after close_notify");
      }
      this.#reader.push(bytes, (rec) => this.#onRecord(rec));
    });
  }

  send(bytes: Uint8Array): void {
    if (this.#error) throw this.#error;
    if (!this.#handshakeDone) throw new TlsError(Alert.internal_error, "send() before the handshake completed");
    if (this.#writeClosed) throw new TlsError(Alert.internal_error, "send() after close()");
    if (bytes.length === 0 && !this.options.sendEmptyRecords) return;
    this.#guard(() => this.#out.push(this.#writer.seal(ContentType.application_data, bytes)));
  }

  close(): void {
    this.#guard(() => {
      if (this.#writeClosed) return;
      this.#sendAlert(Alert.close_notify, 1);
      this.#writeClosed = true;
      this.state("sent close_notify");
    });
  }

  keyUpdate(requestPeer: boolean): void {
    if (this.#error) throw this.#error;
    if (!this.#handshakeDone || this.#writeClosed) {
      throw new TlsError(Alert.internal_error, "keyUpdate() needs a completed handshake and an open write side");
    }
    this.#guard(() => this.#sendKeyUpdate(requestPeer));
  }

  // ---- HandshakeContext ---------------------------------------------------

  sendHandshake(type: number, body: Uint8Array, recordVersion = 0x0303): Uint8Array {
    const msg = handshakeMessage(type, body);
    this.transcript.add(msg);
    this.#pendingHs.push(msg);
    this.#pendingVersion = recordVersion;
    this.#sink.trace?.({
      kind: "message",
      direction: "out",
      name: HANDSHAKE_NAMES[type] ?? `type ${type}`,
      length: body.length,
    });
    return msg;
  }

  sendChangeCipherSpec(): void {
    this.#flushHandshake();
    this.#sink.trace?.({ kind: "message", direction: "out", name: "ChangeCipherSpec", length: 1 });
    this.#out.push(CCS_RECORD.slice());
  }

  setReadKeys(suite: CipherSuiteInfo, secret: Uint8Array): void {
    // RFC 8446 §5.1: a message before a key change must end its record.
    if (this.#hsLen !== 0) throw new TlsError(Alert.unexpected_message, "handshake data spans a key change");
    this.#read = { suite, secret };
    const k = trafficKeys(this.crypto, suite, secret);
    this.#reader.protection = new RecordProtection(this.crypto.aead(suite.aead, k.key), k.iv);
  }

  setWriteKeys(suite: CipherSuiteInfo, secret: Uint8Array): void {
    this.#flushHandshake();
    this.#write = { suite, secret };
    const k = trafficKeys(this.crypto, suite, secret);
    this.#writer.protection = new RecordProtection(this.crypto.aead(suite.aead, k.key), k.iv);
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
      this.#flushHandshake();
      this.#deliver();
    } catch (e) {
      throw this.#fail(e);
    }
  }

  #fail(e: unknown): TlsError {
    let err: TlsError;
    if (e instanceof TlsError && e.received) {
      err = e;
      this.#pendingHs = [];
    } else {
      const alert = e instanceof TlsError ? e.alert : Alert.internal_error;
      const message = e instanceof Error ? e.message : String(e);
      // Half-built flights are dropped; what was already sealed goes out before the alert.
      this.#pendingHs = [];
      let sent = false;
      if (!this.#writeClosed) {
        try {
          this.#sendAlert(alert, 2);
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
      this.#deliver();
    } catch {
      // The sink failing must not hide the protocol error.
    }
    return err;
  }

  #sendAlert(code: number, level: number): void {
    this.#flushHandshake();
    this.#sink.trace?.({ kind: "message", direction: "out", name: "Alert", length: 2, detail: alertName(code) });
    this.#out.push(this.#writer.seal(ContentType.alert, new Uint8Array([level, code])));
  }

  #flushHandshake(): void {
    if (!this.#pendingHs.length) return;
    const parts = this.#pendingHs;
    this.#pendingHs = [];
    let n = 0;
    for (const p of parts) n += p.length;
    const data = new Uint8Array(n);
    let at = 0;
    for (const p of parts) {
      data.set(p, at);
      at += p.length;
    }
    this.#out.push(this.#writer.seal(ContentType.handshake, data, this.#pendingVersion));
    this.#pendingVersion = 0x0303;
  }

  #deliver(): void {
    if (!this.#out.length) return;
    const parts = this.#out;
    this.#out = [];
    if (parts.length === 1) return this.#sink.outgoing(parts[0]);
    let n = 0;
    for (const p of parts) n += p.length;
    const all = new Uint8Array(n);
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    this.#sink.outgoing(all);
  }

  // Records are traced by the adapter (lib/ssl/ssl.ts), the one owner for every engine.
  #onRecord(rec: InboundRecord): void {
    if (this.#peerClosed) throw new TlsError(Alert.unexpected_message, "data received after close_notify");
    // RFC 8446 §5.1: nothing may come between the records of one handshake message.
    if (this.#hsLen !== 0 && rec.type !== ContentType.handshake) {
      throw new TlsError(Alert.unexpected_message, "record interleaved with a fragmented handshake message");
    }
    switch (rec.type) {
      case ContentType.change_cipher_spec:
        return this.#onChangeCipherSpec(rec);
      case ContentType.alert:
        return this.#onAlert(rec);
      case ContentType.handshake:
        if (!rec.protected && this.#reader.protection) {
          throw new TlsError(Alert.unexpected_message, "plaintext handshake record after keys were set");
        }
        if (rec.fragment.length === 0) throw new TlsError(Alert.unexpected_message, "empty handshake record");
        return this.#onHandshakeFragment(rec.fragment);
      case ContentType.application_data:
        if (!rec.protected) throw new TlsError(Alert.unexpected_message, "plaintext application data");
        if (!this.#handshakeDone) {
          throw new TlsError(Alert.unexpected_message, "application data before the handshake completed");
        }
        if (rec.fragment.length) {
          this.#idleRecords = 0;
          this.#sink.plaintext(rec.fragment);
        } else this.#countIdleRecord("empty records");
        return;
      default:
        throw new TlsError(Alert.unexpected_message, `unexpected inner content type ${rec.type}`);
    }
  }

  /** Records that cost work and carry nothing; a long run of them is a denial-of-service attempt. */
  #countIdleRecord(what: string): void {
    if (++this.#idleRecords > MAX_IDLE_RECORDS) {
      throw new TlsError(Alert.unexpected_message, `more than ${MAX_IDLE_RECORDS} ${what} in a row`);
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
    // Before the handshake completes a peer may not have our keys yet, so plaintext alerts are read then.
    if (!rec.protected && this.#handshakeDone) throw new TlsError(Alert.unexpected_message, "plaintext alert");
    if (rec.fragment.length !== 2) throw new TlsError(Alert.decode_error, "malformed alert record");
    const code = rec.fragment[1];
    this.#sink.trace?.({ kind: "message", direction: "in", name: "Alert", length: 2, detail: alertName(code) });
    if (code === Alert.close_notify) {
      this.#peerClosed = true;
      this.state("received close_notify");
      return;
    }
    if (code === Alert.user_canceled) return this.#countIdleRecord("user_canceled alerts"); // close_notify follows
    throw new TlsError(code, `peer sent alert ${alertName(code)}`, { received: true });
  }

  #onHandshakeFragment(frag: Uint8Array): void {
    const need = this.#hsLen + frag.length;
    if (need > this.#hsBuf.length) {
      if (need > 4 + MAX_HANDSHAKE_MESSAGE + frag.length) {
        throw new TlsError(Alert.unexpected_message, "handshake buffer overflow");
      }
      const grown = new Uint8Array(Math.max(need, this.#hsBuf.length * 2));
      grown.set(this.#hsBuf.subarray(0, this.#hsLen));
      this.#hsBuf = grown;
    }
    this.#hsBuf.set(frag, this.#hsLen);
    this.#hsLen += frag.length;
    let at = 0;
    while (this.#hsLen - at >= 4) {
      const b = this.#hsBuf;
      const len = (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3];
      if (len > MAX_HANDSHAKE_MESSAGE) {
        throw new TlsError(Alert.decode_error, `handshake message of ${len} bytes exceeds ${MAX_HANDSHAKE_MESSAGE}`);
      }
      if (this.#hsLen - at < 4 + len) break;
      const raw = b.slice(at, at + 4 + len);
      at += 4 + len;
      // Keep the unconsumed tail visible to setReadKeys' boundary check.
      this.#hsBuf.copyWithin(0, at, this.#hsLen);
      this.#hsLen -= at;
      at = 0;
      this.#onHandshakeMessage(raw);
      if (this.#error) return;
    }
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
    if (type === HandshakeType.key_update) return this.#onKeyUpdate(body);
    if (type === HandshakeType.new_session_ticket && this.config.role === "client") {
      parseNewSessionTicket(body); // resumption is not offered: the ticket is checked and dropped
      return;
    }
    throw new TlsError(Alert.unexpected_message, `unexpected post-handshake message ${HANDSHAKE_NAMES[type] ?? type}`);
  }

  #onKeyUpdate(body: Uint8Array): void {
    if (body.length !== 1) throw new TlsError(Alert.decode_error, "malformed KeyUpdate");
    if (body[0] > 1) throw new TlsError(Alert.illegal_parameter, "bad KeyUpdate request_update value");
    const read = this.#read!;
    this.setReadKeys(read.suite, nextTrafficSecret(this.crypto, read.suite, read.secret));
    this.state("read keys updated");
    if (body[0] === 1 && !this.#writeClosed) this.#sendKeyUpdate(false);
  }

  #sendKeyUpdate(requestPeer: boolean): void {
    const write = this.#write!;
    this.#pendingHs.push(handshakeMessage(HandshakeType.key_update, new Uint8Array([requestPeer ? 1 : 0])));
    this.#sink.trace?.({ kind: "message", direction: "out", name: "KeyUpdate", length: 1 });
    this.setWriteKeys(write.suite, nextTrafficSecret(this.crypto, write.suite, write.secret));
    this.state("write keys updated");
  }
}

/**
 * Builds a TLS 1.3 engine for one connection. Matches {@link EngineFactory};
 * the optional third argument picks algorithms, the crypto provider and test
 * hooks.
 *
 * @example
 * ```ts
 * const engine = createTls13Engine(
 *   { role: "client", serverName: "localhost", caCertificates: [caPem] },
 *   { outgoing: (b) => socketWrite(b), plaintext: (b) => console.log(b.length) },
 * );
 * engine.start(); // the ClientHello goes to outgoing()
 * ```
 */
export function createTls13Engine(config: TlsConfig, sink: EngineSink, options: Tls13Options = {}): Tls13Engine {
  return new Tls13Connection(config, sink, options);
}
