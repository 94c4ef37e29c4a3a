/**
 * One file-fed end-to-end transfer: the client's stdin is a payload file and
 * the server's stdout a file, both opened by the kernel, so nothing of the
 * benchmark sits in the data path (it only watches the output file grow).
 * The output is hashed afterwards. Each program runs under GNU time, which
 * reports its CPU time and peak memory exactly.
 *
 * @module
 */

import { MeasuredChild, type Usage } from "./measured.ts";
import { sleep, waitListening } from "./procs.ts";
import type { PairCommands } from "./transfer.ts";
import { checkFingerprint, DigestMismatchError, StreamHasher } from "./lib/digest.ts";
import { mbPerSecond } from "./lib/stats.ts";

/** How often the output file's size is looked at: the resolution of the timing. */
const POLL_MS = 2;

/** A transfer whose client has ended and whose output has not grown for this long has lost bytes. */
const STALL_MS = 10_000;

/** What to send. */
export interface FileTransferOptions {
  label: string;
  port: number;
  /** The payload file, fed to the client's stdin. */
  input: string;
  bytes: number;
  /** SHA-256 of the payload. */
  sha256: string;
  /** A directory for the output file and the usage reports (removed afterwards). */
  workDir: string;
  timeoutMs: number;
}

/** How a file-fed transfer went. */
export interface FileTransferOutcome {
  /** From starting the client to the last byte in the output file: start-up and handshake included. */
  wallSeconds: number;
  /** Bytes over {@link wallSeconds}. */
  wallMBps: number;
  /** From the first to the last byte in the output file. */
  steadyMBps: number;
  server: Usage;
  client: Usage;
  /** The client's stderr (s_client -brief reports the session there). */
  clientStderr: string;
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await Deno.stat(path)).size;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return 0;
    throw e;
  }
}

/** SHA-256 and length of a file. */
export async function fileFingerprint(path: string): Promise<{ bytes: number; sha256: string }> {
  const hasher = new StreamHasher();
  using file = await Deno.open(path);
  const buffer = new Uint8Array(1 << 20);
  while (true) {
    const n = await file.read(buffer);
    if (n === null) break;
    hasher.update(buffer.subarray(0, n));
  }
  return hasher.fingerprint();
}

/**
 * Runs one transfer to its end, checks the SHA-256 of the output file, and
 * stops both processes whatever happens.
 *
 * @example
 * ```ts
 * const outcome = await runFileTransfer(pair, { label, port, input, bytes, sha256, workDir, timeoutMs: 60_000 });
 * ```
 */
export async function runFileTransfer(pair: PairCommands, opts: FileTransferOptions): Promise<FileTransferOutcome> {
  const tag = `${opts.workDir}/${opts.port}`;
  const output = `${tag}.out`;
  const server = new MeasuredChild(`${opts.label} server`, pair.server, {
    stdout: output,
    usage: `${tag}.server.time`,
  });
  let client: MeasuredChild | undefined;
  const deadline = performance.now() + opts.timeoutMs;
  try {
    await waitListening(opts.port, server.child);
    const started = performance.now();
    const c = new MeasuredChild(`${opts.label} client`, pair.client, {
      stdin: opts.input,
      usage: `${tag}.client.time`,
    });
    client = c;

    let firstAt: number | undefined;
    let firstSize = 0;
    let lastGrowth = started;
    let size = 0;
    while (size < opts.bytes) {
      const now = performance.now();
      const next = await sizeOf(output);
      if (next > size) lastGrowth = now;
      size = next;
      if (size > 0 && firstAt === undefined) [firstAt, firstSize] = [now, size];
      if (size >= opts.bytes) break;
      if (c.child.exitStatus && c.child.exitStatus.code !== 0) {
        throw new Error(`${opts.label}: client exited with ${c.child.exitStatus.code}:\n${c.child.stderrTail()}`);
      }
      if (server.child.exitStatus) {
        throw new Error(
          `${opts.label}: server exited (${server.child.exitStatus.code}) after ${size} of ${opts.bytes} bytes:\n` +
            server.child.stderrTail(),
        );
      }
      if (c.child.exitStatus && now - lastGrowth > STALL_MS) {
        throw new DigestMismatchError(
          `${opts.label}: received ${size} of ${opts.bytes} bytes, nothing more ${
            STALL_MS / 1000
          } s after the client ended`,
        );
      }
      if (now > deadline) throw new Error(`${opts.label}: timed out after ${opts.timeoutMs} ms`);
      await sleep(POLL_MS);
    }
    const lastAt = performance.now();

    const clientEnd = await c.finished();
    if (clientEnd.code !== 0) {
      throw new Error(`${opts.label}: client exited with ${clientEnd.code}:\n${c.child.stderrTail()}`);
    }
    if (!pair.serverExits) await server.stop(); // SIGTERM: server.ts ends as it does for a user
    const serverEnd = await server.finished();
    if (pair.serverExits && serverEnd.code !== 0) {
      throw new Error(`${opts.label}: server exited with ${serverEnd.code}:\n${server.child.stderrTail()}`);
    }
    checkFingerprint(opts.label, { bytes: opts.bytes, sha256: opts.sha256 }, await fileFingerprint(output));
    return {
      wallSeconds: (lastAt - started) / 1000,
      wallMBps: mbPerSecond(opts.bytes, lastAt - started),
      // A payload that lands between two polls has no steady phase to time
      // apart: its steady rate is the wall rate (as in the piped harness).
      steadyMBps: firstAt !== undefined && firstSize < opts.bytes && lastAt > firstAt
        ? mbPerSecond(opts.bytes - firstSize, lastAt - firstAt)
        : mbPerSecond(opts.bytes, lastAt - started),
      server: serverEnd.usage,
      client: clientEnd.usage,
      clientStderr: c.child.stderr,
    };
  } finally {
    await client?.child.kill();
    await server.child.kill();
    for (const f of [output, `${tag}.server.time`, `${tag}.client.time`]) await Deno.remove(f).catch(() => {});
  }
}
