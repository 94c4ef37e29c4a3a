/**
 * Test helpers: certificates made once per run, child processes whose
 * output can be awaited, random payloads, hashes and in-memory pairs.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Ssl } from "../lib/ssl/ssl.ts";
import type { EngineFactory, TlsConfig } from "../lib/ssl/engine.ts";

export const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
export const DENO = Deno.execPath();

const certDirs = new Map<string, Promise<string>>();

/**
 * A directory holding ca/server/client .crt/.key made by gen-certs, once per
 * test run and key type (RSA by default).
 */
export function testCerts(keyType: "rsa" | "ecdsa" | "ed25519" = "rsa"): Promise<string> {
  let dir = certDirs.get(keyType);
  if (!dir) {
    dir = (async () => {
      const dir = await Deno.makeTempDir({ prefix: `tls-certs-${keyType}-` });
      const out = await new Deno.Command(DENO, {
        args: [
          "run",
          `--allow-read=${dir}`,
          `--allow-write=${dir}`,
          "certs/gen_certs.ts",
          "--dir",
          dir,
          "--key-type",
          keyType,
        ],
        cwd: ROOT,
        stdout: "piped",
        stderr: "piped",
      }).output();
      if (!out.success) throw new Error(`gen-certs failed: ${new TextDecoder().decode(out.stderr)}`);
      return dir;
    })();
    certDirs.set(keyType, dir);
  }
  return dir;
}

/** Reads a PEM from the test certificate directory. */
export async function pem(name: string): Promise<string> {
  return await Deno.readTextFile(`${await testCerts()}/${name}`);
}

/** Random bytes of any size (crypto.getRandomValues is limited to 64 KiB a call). */
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

/** SHA-256 as hex. */
export function sha256(...parts: Uint8Array[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest("hex");
}

/** Concatenates chunks. */
export function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Moves encrypted bytes between two Ssl objects until neither has anything to say. */
export function shuttle(a: Ssl, b: Ssl, chunk = Infinity): void {
  for (let moved = true; moved;) {
    moved = false;
    for (const [from, to] of [[a, b], [b, a]] as const) {
      if (!from.isInitFinished) from.handshake();
      while (from.wbio.pending > 0) {
        const bytes = from.wbio.read(chunk);
        to.rbio.write(bytes);
        moved = true;
        if (!to.isInitFinished) to.handshake();
      }
    }
  }
}

/** A client and a server Ssl on the same engine, with the test certificates. */
export async function memoryPair(
  engine: EngineFactory,
  client: Partial<TlsConfig> = {},
  server: Partial<TlsConfig> = {},
): Promise<{ client: Ssl; server: Ssl }> {
  return {
    client: new Ssl(engine, {
      role: "client",
      serverName: "localhost",
      caCertificates: [await pem("ca.crt")],
      ...client,
    }),
    server: new Ssl(engine, {
      role: "server",
      certificateChain: await pem("server.crt"),
      privateKey: await pem("server.key"),
      caCertificates: [await pem("ca.crt")],
      ...server,
    }),
  };
}

/** Drains everything readable from an Ssl. */
export function readAll(ssl: Ssl): Uint8Array {
  const chunks: Uint8Array[] = [];
  for (let d = ssl.read(); d.length > 0; d = ssl.read()) chunks.push(d);
  return concat(chunks);
}

/**
 * A child process with piped stdio, whose stdout is collected as bytes and
 * whose stderr can be awaited line by line.
 */
export class Proc {
  readonly child: Deno.ChildProcess;
  readonly #stdout: Uint8Array[] = [];
  stderr = "";
  #waiters: (() => void)[] = [];
  readonly #done: Promise<[void, void]>;
  #stdin: WritableStreamDefaultWriter<Uint8Array> | undefined;

  constructor(
    cmd: string,
    args: string[],
    opts: {
      cwd?: string;
      stdin?: "piped" | "null";
      closeStdout?: boolean;
      hashStdout?: boolean;
      env?: Record<string, string>;
    } = {},
  ) {
    this.child = new Deno.Command(cmd, {
      args,
      cwd: opts.cwd ?? ROOT,
      env: opts.env,
      stdin: opts.stdin ?? "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    if ((opts.stdin ?? "piped") === "piped") this.#stdin = this.child.stdin.getWriter();
    if (opts.hashStdout) this.#hash = createHash("sha256");
    // closeStdout: the reading end goes away at once, so the process's writes fail (EPIPE).
    const stdout = opts.closeStdout ? this.child.stdout.cancel() : this.#collectStdout();
    this.#done = Promise.all([stdout, this.#collectStderr()]);
  }

  async #collectStdout(): Promise<void> {
    for await (const c of this.child.stdout) {
      if (this.#hash) this.#hash.update(c);
      else this.#stdout.push(c);
      this.stdoutLength += c.length;
    }
  }

  /** hashStdout: stdout is only hashed, not kept (for payloads of a GiB). */
  #hash: ReturnType<typeof createHash> | undefined;

  /** SHA-256 (hex) of everything on stdout, when started with hashStdout. */
  stdoutSha256(): string {
    return this.#hash!.copy().digest("hex");
  }

  /** How many bytes the process wrote to stdout so far (cheap, unlike {@link stdout}). */
  stdoutLength = 0;

  async #collectStderr(): Promise<void> {
    const dec = new TextDecoder();
    for await (const c of this.child.stderr) {
      this.stderr += dec.decode(c, { stream: true });
      const ws = this.#waiters;
      this.#waiters = [];
      ws.forEach((w) => w());
    }
  }

  /** Everything the process wrote to stdout so far. */
  get stdout(): Uint8Array {
    return concat(this.#stdout);
  }

  /** Waits until stderr matches (counting matches: the nth occurrence). */
  async waitFor(pattern: RegExp, timeoutMs = 15000, occurrence = 1): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const count = () => (this.stderr.match(new RegExp(pattern.source, "g")) ?? []).length;
    while (count() < occurrence) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${pattern}; stderr so far:\n${this.stderr}`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        timer = setTimeout(resolve, Math.min(left, 200));
      });
      clearTimeout(timer);
    }
  }

  /** Writes to the process's stdin. */
  async write(bytes: Uint8Array | string): Promise<void> {
    await this.#stdin!.write(typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes);
  }

  /** Closes the process's stdin (EOF). */
  async closeStdin(): Promise<void> {
    await this.#stdin?.close().catch(() => {});
    this.#stdin = undefined;
  }

  /** Waits for the exit, with a time limit after which it is killed. */
  async exit(timeoutMs = 30000): Promise<Deno.CommandStatus> {
    const timer = setTimeout(() => this.kill(), timeoutMs);
    try {
      const status = await this.child.status;
      await this.#done;
      return status;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops the process (if still running) and waits for its pipes to close. */
  async stop(): Promise<void> {
    this.kill();
    // abort, not close: close would wait for writes the dead process will never read.
    await this.#stdin?.abort().catch(() => {});
    this.#stdin = undefined;
    await this.child.status;
    await this.#done;
  }

  kill(): void {
    try {
      this.child.kill("SIGKILL");
    } catch { /* already gone */ }
  }
}

/** Arguments to run server.ts on `port` with the test certificates (of `dir`, default the RSA ones). */
export async function serverArgs(port: number, ...extra: string[]): Promise<string[]> {
  return serverArgsIn(await testCerts(), port, ...extra);
}

/** {@link serverArgs} with the certificates in `dir`. */
export function serverArgsIn(dir: string, port: number, ...extra: string[]): string[] {
  return [
    "run",
    "--allow-net",
    `--allow-read=${dir}`,
    "server.ts",
    String(port),
    "--cert",
    `${dir}/server.crt`,
    "--key",
    `${dir}/server.key`,
    "--ca",
    `${dir}/ca.crt`,
    ...extra,
  ];
}

/** Arguments to run client.ts against 127.0.0.1:`port` with the test CA. */
export async function clientArgs(port: number, ...extra: string[]): Promise<string[]> {
  return clientArgsIn(await testCerts(), port, ...extra);
}

/** {@link clientArgs} with the CA in `dir`. */
export function clientArgsIn(dir: string, port: number, ...extra: string[]): string[] {
  return [
    "run",
    "--allow-net",
    `--allow-read=${dir}`,
    "client.ts",
    "127.0.0.1",
    String(port),
    "--ca",
    `${dir}/ca.crt`,
    ...extra,
  ];
}

/** Starts server.ts and waits until it listens. */
export async function startServer(port: number, ...extra: string[]): Promise<Proc> {
  return await startServerIn(await testCerts(), port, ...extra);
}

/** {@link startServer} with the certificates in `dir`. */
export async function startServerIn(dir: string, port: number, ...extra: string[]): Promise<Proc> {
  const server = new Proc(DENO, serverArgsIn(dir, port, ...extra));
  await server.waitFor(/waiting for next connection/);
  return server;
}

/** Waits until `check` holds, polling. */
export async function until(check: () => boolean, what: string, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** An in-test TLS client over a real socket, driven step by step (for hostile and fault tests). */
export interface TestTlsClient {
  conn: Deno.TcpConn;
  ssl: Ssl;
  /** Sends everything in the wbio. */
  flush(): Promise<void>;
  /** Reads from the socket into the rbio once; false at EOF. */
  pull(): Promise<boolean>;
}

/** Connects to 127.0.0.1:`port` and completes a handshake with `engine`. */
export async function tlsClient(engine: EngineFactory, port: number): Promise<TestTlsClient> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const ssl = new Ssl(engine, { role: "client", serverName: "localhost", caCertificates: [await pem("ca.crt")] });
  const buf = new Uint8Array(65536);
  const client: TestTlsClient = {
    conn,
    ssl,
    async flush() {
      while (ssl.wbio.pending > 0) await conn.write(ssl.wbio.read());
    },
    async pull() {
      const n = await conn.read(buf);
      if (n === null) return false;
      ssl.rbio.write(buf.slice(0, n));
      return true;
    },
  };
  ssl.handshake();
  await client.flush();
  while (ssl.handshake() === "want-read") {
    await client.flush();
    if (!(await client.pull())) throw new Error("server closed during the handshake");
  }
  await client.flush();
  if (ssl.getError() !== "none") throw new Error(`handshake failed: ${ssl.error?.describe()}`);
  return client;
}

/** Peak and current resident memory of a process, in MiB (Linux /proc). */
export async function memoryOf(pid: number): Promise<{ rss: number; peak: number }> {
  // Deno asks for --allow-all to read /proc directly; cat needs only --allow-run.
  const out = await new Deno.Command("cat", { args: [`/proc/${pid}/status`], stdout: "piped" }).output();
  const status = new TextDecoder().decode(out.stdout);
  const kib = (field: string) => Number(status.match(new RegExp(`${field}:\\s+(\\d+)`))?.[1] ?? 0);
  return { rss: kib("VmRSS") / 1024, peak: kib("VmHWM") / 1024 };
}

/** Whether something listens on 127.0.0.1:`port` (probing by trying to bind it). */
export function isListening(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return false;
  } catch {
    return true;
  }
}

/**
 * Starts `openssl s_server -accept PORT ...args` on a free port and waits
 * until it listens; a server that exits at once (a port taken meanwhile) is
 * retried on another port, and a failure says what s_server said.
 */
/** `openssl s_client` speaking TLS 1.0 (which OpenSSL 3 allows only at security level 0). */
export function opensslTls1Client(port: number): Proc {
  return new Proc("openssl", [
    "s_client",
    "-connect",
    `127.0.0.1:${port}`,
    "-tls1",
    "-cipher",
    "DEFAULT@SECLEVEL=0",
    "-legacy_server_connect",
    "-quiet",
    "-no_ign_eof",
  ]);
}

export async function startOpensslServer(args: string[]): Promise<{ proc: Proc; port: number }> {
  let said = "";
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = freePort();
    const proc = new Proc("openssl", ["s_server", "-accept", String(port), ...args]);
    let exited = false;
    proc.child.status.then(() => exited = true);
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline && !exited) {
      if (isListening(port)) return { proc, port };
      await new Promise((r) => setTimeout(r, 50));
    }
    await proc.stop();
    said = proc.stderr;
  }
  throw new Error(`openssl s_server did not start: ${said}`);
}

/**
 * A well-behaved client.ts that sends `word` and closes: it must exit 0, and
 * the server's stdout must gain exactly `word` — the check every "and the
 * next client is served" test makes.
 */
export async function servedNext(port: number, server: Proc, word: string, ...args: string[]): Promise<void> {
  const dec = new TextDecoder();
  const before = dec.decode(server.stdout);
  const client = new Proc(DENO, await clientArgs(port, "--quiet", ...args));
  await client.write(word);
  await client.closeStdin();
  assert.equal((await client.exit()).code, 0, client.stderr);
  await until(() => dec.decode(server.stdout) === before + word, `"${word.trim()}" at the server`);
}

/**
 * s_client lines typed after the handshake, then stdin EOF; checks data both
 * ways and that the server completed a handshake in `version`.
 */
export async function chatWithSClient(server: Proc, sClient: Proc, tag: string, version = "TLSv1.3"): Promise<void> {
  const dec = new TextDecoder();
  const done = new RegExp(`handshake complete: ${version.replace(".", "\\.")}`);
  await server.waitFor(done, 15000, (server.stderr.match(new RegExp(done.source, "g")) ?? []).length + 1);
  const before = dec.decode(server.stdout);
  await sClient.write(`${tag} from s_client\n`);
  await server.write(`${tag} from server.ts\n`);
  await until(() => dec.decode(server.stdout) === `${before}${tag} from s_client\n`, `${tag}: data at server.ts`);
  await until(() => dec.decode(sClient.stdout).includes(`${tag} from server.ts\n`), `${tag}: data at s_client`);
  await sClient.closeStdin();
  await sClient.exit();
}
