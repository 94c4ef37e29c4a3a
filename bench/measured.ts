/**
 * A program run with its stdin and/or stdout redirected to files by the
 * kernel (no Deno code in its data path), under GNU `time`, which reports
 * its exact CPU time and peak resident memory from `wait4()` when it exits
 * — polling /proc would miss the last moments of a process that ends by
 * itself.
 *
 * @module
 */

import { Child, type Cmd, readProc, sleep } from "./procs.ts";

/** GNU time (Debian package `time`). */
export const GNU_TIME = "/usr/bin/time";

/** What GNU time reports about a finished program. */
export interface Usage {
  cpuSeconds: number;
  /** Peak resident set size (ru_maxrss), KiB. */
  peakKiB: number;
}

/**
 * Parses the last line of `time -f "%U %S %M"` output (earlier lines, such
 * as "Command terminated by signal 15", are skipped).
 *
 * @example
 * ```ts
 * parseTimeOutput("0.52 0.10 40960\n"); // { cpuSeconds: 0.62, peakKiB: 40960 }
 * ```
 */
export function parseTimeOutput(text: string): Usage {
  const line = text.trim().split("\n").at(-1) ?? "";
  const m = /^(\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (\d+)$/.exec(line.trim());
  if (!m) throw new SyntaxError(`unexpected output of ${GNU_TIME}: '${line}'`);
  return { cpuSeconds: Number(m[1]) + Number(m[2]), peakKiB: Number(m[3]) };
}

/** Whether GNU time is installed. */
export async function haveGnuTime(): Promise<boolean> {
  try {
    const out = await new Deno.Command("sh", {
      args: ["-c", `${GNU_TIME} --version`],
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.success && new TextDecoder().decode(out.stdout).includes("GNU");
  } catch {
    return false;
  }
}

/** Where a measured program reads and writes. */
export interface Redirects {
  /** stdin from this file (otherwise an open pipe nobody writes to). */
  stdin?: string;
  /** stdout to this file (otherwise drained). */
  stdout?: string;
  /** Where GNU time writes its report. */
  usage: string;
}

/**
 * A program started as `sh -c 'exec time … PROG ARGS <IN >OUT'`: the
 * process tree is time → program, so {@link programPid} is the program's
 * own pid (for /proc and for signals).
 *
 * @example
 * ```ts
 * const client = new MeasuredChild("client", cmd, { stdin: "payload.bin", usage: "client.time" });
 * const { code, usage } = await client.finished();
 * ```
 */
export class MeasuredChild {
  readonly child: Child;
  readonly #usageFile: string;
  #programPid: number | undefined;

  constructor(label: string, command: Cmd, redirects: Redirects) {
    const script = `exec ${GNU_TIME} -q -o "$BENCH_USAGE" -f "%U %S %M" "$@"` +
      (redirects.stdin ? ` <"$BENCH_IN"` : "") + (redirects.stdout ? ` >"$BENCH_OUT"` : "");
    this.#usageFile = redirects.usage;
    this.child = new Child(label, {
      cmd: "sh",
      args: ["-c", script, "sh", command.cmd, ...command.args],
      env: {
        BENCH_USAGE: redirects.usage,
        ...(redirects.stdin ? { BENCH_IN: redirects.stdin } : {}),
        ...(redirects.stdout ? { BENCH_OUT: redirects.stdout } : {}),
      },
    });
    this.child.beforeKill = async () => {
      const pid = await this.programPid(0);
      if (pid !== undefined) await signal(pid, "KILL");
    };
  }

  /** The program's pid (the child of `time`), once it has been forked. */
  async programPid(timeoutMs = 5_000): Promise<number | undefined> {
    const deadline = performance.now() + timeoutMs;
    const pid = this.child.pid;
    while (this.#programPid === undefined && !this.child.exitStatus) {
      const first = (await readProc(`/proc/${pid}/task/${pid}/children`)).trim().split(/\s+/)[0];
      if (first) this.#programPid = Number(first);
      else if (performance.now() >= deadline) break;
      else await sleep(5);
    }
    return this.#programPid;
  }

  /** Waits for the exit; returns the program's status and usage. */
  async finished(): Promise<{ code: number; usage: Usage }> {
    const status = await this.child.done;
    return { code: status.code, usage: parseTimeOutput(await Deno.readTextFile(this.#usageFile)) };
  }

  /**
   * Asks the program to end (SIGTERM: server.ts sends close_notify and
   * exits), then kills it if it has not ended within `graceMs`.
   */
  async stop(graceMs = 3_000): Promise<void> {
    const pid = this.child.exitStatus ? undefined : await this.programPid();
    if (pid !== undefined) {
      await signal(pid, "TERM");
      const ended = await Promise.race([
        this.child.done.then(() => true, () => true),
        sleep(graceMs).then(() => false),
      ]);
      if (!ended) await signal(pid, "KILL");
    }
    await this.child.kill();
  }
}

async function signal(pid: number, name: "TERM" | "KILL"): Promise<void> {
  await new Deno.Command("sh", { args: ["-c", `kill -${name} ${pid} 2>/dev/null`], stdout: "null", stderr: "null" })
    .output();
}
