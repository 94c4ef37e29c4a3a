/**
 * The programs' command line as a user meets it: each bad argument or file
 * is one stderr line and the right exit status, checked before any file is
 * read; the README's commands work with the permissions they grant.
 */
import assert from "node:assert/strict";
import { clientArgs, DENO, freePort, Proc, ROOT, serverArgs, startServer, testCerts } from "./helpers.ts";

/** Runs to the end; returns the exit status and stderr's lines. */
async function run(args: string[]): Promise<{ code: number; lines: string[] }> {
  const p = new Proc(DENO, args);
  await p.closeStdin();
  const { code } = await p.exit();
  return { code, lines: p.stderr.trim().split("\n") };
}

/** Asserts one stderr line matching `pattern` and exit status `code`. */
async function assertOneLine(args: string[], code: number, pattern: RegExp): Promise<void> {
  const result = await run(args);
  const what = args.slice(3).join(" ");
  assert.equal(result.code, code, `${what}: ${result.lines.join("\n")}`);
  assert.equal(result.lines.length, 1, `${what}: ${result.lines.join("\n")}`);
  assert.match(result.lines[0], pattern, what);
}

Deno.test("a bad argument is the only line printed (no file loaded first), exit 2", async () => {
  const port = freePort();
  const cases: [string[], RegExp][] = [
    [["--groups", "foo"], /^server: --groups: unknown group 'foo' \(choose from .*\) \(try --help\)$/],
    [["--min-version", "foo"], /^server: --min-version takes TLSv1, TLSv1\.1, TLSv1\.2 or TLSv1\.3, got 'foo'/],
    [["--alpn", ""], /^server: --alpn takes a comma-separated list, got ''/],
    [["--engine", "foo"], /^server: unknown engine 'foo' \(choose from: tls13, tls12, forge\)/],
    [["--handshake-timeout", "abc"], /^server: --handshake-timeout takes a number of seconds, 0 or more, got 'abc'/],
    [["--handshake-timeout", "-1"], /^server: --handshake-timeout takes a number of seconds, 0 or more, got '-1'/],
    [["--groups", "P-256:P-256"], /^server: --groups: 'P-256' is listed twice \(try --help\)$/],
    [["--groups", "x25519:X25519"], /^server: --groups: 'X25519' is listed twice/],
    // The forge engine's own range, not a --max-version the user never gave.
    [["--engine", "forge", "--min-version", "TLSv1.3"], /^server: the forge engine speaks TLSv1 to TLSv1\.1 only: /],
    [["--min-version", "TLSv1.2", "--max-version", "TLSv1.1"], /^server: --min-version TLSv1\.2 is above --max-ver/],
  ];
  for (const [extra, pattern] of cases) await assertOneLine(await serverArgs(port, ...extra), 2, pattern);

  const clientCases: [string[], RegExp][] = [
    [
      ["--idle-timeout", "-5"],
      /^client: --idle-timeout takes a number of seconds, 0 or more, got '-5' \(try --help\)$/,
    ],
    [["--servername", ""], /^client: --servername must not be empty \(try --help\)$/],
    [["--groups", "p-256,prime256v1"], /^client: --groups: 'prime256v1' is listed twice/],
  ];
  for (const [extra, pattern] of clientCases) await assertOneLine(await clientArgs(port, ...extra), 2, pattern);

  const dir = await Deno.makeTempDir();
  await assertOneLine(
    ["run", `--allow-read=${dir}`, `--allow-write=${dir}`, "certs/gen_certs.ts", "--dir", dir, "--days", "-1"],
    2,
    /^gen_certs: --days must be a whole number from 1 to 36500, got '-1' \(try --help\)$/,
  );
  assert.deepEqual([...Deno.readDirSync(dir)], [], "nothing written");
});

Deno.test("a certificate or CA file without a certificate in it is refused at startup, exit 1", async () => {
  const dir = await testCerts();
  const port = freePort();
  await assertOneLine(
    await serverArgs(port, "--cert", `${dir}/server.key`),
    1,
    /^server: no certificate in certificate file .*server\.key$/,
  );
  await assertOneLine(
    await serverArgs(port, "--verify-client", "--ca", `${dir}/server.key`),
    1,
    /^server: no certificate in CA certificate file .*server\.key$/,
  );
  await assertOneLine(
    await serverArgs(port, "--key", `${dir}/server.crt`),
    1,
    /^server: no private key in private key file .*server\.crt$/,
  );
  await assertOneLine(
    await clientArgs(port, "--ca", `${dir}/server.key`),
    1,
    /^client: no certificate in CA certificate file .*server\.key$/,
  );
});

Deno.test("--max-version TLSv1.1 alone opens the legacy range TLSv1 to TLSv1.1 and speaks to a legacy server", async () => {
  const port = freePort();
  const server = await startServer(port, "--min-version", "TLSv1");
  try {
    const client = new Proc(DENO, await clientArgs(port, "--max-version", "TLSv1.1"));
    await client.waitFor(/handshake complete: TLSv1(\.1)?,/);
    await client.closeStdin();
    assert.equal((await client.exit()).code, 0, client.stderr);
  } finally {
    await server.stop();
  }
});

Deno.test("--min-version TLSv1.1 is enforced on the legacy engine: a TLS 1.0 server is refused with protocol_version", async () => {
  const port = freePort();
  const server = await startServer(port, "--min-version", "TLSv1"); // forge's server always picks TLS 1.0
  try {
    const client = new Proc(DENO, await clientArgs(port, "--min-version", "TLSv1.1", "--max-version", "TLSv1.1"));
    const status = await client.exit();
    assert.equal(status.code, 1, client.stderr);
    assert.match(client.stderr, /negotiated TLSv1, below the minimum TLSv1\.1/);
    assert.match(client.stderr, /protocol_version/);
    assert.doesNotMatch(client.stderr, /handshake complete/);
  } finally {
    await server.stop();
  }
});

Deno.test("--groups names are OpenSSL's, in any case", async () => {
  const port = freePort();
  const server = await startServer(port, "--groups", "p-256");
  try {
    const client = new Proc(DENO, await clientArgs(port, "--groups", "x25519mlkem768:P-256"));
    await client.waitFor(/handshake complete: TLSv1\.3, .*group (P-256|secp256r1)/);
    await client.closeStdin();
    assert.equal((await client.exit()).code, 0, client.stderr);
  } finally {
    await server.stop();
  }
});

/** server.ts with the README's --keylog permissions: read certs (and the log, if `readLog`), write the log. */
async function keyLogServer(port: number, log: string, readLog: boolean): Promise<Proc> {
  const args = (await serverArgs(port, "--keylog", log)).map((a) =>
    a.startsWith("--allow-read=") && readLog ? `${a},${log}` : a
  );
  args.splice(args.indexOf("--allow-net") + 1, 0, `--allow-write=${log}`);
  return new Proc(DENO, args);
}

/** One client connects and leaves; the server is stopped after. */
async function serveOneClient(server: Proc, port: number): Promise<void> {
  try {
    await server.waitFor(/waiting for next connection/);
    const client = new Proc(DENO, await clientArgs(port, "--quiet"));
    await client.closeStdin();
    assert.equal((await client.exit()).code, 0, client.stderr);
    await server.waitFor(/client closed the connection/);
  } finally {
    await server.stop();
  }
}

Deno.test("--keylog works with the README's permissions: a new file needs write access only, an existing one read too", async () => {
  const dir = await Deno.makeTempDir();
  const log = `${dir}/keys.log`;
  const port = freePort();
  // A new file: write access alone, as in the README's first form.
  await serveOneClient(await keyLogServer(port, log, false), port);
  assert.equal((await Deno.stat(log)).mode! & 0o777, 0o600);
  assert.equal((await Deno.readTextFile(log)).match(/^CLIENT_TRAFFIC_SECRET_0 /gm)?.length, 1);

  // The file exists now: without read access its mode cannot be checked, which is said in one line.
  const refused = await keyLogServer(port, log, false);
  assert.equal((await refused.exit()).code, 1, refused.stderr);
  assert.match(
    refused.stderr.trim(),
    new RegExp(`^server: key log ${log} exists: grant --allow-read=${log} too, so its mode can be checked`),
  );
  assert.equal(refused.stderr.trim().split("\n").length, 1, refused.stderr);

  // With the README's full command (read access to the log too), secrets are appended.
  await serveOneClient(await keyLogServer(port, log, true), port);
  assert.equal((await Deno.readTextFile(log)).match(/^CLIENT_TRAFFIC_SECRET_0 /gm)?.length, 2);

  // A shared file is still refused.
  await Deno.chmod(log, 0o644);
  const shared = await keyLogServer(port, log, true);
  assert.equal((await shared.exit()).code, 1, shared.stderr);
  assert.match(shared.stderr, /key log .* is readable by others \(mode 644\); chmod 600 it first\n$/);
});

Deno.test("connections reset before accept are skipped at once: the next client is served within its handshake timeout", async () => {
  const port = freePort();
  const server = await startServer(port);
  const idle = new Proc(DENO, await clientArgs(port));
  let next: Proc | undefined;
  try {
    await idle.waitFor(/handshake complete/);
    // 15 connections queue behind the idle client and reset (RST) before the server gets to them.
    const burst = new Proc("python3", [`${ROOT}/tests/fixtures/reset_burst.py`, String(port), "15"]);
    assert.equal((await burst.exit()).code, 0, burst.stderr);
    next = new Proc(DENO, await clientArgs(port, "--handshake-timeout", "10"));
    await next.waitFor(/connected to/);
    await idle.closeStdin();
    assert.equal((await idle.exit()).code, 0, idle.stderr);
    // Before: one second per reset connection, so 15 s, and this client timed out.
    await next.waitFor(/handshake complete/, 12000);
    await next.closeStdin();
    assert.equal((await next.exit()).code, 0, next.stderr);
    const failures = server.stderr.match(/^server: accept failed: .*$/gm) ?? [];
    for (const line of failures) assert.match(line, /\(os error (103|104|107)\); taking the next connection$/);
    assert.doesNotMatch(server.stderr, /retrying in 1 s/);
  } finally {
    await idle.stop();
    await next?.stop();
    await server.stop();
  }
});
