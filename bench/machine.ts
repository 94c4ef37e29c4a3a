/**
 * What the report's header says about the machine and the tools.
 *
 * @module
 */

import { outputOf, readProc } from "./procs.ts";
import type { MachineInfo } from "./lib/types.ts";

async function optionalOutput(label: string, cmd: string, args: string[]): Promise<string | undefined> {
  try {
    return await outputOf(label, { cmd, args });
  } catch {
    return undefined;
  }
}

/**
 * Architecture (as `uname -m`), cores, CPU model, load, date, and the
 * versions of the `deno` that runs the children and of `openssl` (undefined
 * when it is missing).
 *
 * @example
 * ```ts
 * const machine = await machineInfo("deno");
 * ```
 */
export async function machineInfo(deno: string): Promise<MachineInfo> {
  const denoVersion = await optionalOutput("deno --version", deno, ["--version"]) ?? "";
  const version = (name: string, fallback: string) =>
    denoVersion.match(new RegExp(`^${name} (\\S+)`, "m"))?.[1] ?? fallback;
  const load = (await readProc("/proc/loadavg")).split(/\s+/).slice(0, 3).map(Number);
  return {
    arch: Deno.build.arch,
    cores: navigator.hardwareConcurrency,
    cpuModel: (await readProc("/proc/cpuinfo")).match(/^model name\s*:\s*(.+)$/m)?.[1].trim(),
    loadAverage: load.length === 3 && load.every(Number.isFinite) ? load : undefined,
    date: new Date().toISOString(),
    deno: version("deno", Deno.version.deno),
    v8: version("v8", Deno.version.v8),
    typescript: version("typescript", Deno.version.typescript),
    openssl: (await optionalOutput("openssl version", "openssl", ["version"]))?.trim(),
  };
}
