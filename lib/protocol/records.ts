/**
 * Watches a TLS byte stream record by record without decrypting anything:
 * for tracing (`--msg`) and as a guard that refuses a record header whose
 * length no TLS version allows, before an engine buffers it.
 *
 * @module
 */

import { Alert, TlsError } from "../ssl/alerts.ts";
import type { TraceEvent } from "../ssl/engine.ts";
import { CONTENT_TYPE_NAMES, ContentType, HANDSHAKE_NAMES, MAX_RECORD_BODY, maxHandshakeLength } from "./constants.ts";

/** What a {@link RecordScanner} does besides splitting records. */
export interface ScannerOptions {
  /** Name the handshake messages of records sent in the clear. */
  nameMessages?: boolean;
  /**
   * Refuse impossible input instead of just describing it: a record longer
   * than {@link MAX_RECORD_BODY}, or a clear-text handshake message longer
   * than {@link maxHandshakeLength} allows (an engine would otherwise buffer it
   * whole).
   */
  enforceLimits?: boolean;
  /**
   * Give each `record` event the whole record, header included; the event
   * then comes when the record is complete rather than at its header.
   */
  recordBytes?: boolean;
}

/**
 * Splits a byte stream into records and reports each one.
 */
export class RecordScanner {
  readonly #direction: "in" | "out";
  readonly #emit: (event: TraceEvent) => void;
  readonly #nameMessages: boolean;
  readonly #enforce: boolean;
  readonly #keepBytes: boolean;
  #record: Uint8Array | undefined; // recordBytes: the record being collected
  #recordFill = 0;
  #pending: TraceEvent | undefined; // recordBytes: its event, sent once the record is complete
  #header = new Uint8Array(5);
  #headerFill = 0;
  #bodyLeft = 0;
  #type = 0;
  #encrypted = false; // a ChangeCipherSpec went by: later handshake records are opaque

  constructor(direction: "in" | "out", emit: (event: TraceEvent) => void, options: ScannerOptions = {}) {
    this.#direction = direction;
    this.#emit = emit;
    this.#nameMessages = options.nameMessages ?? false;
    this.#enforce = options.enforceLimits ?? false;
    this.#keepBytes = options.recordBytes ?? false;
  }

  /** Feeds the next bytes of the stream. */
  push(bytes: Uint8Array): void {
    let i = 0;
    while (i < bytes.length) {
      if (this.#bodyLeft > 0) {
        const take = Math.min(this.#bodyLeft, bytes.length - i);
        if (this.#type === ContentType.handshake && !this.#encrypted) this.#clearHandshake(bytes, i, take);
        if (this.#record) this.#collect(bytes.subarray(i, i + take));
        this.#bodyLeft -= take;
        i += take;
        if (this.#bodyLeft === 0) this.#recordDone();
        continue;
      }
      this.#header[this.#headerFill++] = bytes[i++];
      if (this.#headerFill === 5) this.#startRecord();
    }
  }

  readonly #messageHeader = new Uint8Array(4);
  #messageHeaderFill = 0;
  #messageLeft = 0; // body bytes of the current clear-text handshake message still to come
  #startRecord(): void {
    this.#headerFill = 0;
    const h = this.#header;
    this.#type = h[0];
    const length = (h[3] << 8) | h[4];
    if (!(h[0] in CONTENT_TYPE_NAMES) || h[1] !== 3) {
      if (this.#enforce) {
        const text = Array.from(h, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
        throw new TlsError(
          Alert.unexpected_message,
          `received bytes that are not a TLS record (they begin "${text}"${
            /^[A-Z]{3,}/.test(text) ? ", plain HTTP?" : ""
          })`,
        );
      }
      this.#bodyLeft = 0; // tracing only: resynchronise on the next bytes
      return;
    }
    if (length > MAX_RECORD_BODY && this.#enforce) {
      throw new TlsError(
        Alert.record_overflow,
        `record of ${length} bytes exceeds the TLS maximum of ${MAX_RECORD_BODY}`,
      );
    }
    const event: TraceEvent = {
      kind: "record",
      direction: this.#direction,
      contentType: CONTENT_TYPE_NAMES[h[0]],
      version: (h[1] << 8) | h[2],
      length,
    };
    if (this.#keepBytes) {
      this.#record = event.bytes = new Uint8Array(5 + length);
      this.#recordFill = 0;
      this.#collect(h);
      this.#pending = event;
    } else this.#emit(event);
    if (h[0] === ContentType.change_cipher_spec) {
      this.#encrypted = true;
      if (this.#nameMessages) {
        this.#emit({ kind: "message", direction: this.#direction, name: "ChangeCipherSpec", length: 1 });
      }
    }
    this.#bodyLeft = length;
    if (length === 0) this.#recordDone();
  }

  #collect(bytes: Uint8Array): void {
    this.#record!.set(bytes, this.#recordFill);
    this.#recordFill += bytes.length;
  }

  #recordDone(): void {
    const event = this.#pending;
    this.#record = this.#pending = undefined;
    if (event) this.#emit(event);
  }

  #clearHandshake(bytes: Uint8Array, at: number, take: number): void {
    // Walk every message header, even when a header or a body is split
    // across records or reads: each length is checked before an engine
    // would start buffering the body.
    const end = at + take;
    while (at < end) {
      if (this.#messageLeft > 0) {
        const skip = Math.min(this.#messageLeft, end - at);
        this.#messageLeft -= skip;
        at += skip;
        continue;
      }
      this.#messageHeader[this.#messageHeaderFill++] = bytes[at++];
      if (this.#messageHeaderFill < 4) continue;
      this.#messageHeaderFill = 0;
      const h = this.#messageHeader;
      const length = (h[1] << 16) | (h[2] << 8) | h[3];
      if (this.#enforce && length > maxHandshakeLength(h[0])) {
        throw new TlsError(
          Alert.handshake_failure,
          `handshake message of ${length} bytes exceeds the limit of ${maxHandshakeLength(h[0])}`,
        );
      }
      this.#messageLeft = length;
      if (this.#nameMessages) {
        this.#emit({
          kind: "message",
          direction: this.#direction,
          name: HANDSHAKE_NAMES[h[0]] ?? `handshake(${h[0]})`,
          length,
        });
      }
    }
  }
}
