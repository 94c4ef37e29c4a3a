/**
 * Small helpers shared by the command-line entry points: one-line errors,
 * no stack traces, conventional exit statuses.
 *
 * @module
 */

import { parseArgs, type ParseArgsConfig } from "node:util";

/** The program's name for messages, e.g. `server`. */
let programName = Deno.mainModule.replace(/^.*\//, "").replace(/\.ts$/, "");

/**
 * Sets the name that prefixes error lines.
 */
export function setProgramName(name: string): void {
  programName = name;
}

/** An error whose message is meant for the user as it is. */
export class UserError extends Error {
  /** Exit status to use (2 for usage errors, 1 otherwise). */
  readonly status: number;
  constructor(message: string, status = 1) {
    super(message);
    this.name = "UserError";
    this.status = status;
  }
}

/**
 * Stops with one line on stderr.
 */
export function fail(message: string, status = 2): never {
  throw new UserError(message, status);
}

const encoder = new TextEncoder();

/**
 * Prints a line to stderr (diagnostics never go to stdout). Written
 * directly: `console.error` formats its arguments first, about 0.1 ms a
 * line in a busy server, which logs a line for every connection that ends
 * abnormally.
 */
export function info(message: string): void {
  const line = encoder.encode(`${programName}: ${message}\n`);
  for (let off = 0; off < line.length;) off += Deno.stderr.writeSync(line.subarray(off));
}

/** The message of anything thrown, without a stack. */
export function errorText(e: unknown): string {
  if (e instanceof Error) {
    // parseArgs errors carry a code like ERR_PARSE_ARGS_UNKNOWN_OPTION.
    return e.message.split("\n")[0];
  }
  return String(e);
}

/**
 * Runs `main`, turning any error into one stderr line and an exit status:
 * 2 for usage errors, 1 for everything else.
 */
export async function runMain(main: () => Promise<number | void>): Promise<void> {
  try {
    const status = await main();
    Deno.exit(status ?? 0);
  } catch (e) {
    const code = (e as { code?: string }).code ?? "";
    const usage = code.startsWith("ERR_PARSE_ARGS") ||
      (e instanceof UserError && e.status === 2);
    console.error(
      `${programName}: ${errorText(e)}${usage ? " (try --help)" : ""}`,
    );
    Deno.exit(e instanceof UserError ? e.status : usage ? 2 : 1);
  }
}

/**
 * `node:util` parseArgs, except that a value starting with '-' after an option
 * that takes one is that option's value, as with getopt (`--days -1`): the
 * option's own check then says what it accepts, where parseArgs would only
 * call the argument ambiguous.
 */
export function parseArguments<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  const takesValue = new Set(
    Object.entries(config.options ?? {}).filter(([, o]) => o.type === "string").map(([name]) => `--${name}`),
  );
  const input = config.args ?? Deno.args;
  const args: string[] = [];
  for (let i = 0; i < input.length; i++) {
    if (input[i] === "--") {
      args.push(...input.slice(i));
      break;
    }
    const joined = takesValue.has(input[i]) && input[i + 1]?.startsWith("-");
    args.push(joined ? `${input[i]}=${input[++i]}` : input[i]);
  }
  return parseArgs({ ...config, args } as T);
}

/**
 * Parses a TCP port argument.
 */
export function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    fail(`invalid port '${text}': expected a number from 1 to 65535`);
  }
  return Number(text);
}

const SIGNAL_NUMBERS = { SIGINT: 2, SIGTERM: 15 } as const;

/**
 * Resolves when SIGINT or SIGTERM arrives, so the program can send
 * close_notify and flush before it exits with the conventional status
 * (128 + signal number).
 */
export class Interrupt {
  /** The signal received, once one was. */
  signal: keyof typeof SIGNAL_NUMBERS | undefined;
  readonly #received = Promise.withResolvers<void>();
  readonly #controller = new AbortController();

  constructor() {
    for (const name of Object.keys(SIGNAL_NUMBERS) as (keyof typeof SIGNAL_NUMBERS)[]) {
      Deno.addSignalListener(name, () => {
        if (this.signal) Deno.exit(128 + SIGNAL_NUMBERS[name]); // a second signal: stop now
        this.signal = name;
        this.#received.resolve();
        this.#controller.abort();
      });
    }
  }

  /** Settles on the first signal. */
  get promise(): Promise<void> {
    return this.#received.promise;
  }

  /** Aborts on the first signal; for listeners that must be removed again. */
  get abortSignal(): AbortSignal {
    return this.#controller.signal;
  }

  /** 128 + the signal's number (130 for SIGINT, 143 for SIGTERM). */
  get exitStatus(): number {
    return this.signal ? 128 + SIGNAL_NUMBERS[this.signal] : 0;
  }
}
