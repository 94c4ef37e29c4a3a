/**
 * server.ts and client.ts as real processes on loopback, as a user runs
 * them: payloads both ways, stdin EOF, clients one after another, a client
 * queued behind a live one, stdin typed before any client, bad peers.
 */
import assert from "node:assert/strict";
import {
  clientArgs,
  DENO,
  freePort,
  Proc,
  randomBytes,
  servedNext,
  serverArgs,
  sha256,
  startServer,
  testCerts,
  until,
} from "./helpers.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

async function startClient(port: number, ...extra: string[]): Promise<Proc> {
  return new Proc(DENO, await clientArgs(port, ...extra));
}

Deno.test("server and client exchange random binary both ways, byte-exact, and end cleanly on stdin EOF", async () => {
  const port = freePort();
  const server = await startServer(port);
  const client = await startClient(port);
  try {
    await client.waitFor(/handshake complete/);
    const up = randomBytes(1 << 20);
    const down = randomBytes(1 << 20);
    up.set([0, 0, 0], 100);
    down.set([0, 0, 0], 100);
    await Promise.all([client.write(up), server.write(down)]);
    await until(() => server.stdout.length >= up.length && client.stdout.length >= down.length, "both payloads");
    assert.equal(sha256(server.stdout), sha256(up));
    assert.equal(sha256(client.stdout), sha256(down));

    await client.closeStdin(); // client: close_notify → server answers → both end
    const status = await client.exit();
    assert.equal(status.code, 0, client.stderr);
    assert.match(client.stderr, /server closed the connection: 1048576 bytes in, 1048576 bytes out/);
    await server.waitFor(/client closed the connection: 1048576 bytes in, 1048576 bytes out/);
    await server.waitFor(/waiting for next connection/, 5000, 2);
  } finally {
    await client.stop();
    await server.stop();
  }
});

Deno.test("a second client is served after the first leaves", async () => {
  const port = freePort();
  const server = await startServer(port);
  try {
    for (const word of ["first\n", "second\n"]) {
      const client = await startClient(port);
      await client.write(word);
      await client.closeStdin();
      assert.equal((await client.exit()).code, 0, client.stderr);
    }
    await until(() => dec.decode(server.stdout) === "first\nsecond\n", "both clients' data");
    assert.equal((server.stderr.match(/new connection from/g) ?? []).length, 2);
  } finally {
    await server.stop();
  }
});

Deno.test("a client that connects while another is live waits and is served next", async () => {
  const port = freePort();
  const server = await startServer(port);
  const a = await startClient(port);
  await a.waitFor(/handshake complete/);
  const b = await startClient(port); // started only now, so it is second in line
  try {
    await b.waitFor(/connected to/);
    await b.write("from b\n"); // queued: b's handshake has not happened yet
    await new Promise((r) => setTimeout(r, 300));
    assert.doesNotMatch(b.stderr, /handshake complete/);
    await a.write("from a\n");
    await until(() => dec.decode(server.stdout) === "from a\n", "a's data");
    await a.closeStdin();
    assert.equal((await a.exit()).code, 0, a.stderr);
    await b.waitFor(/handshake complete/);
    await until(() => dec.decode(server.stdout) === "from a\nfrom b\n", "b's data after a's");
    await b.closeStdin();
    assert.equal((await b.exit()).code, 0, b.stderr);
  } finally {
    await a.stop();
    await b.stop();
    await server.stop();
  }
});

Deno.test("stdin given to the server before any client connects arrives at the first client, once", async () => {
  const port = freePort();
  const server = await startServer(port);
  try {
    await server.write("typed early\n");
    await new Promise((r) => setTimeout(r, 200));
    const first = await startClient(port);
    await until(() => dec.decode(first.stdout) === "typed early\n", "early bytes at the first client");
    await first.closeStdin();
    assert.equal((await first.exit()).code, 0);

    await server.write("later\n");
    const second = await startClient(port);
    await until(() => dec.decode(second.stdout) === "later\n", "later bytes at the second client");
    await second.closeStdin();
    assert.equal((await second.exit()).code, 0);
    assert.equal(dec.decode(second.stdout), "later\n"); // nothing duplicated from the first
  } finally {
    await server.stop();
  }
});

Deno.test("server stdin EOF sends close_notify to the client, which exits cleanly", async () => {
  const port = freePort();
  const server = await startServer(port);
  const client = await startClient(port);
  try {
    await client.waitFor(/handshake complete/);
    await server.write("bye\n");
    await server.closeStdin();
    assert.equal((await client.exit()).code, 0, client.stderr);
    assert.equal(dec.decode(client.stdout), "bye\n");
    await server.waitFor(/client closed the connection/);
  } finally {
    await client.stop();
    await server.stop();
  }
});

Deno.test("garbage from a client is reported and the next client is served", async () => {
  const port = freePort();
  const server = await startServer(port);
  try {
    const raw = await Deno.connect({ hostname: "127.0.0.1", port });
    await raw.write(enc.encode("this is not TLS at all\r\n".repeat(10)));
    const buf = new Uint8Array(4096);
    while ((await raw.read(buf).catch(() => null)) !== null) { /* until the server hangs up */ }
    raw.close();
    await server.waitFor(/ended: /);
    await servedNext(port, server, "still here\n");
  } finally {
    await server.stop();
  }
});

Deno.test("a client that does not trust the server's CA refuses with a clear message", async () => {
  const port = freePort();
  const server = await startServer(port);
  try {
    const args = await clientArgs(port);
    args[args.indexOf("--ca") + 1] = args[args.indexOf("--ca") + 1].replace("ca.crt", "client.crt");
    const client = new Proc(DENO, args);
    await client.closeStdin();
    const status = await client.exit();
    assert.equal(status.code, 1);
    assert.match(client.stderr, /client: connection failed: peer certificate is not signed by a trusted CA/);
    assert.doesNotMatch(client.stderr, /\n\s+at /); // no stack trace
    await server.waitFor(/ended: peer sent alert unknown_ca/);
  } finally {
    await server.stop();
  }
});

Deno.test("a client stuck in the handshake is dropped after the time limit and the next one is served", async () => {
  const port = freePort();
  const server = await startServer(port, "--handshake-timeout", "1");
  try {
    const silent = await Deno.connect({ hostname: "127.0.0.1", port });
    await server.waitFor(/handshake not completed within 1 s/, 10000);
    silent.close();
    await servedNext(port, server, "ok\n");
  } finally {
    await server.stop();
  }
});

Deno.test("--quiet leaves stderr empty on success while stdout carries the peer's data", async () => {
  const port = freePort();
  const server = new Proc(DENO, await serverArgs(port, "--quiet"));
  try {
    await until(() => {
      try {
        Deno.listen({ hostname: "127.0.0.1", port }).close();
        return false; // still free: the server is not listening yet
      } catch {
        return true;
      }
    }, "the quiet server to listen");
    const client = await startClient(port, "--quiet");
    await server.write("to client\n");
    await client.write("to server\n");
    await until(() => dec.decode(client.stdout) === "to client\n", "server data at the client");
    await client.closeStdin();
    assert.equal((await client.exit()).code, 0);
    await until(() => dec.decode(server.stdout) === "to server\n", "client data at the server");
    assert.equal(client.stderr, "");
    assert.equal(server.stderr, "");
  } finally {
    await server.stop();
  }
});

Deno.test("client reports a refused connection in one line", async () => {
  const client = await startClient(freePort());
  await client.closeStdin();
  const status = await client.exit();
  assert.equal(status.code, 1);
  assert.match(client.stderr.trim(), /^client: connection to 127\.0\.0\.1:\d+ refused \(is the server running\?\)$/);
});

Deno.test("server reports a port in use in one line", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  try {
    const server = new Proc(DENO, await serverArgs(port));
    const status = await server.exit();
    assert.equal(status.code, 1);
    assert.match(server.stderr, /^server: port \d+ on 127\.0\.0\.1 is already in use$/m);
  } finally {
    listener.close();
  }
});

Deno.test("bad arguments get one line on stderr and exit status 2", async () => {
  const cases: [string, string[], RegExp][] = [
    ["server.ts", ["--bogus"], /^server: Unknown option '--bogus'.*\(try --help\)$/],
    ["server.ts", ["70000"], /^server: invalid port '70000': expected a number from 1 to 65535 \(try --help\)$/],
    ["client.ts", ["localhost", "port"], /^client: invalid port 'port'/],
    ["client.ts", ["--cert", "x.crt"], /^client: --cert and --key go together/],
  ];
  for (const [script, args, pattern] of cases) {
    const p = new Proc(DENO, ["run", "--allow-net", "--allow-read", script, ...args]);
    await p.closeStdin();
    const status = await p.exit();
    assert.equal(status.code, 2, `${script} ${args.join(" ")}: ${p.stderr}`);
    const lines = p.stderr.trim().split("\n");
    assert.equal(lines.length, 1, p.stderr);
    assert.match(lines[0], pattern);
  }
});

Deno.test("missing or mismatched certificate files are one line with a hint", async () => {
  const port = String(freePort());
  const missing = new Proc(DENO, [
    "run",
    "--allow-net",
    "--allow-read",
    "server.ts",
    port,
    "--cert",
    "/nonexistent.crt",
  ]);
  assert.equal((await missing.exit()).code, 1);
  assert.match(
    missing.stderr.trim(),
    /^server: certificate file \/nonexistent\.crt not found \(run 'deno task gen-certs'/,
  );

  const dir = await testCerts();
  const mismatch = new Proc(DENO, [
    "run",
    "--allow-net",
    "--allow-read",
    "server.ts",
    port,
    "--cert",
    `${dir}/client.crt`,
    "--key",
    `${dir}/server.key`,
  ]);
  assert.equal((await mismatch.exit()).code, 1);
  assert.match(mismatch.stderr.trim(), /^server: private key .*server\.key does not match certificate .*client\.crt$/);
});

Deno.test("--help prints usage to stdout and exits 0", async () => {
  for (const script of ["server.ts", "client.ts"]) {
    const p = new Proc(DENO, ["run", script, "--help"]);
    assert.equal((await p.exit()).code, 0);
    assert.match(dec.decode(p.stdout), /^usage: deno task (server|client)/);
  }
});
