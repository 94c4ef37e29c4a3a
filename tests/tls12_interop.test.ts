/**
 * TLS 1.2 through the programs, against stock peers capped at TLS 1.2 on
 * otherwise default settings: OpenSSL's s_client and s_server (every suite,
 * RSA and ECDSA certificates, every group, mutual TLS, renegotiation, a peer
 * without extended master secret), Python's ssl, curl and Node's tls; and a
 * large transfer hash-checked.
 */

import assert from "node:assert/strict";
import {
  chatWithSClient,
  clientArgs,
  DENO,
  freePort,
  Proc,
  randomBytes,
  serverArgs,
  sha256,
  startOpensslServer,
  startServer,
  testCerts,
  until,
} from "./helpers.ts";
import { testPki } from "./fixtures/tls13/helpers.ts";
import { NodeCryptoProvider } from "../lib/crypto/node_provider.ts";
import { Group } from "../lib/protocol/constants.ts";

const dec = new TextDecoder();

/** server.ts with any certificate and key (reads anywhere under the test directories). */
async function serverWith(cert: string, key: string, ...extra: string[]): Promise<{ server: Proc; port: number }> {
  const port = freePort();
  const server = new Proc(DENO, [
    "run",
    "--allow-net",
    "--allow-read",
    "server.ts",
    String(port),
    "--cert",
    cert,
    "--key",
    key,
    ...extra,
  ]);
  await server.waitFor(/waiting for next connection/);
  return { server, port };
}

function sClient12(port: number, ca: string, ...args: string[]): Proc {
  return new Proc("openssl", [
    "s_client",
    "-connect",
    `127.0.0.1:${port}`,
    "-tls1_2",
    "-CAfile",
    ca,
    "-verify_return_error",
    "-quiet",
    "-no_ign_eof",
    ...args,
  ]);
}

function hasGroup(group: number): boolean {
  try {
    new NodeCryptoProvider().generateKeyShare(group);
    return true;
  } catch {
    return false;
  }
}

Deno.test("openssl s_client -tls1_2: every suite with RSA and ECDSA certificates, every group, data both ways", async () => {
  const pki = await testPki();
  const sweeps = [
    {
      cert: pki.paths.rsaCert,
      key: pki.paths.rsaKey,
      suites: [
        ["ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"],
        ["ECDHE-RSA-AES256-GCM-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"],
        ["ECDHE-RSA-CHACHA20-POLY1305", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"],
      ],
    },
    {
      cert: pki.paths.ecCert,
      key: pki.paths.ecKey,
      suites: [
        ["ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"],
        ["ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"],
        ["ECDHE-ECDSA-CHACHA20-POLY1305", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"],
      ],
    },
  ];
  for (const sweep of sweeps) {
    // RFC 8422 §5.1: in TLS 1.2 the client's groups also bound the ECDSA certificate's curve (P-256 here).
    const ec = sweep.cert === pki.paths.ecCert;
    const groups = [[ec ? "X25519:P-256" : "X25519", "x25519"], ["P-256", "secp256r1"]];
    if (!ec && hasGroup(Group.secp384r1)) groups.push(["P-384", "secp384r1"]);
    const { server, port } = await serverWith(sweep.cert, sweep.key);
    try {
      for (const [openssl, iana] of sweep.suites) {
        for (const [group, name] of groups) {
          const tag = `${openssl} ${group}`;
          const sClient = sClient12(port, pki.paths.ca, "-cipher", openssl, "-groups", group);
          try {
            await chatWithSClient(server, sClient, tag, "TLSv1.2");
          } finally {
            await sClient.stop();
          }
          const line = server.stderr.match(/handshake complete: .*/g)!.at(-1)!;
          assert.match(line, new RegExp(`^handshake complete: TLSv1\\.2, cipher ${iana}, group ${name}`), tag);
        }
      }
    } finally {
      await server.stop();
    }
  }
});

Deno.test("client.ts with no flags talks to openssl s_server -tls1_2 with RSA and ECDSA certificates", async () => {
  const pki = await testPki();
  for (
    const [cert, key, suite] of [[pki.paths.rsaCert, pki.paths.rsaKey, "RSA"], [
      pki.paths.ecCert,
      pki.paths.ecKey,
      "ECDSA",
    ]]
  ) {
    const { proc: sServer, port } = await startOpensslServer(["-tls1_2", "-cert", cert, "-key", key, "-naccept", "1"]);
    const client = new Proc(DENO, [
      "run",
      "--allow-net",
      "--allow-read",
      "client.ts",
      "127.0.0.1",
      String(port),
      "--ca",
      pki.paths.ca,
    ]);
    try {
      await client.write(`${suite} from client.ts\n`);
      await until(() => dec.decode(sServer.stdout).includes(`${suite} from client.ts\n`), "data at s_server");
      await sServer.write(`${suite} from s_server\n`);
      await until(() => dec.decode(client.stdout) === `${suite} from s_server\n`, "data at client.ts");
      assert.match(client.stderr, new RegExp(`handshake complete: TLSv1\\.2, cipher TLS_ECDHE_${suite}_WITH_`));
      await client.closeStdin();
      assert.equal((await client.exit()).code, 0, client.stderr);
    } finally {
      await client.stop();
      await sServer.stop();
    }
  }
});

Deno.test("mutual TLS 1.2 both ways: s_client -cert to server.ts --require-client-cert; client.ts --cert to s_server -Verify", async () => {
  const dir = await testCerts();
  const port = freePort();
  const server = await startServer(port, "--require-client-cert");
  const withCert = sClient12(port, `${dir}/ca.crt`, "-cert", `${dir}/client.crt`, "-key", `${dir}/client.key`);
  try {
    await chatWithSClient(server, withCert, "mtls12", "TLSv1.2");
    assert.match(server.stderr, /handshake complete: TLSv1\.2.*peer subject=CN=ssl-nonblock-deno client/);
    const without = sClient12(port, `${dir}/ca.crt`);
    await server.waitFor(/ended: client did not send a certificate \(alert handshake_failure sent\)/);
    await without.stop();
  } finally {
    await withCert.stop();
    await server.stop();
  }
  const { proc: sServer, port: sPort } = await startOpensslServer([
    "-tls1_2",
    "-cert",
    `${dir}/server.crt`,
    "-key",
    `${dir}/server.key`,
    "-CAfile",
    `${dir}/ca.crt`,
    "-Verify",
    "1",
    "-verify_return_error",
    "-naccept",
    "1",
  ]);
  const client = new Proc(DENO, await clientArgs(sPort, "--cert", `${dir}/client.crt`, "--key", `${dir}/client.key`));
  try {
    await client.write("client certificate over TLS 1.2\n");
    await until(() => dec.decode(sServer.stdout).includes("client certificate over TLS 1.2\n"), "data at s_server");
    assert.match(dec.decode(sServer.stdout), /subject=CN = ssl-nonblock-deno client/);
    await client.closeStdin();
    assert.equal((await client.exit()).code, 0, client.stderr);
  } finally {
    await client.stop();
    await sServer.stop();
  }
});

Deno.test("Python ssl, curl --tls-max 1.2 and Node tls (maxVersion TLSv1.2) exchange data with server.ts over TLS 1.2", async () => {
  const dir = await testCerts();
  const port = freePort();
  const server = await startServer(port);
  try {
    const python = new Proc("python3", [
      "-c",
      `import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
ctx.maximum_version = ssl.TLSVersion.TLSv1_2
with ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))), server_hostname="localhost") as s:
    s.sendall(b"from python\\n")
    print(s.version(), s.cipher()[0], s.recv(100).decode().strip())`,
      String(port),
      `${dir}/ca.crt`,
    ]);
    await server.waitFor(/handshake complete: TLSv1\.2/);
    await server.write("to python\n");
    assert.equal((await python.exit()).code, 0, python.stderr);
    assert.equal(dec.decode(python.stdout), "TLSv1.2 ECDHE-RSA-CHACHA20-POLY1305 to python\n");
    await until(() => dec.decode(server.stdout) === "from python\n", "python's data");
    await server.waitFor(/waiting for next connection/, 15000, 2);

    await server.write("HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhello\n");
    const curl = new Proc("curl", [
      "-sS",
      "--tls-max",
      "1.2",
      "--cacert",
      `${dir}/ca.crt`,
      `https://localhost:${port}/`,
    ]);
    await curl.closeStdin();
    assert.equal((await curl.exit()).code, 0, curl.stderr);
    assert.equal(dec.decode(curl.stdout), "hello\n");
    await server.waitFor(/handshake complete: TLSv1\.2/, 15000, 2);
    await server.waitFor(/waiting for next connection/, 15000, 3);

    const node = new Proc("node", [
      "-e",
      `const tls = require("tls"), fs = require("fs");
const s = tls.connect({ host: "127.0.0.1", port: +process.argv[1], servername: "localhost",
  ca: fs.readFileSync(process.argv[2]), maxVersion: "TLSv1.2" }, () => {
  console.log(s.getProtocol(), s.getCipher().standardName); s.end("from node\\n"); });
s.on("data", () => {}); s.on("error", (e) => { console.error(e.message); process.exit(1); });`,
      String(port),
      `${dir}/ca.crt`,
    ]);
    assert.equal((await node.exit()).code, 0, node.stderr);
    assert.equal(dec.decode(node.stdout), "TLSv1.2 TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256\n");
    await server.waitFor(/handshake complete: TLSv1\.2/, 15000, 3);
    await until(() => dec.decode(server.stdout).endsWith("from node\n"), "node's data");
  } finally {
    await server.stop();
  }
});

Deno.test("RFC 5746 §4.4: s_client -tls1_2's R command gets no_renegotiation; s_server's r gets it from client.ts", async () => {
  const dir = await testCerts();
  const port = freePort();
  const server = await startServer(port, "--state");
  const sClient = new Proc("openssl", [
    "s_client",
    "-connect",
    `127.0.0.1:${port}`,
    "-tls1_2",
    "-CAfile",
    `${dir}/ca.crt`,
  ]);
  try {
    await server.waitFor(/handshake complete: TLSv1\.2/);
    await sClient.write("R\n");
    await server.waitFor(/refused renegotiation \(ClientHello\)/);
    await sClient.exit();
    assert.match(sClient.stderr, /no renegotiation/);
    await server.waitFor(/waiting for next connection/, 15000, 2);
  } finally {
    await sClient.stop();
    await server.stop();
  }
  const { proc: sServer, port: sPort } = await startOpensslServer([
    "-tls1_2",
    "-cert",
    `${dir}/server.crt`,
    "-key",
    `${dir}/server.key`,
    "-naccept",
    "1",
  ]);
  const client = new Proc(DENO, await clientArgs(sPort, "--state"));
  try {
    await client.waitFor(/handshake complete: TLSv1\.2/);
    await sServer.write("r\n");
    await client.waitFor(/refused renegotiation \(HelloRequest\)/);
    await sServer.exit();
    assert.match(dec.decode(sServer.stdout) + sServer.stderr, /no renegotiation/);
  } finally {
    await client.stop();
    await sServer.stop();
  }
});

Deno.test("RFC 7627 §5.3: an OpenSSL client with extended master secret turned off is refused with handshake_failure", async () => {
  const dir = await testCerts();
  const conf = await Deno.makeTempFile({ suffix: ".cnf" });
  await Deno.writeTextFile(
    conf,
    "openssl_conf = init\n[init]\nssl_conf = ssl\n[ssl]\nsystem_default = sys\n[sys]\nOptions = -ExtendedMasterSecret\n",
  );
  const port = freePort();
  const server = await startServer(port);
  try {
    const sClient = new Proc("openssl", [
      "s_client",
      "-connect",
      `127.0.0.1:${port}`,
      "-tls1_2",
      "-CAfile",
      `${dir}/ca.crt`,
    ], {
      env: { OPENSSL_CONF: conf },
    });
    await sClient.closeStdin();
    await sClient.exit();
    assert.match(sClient.stderr, /alert handshake failure/);
    await server.waitFor(
      /client does not support the extended master secret \(RFC 7627\); refusing the handshake \(alert handshake_failure sent\)/,
    );
  } finally {
    await server.stop();
    await Deno.remove(conf);
  }
});

Deno.test("--keylog: the CLIENT_RANDOM line of server.ts equals the one OpenSSL logs for the same TLS 1.2 connection", async () => {
  const dir = await testCerts();
  const logs = await Deno.makeTempDir();
  const port = freePort();
  const server = new Proc(
    DENO,
    [...(await serverArgs(port)), "--keylog", `${logs}/ours.log`].map((a) =>
      a.startsWith("--allow-read=") ? `${a},${logs}` : a
    ).flatMap((a) => (a === "--allow-net" ? [a, `--allow-write=${logs}`] : [a])),
  );
  try {
    await server.waitFor(/waiting for next connection/);
    const sClient = sClient12(port, `${dir}/ca.crt`, "-keylogfile", `${logs}/openssl.log`);
    await chatWithSClient(server, sClient, "secrets", "TLSv1.2"); // (a line starting with k would be s_client's KeyUpdate)
    await server.waitFor(/client closed the connection/);
    const ours = (await Deno.readTextFile(`${logs}/ours.log`)).trim();
    const theirs = (await Deno.readTextFile(`${logs}/openssl.log`)).split("\n").filter((l) =>
      l.startsWith("CLIENT_RANDOM")
    );
    assert.match(ours, /^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$/);
    assert.deepEqual([ours], theirs);
    assert.equal((await Deno.stat(`${logs}/ours.log`)).mode! & 0o777, 0o600);
  } finally {
    await server.stop();
  }
});

Deno.test("256 MiB both ways at once over TLS 1.2, hash-checked", async () => {
  const port = freePort();
  const server = new Proc(DENO, await serverArgs(port), { hashStdout: true });
  await server.waitFor(/waiting for next connection/);
  const client = new Proc(DENO, await clientArgs(port, "--max-version", "TLSv1.2"), { hashStdout: true });
  try {
    const size = 256 << 20;
    const block = randomBytes(4 << 20);
    const expected = sha256(...Array.from({ length: size / block.length }, () => block));
    const feed = async (proc: Proc) => {
      for (let off = 0; off < size; off += block.length) await proc.write(block);
    };
    await Promise.all([feed(client), feed(server)]);
    await until(() => client.stdoutLength >= size && server.stdoutLength >= size, "256 MiB each way", 300000);
    assert.equal(server.stdoutSha256(), expected, "client → server");
    assert.equal(client.stdoutSha256(), expected, "server → client");
    assert.match(server.stderr, /handshake complete: TLSv1\.2/);
    await client.closeStdin();
    assert.equal((await client.exit()).code, 0, client.stderr);
    await server.waitFor(/client closed the connection: 268435456 bytes in, 268435456 bytes out/);
  } finally {
    await client.stop();
    await server.stop();
  }
});
