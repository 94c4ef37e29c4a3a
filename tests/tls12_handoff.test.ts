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
import { type Extension, findExtension, parseClientHello } from "../lib/protocol/messages.ts";
import { ExtensionType, Group } from "../lib/protocol/constants.ts";
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

/** The server's first flight with one byte range of its first record replaced (offsets within the record). */
function patched(flight: Uint8Array, at: number, bytes: Uint8Array): Uint8Array {
  const out = flight.slice();
  out.set(bytes, at);
  return out;
}

Deno.test("RFC 8446 §4.1.3: DOWNGRD\\x00 in a TLS 1.2 ServerHello to a TLS 1.3 offer → illegal_parameter", async () => {
  const { client, server } = await configs();
  const c = sideOf(clientVersionRouter(), client);
  const s = sideOf(createTls12Engine, { ...server, maxVersion: "TLSv1.2" }); // no sentinel of its own
  c.engine.start();
  s.engine.receive(drain(c.outbox));
  // Record header 5, handshake header 4, version 2: ServerHello.random is bytes 11..43; its last 8 from 35.
  const sentinel = new Uint8Array([0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x00]);
  const err = throwsAlert(() => c.engine.receive(patched(drain(s.outbox), 35, sentinel)), Alert.illegal_parameter);
  assert.match(err.message, /downgrade sentinel/);
});

Deno.test("RFC 8422 §5.4: a ServerKeyExchange group outside the client's TLS 1.2 groups (though in its TLS 1.3 offer) → illegal_parameter", async () => {
  const { client, server } = await configs();
  const s12 = { ...server, maxVersion: "TLSv1.2" as const };
  // The TLS 1.3 offer lists secp256r1; the TLS 1.2 side is limited to x25519.
  const c = sideOf(clientVersionRouter({ tls12: { groups: ["x25519"] } }), client);
  const s = sideOf((config, sink) => createTls12Engine(config, sink, { groups: ["secp256r1"] }), s12);
  c.engine.start();
  const hello = drain(c.outbox);
  assert.ok(parseClientHello(hello.subarray(9)).supportedGroups?.includes(Group.secp256r1));
  s.engine.receive(hello);
  const err = throwsAlert(() => c.engine.receive(drain(s.outbox)), Alert.illegal_parameter);
  assert.match(err.message, /group/);
  // Within the TLS 1.2 groups, the same server is accepted.
  const c2 = sideOf(clientVersionRouter({ tls12: { groups: ["secp256r1"] } }), client);
  const s2 = sideOf((config, sink) => createTls12Engine(config, sink, { groups: ["secp256r1"] }), s12);
  c2.engine.start();
  pump(c2, s2);
  assert.equal(c2.engine.info?.group, "secp256r1");
});

Deno.test("RFC 8446 §4.2, RFC 5246 §7.4.1.4: a TLS 1.2 ServerHello answering the offer's key_share or psk_key_exchange_modes → illegal_parameter", async () => {
  const { client, server } = await configs();
  const s12 = { ...server, maxVersion: "TLSv1.2" as const };
  for (const type of [ExtensionType.key_share, ExtensionType.psk_key_exchange_modes]) {
    const c = sideOf(clientVersionRouter(), client);
    const echo = (exts: Extension[]) => [...exts, { type, data: new Uint8Array([0, 0x1d, 0, 0]) }];
    const s = sideOf((config, sink) => createTls12Engine(config, sink, { serverHelloExtensions: echo }), s12);
    c.engine.start();
    s.engine.receive(drain(c.outbox));
    const err = throwsAlert(() => c.engine.receive(drain(s.outbox)), Alert.illegal_parameter);
    assert.match(err.message, new RegExp(`extension ${type} not allowed in a TLS 1\\.2 ServerHello`));
  }
});
