/**
 * RFC 8446 rules a peer can trigger over the wire, against the real
 * server.ts: a scripted Python client (tests/fixtures/tls13_peer.py) builds
 * its records by hand and reports what the server answered; the server must
 * also say one clear line and keep serving. The client-side rules run
 * client.ts against a server scripted here, byte by byte.
 */

import assert from "node:assert/strict";
import {
  clientArgs,
  DENO,
  freePort,
  pem,
  Proc,
  ROOT,
  servedNext,
  startOpensslServer,
  startServer,
  testCerts,
  until,
} from "./helpers.ts";
import { concat } from "../lib/protocol/bytes.ts";
import { DOWNGRADE_SENTINELS, ExtensionType, HandshakeType, HRR_RANDOM } from "../lib/protocol/constants.ts";
import {
  type ClientHello,
  encodeServerHello,
  encodeU16,
  type Extension,
  findExtension,
  handshakeMessage,
  parseClientHello,
} from "../lib/protocol/messages.ts";
import { messages, records } from "./fixtures/tls13/forge.ts";

interface WireCase {
  /** RFC section and rule, for the test name. */
  rule: string;
  args: string[];
  /** What the peer must see: "handshake ok" or "alert NAME". */
  answer: string;
  /** The server's stderr line for this connection. */
  says?: RegExp;
  /** What the server must print on stdout (the peer's data). */
  stdout?: string;
}

const CASES: WireCase[] = [
  {
    rule: "RFC 8446 §4.1.2, §D.5: legacy_version 0x0300 with TLS 1.3 in supported_versions → protocol_version",
    args: ["hello-version", "0300"],
    answer: "alert protocol_version",
    says: /legacy_version 0x0300.*\(alert protocol_version sent\)/,
  },
  {
    rule: "RFC 8446 §4.1.2: legacy_version 0x0303 gets a ServerHello",
    args: ["hello-version", "0303"],
    answer: "server_hello",
  },
  {
    rule: "RFC 8446 §4.2.3: 32,724 signature_algorithms (the most the extensions block holds), ours last",
    args: ["sigalgs", "32724"],
    answer: "handshake ok",
    stdout: "sigalgs 32724\n",
  },
  {
    rule: "RFC 8446 §4.2.3: 16,360 entries in both signature_algorithms and signature_algorithms_cert",
    args: ["sigalgs-cert", "16360"],
    answer: "handshake ok",
    stdout: "sigalgs-cert 16360\n",
  },
  {
    rule: "RFC 8446 §4.2.10: rejected early data in one record is skipped",
    args: ["early-data", "one"],
    answer: "handshake ok",
    stdout: "early-data one\n",
  },
  {
    rule: "RFC 8446 §4.2.10: rejected early data over several records is skipped",
    args: ["early-data", "split"],
    answer: "handshake ok",
    stdout: "early-data split\n",
  },
  {
    rule: "RFC 8446 §4.2.10: rejected early data interleaved with ChangeCipherSpec is skipped",
    args: ["early-data", "ccs"],
    answer: "handshake ok",
    stdout: "early-data ccs\n",
  },
  {
    rule: "RFC 8446 §4.2.10: early data after a HelloRetryRequest is skipped until the second ClientHello",
    args: ["early-data", "hrr"],
    answer: "handshake ok",
    stdout: "early-data hrr\n",
  },
  {
    rule: "RFC 8446 §4.2.10: early data beyond 16 KiB → bad_record_mac",
    args: ["early-data", "too-much"],
    answer: "alert bad_record_mac",
    says: /record failed authentication \(alert bad_record_mac sent\)/,
  },
  {
    rule: "RFC 8446 §5.1: an empty alert under handshake keys → unexpected_message",
    args: ["empty-alert", "hs"],
    answer: "alert unexpected_message",
    says: /empty alert record \(alert unexpected_message sent\)/,
  },
  {
    rule: "RFC 8446 §5.1: an empty, padded alert under application keys → unexpected_message",
    args: ["empty-alert", "app"],
    answer: "alert unexpected_message",
    says: /empty alert record \(alert unexpected_message sent\)/,
  },
  {
    rule: "RFC 8446 §5.4: TLSInnerPlaintext of 2^14 + 2 bytes → record_overflow",
    args: ["overflow", "inner"],
    answer: "alert record_overflow",
    says: /exceeds 2\^14 \+ 1 \(alert record_overflow sent\)/,
  },
  {
    rule: "RFC 8446 §5.2: TLSCiphertext of 2^14 + 257 bytes → record_overflow",
    args: ["overflow", "ciphertext"],
    answer: "alert record_overflow",
    says: /record of 16641 bytes exceeds 16640 \(alert record_overflow sent\)/,
  },
  {
    rule: "RFC 8446 §6.1: what follows close_notify is ignored: a clean close",
    args: ["after-close"],
    answer: "handshake ok",
    says: /client closed the connection/,
    stdout: "after-close\n",
  },
  {
    rule: "RFC 8446 §5: a plaintext close_notify after the server's flight → unexpected_message",
    args: ["plain-close"],
    answer: "alert unexpected_message",
    says: /plaintext alert close_notify after keys were set \(alert unexpected_message sent\)/,
  },
  {
    rule: "RFC 8446 §4.4.4: a Finished of the right length and value completes the handshake",
    args: ["finished-length", "32"],
    answer: "handshake ok",
    stdout: "finished-length 32\n",
  },
  {
    rule: "RFC 8446 §4.4.4, §6.2: a truncated Finished → decode_error",
    args: ["finished-length", "31"],
    answer: "alert decode_error",
    says: /Finished of 31 bytes.*\(alert decode_error sent\)/,
  },
  {
    rule: "RFC 8446 §4.4.4, §6.2: an oversized Finished → decode_error",
    args: ["finished-length", "16000"],
    answer: "alert decode_error",
    says: /Finished of 16000 bytes.*\(alert decode_error sent\)/,
  },
  {
    rule: "RFC 6066 §3: server_name with two host_name entries → illegal_parameter",
    args: ["two-names"],
    answer: "alert illegal_parameter",
    says: /server_name.*host_name.*\(alert illegal_parameter sent\)/,
  },
];

async function peer(port: number, args: string[]): Promise<string> {
  const p = new Proc("python3", ["-B", `${ROOT}/tests/fixtures/tls13_peer.py`, String(port), ...args], {
    stdin: "null",
  });
  const status = await p.exit(30000);
  const out = new TextDecoder().decode(p.stdout).trim();
  assert.ok(status.success, `peer ${args.join(" ")} failed: ${p.stderr}`);
  return out;
}

Deno.test("scripted TLS 1.3 peer against server.ts: each rule answered with its alert, and the next client served", async (t) => {
  await pem("ca.crt"); // certificates made before the server starts
  const port = freePort();
  const server = await startServer(port, "--handshake-timeout", "5");
  try {
    for (const [i, c] of CASES.entries()) {
      await t.step(c.rule, async () => {
        const before = server.stdout.length;
        const answer = await peer(port, c.args);
        assert.equal(answer, c.answer, `the peer saw "${answer}"`);
        await server.waitFor(/(ended: |client closed the connection)/, 10000, i + 1);
        const line = server.stderr.split("\n").filter((l) => /ended: |client closed the connection/.test(l)).at(-1)!;
        if (c.says) assert.match(line, c.says);
        assert.equal(new TextDecoder().decode(server.stdout.subarray(before)), c.stdout ?? "");
      });
    }
    await servedNext(port, server, "after the scripted peer\n");
    assert.doesNotMatch(server.stderr, /\n\s+at /); // never a stack trace
  } finally {
    await server.stop();
  }
});

// ---- client.ts against a scripted server -----------------------------------

/** Reads from `conn` until the bytes hold a whole first handshake message after any CCS; returns them all. */
async function readHello(conn: Deno.Conn): Promise<Uint8Array> {
  let got: Uint8Array = new Uint8Array(0);
  const buf = new Uint8Array(65536);
  while (true) {
    const hs = concat(...records(got).filter((r) => r[0] === 22 && r.length >= 5).map((r) => r.subarray(5)));
    if (hs.length >= 4 && hs.length >= 4 + ((hs[1] << 16) | (hs[2] << 8) | hs[3])) return got;
    const n = await conn.read(buf);
    if (n === null) throw new Error("client closed before its ClientHello was complete");
    got = concat(got, buf.subarray(0, n));
  }
}

/** Runs client.ts against a one-connection server scripted by `script`; returns the client's exit and stderr. */
async function clientAgainst(script: (conn: Deno.Conn) => Promise<void>): Promise<{ code: number; stderr: string }> {
  const port = freePort();
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  const client = new Proc(DENO, await clientArgs(port, "--handshake-timeout", "5"));
  try {
    const conn = await listener.accept();
    try {
      await script(conn);
    } finally {
      conn.close();
    }
    const status = await client.exit();
    return { code: status.code, stderr: client.stderr };
  } finally {
    listener.close();
    await client.stop();
  }
}

function plainRecord(type: number, body: Uint8Array): Uint8Array {
  return concat(new Uint8Array([type, 3, 3, body.length >> 8, body.length & 0xff]), body);
}

function serverHello(sessionId: Uint8Array, random: Uint8Array, suite: number, exts: Extension[]): Uint8Array {
  const body = encodeServerHello({
    legacyVersion: 0x0303,
    random,
    sessionId,
    cipherSuite: suite,
    compressionMethod: 0,
    extensions: exts,
  });
  return plainRecord(22, handshakeMessage(HandshakeType.server_hello, body));
}

function sessionIdOf(flight: Uint8Array): Uint8Array {
  const hs = concat(...records(flight).filter((r) => r[0] === 22).map((r) => r.subarray(5)));
  return parseClientHello(messages(hs)[0].subarray(4)).sessionId;
}

Deno.test("RFC 8446 §4.2.2: client.ts echoes a HelloRetryRequest cookie from a stateless server", async () => {
  const cookie = new Uint8Array([0, 8, ...new TextEncoder().encode("c00kie!!")]);
  let second: ClientHello | undefined;
  const { code, stderr } = await clientAgainst(async (conn) => {
    const first = await readHello(conn);
    await conn.write(serverHello(sessionIdOf(first), HRR_RANDOM, 0x1301, [
      { type: ExtensionType.supported_versions, data: encodeU16(0x0304) },
      { type: ExtensionType.key_share, data: encodeU16(0x0017) },
      { type: ExtensionType.cookie, data: cookie },
    ]));
    const again = await readHello(conn);
    const hs = concat(...records(again).filter((r) => r[0] === 22).map((r) => r.subarray(5)));
    second = parseClientHello(messages(hs)[0].subarray(4));
  });
  assert.ok(second, "a second ClientHello arrived");
  assert.deepEqual(findExtension(second.extensions, ExtensionType.cookie), cookie);
  assert.equal(code, 1); // the scripted server hangs up after the second hello
  assert.doesNotMatch(stderr, /unsupported_extension/);
});

Deno.test("RFC 8446 §4.1.3: client.ts aborts with illegal_parameter on a TLS 1.2 ServerHello carrying the downgrade sentinel", async () => {
  let reply = new Uint8Array(0);
  const { code, stderr } = await clientAgainst(async (conn) => {
    const first = await readHello(conn);
    const random = concat(new Uint8Array(24).fill(9), DOWNGRADE_SENTINELS[0]);
    await conn.write(serverHello(sessionIdOf(first), random, 0xc02f, []));
    const buf = new Uint8Array(64);
    const n = await conn.read(buf);
    reply = buf.subarray(0, n ?? 0);
  });
  assert.deepEqual([...reply.subarray(0, 7)], [21, 3, 3, 0, 2, 2, 47]);
  assert.equal(code, 1);
  assert.match(stderr, /downgrade sentinel \(alert illegal_parameter sent\)/);
});

Deno.test("RFC 8446 §4.2.10: openssl s_client resuming with early data gets a full handshake from server.ts; the early data is dropped", async () => {
  const dir = await testCerts();
  const tmp = await Deno.makeTempDir({ prefix: "early-data-" });
  try {
    // A session (and ticket) from openssl s_server, under the same name, allowing early data.
    const { proc: origin, port: originPort } = await startOpensslServer([
      "-cert",
      `${dir}/server.crt`,
      "-key",
      `${dir}/server.key`,
      "-early_data",
      "-quiet",
    ]);
    const common = ["-servername", "localhost", "-CAfile", `${dir}/ca.crt`];
    const first = new Proc("openssl", [
      "s_client",
      "-connect",
      `127.0.0.1:${originPort}`,
      "-sess_out",
      `${tmp}/sess.pem`,
      ...common,
    ]);
    await until(() => {
      try {
        return Deno.statSync(`${tmp}/sess.pem`).size > 0;
      } catch {
        return false;
      }
    }, "a session ticket from openssl s_server");
    await first.stop();
    await origin.stop();

    await Deno.writeTextFile(`${tmp}/early.txt`, "EARLY DATA\n");
    const port = freePort();
    const server = await startServer(port);
    try {
      const resuming = new Proc("openssl", [
        "s_client",
        "-connect",
        `127.0.0.1:${port}`,
        "-sess_in",
        `${tmp}/sess.pem`,
        "-early_data",
        `${tmp}/early.txt`,
        ...common,
      ]);
      await server.waitFor(/handshake complete: TLSv1\.3/);
      await resuming.write("after the handshake\n");
      await resuming.closeStdin();
      await resuming.exit();
      const out = new TextDecoder().decode(resuming.stdout);
      assert.match(out, /Early data was rejected/);
      assert.match(out, /New, TLSv1\.3/); // not resumed
      await until(
        () => new TextDecoder().decode(server.stdout) === "after the handshake\n",
        "the 1-RTT data at the server",
      );
      assert.doesNotMatch(server.stderr, /ended: /);
    } finally {
      await server.stop();
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
