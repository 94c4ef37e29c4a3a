/**
 * server.ts and client.ts (TLS 1.3 by default) against stock peers on their
 * default settings: OpenSSL 3's s_client and s_server, Deno's own TLS
 * (rustls) and curl. Then a sweep of suites, groups, signature schemes,
 * certificate types, mutual TLS and KeyUpdate with s_client, the negative
 * cases, and 256 MiB both ways.
 */
import assert from "node:assert/strict";
import {
  chatWithSClient,
  clientArgs,
  clientArgsIn,
  DENO,
  freePort,
  opensslTls1Client,
  pem,
  Proc,
  randomBytes,
  servedNext,
  serverArgs,
  sha256,
  startOpensslServer,
  startServer,
  startServerIn,
  testCerts,
  until,
} from "./helpers.ts";
import { testPki } from "./fixtures/tls13/helpers.ts";
import { issueCertificate } from "../lib/pki/certgen.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

Deno.test("the seed's own command, openssl s_client -msg -debug -state -showcerts, chats both ways over TLS 1.3", async () => {
  const port = freePort();
  const server = await startServer(port);
  const sClient = new Proc("openssl", [
    "s_client",
    "-connect",
    `127.0.0.1:${port}`,
    "-msg",
    "-debug",
    "-state",
    "-showcerts",
  ]);
  try {
    await chatWithSClient(server, sClient, "seed");
    const out = dec.decode(sClient.stdout);
    assert.match(out, /New, TLSv1\.3, Cipher is TLS_(AES_128_GCM_SHA256|AES_256_GCM_SHA384|CHACHA20_POLY1305_SHA256)/);
    assert.match(out, /BEGIN CERTIFICATE/);
    await server.waitFor(/client closed the connection/);
  } finally {
    await sClient.stop();
    await server.stop();
  }
});

// OpenSSL 3.0 has no ML-KEM: it takes the x25519 share our client sends beside the hybrid one, with no retry.
for (const [groups, group] of [[[], "x25519"], [["--groups", "P-384"], "secp384r1"]] as const) {
  Deno.test(`client.ts ${groups.join(" ")} talks to openssl s_server started with no TLS flags: ${group}, no retry`, async () => {
    const dir = await testCerts();
    const { proc: sServer, port } = await startOpensslServer([
      "-cert",
      `${dir}/server.crt`,
      "-key",
      `${dir}/server.key`,
      "-naccept",
      "1",
      "-quiet",
    ]);
    let client: Proc | undefined;
    try {
      client = new Proc(DENO, await clientArgs(port, "--state", ...groups));
      await client.waitFor(new RegExp(`handshake complete: TLSv1\\.3, cipher TLS_\\S+, group ${group}`));
      assert.doesNotMatch(client.stderr, /hello retry request/);
      await client.write("from client.ts\n");
      await sServer.write("from s_server\n");
      await until(() => dec.decode(sServer.stdout) === "from client.ts\n", "client data at s_server");
      await until(() => dec.decode(client!.stdout) === "from s_server\n", "s_server data at client.ts");
      await client.closeStdin();
      assert.equal((await client.exit()).code, 0, client.stderr);
    } finally {
      await client?.stop();
      await sServer.stop();
    }
  });
}

Deno.test("Deno.connectTls (rustls, default settings) talks to server.ts: X25519MLKEM768 via HelloRetryRequest", async () => {
  const port = freePort();
  const server = await startServer(port, "--state");
  try {
    const conn = await Deno.connectTls({ hostname: "127.0.0.1", port, caCerts: [await pem("ca.crt")] });
    const hs = await conn.handshake();
    assert.equal(typeof hs, "object");
    await conn.write(enc.encode("from rustls\n"));
    await server.write("from server.ts\n");
    const buf = new Uint8Array(100);
    const n = await conn.read(buf);
    assert.equal(dec.decode(buf.subarray(0, n!)), "from server.ts\n");
    await until(() => dec.decode(server.stdout) === "from rustls\n", "rustls data at server.ts");
    conn.close();
    await server.waitFor(/ended: |client closed the connection/);
    // rustls lists X25519MLKEM768 but sends an x25519 share only: one retry buys the hybrid.
    assert.match(server.stderr, /SSL-STATE: TLS server write hello retry request/);
    assert.match(server.stderr, /handshake complete: TLSv1\.3, cipher \S+, group X25519MLKEM768/);
  } finally {
    await server.stop();
  }
});

Deno.test("client.ts talks to Deno.listenTls (rustls): X25519MLKEM768 in one round trip", async () => {
  const port = freePort();
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port,
    cert: await pem("server.crt"),
    key: await pem("server.key"),
  });
  const client = new Proc(DENO, await clientArgs(port, "--state"));
  try {
    const conn = await listener.accept();
    await client.write("from client.ts\n");
    const buf = new Uint8Array(100);
    const n = await conn.read(buf);
    assert.equal(dec.decode(buf.subarray(0, n!)), "from client.ts\n");
    await conn.write(enc.encode("from rustls\n"));
    await until(() => dec.decode(client.stdout) === "from rustls\n", "rustls data at client.ts");
    await client.closeStdin();
    // rustls answers our close_notify with its own when the connection is closed.
    await conn.read(buf).catch(() => null);
    conn.close();
    const status = await client.exit();
    assert.match(client.stderr, /handshake complete: TLSv1\.3, cipher \S+, group X25519MLKEM768/);
    assert.doesNotMatch(client.stderr, /hello retry request/);
    assert.ok(status.code === 0 || /without close_notify/.test(client.stderr), client.stderr);
  } finally {
    listener.close();
    await client.stop();
  }
});

Deno.test("curl --cacert completes a handshake with server.ts and gets a reply", async () => {
  const port = freePort();
  const server = await startServer(port);
  try {
    await server.write("HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhello\n");
    const curl = new Proc("curl", ["-sS", "--cacert", `${await testCerts()}/ca.crt`, `https://localhost:${port}/`]);
    await curl.closeStdin();
    const status = await curl.exit();
    assert.equal(status.code, 0, curl.stderr);
    assert.equal(dec.decode(curl.stdout), "hello\n");
    await until(() => /^GET \/ HTTP\/1\.1\r\n/.test(dec.decode(server.stdout)), "curl's request at server.ts");
  } finally {
    await server.stop();
  }
});

Deno.test("s_client sweep: cipher suites, groups (incl. HelloRetryRequest), signature schemes, RSA and ECDSA", async () => {
  const pki = await testPki();
  const rsa = await testCerts();
  const runs: { tag: string; cert: string; key: string; ca: string; args: string[]; expect: RegExp }[] = [];
  for (const suite of ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"]) {
    runs.push({
      tag: suite,
      cert: `${rsa}/server.crt`,
      key: `${rsa}/server.key`,
      ca: `${rsa}/ca.crt`,
      args: ["-ciphersuites", suite],
      expect: new RegExp(`cipher ${suite}`),
    });
  }
  for (const [groups, name] of [["X25519", "x25519"], ["P-256", "secp256r1"], ["X448:P-256", "secp256r1"]]) {
    runs.push({
      tag: `groups ${groups}`,
      cert: `${rsa}/server.crt`,
      key: `${rsa}/server.key`,
      ca: `${rsa}/ca.crt`,
      args: ["-groups", groups],
      expect: new RegExp(`group ${name}`),
    });
  }
  for (const scheme of ["rsa_pss_rsae_sha256", "rsa_pss_rsae_sha384", "rsa_pss_rsae_sha512"]) {
    runs.push({
      tag: scheme,
      cert: `${rsa}/server.crt`,
      key: `${rsa}/server.key`,
      ca: `${rsa}/ca.crt`,
      args: ["-sigalgs", scheme],
      expect: /TLSv1\.3/,
    });
  }
  runs.push({
    tag: "ecdsa_secp256r1_sha256",
    cert: pki.paths.ecCert,
    key: pki.paths.ecKey,
    ca: pki.paths.ca,
    args: ["-sigalgs", "ecdsa_secp256r1_sha256"],
    expect: /TLSv1\.3/,
  });
  for (const run of runs) {
    const port = freePort();
    const server = new Proc(DENO, [
      "run",
      "--allow-net",
      "--allow-read",
      "server.ts",
      String(port),
      "--cert",
      run.cert,
      "--key",
      run.key,
    ]);
    await server.waitFor(/waiting for next connection/);
    const sClient = new Proc("openssl", [
      "s_client",
      "-connect",
      `127.0.0.1:${port}`,
      "-CAfile",
      run.ca,
      "-verify_return_error",
      "-quiet",
      "-no_ign_eof",
      ...run.args,
    ]);
    try {
      await chatWithSClient(server, sClient, run.tag);
      assert.match(server.stderr, run.expect, run.tag);
    } finally {
      await sClient.stop();
      await server.stop();
    }
  }
});

Deno.test("HelloRetryRequest shows in the server's state trace when s_client leads with a group we lack", async () => {
  const port = freePort();
  const server = await startServer(port, "--state");
  const sClient = new Proc("openssl", [
    "s_client",
    "-connect",
    `127.0.0.1:${port}`,
    "-CAfile",
    `${await testCerts()}/ca.crt`,
    "-quiet",
    "-no_ign_eof",
    "-groups",
    "X448:X25519",
  ]);
  try {
    await chatWithSClient(server, sClient, "hrr");
    assert.match(server.stderr, /SSL-STATE: TLS server write hello retry request/);
    assert.match(server.stderr, /group x25519/);
  } finally {
    await sClient.stop();
    await server.stop();
  }
});

for (const keyType of ["rsa", "ed25519"] as const) {
  Deno.test(`mutual TLS, ${keyType}: s_client presents a certificate to server.ts --require-client-cert, and one without is refused`, async () => {
    const dir = await testCerts(keyType);
    const port = freePort();
    const server = await startServerIn(dir, port, "--require-client-cert");
    const base = ["s_client", "-connect", `127.0.0.1:${port}`, "-CAfile", `${dir}/ca.crt`, "-quiet", "-no_ign_eof"];
    const withCert = new Proc("openssl", [...base, "-cert", `${dir}/client.crt`, "-key", `${dir}/client.key`]);
    try {
      await chatWithSClient(server, withCert, "mtls");
      assert.match(server.stderr, /peer subject=CN=ssl-nonblock-deno client/);
      // RFC 8446 §4.4.3: each side signed its CertificateVerify with its Ed25519 key.
      if (keyType === "ed25519") assert.match(server.stderr, /peer signature ed25519, /);
      const without = new Proc("openssl", base);
      await without.write("should not arrive\n");
      await server.waitFor(/ended: .*certificate_required/, 15000);
      await without.stop();
      assert.doesNotMatch(dec.decode(server.stdout), /should not arrive/);
    } finally {
      await withCert.stop();
      await server.stop();
    }
  });

  Deno.test(`mutual TLS, ${keyType}: client.ts presents its certificate to openssl s_server -Verify`, async () => {
    const dir = await testCerts(keyType);
    const { proc: sServer, port } = await startOpensslServer([
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
    let client: Proc | undefined;
    try {
      client = new Proc(DENO, clientArgsIn(dir, port, "--cert", `${dir}/client.crt`, "--key", `${dir}/client.key`));
      await client.write("with a client certificate\n");
      await until(() => dec.decode(sServer.stdout).includes("with a client certificate\n"), "data at s_server");
      assert.match(dec.decode(sServer.stdout), /subject=CN = ssl-nonblock-deno client/);
      await client.closeStdin();
      assert.equal((await client.exit()).code, 0, client.stderr);
      if (keyType === "ed25519") assert.match(client.stderr, /peer signature ed25519, /);
    } finally {
      await client?.stop();
      await sServer.stop();
    }
  });
}

Deno.test("KeyUpdate: s_client's K and k commands mid-transfer, data keeps flowing both ways", async () => {
  const port = freePort();
  const server = await startServer(port, "--state");
  const sClient = new Proc("openssl", [
    "s_client",
    "-connect",
    `127.0.0.1:${port}`,
    "-CAfile",
    `${await testCerts()}/ca.crt`,
  ]);
  try {
    await server.waitFor(/handshake complete: TLSv1\.3/);
    for (const [i, command] of ["K", "k", "K"].entries()) {
      // s_client reads a command only at the start of a read and drops the rest of that read: pace the lines.
      const pause = () => new Promise((r) => setTimeout(r, 300));
      await sClient.write(`before ${i}\n`);
      await pause();
      await sClient.write(`${command}\n`); // K: update and request ours; k: update only
      await pause();
      await sClient.write(`after ${i}\n`);
      await server.write(`reply ${i}\n`);
      await until(() => dec.decode(server.stdout).includes(`after ${i}\n`), `data after KeyUpdate ${i}`);
      await until(() => dec.decode(sClient.stdout).includes(`reply ${i}\n`), `reply after KeyUpdate ${i}`);
    }
    await server.waitFor(/read keys updated/, 5000, 3);
    await server.waitFor(/write keys updated/, 5000, 2); // only K asks us to update
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((server.stderr.match(/write keys updated/g) ?? []).length, 2);
    assert.match(sClient.stderr, /KEYUPDATE/);
  } finally {
    await sClient.stop();
    await server.stop();
  }
});

Deno.test("negative: unknown CA, wrong host name, expired, not yet valid, CA as leaf, wrong key usage: refused, saying which", async () => {
  const dir = await testCerts();
  const pki = await testPki();
  const port = freePort();
  const server = await startServer(port);
  try {
    const cases: [string[], RegExp][] = [
      [["--ca", pki.paths.ca], /not signed by a trusted CA/],
      [["--servername", "example.com"], /not valid for host name example\.com/],
    ];
    for (const [extra, why] of cases) {
      const client = new Proc(DENO, [
        "run",
        "--allow-net",
        "--allow-read",
        "client.ts",
        "127.0.0.1",
        String(port),
        "--ca",
        `${dir}/ca.crt`,
        ...extra,
      ]);
      await client.closeStdin();
      assert.equal((await client.exit()).code, 1, client.stderr);
      assert.match(client.stderr, why);
    }
    // Bad server certificates under a CA of their own: each refused by client.ts with a message that says why.
    const badCa = issueCertificate({ commonName: "Bad Certs CA", isCA: true, keyUsage: ["keyCertSign"] });
    const leaf = {
      commonName: "localhost",
      issuer: badCa,
      dnsNames: ["localhost"],
      ipAddresses: ["127.0.0.1"],
      keyUsage: ["digitalSignature", "keyEncipherment"],
      extKeyUsage: ["serverAuth" as const],
    };
    const day = 86400_000;
    const bad: [string, ReturnType<typeof issueCertificate>, RegExp, RegExp][] = [
      [
        "expired",
        issueCertificate({ ...leaf, notBefore: new Date(Date.now() - 10 * day), notAfter: new Date(Date.now() - day) }),
        /certificate has expired/,
        /certificate_expired/,
      ],
      [
        "not yet valid",
        issueCertificate({ ...leaf, notBefore: new Date(Date.now() + day), notAfter: new Date(Date.now() + 9 * day) }),
        /certificate is not yet valid/,
        /certificate_expired/, // "has expired or is not currently valid" (RFC 8446 §6.2)
      ],
      [
        "CA as leaf",
        issueCertificate({ ...leaf, isCA: true }),
        /is a CA certificate, not an end-entity/,
        /bad_certificate/,
      ],
      [
        "wrong key usage",
        issueCertificate({ ...leaf, extKeyUsage: ["clientAuth"] }),
        /extended key usage does not include serverAuth/,
        /unsupported_certificate/,
      ],
    ];
    const tmp = await Deno.makeTempDir();
    await Deno.writeTextFile(`${tmp}/ca.crt`, badCa.certPem);
    for (const [name, cert, clientSays, serverSays] of bad) {
      await Deno.writeTextFile(`${tmp}/leaf.crt`, cert.certPem);
      await Deno.writeTextFile(`${tmp}/leaf.key`, cert.keyPem);
      const port2 = freePort();
      const badServer = new Proc(DENO, [
        "run",
        "--allow-net",
        "--allow-read",
        "server.ts",
        String(port2),
        "--cert",
        `${tmp}/leaf.crt`,
        "--key",
        `${tmp}/leaf.key`,
      ]);
      try {
        await badServer.waitFor(/waiting for next connection/);
        const client = new Proc(DENO, [
          "run",
          "--allow-net",
          "--allow-read",
          "client.ts",
          "127.0.0.1",
          String(port2),
          "--ca",
          `${tmp}/ca.crt`,
        ]);
        await client.closeStdin();
        assert.equal((await client.exit()).code, 1, `${name}: ${client.stderr}`);
        assert.match(client.stderr, clientSays, name);
        await badServer.waitFor(/ended: peer sent alert/);
        assert.match(badServer.stderr, serverSays, name);
      } finally {
        await badServer.stop();
      }
    }
    await server.waitFor(/ended: /);
    await servedNext(port, server, "still serving\n");
  } finally {
    await server.stop();
  }
});

Deno.test("negative: a TLS 1.1-only client gets protocol_version, a TLS 1.2-only one is served; with --min-version TLSv1 a TLS 1.0 client is served by forge", async () => {
  const port = freePort();
  const server = await startServer(port);
  try {
    const old = new Proc("openssl", [
      "s_client",
      "-connect",
      `127.0.0.1:${port}`,
      "-tls1_1",
      "-cipher",
      "DEFAULT@SECLEVEL=0",
      "-quiet",
    ]);
    await old.closeStdin();
    await old.exit();
    assert.match(old.stderr, /protocol version/i);
    await server.waitFor(/client offers no version in TLSv1\.2 to TLSv1\.3 .*\(alert protocol_version sent\)/);
    await servedNext(port, server, "over TLS 1.2\n", "--max-version", "TLSv1.2");
    await server.waitFor(/handshake complete: TLSv1\.2, /);
  } finally {
    await server.stop();
  }
  const port2 = freePort();
  const legacy = await startServer(port2, "--min-version", "TLSv1");
  const sClient = opensslTls1Client(port2);
  try {
    await legacy.waitFor(/handshake complete: TLSv1, cipher TLS_RSA_WITH_AES_/);
    await sClient.write("legacy\n");
    await until(() => dec.decode(legacy.stdout) === "legacy\n", "legacy data");
  } finally {
    await sClient.stop();
    await legacy.stop();
  }
});

Deno.test("negative: a flipped bit in a record gives bad_record_mac and a clean close; the next client is served", async () => {
  const port = freePort();
  const server = await startServer(port);
  const proxyPort = freePort();
  const inboundListener = Deno.listen({ hostname: "127.0.0.1", port: proxyPort });
  const conns: Deno.Conn[] = [];
  const mitm = (async () => {
    const inbound = await inboundListener.accept();
    const outbound = await Deno.connect({ hostname: "127.0.0.1", port });
    conns.push(inbound, outbound);
    // Walk the client's records across chunk boundaries; flip one bit in the body of
    // its second application_data record (the first is its encrypted Finished).
    let header: number[] = [];
    let bodyLeft = 0;
    let appRecords = 0;
    let flipAt = -1; // offset into the current body to flip, or -1
    const flipper = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, ctl) {
        for (let i = 0; i < chunk.length;) {
          if (bodyLeft === 0) {
            header.push(chunk[i++]);
            if (header.length === 5) {
              bodyLeft = (header[3] << 8) | header[4];
              flipAt = header[0] === 23 && ++appRecords === 2 ? 2 : -1;
              header = [];
            }
            continue;
          }
          const take = Math.min(bodyLeft, chunk.length - i);
          if (flipAt >= 0 && flipAt < take) chunk[i + flipAt] ^= 0x01;
          flipAt -= take;
          bodyLeft -= take;
          i += take;
        }
        ctl.enqueue(chunk);
      },
    });
    await Promise.all([
      inbound.readable.pipeThrough(flipper).pipeTo(outbound.writable).catch(() => {}),
      outbound.readable.pipeTo(inbound.writable).catch(() => {}),
    ]);
  })();
  try {
    const client = new Proc(DENO, await clientArgs(proxyPort));
    await client.waitFor(/handshake complete/);
    await new Promise((r) => setTimeout(r, 200));
    await client.write("this record is tampered with\n");
    await server.waitFor(/ended: .*bad_record_mac/);
    await client.exit();
    assert.equal(dec.decode(server.stdout), "");
    await servedNext(port, server, "intact\n");
  } finally {
    inboundListener.close();
    for (const c of conns) {
      try {
        c.close();
      } catch { /* already closed */ }
    }
    await mitm.catch(() => {});
    await server.stop();
  }
});

Deno.test("1 GiB both ways at once through the pump, hash-checked", async () => {
  const port = freePort();
  const server = new Proc(DENO, await serverArgs(port), { hashStdout: true });
  await server.waitFor(/waiting for next connection/);
  const client = new Proc(DENO, await clientArgs(port), { hashStdout: true });
  try {
    const size = 1 << 30;
    const block = randomBytes(4 << 20);
    const expected = sha256(...Array.from({ length: size / block.length }, () => block));
    const feed = async (proc: Proc) => {
      for (let off = 0; off < size; off += block.length) await proc.write(block);
    };
    const began = performance.now();
    await Promise.all([feed(client), feed(server)]);
    await until(() => client.stdoutLength >= size && server.stdoutLength >= size, "1 GiB each way", 600000);
    const seconds = (performance.now() - began) / 1000;
    console.log(`1 GiB each way, both at once: ${seconds.toFixed(1)} s, ${(2 * size / 1e6 / seconds).toFixed(1)} MB/s`);
    assert.equal(server.stdoutSha256(), expected, "client → server");
    assert.equal(client.stdoutSha256(), expected, "server → client");
    await client.closeStdin();
    assert.equal((await client.exit()).code, 0, client.stderr);
    await server.waitFor(/client closed the connection: 1073741824 bytes in, 1073741824 bytes out/);
  } finally {
    await client.stop();
    await server.stop();
  }
});

Deno.test("--keylog writes the TLS 1.3 secrets in SSLKEYLOGFILE format, mode 0600", async () => {
  const dir = await Deno.makeTempDir();
  const port = freePort();
  const server = new Proc(
    DENO,
    [...(await serverArgs(port)), "--keylog", `${dir}/keys.log`].map((a) =>
      a.startsWith("--allow-read=") ? `${a},${dir}` : a
    ).flatMap((a) => (a === "--allow-net" ? [a, `--allow-write=${dir}`] : [a])),
  );
  try {
    await server.waitFor(/waiting for next connection/);
    const client = new Proc(DENO, await clientArgs(port, "--quiet"));
    await client.write("secret\n");
    await client.closeStdin();
    assert.equal((await client.exit()).code, 0, client.stderr);
    await server.waitFor(/client closed the connection/);
    const log = await Deno.readTextFile(`${dir}/keys.log`);
    const labels = log.trim().split("\n").map((l) => l.split(" ")[0]).sort();
    assert.deepEqual(labels, [
      "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
      "CLIENT_TRAFFIC_SECRET_0",
      "EXPORTER_SECRET",
      "SERVER_HANDSHAKE_TRAFFIC_SECRET",
      "SERVER_TRAFFIC_SECRET_0",
    ]);
    for (const line of log.trim().split("\n")) assert.match(line, /^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]{64,96}$/);
    assert.equal((await Deno.stat(`${dir}/keys.log`)).mode! & 0o777, 0o600);
  } finally {
    await server.stop();
  }
});

Deno.test("ALPN: client.ts --alpn agrees with openssl s_server -alpn", async () => {
  const dir = await testCerts();
  const { proc: sServer, port } = await startOpensslServer([
    "-cert",
    `${dir}/server.crt`,
    "-key",
    `${dir}/server.key`,
    "-alpn",
    "h2,http/1.1",
    "-naccept",
    "1",
    "-quiet",
  ]);
  let client: Proc | undefined;
  try {
    client = new Proc(DENO, await clientArgs(port, "--alpn", "x-none,http/1.1"));
    await client.waitFor(/handshake complete: .*ALPN http\/1\.1/);
    await client.closeStdin();
    await client.exit();
  } finally {
    await client?.stop();
    await sServer.stop();
  }
});

Deno.test("--idle-timeout drops a silent connection and the next client is served", async () => {
  const port = freePort();
  const server = await startServer(port, "--idle-timeout", "1");
  try {
    const silent = new Proc(DENO, await clientArgs(port));
    await server.waitFor(/ended: idle for more than 1 s/, 10000);
    await silent.exit();
    await servedNext(port, server, "awake\n");
  } finally {
    await server.stop();
  }
});

Deno.test("--idle-timeout starts when the handshake is done: a stalled handshake meets --handshake-timeout instead", async () => {
  const port = freePort();
  const server = await startServer(port, "--idle-timeout", "1", "--handshake-timeout", "3");
  try {
    const silent = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await server.waitFor(/ended: handshake not completed within 3 s/, 10000);
      assert.doesNotMatch(server.stderr, /idle for more than/);
    } finally {
      silent.close();
    }
    await servedNext(port, server, "awake\n");
  } finally {
    await server.stop();
  }
});
