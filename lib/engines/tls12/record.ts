/**
 * The TLS 1.2 record layer for AEAD ciphers (RFC 5246 §6.2, RFC 5288 §3,
 * RFC 7905 §2): record framing and size limits, and per-direction
 * protection with the 64-bit sequence number in the additional data.
 *
 * AES-GCM records carry an 8-byte explicit nonce; we send the sequence
 * number there (unique per key, as RFC 5288 §3 requires) and read whatever
 * the peer sent. ChaCha20-Poly1305 records carry none: the nonce is the IV
 * XOR the sequence number.
 *
 * @module
 */

import { Alert, TlsError } from "../../ssl/alerts.ts";
import { ContentType, MAX_PLAINTEXT } from "../../protocol/constants.ts";
import type { AeadCipher } from "../../crypto/provider.ts";
import type { Tls12Suite } from "./suites.ts";
import { RecordFramer, writeRecordHeader } from "../../protocol/record_framer.ts";
import { RecordSealer } from "../../protocol/record_output.ts";

const TAG = 16;
const HEADER = 5;
/** RFC 5246 §6.2.3: TLSCiphertext.length MUST NOT exceed 2^14 + 2048. */
const MAX_CIPHERTEXT = MAX_PLAINTEXT + 2048;

/**
 * One direction's keys and sequence number. The sequence number never
 * wraps: the connection fails before it could repeat (RFC 5246 §6.1).
 */
export class Tls12Protection {
  readonly aead: AeadCipher;
  readonly explicitNonceLength: number;
  readonly #iv: Uint8Array;
  readonly #nonce = new Uint8Array(12);
  readonly #aad = new Uint8Array(13);
  #seq = 0;

  constructor(aead: AeadCipher, iv: Uint8Array, suite: Tls12Suite) {
    this.aead = aead;
    this.#iv = iv;
    this.explicitNonceLength = suite.explicitNonceLength;
  }

  /** Bytes added to each record: explicit nonce and tag. */
  get overhead(): number {
    return this.explicitNonceLength + TAG;
  }

  /**
   * Advances the sequence number and fills the nonce and additional data
   * (seq_num + type + version + length, RFC 5246 §6.2.3.3) for one record.
   * `explicit` is the peer's explicit nonce when reading a GCM record.
   */
  next(type: number, length: number, explicit?: Uint8Array): { nonce: Uint8Array; aad: Uint8Array } {
    const seq = this.#seq++;
    if (seq >= Number.MAX_SAFE_INTEGER) throw new TlsError(Alert.internal_error, "record sequence exhausted");
    const hi = Math.floor(seq / 0x100000000), lo = seq >>> 0;
    const aad = this.#aad;
    aad[0] = hi >>> 24;
    aad[1] = hi >>> 16;
    aad[2] = hi >>> 8;
    aad[3] = hi;
    aad[4] = lo >>> 24;
    aad[5] = lo >>> 16;
    aad[6] = lo >>> 8;
    aad[7] = lo;
    aad[8] = type;
    aad[9] = 3;
    aad[10] = 3;
    aad[11] = length >>> 8;
    aad[12] = length;
    const n = this.#nonce;
    if (this.explicitNonceLength) {
      // GCM (RFC 5288 §3): 4-byte salt from the key block, 8-byte explicit part.
      n.set(this.#iv.subarray(0, 4));
      n.set(explicit ?? aad.subarray(0, 8), 4);
    } else {
      // ChaCha20-Poly1305 (RFC 7905 §2): IV XOR the left-padded sequence number.
      n.set(this.#iv);
      for (let i = 0; i < 8; i++) n[4 + i] ^= aad[i];
    }
    return { nonce: n, aad };
  }
}

/** One record as delivered to the engine. `fragment` is only valid during the callback. */
export interface Tls12Record {
  type: number;
  fragment: Uint8Array;
  /** The record was decrypted. */
  protected: boolean;
  version: number;
  /** Length on the wire, for tracing. */
  length: number;
}

/**
 * Reassembles and unprotects incoming records.
 */
export class Tls12RecordReader {
  /** Read protection; undefined until the peer's ChangeCipherSpec. */
  protection: Tls12Protection | undefined;
  readonly #framer = new RecordFramer(MAX_CIPHERTEXT);

  /** Feeds bytes; calls `onRecord` for each complete record; key changes inside apply to the next one. */
  push(bytes: Uint8Array, onRecord: (rec: Tls12Record) => void): void {
    this.#framer.push(
      bytes,
      (b, at) => this.#checkHeader(b, at),
      (b, at, total) => this.#handle(b, at, total, onRecord),
    );
  }

  #checkHeader(b: Uint8Array, at: number): number {
    const type = b[at];
    if (type < ContentType.change_cipher_spec || type > ContentType.application_data) {
      throw new TlsError(Alert.unexpected_message, `unexpected record content type ${type}`);
    }
    if (b[at + 1] !== 3) throw new TlsError(Alert.protocol_version, "record with a non-TLS version");
    const length = (b[at + 3] << 8) | b[at + 4];
    const max = this.protection ? MAX_CIPHERTEXT : MAX_PLAINTEXT;
    if (length > max) throw new TlsError(Alert.record_overflow, `record of ${length} bytes exceeds ${max}`);
    return length;
  }

  #handle(b: Uint8Array, at: number, total: number, onRecord: (rec: Tls12Record) => void): void {
    const type = b[at];
    const version = (b[at + 1] << 8) | b[at + 2];
    const length = total - HEADER;
    const body = b.subarray(at + HEADER, at + total);
    const prot = this.protection;
    if (!prot) {
      if (length === 0 && type !== ContentType.application_data) {
        throw new TlsError(Alert.unexpected_message, "empty plaintext record");
      }
      return onRecord({ type, fragment: body, protected: false, version, length });
    }
    const x = prot.explicitNonceLength;
    if (length < x + TAG) throw new TlsError(Alert.bad_record_mac, "protected record too short");
    const plainLength = length - x - TAG;
    if (plainLength > MAX_PLAINTEXT) throw new TlsError(Alert.record_overflow, "decrypted record exceeds 2^14 bytes");
    const { nonce, aad } = prot.next(type, plainLength, x ? body.subarray(0, x) : undefined);
    const plain = prot.aead.open(nonce, aad, body.subarray(x, length - TAG), body.subarray(length - TAG));
    if (!plain) throw new TlsError(Alert.bad_record_mac, "record failed authentication");
    onRecord({ type, fragment: plain, protected: true, version, length });
  }
}

/**
 * Builds records for output; under keys, each fragment is sealed with its
 * explicit nonce, if the suite has one (RFC 5246 §6.2.3.3).
 */
export class Tls12RecordWriter extends RecordSealer {
  /** Write protection; undefined until our ChangeCipherSpec. */
  protection: Tls12Protection | undefined;

  protected override get overhead(): number | undefined {
    return this.protection?.overhead;
  }

  protected override sealRecord(type: number, chunk: Uint8Array, out: Uint8Array, offset: number): number {
    const prot = this.protection!;
    writeRecordHeader(out, offset, type, 0x0303, chunk.length + prot.overhead);
    offset += HEADER;
    const { nonce, aad } = prot.next(type, chunk.length);
    if (prot.explicitNonceLength) {
      out.set(nonce.subarray(4, 12), offset);
      offset += prot.explicitNonceLength;
    }
    return offset + prot.aead.seal(nonce, aad, chunk, out, offset);
  }
}
