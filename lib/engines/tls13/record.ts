/**
 * The TLS 1.3 record layer (RFC 8446 §5): splits the incoming byte stream
 * into records, removes AEAD protection and the inner content type, and
 * builds protected records for output.
 *
 * This is the bulk-data path, so it avoids per-byte work: complete records
 * are decrypted straight out of the caller's buffer, only a partial record is
 * copied aside, nonces are computed in a reused buffer, and a whole `send()`
 * becomes one output buffer however many records it needs.
 *
 * @module
 */

import { Alert, TlsError } from "../../ssl/alerts.ts";
import { ContentType, MAX_CIPHERTEXT, MAX_PLAINTEXT } from "../../protocol/constants.ts";
import type { AeadCipher } from "../../crypto/provider.ts";
import { RecordFramer, writeRecordHeader } from "../../protocol/record_framer.ts";
import { RecordSealer } from "../../protocol/record_output.ts";

const TAG = 16;
const HEADER = 5;

/**
 * One direction's record protection: AEAD, static IV and sequence number.
 * The per-record nonce (RFC 8446 §5.3) is written into one reused buffer.
 */
export class RecordProtection {
  readonly aead: AeadCipher;
  readonly #iv: Uint8Array;
  readonly #nonce = new Uint8Array(12);
  #seq = 0;

  constructor(aead: AeadCipher, iv: Uint8Array) {
    this.aead = aead;
    this.#iv = iv;
  }

  /** Records protected so far. */
  get sequence(): number {
    return this.#seq;
  }

  /** Takes back the last nonce: a record that failed trial decryption was not part of the stream. */
  rewind(): void {
    this.#seq--;
  }

  /** The nonce for the next record; advances the sequence number. */
  nextNonce(): Uint8Array {
    const seq = this.#seq++;
    if (seq >= Number.MAX_SAFE_INTEGER) throw new TlsError(Alert.internal_error, "record sequence exhausted");
    const n = this.#nonce, iv = this.#iv;
    n.set(iv);
    const hi = Math.floor(seq / 0x100000000), lo = seq >>> 0;
    n[4] ^= hi >>> 24;
    n[5] ^= hi >>> 16;
    n[6] ^= hi >>> 8;
    n[7] ^= hi;
    n[8] ^= lo >>> 24;
    n[9] ^= lo >>> 16;
    n[10] ^= lo >>> 8;
    n[11] ^= lo;
    return n;
  }
}

/** One record as delivered to the engine. `fragment` is only valid during the callback. */
export interface InboundRecord {
  /** The content type: the inner one for protected records. */
  type: number;
  fragment: Uint8Array;
  /** The record arrived AEAD-protected. */
  protected: boolean;
  /** Outer header fields, for tracing. */
  outerType: number;
  version: number;
  length: number;
}

/**
 * Reassembles and unprotects incoming records.
 */
export class RecordReader {
  /** Read protection; undefined while records are plaintext. */
  protection: RecordProtection | undefined;
  /**
   * Bytes of early data (RFC 8446 §4.2.10) that may fail authentication and
   * be dropped instead of failing the connection, when the server rejected
   * it. The first record that authenticates ends the allowance.
   */
  undecryptableAllowance = 0;
  #halted = false;
  readonly #framer = new RecordFramer(MAX_CIPHERTEXT);
  readonly #aad = new Uint8Array(HEADER);

  /** Bytes of an incomplete record held back. */
  get buffered(): number {
    return this.#framer.buffered;
  }

  /**
   * Feeds bytes; calls `onRecord` for each complete record in order. Key
   * changes made inside the callback apply to the next record.
   */
  push(bytes: Uint8Array, onRecord: (rec: InboundRecord) => void): void {
    if (this.#halted) return;
    this.#framer.push(
      bytes,
      (b, at) => this.#checkHeader(b, at),
      (b, at, total) => this.#handle(b, at, total, onRecord),
      () => this.#halted,
    );
  }

  /**
   * Reads nothing more, now or later: what follows a close_notify is
   * ignored (RFC 8446 §6.1), however malformed.
   */
  halt(): void {
    this.#halted = true;
    this.#framer.clear();
  }

  /** Validates a header before buffering its body; returns the body length. */
  #checkHeader(b: Uint8Array, at: number): number {
    const type = b[at];
    if (type < ContentType.change_cipher_spec || type > ContentType.application_data) {
      throw new TlsError(Alert.unexpected_message, `unexpected record content type ${type}`);
    }
    const length = (b[at + 3] << 8) | b[at + 4];
    // application_data records are TLSCiphertext (RFC 8446 §5.2), even early data that arrives before our keys.
    const max = type === ContentType.application_data ? MAX_CIPHERTEXT : MAX_PLAINTEXT;
    if (length > max) throw new TlsError(Alert.record_overflow, `record of ${length} bytes exceeds ${max}`);
    return length;
  }

  #handle(b: Uint8Array, at: number, total: number, onRecord: (rec: InboundRecord) => void): void {
    const outerType = b[at];
    const version = (b[at + 1] << 8) | b[at + 2];
    const length = total - HEADER;
    const body = b.subarray(at + HEADER, at + total);
    const prot = this.protection;
    if (!prot || outerType !== ContentType.application_data) {
      // Plaintext: handshake before keys, CCS, or alerts; the engine decides.
      if (length === 0 && outerType !== ContentType.application_data) {
        throw new TlsError(Alert.unexpected_message, "empty plaintext record");
      }
      onRecord({ type: outerType, fragment: body, protected: false, outerType, version, length });
      return;
    }
    if (length < TAG + 1) throw new TlsError(Alert.bad_record_mac, "protected record too short");
    const aad = this.#aad;
    aad.set(b.subarray(at, at + HEADER));
    const plain = prot.aead.open(prot.nextNonce(), aad, body.subarray(0, length - TAG), body.subarray(length - TAG));
    if (!plain) {
      // Early data is counted as the plaintext it can at most hold (content without type byte), as the RFC counts it.
      const early = length - TAG - 1;
      if (early > this.undecryptableAllowance) {
        throw new TlsError(Alert.bad_record_mac, "record failed authentication");
      }
      // Rejected early data: dropped, and it never took a sequence number.
      this.undecryptableAllowance -= early;
      prot.rewind();
      return;
    }
    this.undecryptableAllowance = 0;
    // RFC 8446 §5.4: the whole TLSInnerPlaintext (content, type, padding) is at most 2^14 + 1 bytes.
    if (plain.length > MAX_PLAINTEXT + 1) {
      throw new TlsError(Alert.record_overflow, `decrypted record of ${plain.length} bytes exceeds 2^14 + 1`);
    }
    // Strip zero padding; the last non-zero byte is the real content type.
    let end = plain.length - 1;
    while (end >= 0 && plain[end] === 0) end--;
    if (end < 0) throw new TlsError(Alert.unexpected_message, "protected record without content type");
    onRecord({
      type: plain[end],
      fragment: plain.subarray(0, end),
      protected: true,
      outerType,
      version,
      length,
    });
  }
}

/**
 * Builds records for output: under keys, each fragment becomes a
 * TLSInnerPlaintext (content ‖ type) sealed as application_data (RFC 8446 §5.2).
 */
export class RecordWriter extends RecordSealer {
  /** Write protection; undefined while records are plaintext. */
  protection: RecordProtection | undefined;
  readonly #aad = new Uint8Array(HEADER);

  protected override get overhead(): number | undefined {
    return this.protection ? 1 + TAG : undefined;
  }

  protected override sealRecord(type: number, chunk: Uint8Array, out: Uint8Array, offset: number): number {
    const prot = this.protection!;
    const n = chunk.length;
    writeRecordHeader(out, offset, ContentType.application_data, 0x0303, n + 1 + TAG);
    const aad = this.#aad;
    aad.set(out.subarray(offset, offset + HEADER));
    offset += HEADER;
    // TLSInnerPlaintext (content ‖ type) is laid out where its ciphertext goes, and sealed in place.
    out.set(chunk, offset);
    out[offset + n] = type;
    return offset + prot.aead.seal(prot.nextNonce(), aad, out.subarray(offset, offset + n + 1), out, offset);
  }
}
