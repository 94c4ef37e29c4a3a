/**
 * Faults around a live connection: a peer that vanishes or resets, a
 * stdout that closes, signals, a peer that stops reading, and a server
 * stdin shared by clients that come and go.
 */
import assert from "node:assert/strict";
import { createTls13Engine } from "../lib/engines/tls13/mod.ts";
import {
  clientArgs,
  DENO,
  freePort,
  memoryOf,
  Proc,
  ROOT,
  servedNext,
  serverArgs,
  startServer,
  tlsClient,
  until,
} from "./helpers.ts";

const dec = new TextDecoder();

Deno.test("a client that vanishes without close_notify is reported as truncated, and the next is served", async () => {
  const port = freePort();
  const server = await startServer(port);
  try {
    const { ssl, flush, conn } = await tlsClient(createTls13Engine, port);
    ssl.write(new TextEncoder().encode("partial\n"));
    await flush();
    await until(() => dec.decode(server.stdout) === "partial\n", "the partial data");
    conn.close();
    await server.waitFor(/ended: peer closed the connection without close_notify \(data may be truncated\)/);
    await servedNext(port, server, "next\n");
  } finally {
    await server.stop();
  }
});

Deno.test("a client that resets the connection mid-transfer is reported, and the next is served", async () => {
  const port = freePort();
  const server = await startServer(port);
  try {
    const rst = new Proc("python3", [`${ROOT}/tests/fixtures/rst_client.py`, String(port), "100000"]);
    await rst.exit();
    await server.waitFor(/ended: connection reset by peer/);
    assert.equal(server.stdout.length <= 100000, true);
    await servedNext(port, server, "after reset\n");
  } finally {
    await server.stop();
  }
});

Deno.test("the server exits cleanly with one line when its stdout is closed (EPIPE)", async () => {
  const port = freePort();
  const server = new Proc(DENO, await serverArgs(port), { closeStdout: true });
  try {
    await server.waitFor(/waiting for next connection/);
    const client = new Proc(DENO, await clientArgs(port, "--quiet"));
    await client.write("nobody will read this\n");
    await client.closeStdin();
    const status = await server.exit(15000);
    assert.equal(status.code, 1);
    assert.match(server.stderr, /ended: cannot write output: .*(pipe|Broken)/i);
    assert.doesNotMatch(server.stderr, /\n\s+at /);
    await client.exit();
  } finally {
    await server.stop();
  }
});

Deno.test("SIGTERM to the server sends close_notify: the client ends cleanly, the server exits 143", async () => {
  const port = freePort();
  const server = await startServer(port);
  const client = new Proc(DENO, await clientArgs(port));
  try {
    await client.waitFor(/handshake complete/);
    await server.write("before the signal\n");
    await until(() => dec.decode(client.stdout) === "before the signal\n", "data before the signal");
    server.child.kill("SIGTERM");
    assert.equal((await server.exit()).code, 143);
    assert.equal((await client.exit()).code, 0, client.stderr);
    assert.match(client.stderr, /server closed the connection/);
  } finally {
    await client.stop();
    await server.stop();
  }
});

Deno.test("SIGINT to the client sends close_notify: the server sees a clean close, the client exits 130", async () => {
  const port = freePort();
  const server = await startServer(port);
  const client = new Proc(DENO, await clientArgs(port));
  try {
    await client.waitFor(/handshake complete/);
    client.child.kill("SIGINT");
    assert.equal((await client.exit()).code, 130);
    await server.waitFor(/client closed the connection/);
  } finally {
    await client.stop();
    await server.stop();
  }
});

Deno.test("a client that stops reading holds the server back: memory stays bounded", async () => {
  const port = freePort();
  const server = await startServer(port);
  try {
    const { conn } = await tlsClient(createTls13Engine, port);
    let written = 0;
    const chunk = new Uint8Array(1 << 20);
    const writer = (async () => {
      for (let i = 0; i < 256; i++) {
        await server.write(chunk);
        written++;
      }
    })().catch(() => {}); // the writes fail once the server is stopped
    await new Promise((r) => setTimeout(r, 4000));
    const mem = await memoryOf(server.child.pid);
    // The pipe and socket buffers hold a few MiB; the server must not have swallowed 256 MiB.
    assert.ok(written < 64, `server took ${written} MiB from stdin while its peer read nothing`);
    assert.ok(mem.rss < 200, `server RSS ${mem.rss.toFixed(0)} MiB`);
    conn.close();
    await server.stop();
    await writer;
  } finally {
    await server.stop();
  }
});

Deno.test("server stdin shared by clients that come and go: every byte once, in order, except what a failed client had in flight", async () => {
  const port = freePort();
  const server = await startServer(port);
  const lines = (from: number, to: number) =>
    Array.from({ length: to - from }, (_, i) => `line ${from + i}\n`).join("");
  const numbers = (text: string) => text.split("\n").filter(Boolean).map((l) => Number(l.slice(5)));
  try {
    // A: served cleanly.
    const a = new Proc(DENO, await clientArgs(port, "--quiet"));
    await server.write(lines(0, 100));
    await until(() => dec.decode(a.stdout) === lines(0, 100), "A's lines");
    await a.closeStdin();
    assert.equal((await a.exit()).code, 0);

    // B: reads some, then drops the connection without close_notify.
    await server.write(lines(100, 200));
    const b = await tlsClient(createTls13Engine, port);
    let bText = "";
    while (!bText.includes("line 150\n")) {
      assert.ok(await b.pull(), "server closed B early");
      for (let d = b.ssl.read(); d.length > 0; d = b.ssl.read()) bText += dec.decode(d);
    }
    b.conn.close();
    await server.waitFor(/ended: /);

    // C: gets what follows — including a stdin read that was pending when B died.
    await new Promise((r) => setTimeout(r, 300));
    await server.write(lines(200, 300));
    const c = new Proc(DENO, await clientArgs(port, "--quiet"));
    await until(() => dec.decode(c.stdout).endsWith("line 299\n"), "C's lines");
    await c.closeStdin();
    assert.equal((await c.exit()).code, 0);

    const got = [...numbers(dec.decode(a.stdout)), ...numbers(bText), ...numbers(dec.decode(c.stdout))];
    for (let i = 1; i < got.length; i++) assert.ok(got[i] > got[i - 1], `out of order or duplicated at ${got[i]}`);
    assert.deepEqual(numbers(dec.decode(a.stdout)), [...Array(100).keys()]);
    assert.deepEqual(numbers(dec.decode(c.stdout)), Array.from({ length: 100 }, (_, i) => 200 + i));
  } finally {
    await server.stop();
  }
});
