/**
 * The TLS 1.2 engine in memory, client against server: every suite and
 * certificate type, the record layer's nonces, and each protocol rule with
 * both its accepted and refused side.
 */

import assert from "node:assert/strict";
import { Alert } from "../lib/ssl/alerts.ts";
import type { TlsConfig } from "../lib/ssl/engine.ts";
import { fromHex } from "../lib/protocol/bytes.ts";
import type { Extension } from "../lib/protocol/messages.ts";
import { TLS12_SUITES } from "../lib/engines/tls12/suites.ts";
import { recordProtections } from "../lib/engines/tls12/prf.ts";
import { Tls12RecordWriter } from "../lib/engines/tls12/record.ts";
import type { Tls12Options } from "../lib/engines/tls12/mod.ts";
import { NodeCryptoProvider } from "../lib/crypto/node_provider.ts";
import { drain, pump, type Side, testPki } from "./fixtures/tls13/helpers.ts";
import { clientHello12, type Side12, side12, standardExtensions, throwsAlert } from "./fixtures/tls12/helpers.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const asSide = (s: Side12) => s as unknown as Side;
const without = (type: number) => (exts: Extension[]) => exts.filter((e) => e.type !== type);

async function pair(
  o: {
    client?: Partial<TlsConfig>;
    server?: Partial<TlsConfig>;
    clientOptions?: Tls12Options;
    serverOptions?: Tls12Options;
    ec?: boolean;
  } = {},
): Promise<{ client: Side12; server: Side12 }> {
  const pki = await testPki();
  const client = side12(
    { role: "client", serverName: "localhost", caCertificates: [pki.caCert], ...o.client },
    o.clientOptions,
  );
  const server = side12({
    role: "server",
    certificateChain: o.ec ? pki.ecCert : pki.rsaCert,
    privateKey: o.ec ? pki.ecKey : pki.rsaKey,
    ...o.server,
  }, o.serverOptions);
  return { client, server };
}

function exchange(client: Side12, server: Side12): void {
  client.engine.send(enc.encode("ping"));
  server.engine.send(enc.encode("pong"));
  pump(asSide(client), asSide(server));
  assert.equal(dec.decode(drain(server.inbox)), "ping");
  assert.equal(dec.decode(drain(client.inbox)), "pong");
}

Deno.test("RFC 5246 §7.3, RFC 5289, RFC 7905: every suite with its certificate type, split byte by byte, data both ways", async () => {
  for (const suite of TLS12_SUITES) {
    const { client, server } = await pair({ ec: suite.auth === "ec", serverOptions: { cipherSuites: [suite.name] } });
    client.engine.start();
    pump(asSide(client), asSide(server), 1);
    assert.ok(client.engine.handshakeDone && server.engine.handshakeDone, suite.name);
    for (const s of [client, server]) {
      assert.equal(s.engine.info?.protocol, "TLSv1.2");
      assert.equal(s.engine.info?.cipher, suite.name);
      assert.equal(s.engine.info?.group, "x25519");
    }
    assert.equal(client.engine.info?.peerCertificates.length, 1);
    exchange(client, server);
  }
});

Deno.test("RFC 8422 §5.4: ECDHE over each group the server prefers; a client without a common group is refused", async () => {
  for (const group of ["secp256r1", "x25519"]) {
    const { client, server } = await pair({ serverOptions: { groups: [group] } });
    client.engine.start();
    pump(asSide(client), asSide(server));
    assert.equal(client.engine.info?.group, group);
    exchange(client, server);
  }
  const { client, server } = await pair({
    clientOptions: { groups: ["x25519"] },
    serverOptions: { groups: ["secp256r1"] },
  });
  client.engine.start();
  throwsAlert(() => pump(asSide(client), asSide(server)), Alert.handshake_failure);
  assert.match(server.events.join("\n"), /no key exchange group in common/);
});

Deno.test("RFC 5288 §3, RFC 7905 §2: GCM records carry the 8-byte explicit nonce, ChaCha20-Poly1305 records none", async () => {
  for (
    const [name, overhead] of [["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 24], [
      "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
      16,
    ]] as const
  ) {
    const { client, server } = await pair({ serverOptions: { cipherSuites: [name] } });
    client.engine.start();
    pump(asSide(client), asSide(server));
    client.engine.send(enc.encode("hello"));
    const rec = drain(client.outbox);
    assert.equal(rec[0], 23);
    assert.equal((rec[3] << 8) | rec[4], 5 + overhead, name);
    // Our explicit nonce is the sequence number: Finished was record 0, this is record 1.
    if (overhead === 24) assert.deepEqual([...rec.subarray(5, 13)], [0, 0, 0, 0, 0, 0, 0, 1]);
    server.engine.receive(rec);
    assert.equal(dec.decode(drain(server.inbox)), "hello");
  }
});

Deno.test("RFC 5246 §6.2.3.3: a flipped bit in a protected record is bad_record_mac", async () => {
  const { client, server } = await pair();
  client.engine.start();
  pump(asSide(client), asSide(server));
  client.engine.send(enc.encode("hello"));
  const rec = drain(client.outbox);
  rec[rec.length - 1] ^= 1;
  throwsAlert(() => server.engine.receive(rec), Alert.bad_record_mac);
});

Deno.test("RFC 5246 §6.2.1: a plaintext record over 2^14 bytes is record_overflow", async () => {
  const { server } = await pair();
  throwsAlert(() => server.engine.receive(new Uint8Array([22, 3, 3, 0x40, 0x01])), Alert.record_overflow);
});

Deno.test("RFC 7627 §5.3: a client without extended_master_secret is refused with handshake_failure; with it, accepted", async () => {
  const { client, server } = await pair({ clientOptions: { clientHelloExtensions: without(23) } });
  client.engine.start();
  const err = throwsAlert(() => server.engine.receive(drain(client.outbox)), Alert.handshake_failure);
  assert.match(err.message, /client does not support the extended master secret \(RFC 7627\)/);
  const ok = await pair();
  ok.client.engine.start();
  pump(asSide(ok.client), asSide(ok.server));
  assert.ok(ok.server.engine.handshakeDone);
});

Deno.test("RFC 7627 §5.4: a server without extended_master_secret is refused by the client with handshake_failure", async () => {
  const { client, server } = await pair({ serverOptions: { serverHelloExtensions: without(23) } });
  client.engine.start();
  server.engine.receive(drain(client.outbox));
  const err = throwsAlert(() => client.engine.receive(drain(server.outbox)), Alert.handshake_failure);
  assert.match(err.message, /server does not support the extended master secret/);
});

Deno.test("RFC 5746 §3.4, §3.6: renegotiation_info must be present and empty; SCSV alone is accepted", async () => {
  const pki = await testPki();
  const server = () => side12({ role: "server", certificateChain: pki.rsaCert, privateKey: pki.rsaKey });
  const bad = standardExtensions().map((e) =>
    e.type === 0xff01 ? { type: e.type, data: fromHex("0c" + "00".repeat(12)) } : e
  );
  throwsAlert(() => server().engine.receive(clientHello12({ extensions: bad })), Alert.handshake_failure);
  // Only the SCSV (the extension removed): the server answers with the extension.
  const s = server();
  s.engine.receive(clientHello12({ extensions: standardExtensions().filter((e) => e.type !== 0xff01) }));
  assert.ok(s.events.includes("out ServerHelloDone"));
  // The client side: a server that does not confirm secure renegotiation is refused.
  const { client, server: srv } = await pair({ serverOptions: { serverHelloExtensions: without(0xff01) } });
  client.engine.start();
  srv.engine.receive(drain(client.outbox));
  const err = throwsAlert(() => client.engine.receive(drain(srv.outbox)), Alert.handshake_failure);
  assert.match(err.message, /secure renegotiation/);
});

Deno.test("RFC 7507 §3: TLS_FALLBACK_SCSV is inappropriate_fallback when the server speaks TLS 1.3, accepted when it does not", async () => {
  const pki = await testPki();
  const config: TlsConfig = { role: "server", certificateChain: pki.rsaCert, privateKey: pki.rsaKey };
  const fallback = clientHello12({ cipherSuites: [0xc02f, 0x5600] });
  throwsAlert(() => side12(config).engine.receive(fallback), Alert.inappropriate_fallback);
  const capped = side12({ ...config, maxVersion: "TLSv1.2" });
  capped.engine.receive(fallback);
  assert.ok(capped.events.includes("out ServerHelloDone"));
});

Deno.test("RFC 8446 §4.1.3: the server marks ServerHello.random with DOWNGRD\\x01 when it could have spoken TLS 1.3", async () => {
  const pki = await testPki();
  for (const [maxVersion, marked] of [["TLSv1.3", true], ["TLSv1.2", false]] as const) {
    const s = side12({ role: "server", certificateChain: pki.rsaCert, privateKey: pki.rsaKey, maxVersion });
    s.engine.receive(clientHello12());
    const wire = drain(s.outbox);
    const tail = dec.decode(wire.subarray(5 + 4 + 2 + 24, 5 + 4 + 2 + 32));
    assert.equal(tail === "DOWNGRD\x01", marked, maxVersion);
  }
});

Deno.test("RFC 5246 §7.4.1.4.1: SHA-1-only or absent signature_algorithms is handshake_failure (SHA-1 is refused)", async () => {
  const pki = await testPki();
  const config: TlsConfig = { role: "server", certificateChain: pki.rsaCert, privateKey: pki.rsaKey };
  const sha1 = standardExtensions().map((e) => e.type === 13 ? { type: 13, data: fromHex("000402010203") } : e);
  const err = throwsAlert(
    () => side12(config).engine.receive(clientHello12({ extensions: sha1 })),
    Alert.handshake_failure,
  );
  assert.match(err.message, /SHA-1 is refused/);
  const none = standardExtensions().filter((e) => e.type !== 13);
  throwsAlert(() => side12(config).engine.receive(clientHello12({ extensions: none })), Alert.handshake_failure);
  // PKCS#1 v1.5 with SHA-256 alone is accepted for the ServerKeyExchange.
  const pkcs1 = standardExtensions().map((e) => e.type === 13 ? { type: 13, data: fromHex("00020401") } : e);
  const s = side12(config);
  s.engine.receive(clientHello12({ extensions: pkcs1 }));
  assert.ok(s.events.includes("out ServerKeyExchange"));
});

Deno.test("RFC 5246 §7.4.1.3: an offered session id or ticket gets a full handshake and no session id back", async () => {
  const pki = await testPki();
  const s = side12({ role: "server", certificateChain: pki.rsaCert, privateKey: pki.rsaKey });
  const exts = [...standardExtensions(), { type: 35, data: new Uint8Array(16).fill(1) }];
  s.engine.receive(clientHello12({ sessionId: new Uint8Array(32).fill(5), extensions: exts }));
  const wire = drain(s.outbox);
  assert.equal(wire[5 + 4 + 2 + 32], 0, "empty session id in ServerHello");
  assert.ok(s.events.includes("out ServerKeyExchange"), "a full handshake");
});

Deno.test("RFC 5246 §7.1: a ChangeCipherSpec before the key exchange is unexpected_message", async () => {
  const { client, server } = await pair();
  client.engine.start();
  server.engine.receive(drain(client.outbox));
  throwsAlert(() => server.engine.receive(new Uint8Array([20, 3, 3, 0, 1, 1])), Alert.unexpected_message);
});

Deno.test("mutual TLS 1.2 (RFC 5246 §7.4.4, §7.4.8): a verified client certificate; none when required is handshake_failure", async () => {
  const pki = await testPki();
  const server = { caCertificates: [pki.caCert], requireClientCertificate: true };
  for (const ec of [false, true]) {
    const { client, server: s } = await pair({
      ec,
      client: { certificateChain: pki.clientCert, privateKey: pki.clientKey },
      server,
    });
    client.engine.start();
    pump(asSide(client), asSide(s));
    assert.equal(s.engine.info?.peerCertificates.length, 1);
    assert.equal(s.engine.info?.signatureScheme, "ecdsa_secp256r1_sha256");
    exchange(client, s);
  }
  const { client, server: s } = await pair({ server });
  client.engine.start();
  throwsAlert(() => pump(asSide(client), asSide(s)), Alert.handshake_failure);
  assert.match(s.events.join("\n"), /client did not send a certificate/);
});

Deno.test("server certificate checks: an unknown CA or a wrong host name is refused by the client", async () => {
  const pki = await testPki();
  for (const client of [{ caCertificates: [pki.otherCaCert] }, { serverName: "elsewhere.example" }]) {
    const { client: c, server } = await pair({ client });
    c.engine.start();
    server.engine.receive(drain(c.outbox));
    assert.throws(() => c.engine.receive(drain(server.outbox)));
    assert.equal(c.engine.handshakeDone, false);
  }
});

Deno.test("SNI and ALPN (RFC 6066 §3, RFC 7301 §3.1) are negotiated in TLS 1.2 too", async () => {
  const { client, server } = await pair({
    client: { alpnProtocols: ["h2", "http/1.1"] },
    server: { alpnProtocols: ["http/1.1"] },
  });
  client.engine.start();
  pump(asSide(client), asSide(server));
  assert.equal(client.engine.info?.alpn, "http/1.1");
  assert.equal(server.engine.info?.alpn, "http/1.1");
  assert.equal(server.engine.info?.serverName, "localhost");
});

Deno.test("key log: one CLIENT_RANDOM line, the same on both sides", async () => {
  const { client, server } = await pair();
  client.engine.start();
  pump(asSide(client), asSide(server));
  assert.equal(client.keyLog.length, 1);
  assert.deepEqual(client.keyLog, server.keyLog);
  assert.match(client.keyLog[0], /^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$/);
});

Deno.test("close_notify (RFC 5246 §7.2.1): half-close, the other direction keeps flowing; data after it is unexpected_message", async () => {
  const { client, server } = await pair();
  client.engine.start();
  pump(asSide(client), asSide(server));
  client.engine.close();
  pump(asSide(client), asSide(server));
  assert.ok(server.engine.peerClosed);
  server.engine.send(enc.encode("still here"));
  pump(asSide(client), asSide(server));
  assert.equal(dec.decode(drain(client.inbox)), "still here");
  throwsAlert(() => server.engine.receive(new Uint8Array([23, 3, 3, 0, 1, 0])), Alert.unexpected_message);
});

/** Records protected as `from` would protect them, from the key log: a scripted peer that lives on after the handshake. */
function forgeAs(from: "client" | "server", client: Side12, server: Side12): Tls12RecordWriter {
  const writer = keysOf(from, client, server);
  writer.seal(22, new Uint8Array(16)); // stands in for Finished, record 0
  return writer;
}

Deno.test("RFC 5746 §4.2, §4.4: renegotiation is refused with a no_renegotiation warning and the connection carries on", async () => {
  // Server side: a ClientHello after the handshake.
  let { client, server } = await pair();
  client.engine.start();
  pump(asSide(client), asSide(server));
  let peer = forgeAs("client", client, server);
  server.engine.receive(peer.seal(22, drain([clientHello12().subarray(5)])));
  assert.ok(server.events.includes("refused renegotiation (ClientHello)"));
  client.engine.receive(drain(server.outbox));
  assert.ok(client.events.includes("received warning alert no_renegotiation"));
  server.engine.receive(peer.seal(23, enc.encode("after")));
  assert.equal(dec.decode(drain(server.inbox)), "after");

  // Client side: a HelloRequest.
  ({ client, server } = await pair());
  client.engine.start();
  pump(asSide(client), asSide(server));
  peer = forgeAs("server", client, server);
  client.engine.receive(peer.seal(22, new Uint8Array([0, 0, 0, 0])));
  assert.ok(client.events.includes("refused renegotiation (HelloRequest)"));
  server.engine.receive(drain(client.outbox));
  assert.ok(server.events.includes("received warning alert no_renegotiation"));
  client.engine.receive(peer.seal(23, enc.encode("after")));
  assert.equal(dec.decode(drain(client.inbox)), "after");
});

Deno.test("RFC 8422 §5.1: an ECDSA certificate on a curve outside the client's supported_groups is handshake_failure", async () => {
  const pki = await testPki();
  const config: TlsConfig = { role: "server", certificateChain: pki.ecCert, privateKey: pki.ecKey };
  const x25519Only = standardExtensions().map((e) => e.type === 10 ? { type: 10, data: fromHex("0002001d") } : e);
  const err = throwsAlert(
    () => side12(config).engine.receive(clientHello12({ cipherSuites: [0xc02b], extensions: x25519Only })),
    Alert.handshake_failure,
  );
  assert.match(err.message, /exclude our ECDSA certificate's curve/);
  const s = side12(config);
  s.engine.receive(clientHello12({ cipherSuites: [0xc02b] })); // x25519 and P-256 listed
  assert.ok(s.events.includes("out ServerHelloDone"));
});

/** The records in `wire`, each whole (header included). */
function records(wire: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < wire.length;) {
    const end = at + 5 + ((wire[at + 3] << 8) | wire[at + 4]);
    out.push(wire.subarray(at, end));
    at = end;
  }
  return out;
}

/** A writer with `from`'s fresh write keys (sequence 0), from the client's key log. */
function keysOf(from: "client" | "server", client: Side12, server: Side12): Tls12RecordWriter {
  const [, clientRandom, master] = client.keyLog[0].split(" ");
  const serverRandom = server.wire[0].subarray(11, 43);
  const suite = TLS12_SUITES.find((s) =>
    s.id === ((server.wire[0][5 + 4 + 2 + 32 + 1] << 8) | server.wire[0][5 + 4 + 2 + 32 + 2])
  )!;
  const keys = recordProtections(new NodeCryptoProvider(), suite, fromHex(master), fromHex(clientRandom), serverRandom);
  const writer = new Tls12RecordWriter();
  writer.protection = keys[from];
  return writer;
}

Deno.test("RFC 5246 §7.4.9: a Finished whose verify_data is not 12 bytes → decode_error, on both sides", async () => {
  const finished13 = new Uint8Array([20, 0, 0, 13, ...new Uint8Array(13)]);
  // Server side: the client's flight with its Finished replaced by a 13-byte one under the right keys.
  let { client, server } = await pair();
  client.engine.start();
  server.engine.receive(drain(client.outbox));
  client.engine.receive(drain(server.outbox));
  let flight = records(drain(client.outbox));
  assert.equal(flight.at(-2)?.[0], 20, "ChangeCipherSpec before Finished");
  const forgedFlight = drain([...flight.slice(0, -1), keysOf("client", client, server).seal(22, finished13)]);
  throwsAlert(() => server.engine.receive(forgedFlight), Alert.decode_error);

  // Client side: the server's ChangeCipherSpec, then a 13-byte Finished under the server's keys.
  ({ client, server } = await pair());
  client.engine.start();
  server.engine.receive(drain(client.outbox));
  client.engine.receive(drain(server.outbox));
  server.engine.receive(drain(client.outbox));
  flight = records(drain(server.outbox));
  assert.equal(flight[0][0], 20, "ChangeCipherSpec first");
  const forged = drain([flight[0], keysOf("server", client, server).seal(22, finished13)]);
  throwsAlert(() => client.engine.receive(forged), Alert.decode_error);
});

Deno.test("RFC 5246 §7.4.1.1: a HelloRequest during the handshake is ignored by the client (not hashed); a non-empty one → decode_error", async () => {
  const helloRequest = new Uint8Array([22, 3, 3, 0, 4, 0, 0, 0, 0]);
  let { client, server } = await pair();
  client.engine.start();
  server.engine.receive(drain(client.outbox));
  client.engine.receive(drain([helloRequest, ...server.outbox.splice(0)]));
  assert.ok(client.events.includes("ignored HelloRequest during the handshake"));
  pump(asSide(client), asSide(server));
  assert.ok(client.engine.handshakeDone && server.engine.handshakeDone);
  exchange(client, server);

  ({ client, server } = await pair());
  client.engine.start();
  server.engine.receive(drain(client.outbox));
  const nonEmpty = new Uint8Array([22, 3, 3, 0, 5, 0, 0, 0, 1, 0]);
  throwsAlert(() => client.engine.receive(nonEmpty), Alert.decode_error);
});
