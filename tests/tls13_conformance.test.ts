/**
 * RFC 8446 record-layer rules of the TLS 1.3 engine, each tested on both
 * sides: what must be accepted and what must be refused, with the exact
 * alert. Records are made by hand (tests/fixtures/tls13/forge.ts) under keys
 * taken from the key log.
 */

import assert from "node:assert/strict";
import { Alert, type TlsError } from "../lib/ssl/alerts.ts";
import type { TlsConfig } from "../lib/ssl/engine.ts";
import { ExtensionType, HandshakeType } from "../lib/protocol/constants.ts";
import { encodeU16List, handshakeMessage } from "../lib/protocol/messages.ts";
import { createTls13Engine, type Tls13Options } from "../lib/engines/tls13/mod.ts";
import { versionRouter } from "../lib/engines/version_router.ts";
import { connect, drain, pump, type Side, side, testPki, throwsAlert } from "./fixtures/tls13/helpers.ts";
import { junkRecord, RecordForger } from "./fixtures/tls13/forge.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** A completed pair, with forgers for the client's and the server's application keys. */
async function established(clientOptions: Tls13Options = {}, serverOptions: Tls13Options = {}) {
  const log: string[] = [];
  const pair = await connect({ keyLog: (l) => log.push(l) }, {}, clientOptions, serverOptions);
  const cipher = pair.client.engine.info!.cipher;
  return {
    ...pair,
    fromClient: RecordForger.fromKeyLog(log, "CLIENT_TRAFFIC_SECRET_0", cipher),
    fromServer: RecordForger.fromKeyLog(log, "SERVER_TRAFFIC_SECRET_0", cipher),
  };
}

/**
 * A server that has read the client's hello and sent its flight, but not
 * yet read the client's Finished; `fromClient` seals under the client
 * handshake key.
 */
async function serverMidHandshake(clientOptions: Tls13Options = {}, serverConfig: Partial<TlsConfig> = {}) {
  const pki = await testPki();
  const log: string[] = [];
  const client = side({ role: "client", serverName: "localhost", caCertificates: [pki.caCert] }, clientOptions);
  const server = side({
    role: "server",
    certificateChain: pki.rsaCert,
    privateKey: pki.rsaKey,
    keyLog: (l) => log.push(l),
    ...serverConfig,
  });
  client.engine.start();
  const hello = drain(client.outbox);
  return { client, server, hello, log };
}

function handshakeForger(log: string[], server: Side): RecordForger {
  const line = server.events.find((e) => e.startsWith("out ServerHello"));
  assert.ok(line, "the server sent its ServerHello");
  // The suite is the server's first preference the client offered: ChaCha20 by default.
  return RecordForger.fromKeyLog(log, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "TLS_CHACHA20_POLY1305_SHA256");
}

// ---- RFC 8446 §5.1: zero-length alert fragments --------------------------

Deno.test("RFC 8446 §5.1: an empty protected alert under application keys is unexpected_message", async () => {
  for (const inner of [[21], [21, 0, 0, 0, 0]]) {
    const { server, fromClient } = await established();
    throwsAlert(() => server.engine.receive(fromClient.seal(new Uint8Array(inner))), Alert.unexpected_message);
  }
});

Deno.test("RFC 8446 §5.1: an empty protected alert under handshake keys is unexpected_message", async () => {
  for (const inner of [[21], [21, 0, 0]]) {
    const { server, hello, log } = await serverMidHandshake();
    server.engine.receive(hello);
    const f = handshakeForger(log, server);
    throwsAlert(() => server.engine.receive(f.seal(new Uint8Array(inner))), Alert.unexpected_message);
  }
});

Deno.test("RFC 8446 §5.1: an empty plaintext alert is unexpected_message; a padded two-byte alert is read", async () => {
  const pki = await testPki();
  const server = side({ role: "server", certificateChain: pki.rsaCert, privateKey: pki.rsaKey });
  throwsAlert(() => server.engine.receive(new Uint8Array([21, 3, 3, 0, 0])), Alert.unexpected_message);
  // Accepting side: a close_notify with record padding is an ordinary close_notify.
  const { server: s2, fromClient } = await established();
  s2.engine.receive(fromClient.seal(new Uint8Array([1, 0, 21, 0, 0, 0, 0])));
  assert.ok(s2.engine.peerClosed);
});

// ---- RFC 8446 §5.2, §5.4: record size limits -----------------------------

Deno.test("RFC 8446 §5.4: TLSInnerPlaintext of 2^14 + 1 bytes is accepted", async () => {
  const { server, fromClient } = await established();
  const inner = new Uint8Array(16385).fill(0x61);
  inner[16384] = 23;
  server.engine.receive(fromClient.seal(inner));
  assert.equal(drain(server.inbox).length, 16384);
});

Deno.test("RFC 8446 §5.4: TLSInnerPlaintext over 2^14 + 1 bytes is record_overflow, even when the content fits", async () => {
  // Full content plus one byte of padding.
  const a = await established();
  const inner = new Uint8Array(16386).fill(0x61);
  inner[16384] = 23;
  inner[16385] = 0;
  throwsAlert(() => a.server.engine.receive(a.fromClient.seal(inner)), Alert.record_overflow);
  // A short content with long padding, on the client side this time.
  const b = await established();
  const padded = new Uint8Array(16500);
  padded.set([104, 105, 23]);
  throwsAlert(() => b.client.engine.receive(b.fromServer.seal(padded)), Alert.record_overflow);
  // The alert went out, protected, and the peer reads it as record_overflow.
  throwsAlert(() => b.server.engine.receive(drain(b.client.outbox)), Alert.record_overflow);
});

Deno.test("RFC 8446 §5.2: TLSCiphertext over 2^14 + 256 is record_overflow from its header alone", async () => {
  // Under application keys, under handshake keys, and before any keys.
  const { server } = await established();
  throwsAlert(() => server.engine.receive(new Uint8Array([23, 3, 3, 0x41, 0x01])), Alert.record_overflow);
  const mid = await serverMidHandshake();
  mid.server.engine.receive(mid.hello);
  throwsAlert(() => mid.server.engine.receive(new Uint8Array([23, 3, 3, 0x41, 0x01])), Alert.record_overflow);
  const fresh = await serverMidHandshake();
  throwsAlert(() => fresh.server.engine.receive(new Uint8Array([23, 3, 3, 0x41, 0x01])), Alert.record_overflow);
  // The answer is an alert on the wire, never silence.
  assert.deepEqual([...drain(fresh.server.outbox)], [21, 3, 3, 0, 2, 2, 22]);
});

// ---- RFC 8446 §6.1: after close_notify -----------------------------------

Deno.test("RFC 8446 §6.1: records after close_notify in the same read are ignored", async () => {
  const { client, server } = await established();
  client.engine.send(enc("before"));
  const data = drain(client.outbox);
  client.engine.close();
  const closeNotify = drain(client.outbox);
  const garbage = new Uint8Array([23, 3, 3, 0, 20, ...new Uint8Array(20)]);
  server.engine.receive(new Uint8Array([...data, ...closeNotify, ...garbage, 0x99, 0x99]));
  assert.equal(dec(drain(server.inbox)), "before");
  assert.ok(server.engine.peerClosed);
  assert.equal(drain(server.outbox).length, 0, "no alert in answer to what follows close_notify");
});

// ---- RFC 8446 §5: plaintext records once keys are in use ------------------

Deno.test("RFC 8446 §5: a client with handshake keys refuses plaintext alerts and handshake records", async () => {
  for (const record of [[21, 3, 3, 0, 2, 1, 0], [21, 3, 3, 0, 2, 2, 40], [22, 3, 3, 0, 5, 20, 0, 0, 1, 0]]) {
    const { client, server, hello } = await serverMidHandshake();
    server.engine.receive(hello);
    const flight = drain(server.outbox);
    // Just the ServerHello record: the client now reads under handshake keys.
    const shLength = (flight[3] << 8) | flight[4];
    client.engine.receive(flight.subarray(0, 5 + shLength));
    const e = throwsAlert(() => client.engine.receive(new Uint8Array(record)), Alert.unexpected_message);
    assert.ok(e.sent && !e.received);
  }
});

Deno.test("RFC 8446 §5: a plaintext close_notify in mid-handshake is unexpected_message, not a clean close", async () => {
  const { server, hello } = await serverMidHandshake();
  server.engine.receive(hello);
  throwsAlert(() => server.engine.receive(new Uint8Array([21, 3, 3, 0, 2, 1, 0])), Alert.unexpected_message);
  assert.equal(server.engine.peerClosed, false);
});

Deno.test("RFC 8446 §5: after the client's first protected record, its plaintext fatal alert is unexpected_message", async () => {
  const { server, hello, log } = await serverMidHandshake({ middleboxCompat: false });
  server.engine.receive(hello);
  const f = handshakeForger(log, server);
  // A valid protected record: the start of a handshake message, split across records.
  server.engine.receive(f.seal(new Uint8Array([HandshakeType.finished, 0, 22])));
  throwsAlert(() => server.engine.receive(new Uint8Array([21, 3, 3, 0, 2, 2, 40])), Alert.unexpected_message);
});

Deno.test("RFC 8446 §5: a server reads a fatal alert in plaintext from a client that could not use its ServerHello", async () => {
  const { server, hello } = await serverMidHandshake();
  server.engine.receive(hello);
  const e = throwsAlert(() => server.engine.receive(new Uint8Array([21, 3, 3, 0, 2, 2, 47])), Alert.illegal_parameter);
  assert.ok(e.received);
});

Deno.test("RFC 8446 §5: a plaintext alert after the handshake is unexpected_message on both sides", async () => {
  const a = await established();
  throwsAlert(() => a.server.engine.receive(new Uint8Array([21, 3, 3, 0, 2, 2, 40])), Alert.unexpected_message);
  const b = await established();
  throwsAlert(() => b.client.engine.receive(new Uint8Array([21, 3, 3, 0, 2, 1, 0])), Alert.unexpected_message);
});

// ---- RFC 8446 §5.5: key usage limits ---------------------------------------

Deno.test("RFC 8446 §5.5: a write key is replaced by a KeyUpdate before its record limit", async () => {
  const { client, server } = await established({ keyUpdateAfterRecords: 4 });
  const sent: string[] = [];
  for (let i = 0; i < 10; i++) {
    sent.push(`record ${i};`);
    client.engine.send(enc(sent[i]));
  }
  // One large write crosses several limits on its own.
  const big = new Uint8Array(16384 * 9).fill(0x62);
  client.engine.send(big);
  pump(client, server);
  assert.equal(dec(drain(server.inbox)), sent.join("") + dec(big));
  const updates = client.events.filter((e) => e === "out KeyUpdate").length;
  // 10 one-record writes and 9 full records: three data records per key, the fourth is the KeyUpdate.
  assert.equal(updates, Math.floor((10 + 9 - 1) / 3));
  assert.ok(server.events.filter((e) => e === "read keys updated").length === updates);
});

Deno.test("RFC 8446 §5.5: the default limit stays below AES-GCM's 2^24.5 records", async () => {
  const { KEY_UPDATE_AFTER_RECORDS } = await import("../lib/engines/tls13/outbound.ts");
  assert.ok(KEY_UPDATE_AFTER_RECORDS < 2 ** 24.5);
  // No KeyUpdate in ordinary traffic.
  const { client, server } = await established({ cipherSuites: ["TLS_AES_128_GCM_SHA256"] });
  for (let i = 0; i < 50; i++) client.engine.send(enc("x"));
  pump(client, server);
  assert.equal(client.events.filter((e) => e === "out KeyUpdate").length, 0);
});

Deno.test("RFC 8446 §5.5: a run of KeyUpdates without application data is cut off after 32", async () => {
  const ku = handshakeMessage(HandshakeType.key_update, new Uint8Array([0]));
  const { server, fromClient } = await established();
  for (let i = 0; i < 32; i++) {
    server.engine.receive(fromClient.seal(new Uint8Array([...ku, 22])));
    fromClient.update();
  }
  // Application data resets the count.
  server.engine.receive(fromClient.seal(new Uint8Array([104, 105, 23])));
  for (let i = 0; i < 32; i++) {
    server.engine.receive(fromClient.seal(new Uint8Array([...ku, 22])));
    fromClient.update();
  }
  assert.equal(dec(drain(server.inbox)), "hi");
  throwsAlert(() => server.engine.receive(fromClient.seal(new Uint8Array([...ku, 22]))), Alert.unexpected_message);
});

Deno.test("RFC 8446 §5.5: KeyUpdates requesting an update are each answered, within the bound", async () => {
  const ku = handshakeMessage(HandshakeType.key_update, new Uint8Array([1]));
  const { client, server, fromClient } = await established();
  for (let i = 0; i < 3; i++) {
    server.engine.receive(fromClient.seal(new Uint8Array([...ku, 22])));
    fromClient.update();
  }
  assert.equal(server.events.filter((e) => e === "out KeyUpdate").length, 3);
  client.engine.receive(drain(server.outbox)); // the client follows all three
  server.engine.send(enc("after"));
  client.engine.receive(drain(server.outbox));
  assert.equal(dec(drain(client.inbox)), "after");
});

/** A NewSessionTicket (ticket [7]) with this extension block content, in its inner plaintext. */
function ticketWith(exts: number[]): Uint8Array {
  const body = [0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1, 7, exts.length >> 8, exts.length & 0xff, ...exts];
  return new Uint8Array([...handshakeMessage(HandshakeType.new_session_ticket, new Uint8Array(body)), 22]);
}

Deno.test("RFC 8446 §4.6.1: a NewSessionTicket carrying key_share → illegal_parameter; early_data and unknown extensions are accepted", async () => {
  const { client, server, fromServer } = await established();
  client.engine.receive(fromServer.seal(ticketWith([0, 42, 0, 4, 0, 0, 0x40, 0]))); // early_data: 16 KiB
  client.engine.receive(fromServer.seal(ticketWith([0x1a, 0x1a, 0, 1, 9]))); // unknown (GREASE)
  client.engine.receive(fromServer.seal(new Uint8Array([111, 107, 23])));
  assert.equal(dec(drain(client.inbox)), "ok");
  throwsAlert(
    () => client.engine.receive(fromServer.seal(ticketWith([0, 51, 0, 2, 0, 29]))),
    Alert.illegal_parameter,
    "sent",
  );
  assert.ok(server.engine.handshakeDone);
});

Deno.test("RFC 8446 §4.6.1, §4.2.10: a NewSessionTicket early_data that is not a uint32 → decode_error", async () => {
  for (const data of [[], [0, 0, 0x40], [0, 0, 0x40, 0, 0]]) {
    const { client, fromServer } = await established();
    const ticket = ticketWith([0, 42, 0, data.length, ...data]);
    throwsAlert(() => client.engine.receive(fromServer.seal(ticket)), Alert.decode_error, "sent");
  }
});

Deno.test("RFC 8446 §5.5: a run of NewSessionTickets without application data is cut off after 32", async () => {
  const ticket = handshakeMessage(
    HandshakeType.new_session_ticket,
    new Uint8Array([0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1, 7, 0, 0]),
  );
  const { client, fromServer } = await established();
  for (let i = 0; i < 32; i++) client.engine.receive(fromServer.seal(new Uint8Array([...ticket, 22])));
  client.engine.receive(fromServer.seal(new Uint8Array([111, 107, 23])));
  for (let i = 0; i < 32; i++) client.engine.receive(fromServer.seal(new Uint8Array([...ticket, 22])));
  assert.equal(dec(drain(client.inbox)), "ok");
  throwsAlert(() => client.engine.receive(fromServer.seal(new Uint8Array([...ticket, 22]))), Alert.unexpected_message);
});

// ---- RFC 8446 §4.2.10: early data the server does not accept ---------------

const EARLY_DATA = { type: ExtensionType.early_data, data: new Uint8Array(0) };
const UNUSABLE_PSK = {
  type: ExtensionType.pre_shared_key,
  data: new Uint8Array([0, 10, 0, 4, 1, 2, 3, 4, 0, 0, 0, 1, 0, 33, 32, ...new Uint8Array(32)]),
};
const offerEarlyData: Tls13Options = {
  // What a resuming client sends: early_data and a PSK we cannot use (pre_shared_key last).
  clientHelloExtensions: (exts) => [...exts, EARLY_DATA, UNUSABLE_PSK],
};

/** The same client, which drops early_data from its second ClientHello as RFC 8446 §4.2.10 requires. */
function offerEarlyDataOnce(): Tls13Options {
  let hellos = 0;
  return {
    clientHelloExtensions: (exts) => ++hellos === 1 ? [...exts, EARLY_DATA, UNUSABLE_PSK] : [...exts, UNUSABLE_PSK],
  };
}

/** Runs the handshake with `early` records sent right after the ClientHello, then exchanges data. */
async function withEarlyData(early: Uint8Array[], clientOptions: Tls13Options = {}, serverOptions: Tls13Options = {}) {
  const pki = await testPki();
  const client = side(
    { role: "client", serverName: "localhost", caCertificates: [pki.caCert] },
    { ...offerEarlyData, ...clientOptions },
  );
  const server = side({ role: "server", certificateChain: pki.rsaCert, privateKey: pki.rsaKey }, serverOptions);
  client.engine.start();
  server.engine.receive(drain(client.outbox));
  for (const r of early) server.engine.receive(r);
  pump(client, server);
  assert.ok(client.engine.handshakeDone && server.engine.handshakeDone);
  client.engine.send(enc("1-RTT data"));
  pump(client, server);
  assert.equal(dec(drain(server.inbox)), "1-RTT data");
  return { client, server };
}

const CCS = new Uint8Array([20, 3, 3, 0, 1, 1]);

Deno.test("RFC 8446 §4.2.10: rejected early data in one record is skipped, 1-RTT follows", async () => {
  const { server } = await withEarlyData([junkRecord(1000)]);
  assert.ok(server.events.includes("early data offered: not accepted, skipping it"));
});

Deno.test("RFC 8446 §4.2.10: rejected early data over several records, interleaved with ChangeCipherSpec", async () => {
  await withEarlyData([junkRecord(100), junkRecord(5000), junkRecord(1)]);
  const junk = junkRecord(300);
  await withEarlyData([junk.subarray(0, 7), junk.subarray(7), CCS, junkRecord(200)], { middleboxCompat: false });
});

Deno.test("RFC 8446 §4.2.10: after a HelloRetryRequest, application_data records are skipped until the second ClientHello", async () => {
  const retry = {
    ...offerEarlyDataOnce(),
    groups: ["secp256r1", "x25519"],
    keyShareGroups: ["secp256r1"],
    middleboxCompat: false,
  };
  const { server } = await withEarlyData([junkRecord(500), CCS, junkRecord(2000)], retry, { groups: ["x25519"] });
  assert.ok(server.events.includes("TLS server write hello retry request"));
});

Deno.test("RFC 8446 §4.2.10: up to 16 KiB of early data is skipped; more is refused", async () => {
  await withEarlyData([junkRecord(16384)]);
  await withEarlyData([junkRecord(8192), junkRecord(8192)]);
  await assert.rejects(() => withEarlyData([junkRecord(8192), junkRecord(8193)]), (e: TlsError) => {
    assert.equal(e.alert, Alert.bad_record_mac);
    return true;
  });
  const retry = { ...offerEarlyDataOnce(), groups: ["secp256r1", "x25519"], keyShareGroups: ["secp256r1"] };
  await assert.rejects(() => withEarlyData([junkRecord(16000), junkRecord(1000)], retry, { groups: ["x25519"] }), (
    e: TlsError,
  ) => {
    assert.equal(e.alert, Alert.unexpected_message);
    return true;
  });
});

Deno.test("RFC 8446 §4.2.10: an undecryptable record after the first one that authenticates is bad_record_mac", async () => {
  const { server, hello, log } = await serverMidHandshake(offerEarlyData);
  server.engine.receive(hello);
  server.engine.receive(junkRecord(50));
  const f = handshakeForger(log, server);
  server.engine.receive(f.seal(new Uint8Array([HandshakeType.finished, 0, 22])));
  throwsAlert(() => server.engine.receive(junkRecord(50)), Alert.bad_record_mac);
});

Deno.test("RFC 8446 §4.2.10: without early_data in the ClientHello nothing is skipped", async () => {
  const { server, hello } = await serverMidHandshake();
  server.engine.receive(hello);
  throwsAlert(() => server.engine.receive(junkRecord(50)), Alert.bad_record_mac);
  const pki = await testPki();
  const retryClient = side({ role: "client", verifyPeer: false }, { keyShareGroups: ["secp256r1"] });
  const retryServer = side({ role: "server", certificateChain: pki.rsaCert, privateKey: pki.rsaKey }, {
    groups: ["x25519"],
  });
  retryClient.engine.start();
  retryServer.engine.receive(drain(retryClient.outbox));
  throwsAlert(() => retryServer.engine.receive(junkRecord(50)), Alert.unexpected_message);
});

// ---- RFC 8446 §4.1.2, §4.2.3: the largest legal ClientHello ---------------

/** Fills `type` with as many unsupported schemes as the extensions block allows, rsa_pss_rsae_sha256 last. */
function longestSchemeList(type: number): Tls13Options {
  return {
    clientHelloExtensions: (exts) => {
      const others = exts.filter((e) => e.type !== type).reduce((n, e) => n + 4 + e.data.length, 0);
      const entries = Math.floor((65535 - others - 4 - 2) / 2);
      const schemes = Array.from({ length: entries }, (_, i) => 0xfe00 + (i % 512));
      schemes[entries - 1] = 0x0804;
      return exts.map((e) => (e.type === type ? { type, data: encodeU16List(schemes) } : e));
    },
  };
}

for (
  const [name, type] of [["signature_algorithms", ExtensionType.signature_algorithms], [
    "signature_algorithms_cert",
    ExtensionType.signature_algorithms_cert,
  ]] as const
) {
  Deno.test(`RFC 8446 §4.2.3: a ${name} list filling the extensions block is negotiated like any other`, async () => {
    const pki = await testPki();
    const client = side(
      { role: "client", serverName: "localhost", caCertificates: [pki.caCert] },
      longestSchemeList(type),
    );
    const server = { outbox: [] as Uint8Array[], inbox: [] as Uint8Array[] };
    client.engine.start();
    const hello = drain(client.outbox);
    const declared = (hello[6] << 16) | (hello[7] << 8) | hello[8];
    assert.ok(declared > 65536 && hello.length > 4 * 16384, `a ClientHello over 64 KiB in five records (${declared})`);
    // Through the version router as server.ts runs it, delivered in pieces.
    const config: TlsConfig = { role: "server", certificateChain: pki.rsaCert, privateKey: pki.rsaKey };
    const routed = versionRouter(createTls13Engine)(config, {
      outgoing: (b) => server.outbox.push(b),
      plaintext: (b) => server.inbox.push(b.slice()),
    });
    for (let i = 0; i < hello.length; i += 1000) routed.receive(hello.subarray(i, i + 1000));
    client.engine.receive(drain(server.outbox));
    routed.receive(drain(client.outbox));
    assert.ok(client.engine.handshakeDone && routed.handshakeDone);
    assert.equal(client.engine.info!.signatureScheme, "rsa_pss_rsae_sha256");
  });
}

Deno.test("RFC 8446 §4.1.2: a ClientHello longer than its structure allows is refused before it is buffered", async () => {
  const pki = await testPki();
  const server = side({ role: "server", certificateChain: pki.rsaCert, privateKey: pki.rsaKey });
  // 131,397 bytes: one more than version, random, session id, suites, compression and extensions at their maxima.
  throwsAlert(() => server.engine.receive(new Uint8Array([22, 3, 1, 0, 4, 1, 0x02, 0x01, 0x45])), Alert.decode_error);
  // Other messages keep the 64 KiB bound (a Certificate announced by a server).
  const client = side({ role: "client", verifyPeer: false });
  client.engine.start();
  throwsAlert(() => client.engine.receive(new Uint8Array([22, 3, 3, 0, 4, 11, 0x01, 0x00, 0x01])), Alert.decode_error);
});
