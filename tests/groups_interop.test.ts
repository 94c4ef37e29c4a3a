/**
 * Key exchange groups through the programs: OpenSSL 3.0's s_client and
 * s_server, Python and Node, which have no ML-KEM, and headless Chromium,
 * which has (Deno's rustls, which has it too, is in interop.test.ts, and so
 * are Ed25519 certificates both ways).
 */
import assert from "node:assert/strict";
import { clientArgs, DENO, freePort, Proc, serverArgs, startServer, testCerts, until } from "./helpers.ts";
import { hasChromium } from "./headless_chromium.ts";

const dec = new TextDecoder();
const HRR_STATE = /SSL-STATE: TLS server write hello retry request/;

/** openssl s_client sends a line and closes; returns what it printed (session details). */
async function sClientSends(port: number, ca: string, line: string, ...args: string[]): Promise<Proc> {
  const sClient = new Proc("openssl", ["s_client", "-connect", `127.0.0.1:${port}`, "-CAfile", ca, ...args]);
  await sClient.write(line);
  await sClient.closeStdin();
  return sClient;
}

for (
  const [args, group, tempKey] of [
    [[], "x25519", /Server Temp Key: X25519, 253 bits/],
    [["-groups", "P-384"], "secp384r1", /Server Temp Key: ECDH, secp384r1, 384 bits/],
  ] as const
) {
  Deno.test(`openssl s_client 3.0 (no ML-KEM) ${args.join(" ")} → server.ts: ${group} with no HelloRetryRequest`, async () => {
    const port = freePort();
    const server = await startServer(port, "--state");
    try {
      const sClient = await sClientSends(port, `${await testCerts()}/ca.crt`, `${group}\n`, ...args);
      await until(() => dec.decode(server.stdout) === `${group}\n`, "s_client data at server.ts");
      await sClient.exit();
      assert.match(dec.decode(sClient.stdout), tempKey);
      assert.match(server.stderr, new RegExp(`group ${group}`));
      assert.doesNotMatch(server.stderr, HRR_STATE);
    } finally {
      await server.stop();
    }
  });
}

// Python's ssl and Node's tls (both on OpenSSL 3.0 here) with their default settings.
const STOCK_CLIENTS: Record<string, (port: number, ca: string) => [string, string[]]> = {
  python: (port, ca) => [
    "python3",
    [
      "-c",
      "import socket, ssl, sys\n" +
      "ctx = ssl.create_default_context(cafile=sys.argv[2])\n" +
      "s = ctx.wrap_socket(socket.create_connection(('127.0.0.1', int(sys.argv[1]))), server_hostname='localhost')\n" +
      "s.sendall(b'python\\n'); s.close()",
      String(port),
      ca,
    ],
  ],
  node: (port, ca) => [
    "node",
    [
      "-e",
      "const tls = require('tls'), fs = require('fs');\n" +
      "const s = tls.connect({ host: '127.0.0.1', port: +process.argv[1], servername: 'localhost', " +
      "ca: fs.readFileSync(process.argv[2]) }, () => s.end('node\\n'));",
      String(port),
      ca,
    ],
  ],
};

for (const [name, command] of Object.entries(STOCK_CLIENTS)) {
  Deno.test(`${name} (OpenSSL 3.0, default settings) → server.ts: x25519 with no HelloRetryRequest`, async () => {
    const port = freePort();
    const server = await startServer(port, "--state");
    try {
      const [cmd, args] = command(port, `${await testCerts()}/ca.crt`);
      const client = new Proc(cmd, args, { stdin: "null" });
      assert.equal((await client.exit()).code, 0, client.stderr);
      await until(() => dec.decode(server.stdout) === `${name}\n`, `${name} data at server.ts`);
      assert.match(server.stderr, /handshake complete: TLSv1\.3, cipher \S+, group x25519/);
      assert.doesNotMatch(server.stderr, HRR_STATE);
    } finally {
      await server.stop();
    }
  });
}

const CHROMIUM = await hasChromium();

Deno.test({
  name: "headless Chromium (BoringSSL's ML-KEM) → server.ts: X25519MLKEM768 in one round trip",
  ignore: !CHROMIUM,
  async fn() {
    const port = freePort();
    const server = await startServer(port, "--state");
    try {
      const page = "<html><body>post-quantum</body></html>";
      await server.write(`HTTP/1.1 200 OK\r\nContent-Length: ${page.length}\r\nConnection: close\r\n\r\n${page}`);
      // The key exchange is what is tested here; the certificate is checked by the other clients.
      const profile = await Deno.makeTempDir({ prefix: "chromium-profile-" });
      const chromium = new Proc("chromium", [
        "--headless",
        `--user-data-dir=${profile}`,
        "--no-sandbox",
        "--disable-gpu",
        "--ignore-certificate-errors",
        "--dump-dom",
        `https://localhost:${port}/`,
      ], { stdin: "null" });
      assert.equal((await chromium.exit()).code, 0, chromium.stderr);
      await Deno.remove(profile, { recursive: true });
      assert.match(dec.decode(chromium.stdout), /post-quantum/);
      assert.match(dec.decode(server.stdout), /^GET \/ HTTP\/1\.1\r\n/);
      assert.match(server.stderr, /handshake complete: TLSv1\.3, cipher \S+, group X25519MLKEM768/);
      assert.doesNotMatch(server.stderr, HRR_STATE);
    } finally {
      await server.stop();
    }
  },
});

Deno.test("server.ts --groups X25519MLKEM768 refuses OpenSSL 3.0 with handshake_failure", async () => {
  const port = freePort();
  const server = await startServer(port, "--groups", "X25519MLKEM768");
  try {
    const sClient = await sClientSends(port, `${await testCerts()}/ca.crt`, "none\n");
    const status = await sClient.exit();
    assert.notEqual(status.code, 0);
    assert.match(sClient.stderr, /handshake failure/);
    await server.waitFor(/ended: .*no key exchange group in common/);
    assert.equal(dec.decode(server.stdout), "");
  } finally {
    await server.stop();
  }
});

Deno.test("--groups with an unknown name is one line and exit status 2, on both programs", async () => {
  const port = freePort();
  for (
    const args of [
      await clientArgs(port, "--groups", "X25519:X448"),
      await serverArgs(port, "--quiet", "--groups", "P-521"),
    ]
  ) {
    const p = new Proc(DENO, args, { stdin: "null" });
    const status = await p.exit();
    assert.equal(status.code, 2, p.stderr);
    assert.match(
      p.stderr.trim(),
      /^(client|server): --groups: unknown group '(X448|P-521)' \(choose from [^\n]+\) \(try --help\)$/,
    );
  }
});
