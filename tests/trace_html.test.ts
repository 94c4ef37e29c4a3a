/**
 * `--trace-html`: real connections between server.ts, client.ts and
 * openssl s_server write pages; each page is checked as a file (mode 0600,
 * secrets banner, escaping) and, when Debian's `chromium` is installed,
 * opened in headless Chromium: no script errors, and the DOM holds the
 * messages, fields, byte counts and secrets of the connection (secrets
 * checked against the NSS key log). One screenshot per page goes to the
 * test's temporary folder.
 */

import assert from "node:assert/strict";
import {
  clientArgs,
  DENO,
  freePort,
  opensslTls1Client,
  pem,
  Proc,
  serverArgs,
  shuttle,
  startOpensslServer,
  testCerts,
  until,
} from "./helpers.ts";
import { hasChromium, HeadlessChromium, type LoadedPage } from "./headless_chromium.ts";
import { Ssl } from "../lib/ssl/ssl.ts";
import type { TraceEvent } from "../lib/ssl/engine.ts";
import { tls13EngineFactory } from "../lib/engines/tls13/mod.ts";
import { escapeHtml, TracePage } from "../lib/trace/mod.ts";

const CHROMIUM = await hasChromium();
if (!CHROMIUM) {
  console.log("trace_html: chromium not installed, skipping the headless-browser checks (apt-get install chromium)");
}
const SHOTS = await Deno.makeTempDir({ prefix: "trace-html-shots-" });
if (CHROMIUM) console.log(`trace_html: screenshots of the pages go to ${SHOTS}`);
const dec = new TextDecoder();

/** The page's facts as the browser sees them. */
interface PageFacts {
  ready: string;
  scripts: number;
  fieldNames: string[];
  fieldValues: string[];
  flights: string[];
  arrows: Record<string, number>;
  rows: string[][];
  secrets: [string, string][];
  keys: number;
  failure: string | null;
  dataIn: string | null;
  dataOut: string | null;
  text: string;
  hoverInfo: string;
  pwned: unknown;
}

const FACTS = `(() => {
  const all = (s) => [...document.querySelectorAll(s)];
  const span = document.querySelector(".b[data-f]");
  span.dispatchEvent(new MouseEvent("mouseover", { bubbles: true }));
  return {
    ready: document.body.dataset.ready,
    scripts: document.scripts.length,
    fieldNames: all("li[data-f] > .fn").map((e) => e.textContent),
    fieldValues: all("li[data-f] > .fv").map((e) => e.textContent),
    flights: all("tr.flight").map((e) => e.textContent),
    arrows: Object.fromEntries(all(".arrow").map((a) => [a.id, Number(a.querySelector(".n").dataset.bytes)])),
    rows: all("tr.rec").map((r) => [...r.cells].map((c) => c.textContent)),
    secrets: all("[data-secret]").map((e) => [e.dataset.secret, e.querySelector(".val").textContent]),
    keys: all("table.keys tbody tr").length,
    failure: document.getElementById("failure")?.textContent ?? null,
    dataIn: document.getElementById("data-in")?.textContent ?? null,
    dataOut: document.getElementById("data-out")?.textContent ?? null,
    text: document.body.innerText,
    hoverInfo: document.getElementById("field-info").textContent + (span.classList.contains("hi") ? " [hi]" : ""),
    pwned: window.pwned,
  };
})()`;

/** Opens a page in headless Chromium (when installed), takes its screenshot and returns its facts. */
async function inBrowser(path: string, shot: string): Promise<PageFacts | undefined> {
  if (!CHROMIUM) return undefined;
  const browser = await HeadlessChromium.start();
  try {
    const page: LoadedPage = await browser.open(path);
    const facts = await page.evaluate<PageFacts>(FACTS);
    await page.screenshot(`${SHOTS}/${shot}.png`, 1400);
    assert.ok((await Deno.stat(`${SHOTS}/${shot}.png`)).size > 10000, "screenshot written");
    assert.deepEqual(page.errors, [], "no script errors");
    assert.equal(facts.ready, "yes", "the page's script ran");
    assert.equal(facts.scripts, 1, "only the page's own script");
    assert.match(facts.hoverInfo, / \[hi\]$/, "hovering a byte names and lights its field");
    assert.equal(facts.pwned, undefined);
    return facts;
  } finally {
    await browser.close();
  }
}

/** Checks every page must pass as a file. */
async function checkFile(path: string): Promise<string> {
  const info = await Deno.stat(path);
  assert.equal(info.mode! & 0o777, 0o600, "the page holds secrets: mode 0600");
  const html = await Deno.readTextFile(path);
  assert.match(html, /This page contains secrets\./);
  assert.doesNotMatch(html, /<(script|link|img|iframe)[^>]*\s(src|href)=/i, "nothing loaded from elsewhere");
  assert.equal(html.match(/<script/g)?.length, 1);
  return html;
}

/** Lets a program's arguments write (and read back, for a key log) `path`. */
function withWrite(args: string[], path: string): string[] {
  const read = args.findIndex((a) => a.startsWith("--allow-read="));
  args[read] += `,${path}`;
  args.splice(1, 0, `--allow-write=${path}`);
  return args;
}

/** Reads an NSS key log into label → secret (hex). */
async function keyLog(path: string): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  for (const line of (await Deno.readTextFile(path)).trim().split("\n")) {
    const [label, , secret] = line.split(" ");
    map.set(label, secret);
  }
  return map;
}

/** Runs server.ts and client.ts once; both write pages. */
async function serverAndClient(
  dir: string,
  serverExtra: string[],
  clientExtra: string[],
  clientData = "hello from the client\n",
  serverData = "",
): Promise<{ server: Proc; client: Proc; serverPage: string; clientPage: string; clientStatus: number }> {
  const port = freePort();
  const serverPage = `${dir}/server.html`, clientPage = `${dir}/client.html`;
  const server = new Proc(DENO, withWrite(await serverArgs(port, "--trace-html", serverPage, ...serverExtra), dir));
  try {
    await server.waitFor(/waiting for next connection/);
    const client = new Proc(
      DENO,
      withWrite(await clientArgs(port, "--trace-html", clientPage, ...clientExtra), `${dir}`),
    );
    await server.waitFor(/new connection/);
    await client.write(clientData);
    if (serverData) {
      await server.write(serverData);
      // Closing the client's stdin sends close_notify: first let the server's data arrive.
      await until(() => dec.decode(client.stdout) === serverData, "the server's data at the client");
    }
    await client.closeStdin();
    const status = await client.exit();
    await server.waitFor(/wrote trace page/);
    return { server, client, serverPage, clientPage, clientStatus: status.code };
  } finally {
    await server.stop();
  }
}

Deno.test("--trace-html: a TLS 1.3 connection's pages show the diagram, flights, every field, plaintext and the key schedule", async () => {
  const dir = await Deno.makeTempDir({ prefix: "trace-html-" });
  const { clientPage, serverPage, clientStatus, client } = await serverAndClient(
    dir,
    ["--alpn", "h2"],
    ["--servername", "localhost", "--alpn", "h2,http/1.1", "--keylog", `${dir}/keys.log`],
    "hello from the client\n",
    "hello from the server\n",
  );
  assert.equal(clientStatus, 0, client.stderr);
  assert.match(client.stderr, /wrote trace page .*client\.html/);
  const html = await checkFile(clientPage);
  await checkFile(serverPage);
  assert.match(html, /TLS_CHACHA20_POLY1305_SHA256/);
  const f = await inBrowser(clientPage, "tls13-client");
  const s = await inBrowser(serverPage, "tls13-server");
  if (!f || !s) return;
  for (
    const m of ["ClientHello", "ServerHello", "EncryptedExtensions", "Certificate", "CertificateVerify", "Finished"]
  ) {
    assert.ok(f.flights.some((t) => t.includes(m)), `flight with ${m}`);
  }
  assert.match(f.flights[0], /^Flight 1: client → server — ClientHello/);
  for (
    const name of [
      "record header",
      "handshake header",
      "legacy_session_id",
      "cipher_suites",
      "extension: server_name",
      "extension: key_share",
      "KeyShareEntry (x25519 (0x001d))",
      "extension: alpn",
      "extension: supported_versions",
      "X.509 certificate (DER)",
      "CertificateVerify",
      "verify_data",
      "encrypted_record",
      "AEAD authentication tag",
      "inner content type",
    ]
  ) assert.ok(f.fieldNames.includes(name), `field ${name}`);
  assert.ok(f.fieldValues.includes('"localhost"'), "SNI value");
  assert.ok(f.fieldValues.some((v) => v.includes("subject=CN=localhost")), "certificate summarised");
  assert.ok(f.fieldValues.some((v) => /validity: .* to /.test(v)), "certificate validity");
  assert.equal(f.dataOut, "hello from the client\n");
  assert.equal(f.dataIn, "hello from the server\n");
  assert.equal(f.arrows["arrow-stdin-tls"], 22);
  assert.equal(f.arrows["arrow-tls-stdout"], 22);
  // Both sides' wire counts agree: what one wrote, the other read.
  assert.equal(f.arrows["arrow-wbio-socket"], s.arrows["arrow-socket-rbio"]);
  assert.equal(f.arrows["arrow-socket-rbio"], s.arrows["arrow-wbio-socket"]);
  const wire = (facts: PageFacts, from: string) =>
    facts.rows.filter((r) => r[2].startsWith(from)).reduce((n, r) => n + 5 + Number(r[4].replace(/,/g, "")), 0);
  assert.equal(wire(f, "client → server"), f.arrows["arrow-wbio-socket"]);
  assert.equal(wire(f, "server → client"), f.arrows["arrow-socket-rbio"]);
  // The key schedule is the connection's: it matches the key log, and both sides derived the same.
  const names = f.secrets.map(([n]) => n);
  for (const n of ["early_secret", "handshake_secret", "master_secret", "exporter_master_secret"]) {
    assert.ok(names.includes(n), n);
  }
  const log = await keyLog(`${dir}/keys.log`);
  const secret = (facts: PageFacts, n: string) => facts.secrets.find(([k]) => k === n)?.[1];
  assert.equal(secret(f, "client_handshake_traffic_secret"), log.get("CLIENT_HANDSHAKE_TRAFFIC_SECRET"));
  assert.equal(secret(f, "server_handshake_traffic_secret"), log.get("SERVER_HANDSHAKE_TRAFFIC_SECRET"));
  assert.equal(secret(f, "client_application_traffic_secret_0"), log.get("CLIENT_TRAFFIC_SECRET_0"));
  assert.equal(secret(f, "server_application_traffic_secret_0"), log.get("SERVER_TRAFFIC_SECRET_0"));
  assert.equal(secret(f, "exporter_master_secret"), log.get("EXPORTER_SECRET"));
  assert.deepEqual(s.secrets, f.secrets);
  assert.equal(f.keys, 4, "handshake and application keys, each direction");
  assert.ok(f.rows.some((r) => r[3] === "application_data → handshake"), "protected handshake shown decrypted");
  assert.equal(f.failure, null);
});

Deno.test("--trace-html: a HelloRetryRequest from openssl s_server is drawn (RFC 8446 §4.1.4)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "trace-html-hrr-" });
  const certs = await testCerts();
  const { proc: sServer, port } = await startOpensslServer([
    "-naccept",
    "1",
    "-cert",
    `${certs}/server.crt`,
    "-key",
    `${certs}/server.key`,
    "-groups",
    "P-256",
    "-quiet",
  ]);
  const page = `${dir}/hrr.html`;
  try {
    const client = new Proc(
      DENO,
      withWrite(await clientArgs(port, "--trace-html", page, "--servername", "localhost"), page),
    );
    await client.waitFor(/handshake complete: .*group secp256r1/);
    await client.write("after a retry\n");
    await client.closeStdin();
    assert.equal((await client.exit()).code, 0, client.stderr);
  } finally {
    await sServer.stop();
  }
  await checkFile(page);
  const f = await inBrowser(page, "hello-retry-request");
  if (!f) return;
  assert.ok(f.fieldNames.includes("HelloRetryRequest"));
  assert.ok(f.fieldNames.includes("selected_group"));
  assert.ok(f.fieldValues.includes("secp256r1 (0x0017)"));
  assert.ok(f.fieldNames.includes("KeyShareEntry (secp256r1 (0x0017))"), "the second ClientHello's key share");
  assert.equal(f.flights.filter((t) => /client → server — .*ClientHello/.test(t)).length, 2);
  assert.equal(f.dataOut, "after a retry\n");
});

Deno.test("--trace-html: mutual TLS pages show CertificateRequest and the client's Certificate and CertificateVerify", async () => {
  const dir = await Deno.makeTempDir({ prefix: "trace-html-mtls-" });
  const certs = await testCerts();
  const { clientPage, serverPage, clientStatus, client } = await serverAndClient(
    dir,
    ["--require-client-cert"],
    ["--servername", "localhost", "--cert", `${certs}/client.crt`, "--key", `${certs}/client.key`],
  );
  assert.equal(clientStatus, 0, client.stderr);
  await checkFile(clientPage);
  await checkFile(serverPage);
  const f = await inBrowser(clientPage, "mtls-client");
  const s = await inBrowser(serverPage, "mtls-server");
  if (!f || !s) return;
  assert.ok(f.flights.some((t) => t.includes("server → client") && t.includes("CertificateRequest")));
  assert.ok(
    f.flights.some((t) => /client → server — .*Certificate, CertificateVerify, Finished/.test(t)),
    f.flights.join("\n"),
  );
  assert.ok(
    s.fieldValues.some((v) => v.includes("subject=CN=ssl-nonblock-deno client")),
    "client certificate at the server",
  );
  assert.match(s.text, /client certificate\s+subject=CN=ssl-nonblock-deno client/);
  assert.equal(s.dataIn, "hello from the client\n");
});

Deno.test("--trace-html: a failed handshake's page ends at the failing message with the alert and why", async () => {
  const dir = await Deno.makeTempDir({ prefix: "trace-html-fail-" });
  const { clientPage, serverPage, clientStatus } = await serverAndClient(dir, [], ["--servername", "wrong.example"]);
  assert.equal(clientStatus, 1);
  const html = await checkFile(clientPage);
  assert.match(html, /id="failure"/);
  await checkFile(serverPage);
  const f = await inBrowser(clientPage, "failed-client");
  const s = await inBrowser(serverPage, "failed-server");
  if (!f || !s) return;
  assert.match(
    f.failure!,
    /Handshake failed after receiving (Certificate|CertificateVerify|Finished): we sent alert \w+ — .*wrong\.example/,
  );
  assert.match(f.text, /failed: alert \w+/);
  assert.equal(f.rows.at(-1)![3], "application_data → alert", "the alert is the last record, protected");
  assert.match(s.failure!, /the peer sent alert/);
  assert.equal(f.keys, 2, "only handshake keys were installed");
  assert.ok(!f.secrets.some(([n]) => n.includes("application")), "no application secrets after a failure");
});

Deno.test("--trace-html: peer-chosen SNI, ALPN and certificate subject with <script> appear as text", async () => {
  const dir = await Deno.makeTempDir({ prefix: "trace-html-hostile-" });
  const key = `${dir}/evil.key`, cert = `${dir}/evil.crt`;
  const made = await new Deno.Command("openssl", {
    args: [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-days",
      "2",
      "-subj",
      "/CN=<script>window.pwned=3<\\/script>", // openssl splits the subject at an unescaped /
      "-keyout",
      key,
      "-out",
      cert,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.ok(made.success, dec.decode(made.stderr));
  const sni = "<script>window.pwned=1</script>";
  const alpn = "<script>window.pwned=2</script>";
  const { clientPage, serverPage, clientStatus, client } = await serverAndClient(
    dir,
    ["--cert", cert, "--key", key, "--alpn", alpn],
    ["--insecure", "--servername", sni, "--alpn", alpn],
  );
  assert.equal(clientStatus, 0, client.stderr);
  for (const page of [clientPage, serverPage]) {
    const html = await checkFile(page);
    assert.ok(!html.includes("<script>window.pwned"), "no peer text as markup");
  }
  const f = await inBrowser(clientPage, "hostile-client");
  const s = await inBrowser(serverPage, "hostile-server");
  if (!f || !s) return;
  assert.ok(f.fieldValues.some((v) => v.includes("subject=CN=<script>window.pwned=3</script>")), "subject as text");
  assert.ok(s.fieldValues.includes(JSON.stringify(sni)), "SNI as text");
  assert.ok(s.fieldValues.includes(JSON.stringify(alpn)), "ALPN as text");
  assert.match(s.text, /ALPN\s+"<script>window\.pwned=2<\/script>"/);
});

Deno.test("--trace-html: the file is private even when it existed, and an unwritable path is one line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "trace-html-file-" });
  const page = `${dir}/page.html`;
  await Deno.writeTextFile(page, "old", { mode: 0o644 });
  await Deno.chmod(page, 0o644);
  const port = freePort();
  const refused = new Proc(DENO, await clientArgs(port, "--trace-html", page));
  await refused.closeStdin();
  const status = await refused.exit();
  assert.equal(status.code, 1);
  assert.equal(
    refused.stderr.trim(),
    `client: no permission to write trace page ${page} (grant it with --allow-write=${page})`,
  );
  const allowed = new Proc(DENO, withWrite(await clientArgs(port, "--trace-html", page), page));
  await allowed.closeStdin();
  assert.equal((await allowed.exit()).code, 1, "nobody listens");
  assert.equal((await Deno.stat(page)).mode! & 0o777, 0o600, "made private at start");
});

Deno.test("trace page: a long transfer is summarised, and text is escaped", async () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), "&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;");
  const page = new TracePage("client");
  const engine = tls13EngineFactory({});
  const client = new Ssl(engine, { role: "client", serverName: "localhost", caCertificates: [await pem("ca.crt")] }, {
    trace: page.trace,
    traceSecrets: true,
  });
  const server = new Ssl(engine, {
    role: "server",
    certificateChain: await pem("server.crt"),
    privateKey: await pem("server.key"),
  });
  const move = () => {
    for (let i = 0; i < 4; i++) {
      if (!client.isInitFinished) client.handshake();
      while (client.wbio.pending) server.rbio.write(client.wbio.read());
      if (!server.isInitFinished) server.handshake();
      while (server.wbio.pending) client.rbio.write(server.wbio.read());
    }
  };
  move();
  const chunk = new Uint8Array(16384).fill(0x3c); // '<'
  for (let i = 0; i < 200; i++) {
    client.write(chunk);
    server.write(chunk);
    move();
    server.read();
    client.read();
  }
  const html = page.render({ title: "memory pair", info: client.info });
  assert.ok(html.length < 400_000, `page of ${html.length} bytes for 6.5 MB of data`);
  assert.match(html, /197 more application_data records/);
  assert.match(html, /3,276,800 bytes in 200 chunks/);
  assert.ok(!/<</.test(html.replace(/<\/?[a-z]/gi, "")), "no raw < from the data");
});

Deno.test("trace events: secrets, plaintext and whole records only when the tracer asks for them", async () => {
  const engine = tls13EngineFactory({});
  const run = async (traceSecrets: boolean) => {
    const events: TraceEvent[] = [];
    const client = new Ssl(engine, { role: "client", serverName: "localhost", caCertificates: [await pem("ca.crt")] }, {
      trace: (e) => events.push(e),
      traceSecrets,
    });
    const server = new Ssl(engine, {
      role: "server",
      certificateChain: await pem("server.crt"),
      privateKey: await pem("server.key"),
    });
    // One byte at a time: a record's bytes are collected across pushes.
    shuttle(client, server, 1);
    client.write(new TextEncoder().encode("ping"));
    shuttle(client, server, 1);
    return events;
  };
  const plain = await run(false);
  assert.deepEqual(
    plain.filter((e) => ["secret", "keys", "plaintext", "data"].includes(e.kind) || (e.kind === "record" && e.bytes)),
    [],
  );
  const rich = await run(true);
  const records = rich.filter((e) => e.kind === "record");
  assert.equal(records.length, plain.filter((e) => e.kind === "record").length);
  for (const r of records) assert.equal(r.bytes!.length, 5 + r.length, "whole record, header included");
  assert.deepEqual(
    rich.filter((e) => e.kind === "secret").map((e) => e.name),
    [
      "early_secret",
      "derived",
      "(EC)DHE shared secret",
      "handshake_secret",
      "client_handshake_traffic_secret",
      "server_handshake_traffic_secret",
      "derived",
      "master_secret",
      "client_application_traffic_secret_0",
      "server_application_traffic_secret_0",
      "exporter_master_secret",
    ],
  );
  assert.equal(rich.filter((e) => e.kind === "keys").length, 4);
  const out = rich.filter((e) => e.kind === "plaintext" && e.direction === "out");
  assert.deepEqual(out.map((e) => e.kind === "plaintext" && e.contentType), ["handshake", "application_data"]);
  assert.ok(rich.some((e) => e.kind === "data" && e.direction === "out" && dec.decode(e.bytes) === "ping"));
});

Deno.test("--trace-html: a TLS 1.0 connection (forge) gets its page, its Certificate read per RFC 5246 §7.4.2, and the next client is served", async () => {
  const dir = await Deno.makeTempDir({ prefix: "trace-html-tls1-" });
  const page = `${dir}/server.html`;
  const port = freePort();
  const server = new Proc(DENO, withWrite(await serverArgs(port, "--trace-html", page, "--min-version", "TLSv1"), dir));
  try {
    await server.waitFor(/waiting for next connection/);
    const legacy = opensslTls1Client(port);
    try {
      await server.waitFor(/handshake complete: TLSv1, /);
      await legacy.write("legacy\n");
      await until(() => dec.decode(server.stdout) === "legacy\n", "the TLS 1.0 client's data");
    } finally {
      await legacy.stop();
    }
    await server.waitFor(/wrote trace page/);
    const html = await checkFile(page);
    assert.match(html, /ASN\.1Cert \(end-entity certificate\)/);
    assert.doesNotMatch(html, /certificate_request_context/);
    const next = new Proc(DENO, withWrite(await clientArgs(port, "--trace-html", `${dir}/client.html`), dir));
    await next.write("next\n");
    await until(() => dec.decode(server.stdout) === "legacy\nnext\n", "the next client's data");
    await next.closeStdin();
    assert.equal((await next.exit()).code, 0, next.stderr);
  } finally {
    await server.stop();
  }
});
