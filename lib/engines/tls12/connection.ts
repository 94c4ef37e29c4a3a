/**
 * The TLS 1.2 engine: the sans-IO connection object behind
 * {@link createTls12Engine}. It owns the record layer, handshake message
 * reassembly, ChangeCipherSpec, alerts, application data, the refusal of
 * renegotiation and close_notify; the handshake states
 * (client_handshake.ts, server_handshake.ts) own the handshake proper.
 *
 * Every failure becomes a {@link TlsError}: the alert goes out first (under
 * the current write keys), then the error is thrown, and the same error is
 * thrown again by every later call.
 *
 * @module
 */

import { Alert, alertName, TlsError } from "../../ssl/alerts.ts";
import type { ConnectionInfo, EngineSink, TlsConfig, TlsEngine } from "../../ssl/engine.ts";
import { concat, toHex } from "../../protocol/bytes.ts";
import { ContentType, HANDSHAKE_NAMES, HandshakeType } from "../../protocol/constants.ts";
import { handshakeMessage } from "../../protocol/messages.ts";
import { HandshakeReassembler } from "../tls13/handshake_reassembly.ts";
import { NodeCryptoProvider } from "../../crypto/node_provider.ts";
import type { CryptoProvider } from "../../crypto/provider.ts";
import {
  type ResolvedTls12Options,
  resolveTls12Options,
  type Tls12Context,
  type Tls12Options,
  type Tls12State,
  Transcript12,
} from "./context.ts";
import { type Tls12Protection, type Tls12Record, Tls12RecordReader, Tls12RecordWriter } from "./record.ts";
import { RecordOutput } from "../../protocol/record_output.ts";
import { Tls12HandshakeType } from "./suites.ts";

/** Records that carry nothing (empty data, ignorable warnings) tolerated in a row. */
const MAX_IDLE_RECORDS = 64;
const WARNING = 1, FATAL = 2;

let defaultProvider: CryptoProvider | undefined;
function nodeProvider(): CryptoProvider {
  return defaultProvider ??= new NodeCryptoProvider();
}

/** How a connection begins: the server waits for a ClientHello, the client sends one. */
export type Tls12Start = (ctx: Tls12Context) => Tls12State;

class Tls12Connection implements TlsEngine, Tls12Context {
  readonly config: TlsConfig;
  readonly options: ResolvedTls12Options;
  readonly crypto: CryptoProvider;
  readonly transcript: Transcript12;
  readonly #sink: EngineSink;
  readonly #begin: Tls12Start;
  readonly #reader = new Tls12RecordReader();
  readonly #writer = new Tls12RecordWriter();
  #state: Tls12State | undefined;
  #pendingRead: Tls12Protection | undefined;
  readonly #handshake = new HandshakeReassembler();
  readonly #out: RecordOutput;
  #pendingHs: Uint8Array[] = [];
  #pendingVersion = 0x0303;
  #handshakeDone = false;
  #peerClosed = false;
  #writeClosed = false;
  #idleRecords = 0;
  #info: ConnectionInfo | undefined;
  #error: TlsError | undefined;

  constructor(config: TlsConfig, sink: EngineSink, options: Tls12Options, begin: Tls12Start) {
    this.config = config;
    this.#sink = sink;
    this.#out = new RecordOutput(sink.copiesOutgoing === true);
    this.crypto = options.crypto ?? nodeProvider();
    this.options = resolveTls12Options(options, this.crypto);
    this.transcript = new Transcript12(this.crypto);
    this.#begin = begin;
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

  get readProtected(): boolean {
    return this.#reader.protection !== undefined;
  }

  // ---- public API ---------------------------------------------------------

  start(): void {
    this.#guard(() => {
      this.#state ??= this.#begin(this);
    });
  }

  receive(bytes: Uint8Array): void {
    this.#guard(() => {
      this.#state ??= this.#begin(this);
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
    this.#guard(() => {
      this.#out.seal(this.#writer, ContentType.application_data, bytes);
    });
  }

  close(): void {
    this.#guard(() => {
      if (this.#writeClosed) return;
      this.#sendAlert(Alert.close_notify, WARNING);
      this.#writeClosed = true;
      this.state("sent close_notify");
    });
  }

  // ---- Tls12Context -------------------------------------------------------

  sendHandshake(type: number, body: Uint8Array, recordVersion = 0x0303): void {
    const msg = handshakeMessage(type, body);
    this.transcript.add(msg);
    this.#pendingHs.push(msg);
    this.#pendingVersion = recordVersion;
    this.#sink.trace?.({ kind: "message", direction: "out", name: messageName(type), length: body.length });
  }

  changeWriteCipher(protection: Tls12Protection): void {
    this.#flushHandshake();
    this.#sink.trace?.({ kind: "message", direction: "out", name: "ChangeCipherSpec", length: 1 });
    this.#out.seal(this.#writer, ContentType.change_cipher_spec, new Uint8Array([1]));
    this.#writer.protection = protection;
  }

  expectChangeCipherSpec(protection: Tls12Protection): void {
    this.#pendingRead = protection;
  }

  keyLog(clientRandom: Uint8Array, master: Uint8Array): void {
    this.config.keyLog?.(`CLIENT_RANDOM ${toHex(clientRandom)} ${toHex(master)}`);
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
    this.#pendingHs = [];
    if (e instanceof TlsError && e.received) {
      err = e;
    } else {
      const alert = e instanceof TlsError ? e.alert : Alert.internal_error;
      const message = e instanceof Error ? e.message : String(e);
      let sent = false;
      if (!this.#writeClosed) {
        try {
          this.#sendAlert(alert, FATAL);
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
    this.#out.seal(this.#writer, ContentType.alert, new Uint8Array([level, code]));
  }

  #flushHandshake(): void {
    if (!this.#pendingHs.length) return;
    const data = concat(...this.#pendingHs);
    this.#pendingHs = [];
    this.#out.seal(this.#writer, ContentType.handshake, data, this.#pendingVersion);
    this.#pendingVersion = 0x0303;
  }

  #deliver(): void {
    if (this.#out.length) this.#sink.outgoing(this.#out.take());
  }

  // Records are traced by the adapter (lib/ssl/ssl.ts), the one owner for every engine.
  #onRecord(rec: Tls12Record): void {
    if (this.#peerClosed) throw new TlsError(Alert.unexpected_message, "data received after close_notify");
    // RFC 5246 §6.2.1: handshake messages may be fragmented, but nothing may come in between.
    if (this.#handshake.pending !== 0 && rec.type !== ContentType.handshake) {
      throw new TlsError(Alert.unexpected_message, "record interleaved with a fragmented handshake message");
    }
    switch (rec.type) {
      case ContentType.change_cipher_spec:
        return this.#onChangeCipherSpec(rec.fragment);
      case ContentType.alert:
        return this.#onAlert(rec.fragment);
      case ContentType.handshake:
        if (rec.fragment.length === 0) throw new TlsError(Alert.unexpected_message, "empty handshake record");
        return this.#onHandshakeFragment(rec.fragment);
      default: // application_data
        if (!this.#handshakeDone) {
          throw new TlsError(Alert.unexpected_message, "application data before the handshake completed");
        }
        if (rec.fragment.length) {
          this.#idleRecords = 0;
          this.#sink.plaintext(rec.fragment);
        } else this.#countIdleRecord("empty records");
    }
  }

  #countIdleRecord(what: string): void {
    if (++this.#idleRecords > MAX_IDLE_RECORDS) {
      throw new TlsError(Alert.unexpected_message, `more than ${MAX_IDLE_RECORDS} ${what} in a row`);
    }
  }

  #onChangeCipherSpec(fragment: Uint8Array): void {
    // RFC 5246 §7.1: exactly one byte of value 1, only where the handshake expects it.
    if (fragment.length !== 1 || fragment[0] !== 1) {
      throw new TlsError(Alert.decode_error, "malformed ChangeCipherSpec");
    }
    const next = this.#pendingRead;
    if (!next) throw new TlsError(Alert.unexpected_message, "unexpected ChangeCipherSpec");
    this.#sink.trace?.({ kind: "message", direction: "in", name: "ChangeCipherSpec", length: 1 });
    this.#pendingRead = undefined;
    this.#reader.protection = next;
  }

  #onAlert(fragment: Uint8Array): void {
    if (fragment.length !== 2) throw new TlsError(Alert.decode_error, "malformed alert record");
    const [level, code] = fragment;
    this.#sink.trace?.({ kind: "message", direction: "in", name: "Alert", length: 2, detail: alertName(code) });
    if (code === Alert.close_notify) {
      this.#peerClosed = true;
      this.state("received close_notify");
      return;
    }
    // RFC 5246 §7.2: a warning leaves the connection up; fatal alerts and unknown levels end it.
    if (level === WARNING) {
      this.state(`received warning alert ${alertName(code)}`);
      return this.#countIdleRecord("warning alerts");
    }
    throw new TlsError(code, `peer sent alert ${alertName(code)}`, { received: true });
  }

  #onHandshakeFragment(frag: Uint8Array): void {
    this.#handshake.push(frag, (raw) => {
      this.#onHandshakeMessage(raw);
    });
  }

  #onHandshakeMessage(raw: Uint8Array): void {
    const type = raw[0];
    const body = raw.subarray(4);
    this.#sink.trace?.({ kind: "message", direction: "in", name: messageName(type), length: body.length });
    if (!this.#handshakeDone) {
      // A message must not straddle the ChangeCipherSpec (the next key is waiting).
      if (this.#pendingRead && this.#handshake.pending !== 0) {
        throw new TlsError(Alert.unexpected_message, "handshake data spans a ChangeCipherSpec");
      }
      // RFC 5246 §7.4.1.1: a client already negotiating ignores HelloRequest, which no transcript includes.
      if (this.config.role === "client" && type === Tls12HandshakeType.hello_request) {
        if (body.length) throw new TlsError(Alert.decode_error, "HelloRequest is not empty");
        this.state("ignored HelloRequest during the handshake");
        return this.#countIdleRecord("HelloRequests");
      }
      this.#state = this.#state!.handle(type, body, raw);
      return;
    }
    // RFC 5746 §4.2 / §4.4: we never renegotiate; the peer is told so with a warning and may carry on.
    const request = this.config.role === "server"
      ? type === HandshakeType.client_hello
      : type === Tls12HandshakeType.hello_request && body.length === 0;
    if (!request) {
      throw new TlsError(Alert.unexpected_message, `unexpected post-handshake message ${messageName(type)}`);
    }
    this.state(`refused renegotiation (${messageName(type)})`);
    this.#countIdleRecord("renegotiation requests");
    if (!this.#writeClosed) this.#sendAlert(Alert.no_renegotiation, WARNING);
  }
}

function messageName(type: number): string {
  return HANDSHAKE_NAMES[type] ?? `type ${type}`;
}

/**
 * Builds a TLS 1.2 connection that begins with `begin`.
 */
export function createTls12Connection(
  config: TlsConfig,
  sink: EngineSink,
  options: Tls12Options,
  begin: Tls12Start,
): TlsEngine {
  return new Tls12Connection(config, sink, options, begin);
}
