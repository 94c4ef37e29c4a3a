/**
 * The sending half of the TLS 1.3 engine: handshake messages queued into
 * flights, alerts and application data sealed under the current write keys,
 * and everything one call produced handed to the sink in a single buffer.
 *
 * It also keeps the write keys within their usage limit (RFC 8446 §5.5): a
 * KeyUpdate goes out on our own before a key has protected
 * {@link KEY_UPDATE_AFTER_RECORDS} records.
 *
 * @module
 */

import { alertName } from "../../ssl/alerts.ts";
import type { EngineSink } from "../../ssl/engine.ts";
import { type CipherSuiteInfo, ContentType, HandshakeType, MAX_PLAINTEXT } from "../../protocol/constants.ts";
import type { CryptoProvider } from "../../crypto/provider.ts";
import { handshakeMessage } from "../../protocol/messages.ts";
import { concat } from "../../protocol/bytes.ts";
import { nextTrafficSecret, trafficKeys } from "./key_schedule.ts";
import { RecordProtection, RecordWriter } from "./record.ts";
import { RecordOutput } from "../../protocol/record_output.ts";
import { SecretTracer } from "./secret_trace.ts";

/**
 * Records one write key protects before we replace it with a KeyUpdate.
 * RFC 8446 §5.5 caps AES-GCM at 2^24.5 records (ChaCha20-Poly1305 allows far
 * more); 2^23 keeps a wide margin for every suite and costs one key
 * derivation per 128 GiB of full records.
 */
export const KEY_UPDATE_AFTER_RECORDS = 2 ** 23;

const CCS_RECORD = new Uint8Array([ContentType.change_cipher_spec, 3, 3, 0, 1, 1]);

/** Keys for one direction, kept so KeyUpdate can derive the next ones. */
export interface Epoch {
  suite: CipherSuiteInfo;
  secret: Uint8Array;
}

/**
 * Builds the engine's output.
 */
export class Outbound {
  readonly #crypto: CryptoProvider;
  readonly #sink: EngineSink;
  readonly #writer = new RecordWriter();
  readonly #secrets: SecretTracer | undefined;
  #epoch: Epoch | undefined;
  readonly #out: RecordOutput;
  #pendingHs: Uint8Array[] = [];
  #pendingVersion = 0x0303;
  /** Records a key may protect before it is replaced (lower in tests). */
  keyUpdateAfter: number;

  constructor(crypto: CryptoProvider, sink: EngineSink, keyUpdateAfter?: number) {
    this.#crypto = crypto;
    this.#sink = sink;
    this.#out = new RecordOutput(sink.copiesOutgoing === true);
    this.#secrets = SecretTracer.for(sink);
    this.keyUpdateAfter = keyUpdateAfter ?? KEY_UPDATE_AFTER_RECORDS;
  }

  /** Write keys are installed: records are protected. */
  get protected(): boolean {
    return this.#writer.protection !== undefined;
  }

  /** Queues a framed handshake message; consecutive messages share records. */
  queueHandshake(msg: Uint8Array, recordVersion = 0x0303): void {
    this.#pendingHs.push(msg);
    this.#pendingVersion = recordVersion;
  }

  /** Drops a half-built flight (the connection failed while building it). */
  dropHandshake(): void {
    this.#pendingHs = [];
  }

  /** A plaintext dummy ChangeCipherSpec (RFC 8446 §D.4). */
  changeCipherSpec(): void {
    this.flushHandshake();
    this.#out.append(CCS_RECORD);
  }

  alert(level: number, code: number): void {
    this.flushHandshake();
    this.#sink.trace?.({ kind: "message", direction: "out", name: "Alert", length: 2, detail: alertName(code) });
    this.#seal(ContentType.alert, new Uint8Array([level, code]));
  }

  /**
   * Application data. A KeyUpdate is slipped in first whenever the current
   * key would otherwise go past {@link keyUpdateAfter} records.
   */
  applicationData(bytes: Uint8Array): void {
    let at = 0;
    do {
      // One record is kept back for the KeyUpdate itself.
      const room = this.keyUpdateAfter - 1 - this.#writer.protection!.sequence;
      if (room <= 0) {
        this.keyUpdate(false);
        continue;
      }
      const n = Math.min(bytes.length - at, room * MAX_PLAINTEXT);
      const part = bytes.subarray(at, at + n);
      at += n;
      this.#seal(ContentType.application_data, part);
    } while (at < bytes.length);
  }

  /** Sends a KeyUpdate and moves to the next write key (RFC 8446 §4.6.3). */
  keyUpdate(requestPeer: boolean): void {
    const epoch = this.#epoch!;
    this.queueHandshake(handshakeMessage(HandshakeType.key_update, new Uint8Array([requestPeer ? 1 : 0])));
    this.#sink.trace?.({ kind: "message", direction: "out", name: "KeyUpdate", length: 1 });
    this.setKeys(epoch.suite, nextTrafficSecret(this.#crypto, epoch.suite, epoch.secret));
    this.#sink.trace?.({ kind: "state", text: "write keys updated" });
  }

  /** New write keys; what is queued goes out under the old ones first. */
  setKeys(suite: CipherSuiteInfo, secret: Uint8Array): void {
    this.flushHandshake();
    this.#epoch = { suite, secret };
    const k = trafficKeys(this.#crypto, suite, secret);
    this.#writer.protection = new RecordProtection(this.#crypto.aead(suite.aead, k.key), k.iv);
    this.#secrets?.keys("write", suite, secret, k);
  }

  /** Seals into the output under the current keys; a tracer that asked for secrets sees the plaintext first. */
  #seal(type: number, data: Uint8Array, version?: number): void {
    if (this.#secrets && this.#writer.protection) this.#secrets.sealing(type, data);
    this.#out.seal(this.#writer, type, data, version);
  }

  /** Seals the queued handshake messages into records. */
  flushHandshake(): void {
    if (!this.#pendingHs.length) return;
    const data = concat(...this.#pendingHs);
    this.#pendingHs = [];
    this.#seal(ContentType.handshake, data, this.#pendingVersion);
    this.#pendingVersion = 0x0303;
  }

  /** Hands everything produced so far to the sink, in one buffer. */
  deliver(): void {
    if (this.#out.length) this.#sink.outgoing(this.#out.take());
  }
}
