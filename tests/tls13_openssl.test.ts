/**
 * Interop of the TLS 1.3 engine with the real OpenSSL 3 command line tools
 * and curl on 127.0.0.1: our client against `openssl s_server`, our server
 * against `openssl s_client` and `curl`. Ports are picked by the OS; every
 * child process is killed in `finally`, and every wait has a deadline.
 */

import { DEFAULT_SUITE_ORDER } from "../lib/engines/tls13/context.ts";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { TlsConfig } from "../lib/ssl/engine.ts";
import { createTls13Engine, type Tls13Engine, type Tls13Options } from "../lib/engines/tls13/mod.ts";
import { testPki } from "./fixtures/tls13/helpers.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const DEADLINE_MS = 20_000;

function concat(list: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(list.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of list) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

function withDeadline<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), DEADLINE_MS);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Runs one engine over a TCP connection until `done` says so or the peer hangs up. */
class Driver {
  readonly engine: Tls13Engine;
  readonly received: Uint8Array[] = [];
  readonly #conn: Deno.Conn;
  #pending: Uint8Array[] = [];

  constructor(conn: Deno.Conn, config: TlsConfig, options: Tls13Options = {}) {
    this.#conn = conn;
    this.engine = createTls13Engine(config, {
      outgoing: (b) => this.#pending.push(b),
      plaintext: (b) => this.received.push(b.slice()),
    }, options);
  }

  get receivedBytes(): number {
    return this.received.reduce((n, b) => n + b.length, 0);
  }

  /** Sends what the engine produced. */
  async flush(): Promise<void> {
    while (this.#pending.length) {
      const chunk = this.#pending.shift()!;
      for (let at = 0; at < chunk.length;) at += await this.#conn.write(chunk.subarray(at));
    }
  }

  /** Reads and feeds until `done()`; `step` runs after every read (to send, update keys...). */
  async run(done: () => boolean, step: () => void = () => {}): Promise<void> {
    this.engine.start();
    await this.flush();
    const buf = new Uint8Array(65536);
    while (!done()) {
      const n = await this.#conn.read(buf);
      if (n === null) break;
      this.engine.receive(buf.subarray(0, n));
      step();
      await this.flush();
    }
  }
}

/** A child process whose output is collected; killed by `stop()`. */
class Child {
  readonly #proc: Deno.ChildProcess;
  readonly #out: Promise<Deno.CommandOutput>;
  stdoutText = "";
  #stdoutSeen: Promise<void>;

  constructor(cmd: string, args: string[], stdin: "piped" | "null" = "null") {
    const proc = this.#proc = new Deno.Command(cmd, { args, stdin, stdout: "piped", stderr: "piped" }).spawn();
    // Watch stdout for readiness while keeping all of it.
    const [a, b] = proc.stdout.tee();
    this.#stdoutSeen = (async () => {
      for await (const chunk of a) this.stdoutText += dec(chunk);
    })();
    this.#out = (async () => {
      const stderr = new Response(proc.stderr).arrayBuffer();
      const stdout = new Response(b).arrayBuffer();
      const status = await proc.status;
      return {
        code: status.code,
        signal: status.signal,
        success: status.success,
        stdout: new Uint8Array(await stdout),
        stderr: new Uint8Array(await stderr),
      } as Deno.CommandOutput;
    })();
  }

  get stdin(): WritableStream<Uint8Array> {
    return this.#proc.stdin;
  }

  async waitFor(text: string): Promise<void> {
    await withDeadline(
      (async () => {
        while (!this.stdoutText.includes(text)) await new Promise((r) => setTimeout(r, 20));
      })(),
      `"${text}" from child`,
    );
  }

  output(): Promise<Deno.CommandOutput> {
    return withDeadline(this.#out, "child exit");
  }

  async stop(): Promise<void> {
    try {
      this.#proc.kill("SIGKILL");
    } catch {
      // already exited
    }
    await this.#out.catch(() => {});
    await this.#stdoutSeen.catch(() => {});
  }
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

// ---- our client against openssl s_server ---------------------------------

async function clientAgainstSServer(
  serverArgs: string[],
  config: Partial<TlsConfig> = {},
  options: Tls13Options = {},
): Promise<Tls13Engine> {
  const pki = await testPki();
  const port = freePort();
  const server = new Child("openssl", [
    "s_server",
    "-accept",
    `127.0.0.1:${port}`,
    "-rev",
    "-naccept",
    "1",
    ...serverArgs,
  ]);
  let conn: Deno.Conn | undefined;
  try {
    await server.waitFor("ACCEPT");
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const d = new Driver(
      conn,
      { role: "client", serverName: "localhost", caCertificates: [pki.caCert], ...config },
      options,
    );
    let sent = false;
    await withDeadline(
      d.run(
        () => dec(concat(d.received)).includes("\n"),
        () => {
          if (d.engine.handshakeDone && !sent) {
            sent = true;
            d.engine.keyUpdate(true); // s_server answers with its own KeyUpdate
            d.engine.send(enc("hello openssl\n"));
          }
        },
      ),
      "client exchange",
    );
    assert.equal(dec(concat(d.received)), "lssnepo olleh\n");
    d.engine.close();
    await d.flush();
    return d.engine;
  } finally {
    conn?.close();
    await server.stop();
  }
}

const SUITES = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"];

for (const suite of SUITES) {
  for (const cert of ["rsa", "ec"] as const) {
    Deno.test(`client ↔ openssl s_server: ${suite}, ${cert.toUpperCase()} certificate`, async () => {
      const pki = await testPki();
      const paths = cert === "rsa" ? [pki.paths.rsaCert, pki.paths.rsaKey] : [pki.paths.ecCert, pki.paths.ecKey];
      const engine = await clientAgainstSServer(["-cert", paths[0], "-key", paths[1], "-ciphersuites", suite]);
      assert.equal(engine.info!.cipher, suite);
      assert.equal(engine.info!.group, "x25519");
      assert.equal(engine.info!.signatureScheme, cert === "rsa" ? "rsa_pss_rsae_sha256" : "ecdsa_secp256r1_sha256");
    });
  }
}

Deno.test("client ↔ openssl s_server -groups P-256: HelloRetryRequest", async () => {
  const pki = await testPki();
  const engine = await clientAgainstSServer(["-cert", pki.paths.rsaCert, "-key", pki.paths.rsaKey, "-groups", "P-256"]);
  assert.equal(engine.info!.group, "secp256r1");
});

Deno.test("client ↔ openssl s_server -sigalgs rsa_pss_rsae_sha384", async () => {
  const pki = await testPki();
  const engine = await clientAgainstSServer([
    "-cert",
    pki.paths.rsaCert,
    "-key",
    pki.paths.rsaKey,
    "-sigalgs",
    "rsa_pss_rsae_sha384",
  ]);
  assert.equal(engine.info!.signatureScheme, "rsa_pss_rsae_sha384");
});

Deno.test("client ↔ openssl s_server -Verify 1 (client certificate) and -alpn", async () => {
  const pki = await testPki();
  const engine = await clientAgainstSServer(
    [
      "-cert",
      pki.paths.rsaCert,
      "-key",
      pki.paths.rsaKey,
      "-Verify",
      "1",
      "-CAfile",
      pki.paths.ca,
      "-verify_return_error",
      "-alpn",
      "http/1.1,h2",
    ],
    { certificateChain: pki.clientCert, privateKey: pki.clientKey, alpnProtocols: ["h2", "http/1.1"] },
  );
  assert.equal(engine.info!.alpn, "http/1.1");
});

Deno.test("client ↔ openssl s_server with an untrusted certificate: unknown_ca", async () => {
  const pki = await testPki();
  await assert.rejects(
    () =>
      clientAgainstSServer(["-cert", pki.paths.rsaCert, "-key", pki.paths.rsaKey], {
        caCertificates: [pki.otherCaCert],
      }),
    (e: Error & { alert?: number; sent?: boolean }) => e.alert === 48 && e.sent === true,
  );
});

// ---- our server against openssl s_client / curl ----------------------------

interface ServerRun {
  engine: Tls13Engine;
  received: Uint8Array;
  client: Deno.CommandOutput;
  clientStdout: string;
}

/**
 * Accepts one connection with our engine while `client` runs. Once `expect`
 * bytes have arrived the server answers with `reply` and closes.
 */
async function serverAgainst(
  cmd: string,
  args: (port: number) => string[],
  opts: {
    config?: Partial<TlsConfig>;
    options?: Tls13Options;
    stdin?: Uint8Array;
    expect: number;
    reply: Uint8Array;
  },
): Promise<ServerRun> {
  const pki = await testPki();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const client = new Child(cmd, args(port), opts.stdin ? "piped" : "null");
  let conn: Deno.Conn | undefined;
  try {
    const writer = opts.stdin ? client.stdin.getWriter() : undefined;
    const feeding = writer?.write(opts.stdin!).catch(() => {});
    conn = await withDeadline(listener.accept(), "accept");
    const d = new Driver(conn, {
      role: "server",
      certificateChain: pki.rsaCert,
      privateKey: pki.rsaKey,
      ...opts.config,
    }, opts.options);
    let replied = false;
    await withDeadline(
      d.run(
        () => replied && d.engine.peerClosed,
        () => {
          if (!replied && d.receivedBytes >= opts.expect) {
            replied = true;
            d.engine.send(opts.reply);
            d.engine.close();
          }
        },
      ),
      "server exchange",
    );
    await feeding;
    await writer?.close().catch(() => {});
    conn.close();
    conn = undefined;
    const out = await client.output();
    return { engine: d.engine, received: concat(d.received), client: out, clientStdout: dec(out.stdout) };
  } finally {
    conn?.close();
    listener.close();
    await client.stop();
  }
}

async function sClient(
  extra: string[],
  config: Partial<TlsConfig> = {},
  options: Tls13Options = {},
): Promise<ServerRun> {
  const pki = await testPki();
  const msg = enc("hello from s_client\n");
  const run = await serverAgainst(
    "openssl",
    (port) => ["s_client", "-connect", `127.0.0.1:${port}`, "-CAfile", pki.paths.ca, "-verify_return_error", ...extra],
    { config, options, stdin: msg, expect: msg.length, reply: enc("hello from deno\n") },
  );
  assert.equal(dec(run.received), "hello from s_client\n");
  assert.match(run.clientStdout, /hello from deno/);
  assert.match(run.clientStdout, /Verify return code: 0 \(ok\)/);
  assert.match(run.clientStdout, /TLSv1\.3/);
  return run;
}

Deno.test("server ↔ openssl s_client: default settings", async () => {
  const run = await sClient([]);
  assert.equal(run.engine.info!.cipher, DEFAULT_SUITE_ORDER[0]); // server preference
  assert.equal(run.engine.info!.group, "x25519");
  assert.equal(run.engine.info!.serverName, undefined); // s_client sends no SNI for an IP
});

for (const suite of SUITES) {
  Deno.test(`server ↔ openssl s_client -ciphersuites ${suite}`, async () => {
    const run = await sClient(["-ciphersuites", suite]);
    assert.equal(run.engine.info!.cipher, suite);
    assert.match(run.clientStdout, new RegExp(`Cipher is ${suite}`));
  });
}

Deno.test("server ↔ openssl s_client -groups P-256 and -servername", async () => {
  const run = await sClient(["-groups", "P-256", "-servername", "localhost"]);
  assert.equal(run.engine.info!.group, "secp256r1");
  assert.equal(run.engine.info!.serverName, "localhost");
});

Deno.test("server ↔ openssl s_client: HelloRetryRequest when the server only takes P-256", async () => {
  const run = await sClient([], {}, { groups: ["secp256r1"] });
  assert.equal(run.engine.info!.group, "secp256r1");
});

Deno.test("server ↔ openssl s_client -sigalgs: RSA-PSS SHA-384 and ECDSA", async () => {
  const pki = await testPki();
  const rsa = await sClient(["-sigalgs", "rsa_pss_rsae_sha384"]);
  assert.match(rsa.clientStdout, /Peer signing digest: SHA384/);
  const ec = await sClient(["-sigalgs", "ecdsa_secp256r1_sha256"], {
    certificateChain: pki.ecCert,
    privateKey: pki.ecKey,
  });
  assert.match(ec.clientStdout, /Peer signature type: ECDSA/);
});

Deno.test("server ↔ openssl s_client -cert/-key: required client certificate", async () => {
  const pki = await testPki();
  const run = await sClient(["-cert", pki.paths.clientCert, "-key", pki.paths.clientKey], {
    requireClientCertificate: true,
    verifyPeer: true,
    caCertificates: [pki.caCert],
  });
  // s_client sends its leaf and, having the CA at hand, the CA too.
  assert.ok(run.engine.info!.peerCertificates.length >= 1);
  assert.equal(run.engine.info!.signatureScheme, "ecdsa_secp256r1_sha256");
});

Deno.test("server ↔ openssl s_client: 1 MiB each way, hash-checked", async () => {
  const pki = await testPki();
  const up = new Uint8Array(1 << 20), down = new Uint8Array(1 << 20);
  for (let i = 0; i < up.length; i += 65536) {
    crypto.getRandomValues(up.subarray(i, i + 65536));
    crypto.getRandomValues(down.subarray(i, i + 65536));
  }
  const run = await serverAgainst(
    "openssl",
    (port) => ["s_client", "-connect", `127.0.0.1:${port}`, "-CAfile", pki.paths.ca, "-quiet", "-verify_return_error"],
    { stdin: up, expect: up.length, reply: down },
  );
  assert.equal(sha256(run.received), sha256(up));
  assert.equal(run.client.stdout.length, down.length);
  assert.equal(sha256(run.client.stdout), sha256(down));
});

Deno.test("server ↔ curl: HTTPS request over the engine", async () => {
  const pki = await testPki();
  const body = "hello curl\n";
  const reply = enc(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
  const run = await serverAgainst(
    "curl",
    (port) => ["-sS", "--cacert", pki.paths.ca, "--tlsv1.3", `https://localhost:${port}/`],
    { config: { alpnProtocols: ["http/1.1"] }, expect: 16, reply },
  );
  assert.match(dec(run.received), /^GET \/ HTTP\/1\.1\r\n/);
  assert.equal(run.client.code, 0, dec(run.client.stderr));
  assert.equal(run.clientStdout, body);
  assert.equal(run.engine.info!.serverName, "localhost");
  assert.equal(run.engine.info!.alpn, "http/1.1");
});
