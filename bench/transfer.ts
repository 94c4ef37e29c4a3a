/**
 * One end-to-end transfer: a server and a client process on 127.0.0.1,
 * the payload written into the client's stdin, the server's stdout hashed
 * (optionally read at a throttled pace), peak memory of both read from
 * /proc while they run.
 *
 * @module
 */

import { Child, type Cmd, ProcessWatch, readProcesses, sleep, waitListening } from "./procs.ts";
import { payloadChunks } from "./lib/payload.ts";
import { checkFingerprint, DigestMismatchError, StreamHasher } from "./lib/digest.ts";
import { mbPerSecond, MIB } from "./lib/stats.ts";
import type { RssTrace, TransferSample } from "./lib/types.ts";

/** A transfer whose client has ended and whose far end got nothing for this long has lost bytes. */
const STALL_MS = 10_000;

/** Read size at the far end. */
const READ_BUFFER = 1 << 20;

/** The two programs of a pair, for one port. */
export interface PairCommands {
  server: Cmd;
  client: Cmd;
  /** The server exits by itself after one client (`s_server -naccept 1`); server.ts does not. */
  serverExits: boolean;
}

/** What to send and how. */
export interface TransferOptions {
  label: string;
  port: number;
  seed: string;
  bytes: number;
  /** SHA-256 of the payload, computed beforehand. */
  sha256: string;
  /** Read the server's stdout at this many bytes per second (unset: as fast as it comes). */
  paceBytesPerSecond?: number;
  timeoutMs: number;
}

/** How a transfer went. */
export interface TransferOutcome {
  /** MB/s from the first to the last byte at the server's stdout. */
  mbps: number;
  /** From spawning the client to the last byte. */
  wallSeconds: number;
  server: RssTrace;
  client: RssTrace;
  /** CPU time of each process over its whole life (start-up included). */
  serverCpuSeconds?: number;
  clientCpuSeconds?: number;
  /** Memory and bytes in flight at every tenth of the payload. */
  samples: TransferSample[];
  /** The client's stderr (s_client -brief reports the session there). */
  clientStderr: string;
}

function rssTrace(
  peakKiB: number | undefined,
  samples: TransferSample[],
  side: "serverRssKiB" | "clientRssKiB",
): RssTrace {
  const near = (fraction: number) => samples.find((x) => x.deliveredMib >= fraction * samples.at(-1)!.deliveredMib);
  return samples.length ? { peakKiB, at10KiB: near(0.1)?.[side], at90KiB: near(0.9)?.[side] } : { peakKiB };
}

/**
 * Runs one transfer to its end, checks the SHA-256 of what came out, and
 * kills both processes whatever happens.
 *
 * @example
 * ```ts
 * const outcome = await runTransfer(pair, { label: "openssl", port, seed, bytes, sha256, timeoutMs: 60_000 });
 * ```
 */
export async function runTransfer(pair: PairCommands, opts: TransferOptions): Promise<TransferOutcome> {
  const hasher = new StreamHasher();
  const reached = Promise.withResolvers<number>();
  const pids: { server?: number; client?: number } = {};
  let fed = 0;
  let lastArrival = performance.now();
  // Every tenth of the payload: resident memory of both ends, and how far the
  // feeder is ahead of the far end (bytes held in pipes, sockets and buffers).
  const samples: Promise<TransferSample>[] = [];
  const sample = (delivered: number) => {
    const inFlight = fed - delivered;
    samples.push(
      readProcesses([pids.server, pids.client].filter((p): p is number => p !== undefined)).then((memory) => ({
        deliveredMib: delivered / MIB,
        inFlightMib: inFlight / MIB,
        serverRssKiB: pids.server === undefined ? undefined : memory.get(pids.server)?.rssKiB,
        clientRssKiB: pids.client === undefined ? undefined : memory.get(pids.client)?.rssKiB,
      })),
    );
  };

  // The far end: hash everything, pace if asked, sample every tenth.
  const consume = async (stream: ReadableStream<Uint8Array>) => {
    const pace = opts.paceBytesPerSecond;
    let paceStart: number | undefined;
    const step = opts.bytes / 10;
    // Reading into one large buffer (BYOB) costs less per byte than the default reader.
    const reader = stream.getReader({ mode: "byob" });
    let buffer = new Uint8Array(READ_BUFFER);
    while (true) {
      const { done, value } = await reader.read(buffer);
      if (done || !value) break;
      const chunk = value;
      buffer = new Uint8Array(value.buffer);
      const before = hasher.bytes;
      hasher.update(chunk);
      lastArrival = performance.now();
      const after = hasher.bytes;
      if (Math.floor(after / step) > Math.floor(before / step) && before < opts.bytes) sample(after);
      if (before < opts.bytes && after >= opts.bytes) reached.resolve(performance.now());
      if (pace) {
        paceStart ??= performance.now();
        const ahead = (after / pace) * 1000 - (performance.now() - paceStart);
        if (ahead > 1) await sleep(ahead);
      }
    }
  };

  const server = new Child(`${opts.label} server`, pair.server, consume);
  let client: Child | undefined;
  const memory = new ProcessWatch();
  const failed = Promise.withResolvers<never>();
  failed.promise.catch(() => {});
  let stallTimer: ReturnType<typeof setInterval> | undefined;
  const timer = setTimeout(
    () => failed.reject(new Error(`${opts.label}: timed out after ${opts.timeoutMs} ms`)),
    opts.timeoutMs,
  );
  try {
    pids.server = server.pid;
    memory.watch("server", server.pid);
    await Promise.race([waitListening(opts.port, server), failed.promise]);
    server.done.then((status) => {
      if (hasher.bytes < opts.bytes) {
        failed.reject(
          new Error(
            `${opts.label}: server exited (${status.code}) after ${hasher.bytes} of ${opts.bytes} bytes:\n${server.stderrTail()}`,
          ),
        );
      }
    }, (e) => failed.reject(e));

    const clientStarted = performance.now();
    const c = new Child(`${opts.label} client`, pair.client);
    client = c;
    pids.client = c.pid;
    memory.watch("client", c.pid);
    c.done.then((status) => {
      if (status.code !== 0) {
        failed.reject(new Error(`${opts.label}: client exited with ${status.code}:\n${c.stderrTail()}`));
      }
    }, (e) => failed.reject(e));

    const feed = (async () => {
      // The buffer is refilled only after the write has completed.
      for (const chunk of payloadChunks(opts.seed, opts.bytes, { reuse: true })) {
        await c.stdin.write(chunk);
        fed += chunk.length;
      }
      await c.stdin.close();
    })();
    feed.catch(() => {}); // a dead client is reported through its exit status
    // A pair that loses bytes at the end would otherwise wait for the timeout.
    stallTimer = setInterval(() => {
      if (c.exitStatus && hasher.bytes < opts.bytes && performance.now() - lastArrival > STALL_MS) {
        failed.reject(
          new DigestMismatchError(
            `${opts.label}: received ${hasher.bytes} of ${opts.bytes} bytes, nothing more ${
              STALL_MS / 1000
            } s after the client ended`,
          ),
        );
      }
    }, 250);

    const [reachedAt] = await Promise.race([Promise.all([reached.promise, c.done, feed]), failed.promise]);
    if (pair.serverExits) {
      await Promise.race([server.done, failed.promise]);
    } else {
      await memory.sample(); // the server's peak and CPU time, before it is killed
      await server.kill(); // ends its stdout: anything extra it wrote is hashed too
    }
    const serverStatus = await server.done;
    if (pair.serverExits && serverStatus.code !== 0) {
      throw new Error(`${opts.label}: server exited with ${serverStatus.code}:\n${server.stderrTail()}`);
    }
    checkFingerprint(opts.label, { bytes: opts.bytes, sha256: opts.sha256 }, hasher.fingerprint());

    const steadyMs = reachedAt - (hasher.firstAt ?? clientStarted);
    const steadyBytes = opts.bytes - hasher.firstChunkBytes;
    const trace = await Promise.all(samples);
    await memory.stop();
    return {
      mbps: steadyBytes > 0 && steadyMs > 0
        ? mbPerSecond(steadyBytes, steadyMs)
        : mbPerSecond(opts.bytes, reachedAt - clientStarted),
      wallSeconds: (reachedAt - clientStarted) / 1000,
      server: rssTrace(memory.peak("server"), trace, "serverRssKiB"),
      client: rssTrace(memory.peak("client"), trace, "clientRssKiB"),
      serverCpuSeconds: memory.cpuSeconds("server"),
      clientCpuSeconds: memory.cpuSeconds("client"),
      samples: trace,
      clientStderr: c.stderr,
    };
  } finally {
    clearTimeout(timer);
    clearInterval(stallTimer);
    await memory.stop();
    await client?.kill();
    await server.kill();
  }
}
