/**
 * Child processes for the benchmark: spawned directly (so the pid is the
 * program's own, for /proc), registered so that every one of them can be
 * killed when the run ends, however it ends.
 *
 * @module
 */

import { listeningPorts, parseProcFiles, type ProcSample } from "./lib/parse.ts";

/** A program and its arguments. */
export interface Cmd {
  cmd: string;
  args: string[];
  /** Extra environment variables. */
  env?: Record<string, string>;
}

const live = new Set<Child>();

/** Keeps the last 64 KiB of a process's stderr, for error messages. */
const STDERR_KEEP = 64 * 1024;

/**
 * A running child with piped stdio. Its stdout goes to `onStdout` (or is
 * drained), its stderr is kept as text.
 *
 * @example
 * ```ts
 * const child = new Child("server", { cmd: "deno", args: ["run", "server.ts"] });
 * try { … } finally { await child.kill(); }
 * ```
 */
export class Child {
  readonly label: string;
  readonly process: Deno.ChildProcess;
  readonly pid: number;
  /** Resolves after the exit and after stdout and stderr have ended. */
  readonly done: Promise<Deno.CommandStatus>;
  /** The exit status, once known. */
  exitStatus: Deno.CommandStatus | undefined;
  /** Runs first in {@link kill}: a wrapper's child must not outlive it. */
  beforeKill: (() => Promise<void>) | undefined;
  #stderr = "";
  #stdin: WritableStreamDefaultWriter<Uint8Array>;

  constructor(label: string, command: Cmd, onStdout?: (stream: ReadableStream<Uint8Array>) => Promise<void>) {
    this.label = label;
    this.process = new Deno.Command(command.cmd, {
      args: command.args,
      env: command.env,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.pid = this.process.pid;
    this.#stdin = this.process.stdin.getWriter();
    live.add(this);
    const stdout = (onStdout ?? drain)(this.process.stdout);
    const stderr = this.#collectStderr();
    const process = this.process;
    this.done = (async () => {
      const status = await process.status;
      this.exitStatus = status;
      live.delete(this);
      await Promise.allSettled([stdout, stderr]);
      await stdout; // a failure of the stdout consumer is the caller's to see
      return status;
    })();
    this.done.catch(() => {}); // observed by whoever awaits it
  }

  async #collectStderr(): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of this.process.stderr) {
      this.#stderr = (this.#stderr + decoder.decode(chunk, { stream: true })).slice(-STDERR_KEEP);
    }
  }

  /** What the process wrote to stderr (the last 64 KiB). */
  get stderr(): string {
    return this.#stderr;
  }

  /** The writer of the process's stdin; closing it is EOF. */
  get stdin(): WritableStreamDefaultWriter<Uint8Array> {
    return this.#stdin;
  }

  /** Kills the process if it still runs and waits until its pipes are closed. */
  async kill(): Promise<void> {
    if (!this.exitStatus) await this.beforeKill?.().catch(() => {});
    if (!this.exitStatus) {
      try {
        this.process.kill("SIGKILL");
      } catch { /* exited meanwhile */ }
    }
    this.#stdin.abort().catch(() => {});
    await this.done.catch(() => {});
  }

  /** stderr's last lines, for an error message. */
  stderrTail(lines = 8): string {
    return this.#stderr.trimEnd().split("\n").slice(-lines).join("\n");
  }
}

/**
 * Runs a short-lived program to its end (its stdin closed at once) and
 * returns its stdout; a non-zero exit is an error carrying its stderr.
 *
 * @example
 * ```ts
 * const version = await outputOf("openssl version", { cmd: "openssl", args: ["version"] });
 * ```
 */
export async function outputOf(label: string, command: Cmd): Promise<string> {
  let text = "";
  const decoder = new TextDecoder();
  const child = new Child(label, command, async (stream) => {
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  });
  try {
    await child.stdin.close();
    const status = await child.done;
    if (status.code !== 0) throw new Error(`${label} failed (${status.code}):\n${child.stderrTail(20)}`);
    return text;
  } finally {
    await child.kill();
  }
}

async function drain(stream: ReadableStream<Uint8Array>): Promise<void> {
  for await (const _ of stream) { /* discarded */ }
}

/**
 * Kills every child still running.
 *
 * @example
 * ```ts
 * try { await bench(); } finally { await killAll(); }
 * ```
 */
export async function killAll(): Promise<void> {
  await Promise.all([...live].map((c) => c.kill()));
}

/** Sleeps. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Reads files under /proc. Deno grants /proc only with --allow-all, which
 * the benchmark does not take; `cat` reads them instead. Files that are
 * gone (an exited pid) are left out of the text.
 *
 * @example
 * ```ts
 * const text = await readProc("/proc/loadavg");
 * ```
 */
export async function readProc(...paths: string[]): Promise<string> {
  const out = await new Deno.Command("cat", { args: paths, stdout: "piped", stderr: "null" }).output();
  return new TextDecoder().decode(out.stdout);
}

/**
 * Waits until something listens on `port` (per /proc/net/tcp{,6}), failing
 * early when `child` exits. Looking there, rather than connecting, leaves
 * the server's one accept (`s_server -naccept 1`) to the real client.
 *
 * @example
 * ```ts
 * await waitListening(port, server);
 * ```
 */
export async function waitListening(port: number, child: Child, timeoutMs = 20_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (true) {
    if (listeningPorts(await readProc("/proc/net/tcp", "/proc/net/tcp6")).has(port)) return;
    if (child.exitStatus) {
      throw new Error(`${child.label} exited (${child.exitStatus.code}) before listening:\n${child.stderrTail()}`);
    }
    if (performance.now() > deadline) {
      throw new Error(`${child.label} did not listen on port ${port}:\n${child.stderrTail()}`);
    }
    await sleep(25);
  }
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago.
 *
 * @example
 * ```ts
 * const port = freePort();
 * ```
 */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * Peak (VmHWM) and current (VmRSS) resident memory, KiB, and CPU seconds
 * of some processes, by pid; a process that has exited is missing.
 *
 * @example
 * ```ts
 * (await readProcesses([server.pid])).get(server.pid)?.hwmKiB;
 * ```
 */
export async function readProcesses(pids: number[]): Promise<Map<number, ProcSample>> {
  if (pids.length === 0) return new Map();
  return parseProcFiles(await readProc(...pids.flatMap((pid) => [`/proc/${pid}/status`, `/proc/${pid}/stat`])));
}

/**
 * Polls some processes and keeps the highest VmHWM and the latest CPU time
 * seen: the kernel forgets both when a process exits, so they are read
 * while it runs (the last 100 ms of a process that exits by itself are
 * missed).
 *
 * @example
 * ```ts
 * const watch = new ProcessWatch();
 * watch.watch("client", client.pid);
 * …
 * await watch.sample();
 * watch.peak("client"); // KiB
 * await watch.stop();
 * ```
 */
export class ProcessWatch {
  readonly #pids = new Map<string, number>();
  readonly #peaks = new Map<string, number>();
  readonly #cpu = new Map<string, number>();
  readonly #timer: ReturnType<typeof setInterval>;
  #sampling: Promise<void> | undefined;

  constructor(intervalMs = 100) {
    this.#timer = setInterval(() => {
      this.#sampling ??= this.sample().finally(() => this.#sampling = undefined);
    }, intervalMs);
  }

  /** Starts watching a process under a name. */
  watch(name: string, pid: number): void {
    this.#pids.set(name, pid);
  }

  /** Reads every watched process now. */
  async sample(): Promise<void> {
    const names = [...this.#pids.keys()];
    const found = await readProcesses([...this.#pids.values()]);
    for (const name of names) {
      const p = found.get(this.#pids.get(name)!);
      if (p?.hwmKiB !== undefined) this.#peaks.set(name, Math.max(p.hwmKiB, this.#peaks.get(name) ?? 0));
      if (p?.cpuSeconds !== undefined) this.#cpu.set(name, Math.max(p.cpuSeconds, this.#cpu.get(name) ?? 0));
    }
  }

  /** The highest VmHWM seen for `name`, KiB. */
  peak(name: string): number | undefined {
    return this.#peaks.get(name);
  }

  /** The last CPU time seen for `name`, seconds. */
  cpuSeconds(name: string): number | undefined {
    return this.#cpu.get(name);
  }

  /** Stops polling (after the sample under way, if any). */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#sampling;
  }
}
