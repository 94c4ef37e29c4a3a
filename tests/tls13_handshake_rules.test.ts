/**
 * RFC 8446 / RFC 6066 handshake rules of the TLS 1.3 engine, each tested on
 * both sides with the exact alert: legacy_version, Finished length,
 * HelloRetryRequest cookies, the downgrade sentinel, certificate entry
 * extensions and server_name. Flights are edited by hand: plaintext hellos
 * directly, protected flights reopened under keys from the key log.
 */

import assert from "node:assert/strict";
import { Alert } from "../lib/ssl/alerts.ts";
import { concat } from "../lib/protocol/bytes.ts";
import { DOWNGRADE_SENTINELS, ExtensionType, HandshakeType, HRR_RANDOM } from "../lib/protocol/constants.ts";
import {
  encodeCertificateRequest,
  encodeServerHello,
  encodeU16,
  type Extension,
  findExtension,
  handshakeMessage,
  parseCertificateRequest,
  parseClientHello,
  parseServerName,
} from "../lib/protocol/messages.ts";
import type { Tls13Options } from "../lib/engines/tls13/mod.ts";
import { connect, drain, pump, side, testPki, throwsAlert } from "./fixtures/tls13/helpers.ts";
import { messages, RecordForger, records } from "./fixtures/tls13/forge.ts";

const CIPHER = "TLS_CHACHA20_POLY1305_SHA256"; // both engines' first choice

async function pair(clientExtra = {}, serverExtra = {}, clientOptions: Tls13Options = {}) {
  const pki = await testPki();
  const log: string[] = [];
  const client = side(
    {
      role: "client",
      serverName: "localhost",
      caCertificates: [pki.caCert],
      keyLog: (l) => log.push(l),
      ...clientExtra,
    },
    clientOptions,
  );
  const server = side({
    role: "server",
    certificateChain: pki.rsaCert,
    privateKey: pki.rsaKey,
    caCertificates: [pki.caCert],
    keyLog: (l) => log.push(l),
    ...serverExtra,
  });
  return { client, server, log, pki };
}

/** The ClientHello message (header included) inside the client's first flight. */
function helloMessage(flight: Uint8Array): Uint8Array {
  return messages(concat(...records(flight).filter((r) => r[0] === 22).map((r) => r.subarray(5))))[0];
}

/** The hello's body with legacy_version replaced, back in one plaintext record. */
function withLegacyVersion(flight: Uint8Array, version: number): Uint8Array {
  const msg = helloMessage(flight).slice();
  msg[4] = version >> 8;
  msg[5] = version & 0xff;
  return concat(new Uint8Array([22, 3, 1, msg.length >> 8, msg.length & 0xff]), msg);
}

/**
 * Rewrites the handshake messages of a flight's protected records (sealed
 * under the logged `label` secret): opened, edited, sealed again in full records.
 */
function editProtectedFlight(
  flight: Uint8Array,
  log: string[],
  label: string,
  edit: (msgs: Uint8Array[]) => Uint8Array[],
): Uint8Array {
  const opener = RecordForger.fromKeyLog(log, label, CIPHER);
  const plain: Uint8Array[] = [], sealed: Uint8Array[] = [];
  for (const r of records(flight)) {
    if (r[0] !== 23) plain.push(r);
    else {
      const inner = opener.open(r);
      sealed.push(inner.subarray(0, inner.length - 1)); // handshake content, no padding from our engines
    }
  }
  const content = concat(...edit(messages(concat(...sealed))));
  const sealer = RecordForger.fromKeyLog(log, label, CIPHER);
  const out = [...plain];
  for (let at = 0; at < content.length; at += 16384) {
    out.push(sealer.seal(concat(content.subarray(at, at + 16384), new Uint8Array([22]))));
  }
  return concat(...out);
}

/** The server's answer to the client's second flight, edited by `edit` (no middlebox CCS). */
async function serverGetsClientFlight(
  edit: (msgs: Uint8Array[]) => Uint8Array[],
  clientExtra = {},
  serverExtra = {},
): Promise<() => void> {
  const { client, server, log } = await pair(clientExtra, serverExtra, { middleboxCompat: false });
  client.engine.start();
  server.engine.receive(drain(client.outbox));
  client.engine.receive(drain(server.outbox));
  const flight = editProtectedFlight(drain(client.outbox), log, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", edit);
  return () => server.engine.receive(flight);
}

// ---- RFC 8446 §4.1.2, §D.5: legacy_version ---------------------------------

Deno.test("RFC 8446 §4.1.2: legacy_version below 0x0303 is protocol_version, even with TLS 1.3 in supported_versions", async () => {
  for (const version of [0x0300, 0x0200, 0x0100, 0x0000, 0x0301, 0x0302]) {
    const { client, server } = await pair();
    client.engine.start();
    const e = throwsAlert(
      () => server.engine.receive(withLegacyVersion(drain(client.outbox), version)),
      Alert.protocol_version,
      "sent",
    );
    assert.match(e.message, /legacy_version 0x0/);
    assert.deepEqual([...drain(server.outbox)], [21, 3, 3, 0, 2, 2, 70]);
  }
  // Accepting side: 0x0303, as every TLS 1.3 client sends it.
  const { client, server } = await pair();
  client.engine.start();
  server.engine.receive(withLegacyVersion(drain(client.outbox), 0x0303));
  pump(client, server);
  assert.ok(client.engine.handshakeDone && server.engine.handshakeDone);
});

// ---- RFC 8446 §4.4.4, §6.2: Finished length ---------------------------------

/** verify_data of the wrong length: empty, truncated, padded, far too long. */
const BAD_LENGTHS = [0, 31, 33, 48, 16000];

function withFinished(msgs: Uint8Array[], verify: (right: Uint8Array) => Uint8Array): Uint8Array[] {
  return msgs.map((m) => m[0] === HandshakeType.finished ? handshakeMessage(m[0], verify(m.subarray(4))) : m);
}

Deno.test("RFC 8446 §4.4.4: a client Finished of the wrong length is decode_error; the wrong value, decrypt_error", async () => {
  const cases: [(right: Uint8Array) => Uint8Array, number][] = [
    ...BAD_LENGTHS.map((n) => [(r: Uint8Array) => concat(r, new Uint8Array(n)).subarray(0, n), Alert.decode_error]),
    [(r: Uint8Array) => r.map((b, i) => i === 0 ? b ^ 1 : b), Alert.decrypt_error],
  ] as [(right: Uint8Array) => Uint8Array, number][];
  for (const [verify, alert] of cases) {
    throwsAlert(await serverGetsClientFlight((m) => withFinished(m, verify)), alert, "sent");
  }
});

Deno.test("RFC 8446 §4.4.4: a server Finished of the wrong length is decode_error; the wrong value, decrypt_error", async () => {
  for (const n of [...BAD_LENGTHS, -1]) {
    const { client, server, log } = await pair();
    client.engine.start();
    server.engine.receive(drain(client.outbox));
    const verify = (r: Uint8Array) =>
      n < 0 ? r.map((b, i) => i === 5 ? b ^ 1 : b) : concat(r, new Uint8Array(n)).subarray(0, n);
    const flight = editProtectedFlight(
      drain(server.outbox),
      log,
      "SERVER_HANDSHAKE_TRAFFIC_SECRET",
      (m) => withFinished(m, verify),
    );
    throwsAlert(() => client.engine.receive(flight), n < 0 ? Alert.decrypt_error : Alert.decode_error, "sent");
  }
});

// ---- RFC 8446 §4.2.2: HelloRetryRequest cookie ------------------------------

function helloRetryRequest(sessionId: Uint8Array, extensions: Extension[]): Uint8Array {
  const body = encodeServerHello({
    legacyVersion: 0x0303,
    random: HRR_RANDOM,
    sessionId,
    cipherSuite: 0x1303,
    compressionMethod: 0,
    extensions: [{ type: ExtensionType.supported_versions, data: encodeU16(0x0304) }, ...extensions],
  });
  const msg = handshakeMessage(HandshakeType.server_hello, body);
  return concat(new Uint8Array([22, 3, 3, msg.length >> 8, msg.length & 0xff]), msg);
}

Deno.test("RFC 8446 §4.2.2: the client echoes a HelloRetryRequest cookie in its second ClientHello", async () => {
  const cookie = new Uint8Array([0, 5, 0xc0, 0x0c, 0x1e, 0x00, 0x42]);
  for (const withGroup of [false, true]) {
    const { client } = await pair();
    client.engine.start();
    const first = parseClientHello(helloMessage(drain(client.outbox)).subarray(4));
    assert.equal(findExtension(first.extensions, ExtensionType.cookie), undefined);
    const extra = withGroup ? [{ type: ExtensionType.key_share, data: encodeU16(0x0017) }] : [];
    client.engine.receive(helloRetryRequest(first.sessionId, [...extra, { type: ExtensionType.cookie, data: cookie }]));
    const second = parseClientHello(helloMessage(drain(client.outbox)).subarray(4));
    assert.deepEqual(findExtension(second.extensions, ExtensionType.cookie), cookie);
    assert.deepEqual(second.random, first.random);
  }
});

Deno.test("RFC 8446 §4.2.2: an empty or malformed cookie is decode_error", async () => {
  for (const data of [new Uint8Array([0, 0]), new Uint8Array([0, 3, 1]), new Uint8Array(0)]) {
    const { client } = await pair();
    client.engine.start();
    const first = parseClientHello(helloMessage(drain(client.outbox)).subarray(4));
    throwsAlert(
      () => client.engine.receive(helloRetryRequest(first.sessionId, [{ type: ExtensionType.cookie, data }])),
      Alert.decode_error,
      "sent",
    );
  }
});

// ---- RFC 8446 §4.1.3: downgrade sentinel ------------------------------------

function tls12ServerHello(sessionId: Uint8Array, tail: Uint8Array): Uint8Array {
  const random = new Uint8Array(32).fill(0x5a);
  random.set(tail, 24);
  const body = encodeServerHello({
    legacyVersion: 0x0303,
    random,
    sessionId,
    cipherSuite: 0xc02f,
    compressionMethod: 0,
    extensions: [{ type: 0xff01, data: new Uint8Array([0]) }], // renegotiation_info
  });
  const msg = handshakeMessage(HandshakeType.server_hello, body);
  return concat(new Uint8Array([22, 3, 3, msg.length >> 8, msg.length & 0xff]), msg);
}

Deno.test("RFC 8446 §4.1.3: a TLS 1.2 or older ServerHello with the downgrade sentinel is illegal_parameter", async () => {
  for (const sentinel of DOWNGRADE_SENTINELS) {
    const { client } = await pair();
    client.engine.start();
    const first = parseClientHello(helloMessage(drain(client.outbox)).subarray(4));
    const e = throwsAlert(
      () => client.engine.receive(tls12ServerHello(first.sessionId, sentinel)),
      Alert.illegal_parameter,
    );
    assert.match(e.message, /downgrade/);
  }
  // Without the sentinel it is an ordinary version mismatch.
  const { client } = await pair();
  client.engine.start();
  const first = parseClientHello(helloMessage(drain(client.outbox)).subarray(4));
  const almost = new Uint8Array([0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x02]);
  throwsAlert(() => client.engine.receive(tls12ServerHello(first.sessionId, almost)), Alert.protocol_version);
});

// ---- RFC 8446 §4.4.2: certificate entry extensions --------------------------

/** Adds `ext` to the first CertificateEntry of a Certificate message. */
function withEntryExtension(msgs: Uint8Array[], ext: Uint8Array): Uint8Array[] {
  return msgs.map((m) => {
    if (m[0] !== HandshakeType.certificate) return m;
    const body = m.subarray(4);
    const ctx = 1 + body[0];
    const certLen = (body[ctx + 3] << 16) | (body[ctx + 4] << 8) | body[ctx + 5];
    const extAt = ctx + 3 + 3 + certLen; // the first entry's two-byte extensions length
    const listLen = ((body[ctx] << 16) | (body[ctx + 1] << 8) | body[ctx + 2]) + ext.length;
    const out = concat(
      body.subarray(0, ctx),
      new Uint8Array([listLen >> 16, listLen >> 8, listLen & 0xff]),
      body.subarray(ctx + 3, extAt),
      encodeU16(((body[extAt] << 8) | body[extAt + 1]) + ext.length),
      body.subarray(extAt + 2, extAt + 2 + ((body[extAt] << 8) | body[extAt + 1])),
      ext,
      body.subarray(extAt + 2 + ((body[extAt] << 8) | body[extAt + 1])),
    );
    return handshakeMessage(m[0], out);
  });
}

const STATUS_REQUEST_EXT = new Uint8Array([0, 5, 0, 0]);
const UNKNOWN_EXT = new Uint8Array([0x12, 0x34, 0, 1, 9]);

/** The client's answer to a server flight whose leaf entry carries `ext`. */
async function clientGetsEntryExtension(ext: Uint8Array, clientOptions: Tls13Options = {}): Promise<() => void> {
  const { client, server, log } = await pair({}, {}, clientOptions);
  client.engine.start();
  server.engine.receive(drain(client.outbox));
  const label = "SERVER_HANDSHAKE_TRAFFIC_SECRET";
  const flight = editProtectedFlight(drain(server.outbox), log, label, (m) => withEntryExtension(m, ext));
  return () => client.engine.receive(flight);
}

Deno.test("RFC 8446 §4.4.2: server certificate entry extensions the client did not solicit are unsupported_extension", async () => {
  for (const ext of [STATUS_REQUEST_EXT, UNKNOWN_EXT]) {
    throwsAlert(await clientGetsEntryExtension(ext), Alert.unsupported_extension, "sent");
  }
  // Accepting side: status_request answers the client's own status_request; the check passes and the
  // handshake goes on to CertificateVerify (which fails only because the edit changed the transcript).
  const statusRequest = { type: ExtensionType.status_request, data: new Uint8Array([1, 0, 0, 0, 0]) };
  const solicited = await clientGetsEntryExtension(STATUS_REQUEST_EXT, {
    clientHelloExtensions: (exts: Extension[]) => [...exts, statusRequest],
  });
  throwsAlert(solicited, Alert.decrypt_error, "sent");
});

Deno.test("RFC 8446 §4.4.2: client certificate entry extensions the server did not request are unsupported_extension", async () => {
  const pki = await testPki();
  const mtls = { certificateChain: pki.clientCert, privateKey: pki.clientKey };
  const edited = await serverGetsClientFlight((m) => withEntryExtension(m, STATUS_REQUEST_EXT), mtls, {
    requestClientCertificate: true,
  });
  throwsAlert(edited, Alert.unsupported_extension, "sent");
  // Accepting side: the same client certificate without extensions.
  const ok = await connect(mtls, { requestClientCertificate: true, caCertificates: [pki.caCert] });
  assert.ok(ok.server.engine.handshakeDone && ok.server.engine.info!.peerCertificates.length === 1);
});

// ---- RFC 6066 §3: server_name ---------------------------------------------

// ---- RFC 8446 §4.2, §4.3.2: CertificateRequest extensions --------------------

/** The client's answer to a server flight whose CertificateRequest carries `ext` too. */
async function clientGetsRequestExtension(ext: Extension): Promise<() => void> {
  const { client, server, log } = await pair({}, { requestClientCertificate: true });
  client.engine.start();
  server.engine.receive(drain(client.outbox));
  const flight = editProtectedFlight(
    drain(server.outbox),
    log,
    "SERVER_HANDSHAKE_TRAFFIC_SECRET",
    (msgs) =>
      msgs.map((m) => {
        if (m[0] !== HandshakeType.certificate_request) return m;
        const cr = parseCertificateRequest(m.subarray(4));
        const body = encodeCertificateRequest({ context: cr.context, extensions: [...cr.extensions, ext] });
        return handshakeMessage(m[0], body);
      }),
  );
  return () => client.engine.receive(flight);
}

Deno.test("RFC 8446 §4.3.2: a CertificateRequest carrying key_share, supported_versions or pre_shared_key → illegal_parameter", async () => {
  for (const type of [ExtensionType.key_share, ExtensionType.supported_versions, ExtensionType.pre_shared_key]) {
    throwsAlert(
      await clientGetsRequestExtension({ type, data: new Uint8Array([0, 0]) }),
      Alert.illegal_parameter,
      "sent",
    );
  }
  // Accepting side: oid_filters belongs there and unknown types are ignored; the handshake goes on to
  // CertificateVerify (which fails only because the edit changed the transcript).
  for (const type of [ExtensionType.oid_filters, 0x1234]) {
    throwsAlert(await clientGetsRequestExtension({ type, data: new Uint8Array([0, 0]) }), Alert.decrypt_error, "sent");
  }
});

Deno.test("RFC 6066 §3: server_name is sent as a lower-case A-label without a trailing dot", async () => {
  for (
    const [given, sent] of [["LocalHost.", "localhost"], ["Bücher.Example", "xn--bcher-kva.example"], [
      "a.b.c",
      "a.b.c",
    ]]
  ) {
    const { client } = await pair({ serverName: given });
    client.engine.start();
    const hello = parseClientHello(helloMessage(drain(client.outbox)).subarray(4));
    assert.equal(parseServerName(findExtension(hello.extensions, ExtensionType.server_name)!), sent);
  }
});

Deno.test("RFC 6066 §3: a server_name list with two host_name entries is illegal_parameter", async () => {
  const name = (type: number, host: string) => {
    const b = new TextEncoder().encode(host);
    return concat(new Uint8Array([type, b.length >> 8, b.length & 0xff]), b);
  };
  const list = (...entries: Uint8Array[]) => {
    const all = concat(...entries);
    return concat(encodeU16(all.length), all);
  };
  const twoNames = list(name(0, "localhost"), name(0, "other.example"));
  const { client, server } = await pair({}, {}, {
    clientHelloExtensions: (exts: Extension[]) =>
      exts.map((e) => e.type === ExtensionType.server_name ? { type: e.type, data: twoNames } : e),
  });
  client.engine.start();
  throwsAlert(() => server.engine.receive(drain(client.outbox)), Alert.illegal_parameter, "sent");
  // Accepting side: one host_name next to a name of another type.
  const mixed = list(name(0, "localhost"), name(7, "opaque"));
  const ok = await pair({}, {}, {
    clientHelloExtensions: (exts: Extension[]) =>
      exts.map((e) => e.type === ExtensionType.server_name ? { type: e.type, data: mixed } : e),
  });
  ok.client.engine.start();
  pump(ok.client, ok.server);
  assert.equal(ok.server.engine.info!.serverName, "localhost");
});
