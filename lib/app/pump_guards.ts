/**
 * What ends a connection from outside its two copy loops: the handshake
 * and idle timeouts, and the user's interrupt (SIGINT/SIGTERM). Kept apart
 * from the loops so each reads as plain data movement.
 *
 * @module
 */

import { PumpError, type PumpState } from "./pump_lifecycle.ts";

/** How long close_notify may take to leave when the user interrupts. */
export const INTERRUPT_GRACE_MS = 1000;

/** How often the timeouts are checked. */
const TICK_MS = 100;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The limits a connection runs under (see `PumpOptions`). */
export interface PumpLimits {
  /** Give up when the handshake has not completed after this many ms. */
  handshakeTimeoutMs?: number;
  /** Give up when nothing moved for this many ms (0 or unset: never). */
  idleTimeoutMs?: number;
  /** When this aborts: close_notify, a moment to flush it, then the end. */
  interrupt?: AbortSignal;
}

/** What the guards see of a running pump. */
export interface Guarded {
  readonly state: PumpState;
  /** When the pump started (`performance.now()`). */
  readonly started: number;
  /** When bytes last moved either way (`performance.now()`). */
  readonly lastActivity: number;
  /** Queues our close_notify, when the handshake is done, and writes what is queued. */
  sendCloseNotify(): Promise<void>;
  /** Ends the connection with a failure. */
  fail(e: PumpError): void;
}

/**
 * Runs `copying` (the two loops) under the limits; returns when both loops
 * have ended — or, after an interrupt, when at most a moment more has
 * passed: on a signal the process exits next, and a loop stuck writing to a
 * stalled stdout must not hold that up.
 */
export async function guard(pump: Guarded, copying: Promise<unknown>, limits: PumpLimits): Promise<void> {
  const timer = setInterval(() => {
    const why = overdue(pump, limits, performance.now());
    if (why) pump.fail(new PumpError(why));
  }, TICK_MS);
  // A listener removed when the pump ends: a callback on a process-long
  // signal would keep every connection's objects alive.
  const interrupted = Promise.withResolvers<void>();
  const onInterrupt = () => {
    interrupted.resolve();
    closeOnInterrupt(pump);
  };
  limits.interrupt?.addEventListener("abort", onInterrupt, { once: true });
  try {
    await Promise.race([
      copying,
      interrupted.promise.then(() => Promise.race([copying, delay(2 * INTERRUPT_GRACE_MS)])),
    ]);
  } finally {
    limits.interrupt?.removeEventListener("abort", onInterrupt);
    clearInterval(timer);
  }
}

/** Which timeout, if any, has passed at `now`. */
function overdue(pump: Guarded, limits: PumpLimits, now: number): string | undefined {
  const { handshakeTimeoutMs, idleTimeoutMs } = limits;
  if (pump.state === "handshaking" && handshakeTimeoutMs && now - pump.started > handshakeTimeoutMs) {
    return `handshake not completed within ${handshakeTimeoutMs / 1000} s`;
  }
  // While a handshake timeout governs the handshake, the idle clock starts
  // with the connection open: a slow first key generation in a fresh process
  // is not a silent peer.
  const idleClockRuns = pump.state !== "handshaking" || !handshakeTimeoutMs;
  if (idleTimeoutMs && idleClockRuns && now - pump.lastActivity > idleTimeoutMs) {
    return `idle for more than ${idleTimeoutMs / 1000} s`;
  }
  return undefined;
}

/** Says goodbye properly, but gives a peer that does not read only a moment. */
async function closeOnInterrupt(pump: Guarded): Promise<void> {
  if (pump.state === "closed") return;
  try {
    await Promise.race([pump.sendCloseNotify(), delay(INTERRUPT_GRACE_MS)]);
  } catch { /* the peer may be gone already */ }
  pump.fail(new PumpError("interrupted"));
}
