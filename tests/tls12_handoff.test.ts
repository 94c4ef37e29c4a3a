/**
 * The client's single ClientHello offering TLS 1.3 and TLS 1.2, and the
 * hand-off to the TLS 1.2 engine after a TLS 1.2 ServerHello (in memory).
 */

import assert from "node:assert/strict";
import { Alert } from "../lib/ssl/alerts.ts";
import type { EngineSink, TlsConfig, TlsEngine } from "../lib/ssl/engine.ts";
import { clientVersionRouter, versionRouter } from "../lib/engines/version_router.ts";
import { createTls13Engine } from "../lib/engines/tls13/mod.ts";
import { createTls12Engine } from "../lib/engines/tls12/mod.ts";
import { parseClientHelloVersions } from "../lib/protocol/probe.ts";
import { firstHandshakeMessage } from "../lib/protocol/probe.ts";
import { findExtension, parseClientHello } from "../lib/protocol/messages.ts";
import { drain, pump, type Side, testPki } from "./fixtures/tls13/helpers.ts";
import { throwsAlert } from "./fixtures/tls12/helpers.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function sideOf(factory: (config: TlsConfig, sink: EngineSink) => TlsEngine, config: TlsConfig): Side {
  const s = { outbox: [], inbox: [], events: [] } as unknown as Side;
  s.engine = factory(config, {
    outgoing: (b) => s.outbox.push(b),
    plaintext: (b) => s.inbox.push(b.slice()),
    trace: (e) => s.events.push(e.kind === "state" ? e.text : e.kind === "message" ? `${e.direction} ${e.name}` : ""),
  }) as Side["engine"];
  return s;
}

async function configs(): Promise<{ client: TlsConfig; server: TlsConfig }> {
  const pki = await testPki();
  return {
    client: { role: "client", serverName: "localhost", caCertificates: [pki.caCert] },
    server: { role: "server", certificateChain: pki.rsaCert, privateKey: pki.rsaKey },
  };
}

Deno.test("one ClientHello offers TLS 1.3 and TLS 1.2: both versions, the TLS 1.2 suites, EMS and renegotiation_info", async () => {
  const { client } = await configs();
  const c = sideOf(clientVersionRouter(), client);
  c.engine.start();
  const wire = drain(c.outbox);
  const probe = parseClientHelloVersions(wire);
  assert.ok(probe.offersTls13 && probe.offersTls12);
  const hello = parseClientHello((firstHandshakeMessage(wire, 1) as Uint8Array).subarray(4));
  assert.ok(
    hello.cipherSuites.includes(0x1301) && hello.cipherSuites.includes(0xc02f) && hello.cipherSuites.includes(0xcca9),
  );
  for (const ext of [23, 0xff01, 11, 51]) assert.ok(findExtension(hello.extensions, ext), `extension ${ext}`);
});

Deno.test("the client continues in TLS 1.2 after a TLS 1.2 ServerHello from a server without TLS 1.3, data both ways", async () => {
  const { client, server } = await configs();
  const c = sideOf(clientVersionRouter(), client);
  const s = sideOf(createTls12Engine, { ...server, maxVersion: "TLSv1.2" });
  c.engine.start();
  pump(c, s);
  assert.equal(c.engine.info?.protocol, "TLSv1.2");
  assert.ok(c.events.includes("server chose TLS 1.2: continuing with the TLS 1.2 engine"));
  c.engine.send(enc.encode("up"));
  s.engine.send(enc.encode("down"));
  pump(c, s);
  assert.equal(dec.decode(drain(s.inbox)), "up");
  assert.equal(dec.decode(drain(c.inbox)), "down");
});

Deno.test("the same ClientHello gets TLS 1.3 from a TLS 1.3 server, direct or through the server's version router", async () => {
  const { client, server } = await configs();
  for (const factory of [createTls13Engine, versionRouter(createTls13Engine, undefined, createTls12Engine)]) {
    const c = sideOf(clientVersionRouter(), client);
    const s = sideOf(factory, server);
    c.engine.start();
    pump(c, s);
    assert.equal(c.engine.info?.protocol, "TLSv1.3");
    assert.equal(s.engine.info?.protocol, "TLSv1.3");
  }
});

Deno.test("RFC 8446 §4.1.3: a server forced to TLS 1.2 while it speaks TLS 1.3 (DOWNGRD sentinel) is refused with illegal_parameter", async () => {
  const { client, server } = await configs();
  const c = sideOf(clientVersionRouter(), client);
  const s = sideOf(createTls12Engine, server); // maxVersion defaults to TLSv1.3: the sentinel is set
  c.engine.start();
  s.engine.receive(drain(c.outbox));
  const err = throwsAlert(() => c.engine.receive(drain(s.outbox)), Alert.illegal_parameter);
  assert.match(err.message, /TLS 1\.2 and the RFC 8446 §4\.1\.3 downgrade sentinel/);
  // A TLS 1.2-only client (it did not offer TLS 1.3) accepts the same server.
  const only12 = sideOf(createTls12Engine, client);
  const s2 = sideOf(createTls12Engine, server);
  only12.engine.start();
  pump(only12, s2);
  assert.equal(only12.engine.info?.protocol, "TLSv1.2");
});
