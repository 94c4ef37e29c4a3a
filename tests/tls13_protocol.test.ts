/**
 * Protocol edge cases of the TLS 1.3 engine: hand-made records and hellos
 * that a well-behaved peer never sends, checked for the RFC 8446 §6 alert,
 * plus the ClientHello version probe.
 */

import assert from "node:assert/strict";
import { Alert, TlsError } from "../lib/ssl/alerts.ts";
import { fromHex } from "../lib/protocol/bytes.ts";
import { CIPHER_SUITES, ExtensionType, HandshakeType } from "../lib/protocol/constants.ts";
import { NodeCryptoProvider } from "../lib/crypto/node_provider.ts";
import { trafficKeys } from "../lib/engines/tls13/key_schedule.ts";
import {
  encodeClientHello,
  encodeOfferedPsks,
  encodeSupportedVersions,
  encodeU16List,
  handshakeMessage,
} from "../lib/protocol/messages.ts";
import { parseClientHelloVersions } from "../lib/engines/tls13/mod.ts";
import { RecordProtection, RecordWriter } from "../lib/engines/tls13/record.ts";
import { connect, drain, pump, side, testPki, throwsAlert } from "./fixtures/tls13/helpers.ts";

/** A connected pair plus a writer holding the client's application write keys, for hand-made records. */
async function pairWithClientKeys() {
  const log: string[] = [];
  const pair = await connect({ keyLog: (l) => log.push(l) });
  const secret = log.find((l) => l.startsWith("CLIENT_TRAFFIC_SECRET_0"))!.split(" ")[2];
  const p = new NodeCryptoProvider();
  const suite = CIPHER_SUITES.find((s) => s.name === pair.client.engine.info!.cipher)!;
  const k = trafficKeys(p, suite, fromHex(secret));
  const prot = new RecordProtection(p.aead(suite.aead, k.key), k.iv);
  /** A protected record whose inner plaintext is exactly `inner` (content, type, padding). */
  const forge = (inner: Uint8Array): Uint8Array => {
    const out = new Uint8Array(5 + inner.length + 16);
    out.set([23, 3, 3, (inner.length + 16) >> 8, (inner.length + 16) & 0xff]);
    prot.aead.seal(prot.nextNonce(), out.subarray(0, 5), inner, out, 5);
    return out;
  };
  return { ...pair, forge };
}

Deno.test("record padding is stripped; empty application data is accepted", async () => {
  const { server, forge } = await pairWithClientKeys();
  server.engine.receive(forge(new Uint8Array([104, 105, 23, 0, 0, 0, 0, 0, 0, 0])));
  server.engine.receive(forge(new Uint8Array([23]))); // zero-length application data
  server.engine.receive(forge(new Uint8Array([23, ...new Uint8Array(1000)])));
  assert.equal(new TextDecoder().decode(drain(server.inbox)), "hi");
});

Deno.test("a protected record of only zeros has no content type: unexpected_message", async () => {
  const { server, forge } = await pairWithClientKeys();
  throwsAlert(() => server.engine.receive(forge(new Uint8Array(8))), Alert.unexpected_message);
});

Deno.test("a protected ChangeCipherSpec or unknown inner type is unexpected_message", async () => {
  const a = await pairWithClientKeys();
  throwsAlert(() => a.server.engine.receive(a.forge(new Uint8Array([1, 20]))), Alert.unexpected_message);
  const b = await pairWithClientKeys();
  throwsAlert(() => b.server.engine.receive(b.forge(new Uint8Array([1, 99]))), Alert.unexpected_message);
});

Deno.test("decrypted plaintext over 2^14 bytes is record_overflow", async () => {
  const { server, forge } = await pairWithClientKeys();
  const inner = new Uint8Array(16385 + 1);
  inner[16385] = 23;
  throwsAlert(() => server.engine.receive(forge(inner)), Alert.record_overflow);
});

Deno.test("a record longer than 2^14+256 is record_overflow before any buffering", async () => {
  const { server } = await connect();
  throwsAlert(() => server.engine.receive(new Uint8Array([23, 3, 3, 0x41, 0x01])), Alert.record_overflow);
  const fresh = side({ role: "client", verifyPeer: false });
  fresh.engine.start();
  // Plaintext records may not exceed 2^14.
  throwsAlert(() => fresh.engine.receive(new Uint8Array([22, 3, 3, 0x40, 0x01])), Alert.record_overflow);
});

Deno.test("an alert record that is not two bytes is decode_error", async () => {
  const { server, forge } = await pairWithClientKeys();
  throwsAlert(() => server.engine.receive(forge(new Uint8Array([2, 40, 0, 21]))), Alert.decode_error);
});

Deno.test("a KeyUpdate that does not end its record is unexpected_message", async () => {
  const { server, forge } = await pairWithClientKeys();
  const ku = handshakeMessage(HandshakeType.key_update, new Uint8Array([0]));
  const extra = handshakeMessage(HandshakeType.key_update, new Uint8Array([0]));
  throwsAlert(() => server.engine.receive(forge(new Uint8Array([...ku, ...extra, 22]))), Alert.unexpected_message);
});

Deno.test("KeyUpdate with a bad request value is illegal_parameter", async () => {
  const { server, forge } = await pairWithClientKeys();
  const ku = handshakeMessage(HandshakeType.key_update, new Uint8Array([2]));
  throwsAlert(() => server.engine.receive(forge(new Uint8Array([...ku, 22]))), Alert.illegal_parameter);
});

Deno.test("a fragmented handshake message interleaved with data is unexpected_message", async () => {
  const { server, forge } = await pairWithClientKeys();
  const ku = handshakeMessage(HandshakeType.key_update, new Uint8Array([0]));
  server.engine.receive(forge(new Uint8Array([...ku.subarray(0, 2), 22])));
  throwsAlert(() => server.engine.receive(forge(new Uint8Array([1, 23]))), Alert.unexpected_message);
});

Deno.test("post-handshake messages other than KeyUpdate/NewSessionTicket are unexpected_message", async () => {
  const { server, forge } = await pairWithClientKeys();
  const fin = handshakeMessage(HandshakeType.finished, new Uint8Array(32));
  throwsAlert(() => server.engine.receive(forge(new Uint8Array([...fin, 22]))), Alert.unexpected_message);
});

Deno.test("ChangeCipherSpec after the handshake is unexpected_message", async () => {
  const { client, server } = await connect();
  throwsAlert(() => server.engine.receive(new Uint8Array([20, 3, 3, 0, 1, 1])), Alert.unexpected_message);
  throwsAlert(() => client.engine.receive(drain(server.outbox)), Alert.unexpected_message);
});

Deno.test("ChangeCipherSpec before any ClientHello, or twice, or not 0x01, is unexpected_message", async () => {
  const pki = await testPki();
  const mk = () => side({ role: "server", certificateChain: pki.rsaCert, privateKey: pki.rsaKey });
  throwsAlert(() => mk().engine.receive(new Uint8Array([20, 3, 3, 0, 1, 1])), Alert.unexpected_message);
  // A client that sends CCS twice during the handshake.
  const client = side({ role: "client", verifyPeer: false });
  const server = mk();
  client.engine.start();
  server.engine.receive(drain(client.outbox));
  server.engine.receive(new Uint8Array([20, 3, 3, 0, 1, 1]));
  throwsAlert(() => server.engine.receive(new Uint8Array([20, 3, 3, 0, 1, 1])), Alert.unexpected_message);
  const s2 = mk(), c2 = side({ role: "client", verifyPeer: false });
  c2.engine.start();
  s2.engine.receive(drain(c2.outbox));
  throwsAlert(() => s2.engine.receive(new Uint8Array([20, 3, 3, 0, 1, 2])), Alert.unexpected_message);
});

Deno.test("application data before the handshake completes is unexpected_message", async () => {
  const pki = await testPki();
  const server = side({ role: "server", certificateChain: pki.rsaCert, privateKey: pki.rsaKey });
  throwsAlert(() => server.engine.receive(new Uint8Array([23, 3, 3, 0, 2, 1, 2])), Alert.unexpected_message);
  const client = side({ role: "client", verifyPeer: false });
  client.engine.start();
  throwsAlert(() => client.engine.receive(new Uint8Array([23, 3, 3, 0, 2, 1, 2])), Alert.unexpected_message);
});

Deno.test("garbage instead of a record is unexpected_message; a truncated hello is decode_error", async () => {
  const pki = await testPki();
  const server = () => side({ role: "server", certificateChain: pki.rsaCert, privateKey: pki.rsaKey });
  throwsAlert(
    () => server().engine.receive(new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n")),
    Alert.unexpected_message,
  );
  throwsAlert(() => server().engine.receive(new Uint8Array([22, 3, 1, 0, 6, 1, 0, 0, 2, 3, 3])), Alert.decode_error);
});

Deno.test("a handshake message over the 64 KiB limit is refused before it is buffered", async () => {
  const pki = await testPki();
  const server = side({ role: "server", certificateChain: pki.rsaCert, privateKey: pki.rsaKey });
  throwsAlert(() => server.engine.receive(new Uint8Array([22, 3, 1, 0, 4, 1, 0x10, 0, 0])), Alert.decode_error);
});

function clientHelloRecord(exts: { type: number; data: Uint8Array }[], suites = [0x1301]): Uint8Array {
  const body = encodeClientHello({
    legacyVersion: 0x0303,
    random: new Uint8Array(32).fill(7),
    sessionId: new Uint8Array(0),
    cipherSuites: suites,
    compressionMethods: new Uint8Array([0]),
    extensions: exts,
  });
  const msg = handshakeMessage(HandshakeType.client_hello, body);
  return new RecordWriter().seal(22, msg, 0x0301);
}

Deno.test("a ClientHello without TLS 1.3 in supported_versions is protocol_version", async () => {
  const pki = await testPki();
  const server = side({ role: "server", certificateChain: pki.rsaCert, privateKey: pki.rsaKey });
  const tls12 = clientHelloRecord([{ type: ExtensionType.supported_groups, data: encodeU16List([0x1d]) }], [0xc02f]);
  throwsAlert(() => server.engine.receive(tls12), Alert.protocol_version);
  const wire = drain(server.outbox);
  assert.deepEqual([...wire], [21, 3, 3, 0, 2, 2, 70]); // a plaintext fatal alert
  const probe = parseClientHelloVersions(tls12);
  assert.deepEqual(probe, {
    complete: true,
    offersTls13: false,
    offersTls12: true,
    malformed: false,
    legacyVersion: 0x0303,
  });
});

Deno.test("ClientHello extension checks: duplicates, missing signature_algorithms, misplaced pre_shared_key", async () => {
  const pki = await testPki();
  const server = () => side({ role: "server", certificateChain: pki.rsaCert, privateKey: pki.rsaKey });
  const sv = { type: ExtensionType.supported_versions, data: encodeSupportedVersions([0x0304]) };
  throwsAlert(() => server().engine.receive(clientHelloRecord([sv, sv])), Alert.illegal_parameter);
  throwsAlert(() => server().engine.receive(clientHelloRecord([sv])), Alert.missing_extension);
  const psk = { type: ExtensionType.pre_shared_key, data: new Uint8Array([0, 0, 0, 0]) };
  throwsAlert(() => server().engine.receive(clientHelloRecord([psk, sv])), Alert.illegal_parameter);
});

/** Runs a handshake whose ClientHello extensions `edit` rewrote; resolves when it completes. */
async function handshakeWithHello(edit: (exts: { type: number; data: Uint8Array }[]) => typeof exts) {
  const { client, server } = await connect({}, {}, { clientHelloExtensions: edit });
  assert.ok(client.engine.handshakeDone && server.engine.handshakeDone);
}

/** The server refuses the hello `edit` made with `alert`, and says so. */
async function serverRefusesHello(edit: (exts: { type: number; data: Uint8Array }[]) => typeof exts, alert: number) {
  await assert.rejects(() => handshakeWithHello(edit), (e: TlsError) => {
    assert.equal(e.alert, alert, e.describe());
    return true;
  });
}

const UNUSABLE_PSK = {
  type: ExtensionType.pre_shared_key,
  data: new Uint8Array([0, 10, 0, 4, 1, 2, 3, 4, 0, 0, 0, 1, 0, 33, 32, ...new Uint8Array(32)]),
};

Deno.test("RFC 8446 §4.2.9: pre_shared_key without psk_key_exchange_modes → missing_extension", async () => {
  const withoutModes = (exts: { type: number; data: Uint8Array }[]) => [
    ...exts.filter((e) => e.type !== ExtensionType.psk_key_exchange_modes),
    UNUSABLE_PSK,
  ];
  await serverRefusesHello(withoutModes, Alert.missing_extension);
  // Accepting side: with the modes the PSK is ignored and the handshake is a full one; modes alone are fine too.
  await handshakeWithHello((exts) => [...exts, UNUSABLE_PSK]);
  await handshakeWithHello((exts) => exts.filter((e) => e.type !== ExtensionType.psk_key_exchange_modes));
});

Deno.test("RFC 8446 §4.2.11: pre_shared_key with more binders or identities than the other → illegal_parameter", async () => {
  const identity = (n: number) => ({ identity: new Uint8Array([n]), obfuscatedTicketAge: 0 });
  const offer = (identities: number, binders: number) => (exts: { type: number; data: Uint8Array }[]) => [...exts, {
    type: ExtensionType.pre_shared_key,
    data: encodeOfferedPsks({
      identities: Array.from({ length: identities }, (_, i) => identity(i + 1)),
      binders: Array.from({ length: binders }, () => new Uint8Array(32)),
    }),
  }];
  await serverRefusesHello(offer(2, 1), Alert.illegal_parameter);
  await serverRefusesHello(offer(1, 2), Alert.illegal_parameter);
  await handshakeWithHello(offer(2, 2)); // one binder each: the PSKs are ignored, the handshake is a full one
});

Deno.test("RFC 8446 §4.2: oid_filters (a CertificateRequest extension) in a ClientHello → illegal_parameter", async () => {
  const oidFilters = { type: ExtensionType.oid_filters, data: new Uint8Array([0, 0]) };
  await serverRefusesHello((exts) => [oidFilters, ...exts], Alert.illegal_parameter);
  // Accepting side: certificate_authorities belongs in a ClientHello; unknown types are ignored (§9.3).
  const authorities = { type: ExtensionType.certificate_authorities, data: new Uint8Array([0, 5, 0, 3, 0x30, 1, 0]) };
  await handshakeWithHello((exts) => [authorities, { type: 0x4a4a, data: new Uint8Array([1]) }, ...exts]);
});

Deno.test("PSK, early_data and unknown extensions offered by a client are ignored: full handshake", async () => {
  // An identity and binder of plausible shape, as a resuming OpenSSL client sends.
  const psk = new Uint8Array([0, 10, 0, 4, 1, 2, 3, 4, 0, 0, 0, 1, 0, 33, 32, ...new Uint8Array(32)]);
  const { client, server } = await connect({}, {}, {
    clientHelloExtensions: (exts) => [
      { type: 0x0a0a, data: new Uint8Array(0) }, // GREASE
      ...exts,
      { type: ExtensionType.early_data, data: new Uint8Array(0) },
      { type: ExtensionType.pre_shared_key, data: psk },
    ],
  });
  assert.ok(client.engine.handshakeDone && server.engine.handshakeDone);
});

Deno.test("a server sending an extension the client did not offer is unsupported_extension", async () => {
  const pki = await testPki();
  const client = side({ role: "client", verifyPeer: false });
  const server = side({ role: "server", certificateChain: pki.rsaCert, privateKey: pki.rsaKey }, {
    encryptedExtensions: (exts) => [...exts, { type: ExtensionType.alpn, data: new Uint8Array([0, 3, 2, 104, 50]) }],
  });
  client.engine.start();
  server.engine.receive(drain(client.outbox));
  throwsAlert(() => client.engine.receive(drain(server.outbox)), Alert.unsupported_extension);
});

Deno.test("a plaintext alert from the peer during the handshake is reported as received", () => {
  const client = side({ role: "client", verifyPeer: false });
  client.engine.start();
  const e = throwsAlert(() => client.engine.receive(new Uint8Array([21, 3, 3, 0, 2, 2, 40])), Alert.handshake_failure);
  assert.ok(e.received && !e.sent);
  assert.equal(drain(client.outbox).length > 0, true); // only the ClientHello went out
});

Deno.test("send() before the handshake and keyUpdate() before it are refused without killing the engine", async () => {
  const pki = await testPki();
  const client = side({ role: "client", serverName: "localhost", caCertificates: [pki.caCert] });
  const server = side({ role: "server", certificateChain: pki.rsaCert, privateKey: pki.rsaKey });
  client.engine.start();
  assert.throws(() => client.engine.send(new Uint8Array(1)), TlsError);
  assert.throws(() => client.engine.keyUpdate(false), TlsError);
  pump(client, server);
  assert.ok(client.engine.handshakeDone);
});

Deno.test("parseClientHelloVersions: partial, TLS 1.3, split over records, garbage", async () => {
  const pki = await testPki();
  const client = side({ role: "client", serverName: "localhost", caCertificates: [pki.caCert] });
  client.engine.start();
  const hello = drain(client.outbox);
  for (const n of [0, 3, 5, 20, hello.length - 1]) {
    assert.equal(parseClientHelloVersions(hello.subarray(0, n)).complete, false, `prefix ${n}`);
  }
  assert.deepEqual(parseClientHelloVersions(hello), {
    complete: true,
    offersTls13: true,
    offersTls12: false,
    malformed: false,
    legacyVersion: 0x0303,
  });
  // The same hello split into two handshake records.
  const body = hello.subarray(5);
  const split = new Uint8Array([
    22,
    3,
    1,
    0,
    10,
    ...body.subarray(0, 10),
    22,
    3,
    1,
    (body.length - 10) >> 8,
    (body.length - 10) & 0xff,
    ...body.subarray(10),
  ]);
  assert.equal(parseClientHelloVersions(split.subarray(0, 20)).complete, false);
  assert.equal(parseClientHelloVersions(split).offersTls13, true);
  assert.equal(parseClientHelloVersions(new TextEncoder().encode("GET / HTTP/1.1\r\n")).malformed, true);
  // The server engine takes the split hello as well.
  const server = side({ role: "server", certificateChain: pki.rsaCert, privateKey: pki.rsaKey });
  server.engine.receive(split);
  pump(client, server);
  assert.ok(client.engine.handshakeDone && server.engine.handshakeDone);
});
