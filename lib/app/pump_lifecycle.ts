/**
 * The life of one pumped connection: one state, changed in one guarded
 * place (the shape of CPython's `asyncio/sslproto.py` `_set_state`).
 *
 * ```
 * handshaking ──→ open ──→ closing ──→ closed
 *      │            │                    ↑
 *      └────────────┴────────────────────┘  failure, timeout, interrupt
 * ```
 *
 * - `handshaking`: the socket side drives the handshake; the input waits.
 * - `open`: application data flows both ways.
 * - `closing`: a close_notify went out (our input ended, or an interrupt)
 *   or is being answered; the other direction may still deliver data.
 * - `closed`: the end, clean or not ({@link PumpLifecycle.failure} says).
 *
 * No I/O happens here: the pump acts on the states, this only keeps them.
 *
 * @module
 */

import type { ConnectionInfo } from "../ssl/engine.ts";

/** Where a connection is in its life. */
export type PumpState = "handshaking" | "open" | "closing" | "closed";

/** How a connection went. */
export interface PumpResult {
  /** Plaintext bytes received from the peer and written to the output. */
  bytesIn: number;
  /** Plaintext bytes taken from the input and sent to the peer. */
  bytesOut: number;
  /** From the start of the handshake to the end, in milliseconds. */
  durationMs: number;
  /** What the handshake settled on (undefined when it did not complete). */
  info: ConnectionInfo | undefined;
}

/**
 * Why a connection ended badly; the message is one line for the user.
 *
 * @example Telling a local output failure from a connection failure
 * ```ts
 * import { PumpError } from "@ssl-nonblock/tls";
 * import assert from "node:assert/strict";
 *
 * function exitStatus(e: unknown): number {
 *   return e instanceof PumpError && e.outputFailed ? 1 : 0; // stdout is gone: stop serving
 * }
 * assert.equal(exitStatus(new PumpError("cannot write output: Broken pipe", true)), 1);
 * assert.equal(exitStatus(new PumpError("connection reset by peer")), 0);
 * ```
 */
export class PumpError extends Error {
  /** Bytes moved before the failure. */
  result?: PumpResult;
  /** The local output (stdout) failed, not the connection. */
  readonly outputFailed: boolean;
  /**
   * A failure of the connection, or of the local output.
   *
   * @param message One line for the user.
   * @param outputFailed True when the local output failed, not the connection.
   */
  constructor(message: string, outputFailed = false) {
    super(message);
    this.name = "PumpError";
    this.outputFailed = outputFailed;
  }
}

/** The transitions the diagram above has; nothing leaves `closed`. */
const NEXT: Readonly<Record<PumpState, readonly PumpState[]>> = {
  handshaking: ["open", "closed"],
  open: ["closing", "closed"],
  closing: ["closed"],
  closed: [],
};

/**
 * The state of one connection and what waits on it.
 *
 * @example
 * ```ts
 * import { PumpError, PumpLifecycle } from "./pump_lifecycle.ts";
 *
 * const life = new PumpLifecycle(() => {});
 * life.open();
 * life.closing();
 * life.fail(new PumpError("socket error"));
 * life.finish(); // too late: the first ending counts
 * console.assert(life.state === "closed" && life.failure?.message === "socket error");
 * ```
 */
export class PumpLifecycle {
  #state: PumpState = "handshaking";
  #failure: PumpError | undefined;
  readonly #ended = new AbortController();
  readonly #openOrEnded = Promise.withResolvers<void>();
  readonly #onFailure: () => void;

  /** @param onFailure Runs once when the connection fails (the pump closes the socket to wake its loops). */
  constructor(onFailure: () => void) {
    this.#onFailure = onFailure;
  }

  /** The current state. */
  get state(): PumpState {
    return this.#state;
  }

  /** Why the connection failed, once it has. */
  get failure(): PumpError | undefined {
    return this.#failure;
  }

  /** Aborts when the connection enters `closed`: cancels waits such as an input read. */
  get ended(): AbortSignal {
    return this.#ended.signal;
  }

  /** Settles when the connection is `open`, or `closed` without ever opening. */
  get openOrEnded(): Promise<void> {
    return this.#openOrEnded.promise;
  }

  /** `handshaking → open`: the handshake completed. */
  open(): void {
    this.#to("open");
  }

  /** `open → closing`: a close_notify is on its way (either side may get here first). */
  closing(): void {
    if (this.#state !== "closing") this.#to("closing");
  }

  /** `→ closed`, cleanly. Ignored when the connection has already ended. */
  finish(): void {
    this.#to("closed");
  }

  /** `→ closed` with a failure. Only the first ending counts. */
  fail(e: unknown): void {
    if (this.#state === "closed") return;
    this.#failure = e instanceof PumpError ? e : new PumpError(e instanceof Error ? e.message : String(e));
    this.#to("closed");
    this.#onFailure();
  }

  /**
   * The one place the state changes. Events after the end are normal (two
   * copy loops and the timers race to end a connection) and are ignored;
   * any other transition missing from {@link NEXT} is a bug and throws.
   */
  #to(next: PumpState): void {
    if (this.#state === "closed") return;
    if (!NEXT[this.#state].includes(next)) throw new Error(`pump: no transition ${this.#state} → ${next}`);
    this.#state = next;
    if (next === "open") this.#openOrEnded.resolve();
    if (next === "closed") {
      this.#openOrEnded.resolve();
      this.#ended.abort();
    }
  }
}
