/**
 * Bounds on what a peer can make us do without sending application data:
 * records that cost a decryption and carry nothing, post-handshake messages
 * that each cost a key derivation or a reply (RFC 8446 §5.5 asks for such a
 * bound on KeyUpdate), and early data a server skips without reading
 * (RFC 8446 §4.2.10). Going past a bound is `unexpected_message`.
 *
 * @module
 */

import { Alert, TlsError } from "../../ssl/alerts.ts";

/** Empty records or user_canceled warnings tolerated in a row. */
export const MAX_IDLE_RECORDS = 64;

/**
 * KeyUpdate and NewSessionTicket messages tolerated in a row without
 * application data from the peer. Servers send a handful of tickets at most.
 */
export const MAX_POST_HANDSHAKE_RUN = 32;

/**
 * Early data a server skips when it does not accept it, in bytes: 16 KiB,
 * the max_early_data_size servers commonly advertise.
 */
export const EARLY_DATA_SKIP_LIMIT = 16384;

/**
 * The counters, reset by application data.
 *
 * @example
 * ```ts
 * const limits = new PeerLimits();
 * limits.idleRecord("empty records"); // throws after 64 in a row
 * limits.applicationData();
 * ```
 */
export class PeerLimits {
  #idle = 0;
  #postHandshake = 0;
  /** Early data still to be skipped (bytes), once the client offered it. */
  earlyDataLeft = 0;

  /** The peer sent application data: the runs end. */
  applicationData(): void {
    this.#idle = 0;
    this.#postHandshake = 0;
  }

  /** An empty record or a user_canceled warning. */
  idleRecord(what: string): void {
    if (++this.#idle > MAX_IDLE_RECORDS) {
      throw new TlsError(Alert.unexpected_message, `more than ${MAX_IDLE_RECORDS} ${what} in a row`);
    }
  }

  /** A KeyUpdate or NewSessionTicket after the handshake. */
  postHandshakeMessage(): void {
    if (++this.#postHandshake > MAX_POST_HANDSHAKE_RUN) {
      throw new TlsError(
        Alert.unexpected_message,
        `more than ${MAX_POST_HANDSHAKE_RUN} KeyUpdate/NewSessionTicket messages without application data`,
      );
    }
  }

  /** Skips one early-data record of `length` bytes, or refuses it once the budget is spent. */
  skipEarlyData(length: number, refusal: string): void {
    // Counted as the plaintext the record can at most hold (without type byte and tag), as the RFC counts it.
    const early = length - 16 - 1;
    if (early < 0 || early > this.earlyDataLeft) throw new TlsError(Alert.unexpected_message, refusal);
    this.earlyDataLeft -= early;
  }
}
