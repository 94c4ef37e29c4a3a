/**
 * Hostile peers and bad bytes against the real server.ts: each case gets
 * the right alert (where one can be sent), one line on stderr, and the next
 * well-behaved client is served with its data intact.
 */
import assert from "node:assert/strict";
import { createForgeEngine } from "../lib/engines/forge/forge_engine.ts";
import { tls13EngineFactory } from "../lib/engines/tls13/mod.ts";
import { tls12EngineFactory } from "../lib/engines/tls12/mod.ts";
import type { EngineFactory } from "../lib/ssl/engine.ts";
import { Ssl } from "../lib/ssl/ssl.ts";
import { freePort, pem, servedNext, startServer, tlsClient } from "./helpers.ts";

const bytes = (...b: number[]) => new Uint8Array(b);

async function clientHello(engine: EngineFactory = createForgeEngine): Promise<Uint8Array> {
  const ssl = new Ssl(engine, {
    role: "client",
    serverName: "localhost",
    caCertificates: [await pem("ca.crt")],
  });
  ssl.handshake();
  return ssl.wbio.read();
}

interface HostileCase {
  name: string;
  send: (engine: EngineFactory) => Promise<Uint8Array[]> | Uint8Array[];
  /** Half-close after sending (a truncated stream). */
  eof?: boolean;
  /** What the server must say about the connection (per engine when they word it differently). */
  says: RegExp | { tls13: RegExp; forge: RegExp };
  /** The first alert the server must answer with, if any (per engine when they differ). */
  alert?: number | { tls13?: number; forge?: number };
}

const ENGINES = [
  { name: "tls13", args: [] as string[], client: tls13EngineFactory({ sendEmptyRecords: true }) },
  // A TLS 1.2 client is routed to the TLS 1.2 engine by the default server; refusals before that are the router's.
  { name: "tls12", says: "tls13", args: [] as string[], client: tls12EngineFactory({ sendEmptyRecords: true }) },
  { name: "forge", args: ["--engine", "forge"], client: createForgeEngine },
] as const;

const CASES: HostileCase[] = [
  {
    name: "plain HTTP instead of TLS",
    send: () => [new TextEncoder().encode("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")],
    says: /not a TLS record \(they begin "GET \/", plain HTTP\?\) \(alert unexpected_message sent\)/,
    alert: 10,
  },
  {
    name: "random garbage",
    send: () => [crypto.getRandomValues(new Uint8Array(512)).map((b) => b | 0x80)],
    says: /not a TLS record/,
    alert: 10,
  },
  {
    name: "a record header with a huge length",
    send: () => [bytes(0x16, 3, 1, 0xff, 0xff), new Uint8Array(64)],
    says: /record of 65535 bytes exceeds the TLS maximum of 18432 \(alert record_overflow sent\)/,
    alert: 22,
  },
  {
    name: "a record just over 2^14 + 2048",
    send: () => [bytes(0x16, 3, 1, 0x48, 0x01)],
    says: /record of 18433 bytes exceeds/,
    alert: 22,
  },
  {
    name: "a truncated record followed by EOF",
    send: () => [bytes(0x16, 3, 1, 0, 0x50, 1, 2, 3)],
    eof: true,
    says: /peer closed the connection during the handshake/,
  },
  {
    name: "a valid ClientHello followed by garbage",
    send: async (engine) => [await clientHello(engine), new Uint8Array(40).fill(0x41)],
    says: /not a TLS record \(they begin "AAAAA"|unexpected record content type 65/,
  },
  {
    name: "a TLS 1.0/1.1-only ClientHello",
    send: async () => [await clientHello()],
    says: {
      tls13: /client offers no version in TLSv1\.2 to TLSv1\.3 .*\(alert protocol_version sent\)/,
      forge: /ended: .*(eof|without close_notify|during the handshake)/i,
    },
    alert: { tls13: 70 },
    eof: true,
  },
  {
    name: "an unexpected handshake message (ServerHello sent to the server)",
    send: () => [bytes(0x16, 3, 1, 0, 8, 2, 0, 0, 4, 3, 1, 0, 0)],
    says: /(Unexpected message|unexpected handshake message).*\(alert unexpected_message sent\)/,
    alert: 10,
  },
  {
    name: "a handshake message announcing 1 MiB",
    send: () => [bytes(0x16, 3, 1, 0x40, 0x00, 11, 0x10, 0, 0), new Uint8Array(0x4000 - 4)],
    says:
      /handshake message of 1048576 bytes exceeds (the limit of )?65536 \(alert (handshake_failure|decode_error) sent\)/,
    alert: 40,
  },
  {
    name: "ChangeCipherSpec before anything else",
    send: () => [bytes(0x14, 3, 1, 0, 1, 1)],
    says: /alert unexpected_message sent/,
    alert: 10,
  },
  {
    name: "a fatal alert instead of a ClientHello",
    send: () => [bytes(0x15, 3, 1, 0, 2, 2, 40)],
    says: /peer sent alert handshake_failure$/,
  },
  {
    name: "an alert of an unknown kind",
    send: () => [bytes(0x15, 3, 1, 0, 2, 1, 0xfe)],
    says: /peer sent alert unknown_alert\(254\)/,
  },
  {
    name: "close_notify before the handshake",
    send: () => [bytes(0x15, 3, 1, 0, 2, 1, 0)],
    says: /peer sent close_notify during the handshake/,
  },
];

async function sendHostile(port: number, c: HostileCase, engine: EngineFactory): Promise<Uint8Array> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    for (const part of await c.send(engine)) await conn.write(part).catch(() => {});
    if (c.eof) await conn.closeWrite();
    const reply: number[] = [];
    const buf = new Uint8Array(4096);
    const timer = setTimeout(() => conn.close(), 5000); // the server must hang up by itself
    try {
      for (let n = await conn.read(buf).catch(() => null); n !== null; n = await conn.read(buf).catch(() => null)) {
        reply.push(...buf.subarray(0, n));
      }
    } finally {
      clearTimeout(timer);
    }
    return new Uint8Array(reply);
  } finally {
    try {
      conn.close();
    } catch { /* closed by the timer */ }
  }
}

for (const engine of ENGINES) {
  Deno.test(`${engine.name}: the server answers every hostile case with one line and keeps serving`, async () => {
    const port = freePort();
    const server = await startServer(port, "--handshake-timeout", "3", ...engine.args);
    try {
      for (const [i, c] of CASES.entries()) {
        const reply = await sendHostile(port, c, engine.client);
        await server.waitFor(/ended: /, 10000, i + 1);
        const line = server.stderr.split("\n").filter((l) => l.includes("ended: ")).at(-1)!;
        const like = "says" in engine ? engine.says : engine.name;
        const says = c.says instanceof RegExp ? c.says : c.says[like];
        assert.match(line, says, `${c.name}: ${line}`);
        const alert = typeof c.alert === "object" ? c.alert[like] : c.alert;
        if (alert !== undefined) {
          // An alert record: content type 21, level fatal, then the description.
          assert.deepEqual([reply[0], reply[5], reply[6]], [21, 2, alert], `${c.name}: ${reply.slice(0, 8)}`);
        }
        await servedNext(port, server, `after case ${i}\n`, ...engine.args);
      }
      assert.doesNotMatch(server.stderr, /\n\s+at /); // never a stack trace
    } finally {
      await server.stop();
    }
  });

  Deno.test(`${engine.name}: a flood of empty records is cut off`, async () => {
    const port = freePort();
    const server = await startServer(port, ...engine.args);
    try {
      const { ssl, flush, conn } = await tlsClient(engine.client, port);
      for (let i = 0; i < 200; i++) ssl.write(new Uint8Array(0));
      await flush().catch(() => {});
      await server.waitFor(/ended: .*empty.*\(alert unexpected_message sent\)/);
      conn.close();
      await servedNext(port, server, "after the flood\n", ...engine.args);
    } finally {
      await server.stop();
    }
  });
}
