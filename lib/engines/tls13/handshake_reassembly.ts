/**
 * Handshake message reassembly (RFC 8446 §5.1): handshake messages may be
 * split across records and several may share one record. Each message's
 * declared length is checked as soon as its four-byte header is in, so an
 * oversized message is refused before its body is buffered.
 *
 * @module
 */

import { Alert, TlsError } from "../../ssl/alerts.ts";
import { HANDSHAKE_NAMES, maxHandshakeLength } from "../../protocol/constants.ts";

/**
 * Joins handshake fragments into whole messages.
 */
export class HandshakeReassembler {
  #buf = new Uint8Array(1024);
  #len = 0;

  /** Bytes of an incomplete message held back (a key change must not happen while this is non-zero). */
  get pending(): number {
    return this.#len;
  }

  /**
   * Appends a fragment; calls `onMessage` with each complete message (header
   * included), in order. `onMessage` may return false to stop early (the
   * connection failed).
   */
  push(frag: Uint8Array, onMessage: (raw: Uint8Array) => boolean | void): void {
    // Check the header of a message that starts in this fragment before keeping its body.
    this.#checkHeaderAt(frag);
    const need = this.#len + frag.length;
    if (need > this.#buf.length) {
      const grown = new Uint8Array(Math.max(need, this.#buf.length * 2));
      grown.set(this.#buf.subarray(0, this.#len));
      this.#buf = grown;
    }
    this.#buf.set(frag, this.#len);
    this.#len += frag.length;
    while (this.#len >= 4) {
      const b = this.#buf;
      const bodyLength = this.#declaredLength(b, 0);
      if (this.#len < 4 + bodyLength) return;
      const raw = b.slice(0, 4 + bodyLength);
      // Keep the unconsumed tail visible to the key-change boundary check.
      b.copyWithin(0, 4 + bodyLength, this.#len);
      this.#len -= 4 + bodyLength;
      if (onMessage(raw) === false) return;
      if (this.#len > 0 && this.#len < 4) return;
    }
  }

  /** The length check for every message header that is complete once `frag` is appended. */
  #checkHeaderAt(frag: Uint8Array): void {
    // Walk the headers of the messages that would be complete or started, without copying.
    const total = this.#len + frag.length;
    let at = 0;
    while (total - at >= 4) {
      const head = (i: number) => (at + i < this.#len ? this.#buf[at + i] : frag[at + i - this.#len]);
      const length = (head(1) << 16) | (head(2) << 8) | head(3);
      const max = maxHandshakeLength(head(0));
      if (length > max) {
        const name = HANDSHAKE_NAMES[head(0)] ?? `handshake message ${head(0)}`;
        throw new TlsError(Alert.decode_error, `${name} of ${length} bytes exceeds the limit of ${max}`);
      }
      at += 4 + length;
    }
  }

  #declaredLength(b: Uint8Array, at: number): number {
    return (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3];
  }
}
