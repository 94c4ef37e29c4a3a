/**
 * The second ClientHello after a HelloRetryRequest (RFC 8446 §4.1.2): the
 * server compares it with the first field by field, extension order
 * included. Each change the RFC permits must be accepted (the handshake
 * completes); every other change is illegal_parameter.
 *
 * A real client makes both hellos; its `clientHelloExtensions` hook alters
 * the second one's extensions (so permitted changes still complete the
 * handshake), and the fixed fields are altered on the wire.
 */

import assert from "node:assert/strict";
import { Alert } from "../lib/ssl/alerts.ts";
import { ContentType, ExtensionType, HandshakeType } from "../lib/protocol/constants.ts";
import {
  encodeAlpn,
  encodeClientHello,
  encodeOfferedPsks,
  encodeServerName,
  type Extension,
  handshakeMessage,
  type OfferedPsks,
  parseClientHello,
  parseRawClientHello,
  type RawClientHello,
} from "../lib/protocol/messages.ts";
import { checkRetriedClientHello } from "../lib/engines/tls13/negotiation.ts";
import { RecordWriter } from "../lib/engines/tls13/record.ts";
import { drain, pump, type Side, side, testPki, throwsAlert } from "./fixtures/tls13/helpers.ts";

type Edit = (exts: Extension[]) => Extension[];
const same: Edit = (exts) => exts;

/**
 * A client that shares x25519 and a server that only takes secp256r1, so
 * the server sends a HelloRetryRequest. `first` and `second` edit the
 * extensions of each ClientHello. Returns both sides with the second
 * ClientHello sent by the client but not yet delivered.
 */
async function afterRetry(first: Edit, second: Edit, alpn?: string[]): Promise<{ client: Side; server: Side }> {
  const pki = await testPki();
  let hellos = 0;
  const client = side({ role: "client", serverName: "localhost", caCertificates: [pki.caCert], alpnProtocols: alpn }, {
    keyShareGroups: ["x25519"],
    clientHelloExtensions: (exts) => (++hellos === 1 ? first(exts) : second(exts)),
  });
  const server = side(
    { role: "server", certificateChain: pki.rsaCert, privateKey: pki.rsaKey, alpnProtocols: alpn },
    { groups: ["secp256r1"] },
  );
  client.engine.start();
  server.engine.receive(drain(client.outbox));
  assert.ok(server.events.includes("TLS server write hello retry request"));
  client.engine.receive(drain(server.outbox));
  assert.equal(hellos, 2);
  return { client, server };
}

async function accepted(first: Edit, second: Edit, alpn?: string[]): Promise<void> {
  const { client, server } = await afterRetry(first, second, alpn);
  pump(client, server);
  assert.ok(client.engine.handshakeDone && server.engine.handshakeDone);
  assert.equal(server.engine.info?.group, "secp256r1");
}

async function refused(first: Edit, second: Edit, alpn?: string[]): Promise<void> {
  const { client, server } = await afterRetry(first, second, alpn);
  throwsIllegalParameter(() => server.engine.receive(drain(client.outbox)));
}

function throwsIllegalParameter(fn: () => void): void {
  const e = throwsAlert(fn, Alert.illegal_parameter);
  // Refused by the comparison with the first hello, not by some later check.
  assert.match(e.message, /second ClientHello .*RFC 8446 §4\.1\.2/);
}

const ext = (type: number, data: number[] | Uint8Array = []): Extension => ({ type, data: new Uint8Array(data) });
const without = (type: number): Edit => (exts) => exts.filter((e) => e.type !== type);
/** Inserts before key_share, which the client puts last. */
const adding = (e: Extension): Edit => (exts) => [...exts.slice(0, -1), e, ...exts.slice(-1)];
const replacing = (e: Extension): Edit => (exts) => exts.map((x) => (x.type === e.type ? e : x));
const padding = (n: number) => ext(ExtensionType.padding, new Uint8Array(n));
const earlyData = ext(ExtensionType.early_data);

function psk(identities: string[], age: number, binderByte: number): Extension {
  const offered: OfferedPsks = {
    identities: identities.map((id) => ({ identity: new TextEncoder().encode(id), obfuscatedTicketAge: age })),
    binders: identities.map(() => new Uint8Array(32).fill(binderByte)),
  };
  return { type: ExtensionType.pre_shared_key, data: encodeOfferedPsks(offered) };
}
/** pre_shared_key goes last (RFC 8446 §4.2.11). */
const withPsk = (e: Extension): Edit => (exts) => [...exts.filter((x) => x.type !== e.type), e];

// ---- what RFC 8446 §4.1.2 permits ---------------------------------------

Deno.test("RFC 8446 §4.1.2: second ClientHello with key_share replaced by one share of the requested group is accepted", async () => {
  await accepted(same, same);
});

Deno.test("RFC 8446 §4.1.2: second ClientHello without the early_data of the first is accepted", async () => {
  await accepted(adding(earlyData), same);
});

Deno.test("RFC 8446 §4.1.2: second ClientHello may add, remove or resize padding (RFC 7685)", async () => {
  await accepted(same, adding(padding(16)));
  await accepted(adding(padding(16)), same);
  await accepted(adding(padding(16)), adding(padding(300)));
});

Deno.test("RFC 8446 §4.1.2: second ClientHello may update pre_shared_key ages and binders", async () => {
  await accepted(withPsk(psk(["ticket-a"], 1000, 1)), withPsk(psk(["ticket-a"], 1500, 2)));
});

Deno.test("RFC 8446 §4.1.2: second ClientHello may drop incompatible PSK identities, or pre_shared_key entirely", async () => {
  await accepted(withPsk(psk(["ticket-a", "ticket-b"], 1, 1)), withPsk(psk(["ticket-b"], 2, 2)));
  await accepted(withPsk(psk(["ticket-a"], 1, 1)), same);
});

Deno.test("RFC 8446 §4.1.2: second ClientHello may add the cookie the HelloRetryRequest carried", () => {
  const cookie = new Uint8Array([9, 8, 7]);
  const first = hello([ext(ExtensionType.supported_versions, [2, 3, 4]), keyShare(0x001d)]);
  const second = hello([ext(ExtensionType.supported_versions, [2, 3, 4]), cookieExt(cookie), keyShare(0x0017)]);
  checkRetriedClientHello(first, second, { group: 0x0017, cookie });
  // A HelloRetryRequest with a cookie and no key_share: the shares stay as they were.
  checkRetriedClientHello(first, hello([...first.extensions.slice(0, 1), cookieExt(cookie), keyShare(0x001d)]), {
    cookie,
  });
});

// ---- anything else is illegal_parameter ---------------------------------

Deno.test("RFC 8446 §4.1.2: second ClientHello with a key share for another group is illegal_parameter", async () => {
  let firstShare: Extension | undefined;
  await refused(
    (exts) => {
      firstShare = exts.find((e) => e.type === ExtensionType.key_share);
      return exts;
    },
    (exts) => exts.map((e) => (e.type === ExtensionType.key_share && firstShare ? firstShare : e)),
  );
});

Deno.test("RFC 8446 §4.1.2: second ClientHello with more than the single requested share is illegal_parameter", async () => {
  let firstShares: Uint8Array | undefined;
  await refused(
    (exts) => {
      firstShares = exts.find((e) => e.type === ExtensionType.key_share)?.data;
      return exts;
    },
    (exts) =>
      exts.map((e) => {
        if (e.type !== ExtensionType.key_share || !firstShares) return e;
        // Both entries under one list length: the requested secp256r1 share, then the old x25519 one.
        const a = e.data.subarray(2), b = firstShares.subarray(2);
        const n = a.length + b.length;
        return { type: e.type, data: new Uint8Array([n >> 8, n & 0xff, ...a, ...b]) };
      }),
  );
});

Deno.test("RFC 8446 §4.2.10: second ClientHello that still offers early_data is illegal_parameter", async () => {
  await refused(adding(earlyData), adding(earlyData));
  await refused(same, adding(earlyData));
});

Deno.test("RFC 8446 §4.1.2: second ClientHello with a cookie the HelloRetryRequest did not carry is illegal_parameter", async () => {
  await refused(same, adding(cookieExt(new Uint8Array([1, 2, 3]))));
  // And without the cookie a HelloRetryRequest carried.
  const cookie = new Uint8Array([9, 8, 7]);
  const first = hello([keyShare(0x001d)]);
  throwsIllegalParameter(() => checkRetriedClientHello(first, hello([keyShare(0x0017)]), { group: 0x0017, cookie }));
  throwsIllegalParameter(() =>
    checkRetriedClientHello(first, hello([cookieExt(new Uint8Array([1])), keyShare(0x0017)]), {
      group: 0x0017,
      cookie,
    })
  );
});

Deno.test("RFC 8446 §4.1.2: second ClientHello that adds pre_shared_key or a new PSK identity is illegal_parameter", async () => {
  await refused(same, withPsk(psk(["ticket-a"], 1, 1)));
  await refused(withPsk(psk(["ticket-a"], 1, 1)), withPsk(psk(["ticket-a", "ticket-b"], 1, 1)));
  await refused(withPsk(psk(["ticket-a", "ticket-b"], 1, 1)), withPsk(psk(["ticket-b", "ticket-a"], 1, 1)));
});

Deno.test("RFC 8446 §4.1.2: second ClientHello that adds or removes an extension is illegal_parameter", async () => {
  await refused(same, adding(ext(0x1234, [1])));
  await refused(same, adding(ext(ExtensionType.status_request, [1, 0, 0, 0, 0])));
  await refused(same, without(ExtensionType.signature_algorithms_cert));
  await refused(same, without(ExtensionType.alpn), ["h2"]);
  await refused(adding(ext(0x0a0a)), same); // a GREASE value dropped
});

Deno.test("RFC 8446 §4.1.2: second ClientHello that changes an extension's content is illegal_parameter", async () => {
  await refused(same, replacing(ext(ExtensionType.server_name, encodeServerName("other.example"))));
  await refused(same, replacing(ext(ExtensionType.alpn, encodeAlpn(["http/1.1"]))), ["h2", "http/1.1"]);
  await refused(same, replacing(ext(ExtensionType.supported_groups, [0, 2, 0, 0x17])));
  await refused(same, replacing(ext(ExtensionType.psk_key_exchange_modes, [1, 0])));
  await refused(adding(ext(0x1234, [1])), adding(ext(0x1234, [2])));
});

Deno.test("RFC 8446 §4.1.2: second ClientHello with its extensions in another order is illegal_parameter", async () => {
  await refused(same, (exts) => [exts[1], exts[0], ...exts.slice(2)]);
  // Moving only the padding is fine: padding may change freely.
  await accepted(adding(padding(8)), (exts) => [padding(8), ...exts]);
});

// Fixed fields, changed on the wire.

async function refusedOnTheWire(change: (ch: RawClientHello) => void): Promise<void> {
  const { client, server } = await afterRetry(same, same);
  const wire = drain(client.outbox);
  const records: Uint8Array[] = [];
  for (let at = 0; at < wire.length;) {
    const len = (wire[at + 3] << 8) | wire[at + 4];
    records.push(wire.subarray(at, at + 5 + len));
    at += 5 + len;
  }
  const out = records.map((r) => {
    if (r[0] !== ContentType.handshake) return r;
    const ch = parseRawClientHello(r.subarray(5 + 4));
    change(ch);
    return new RecordWriter().seal(
      ContentType.handshake,
      handshakeMessage(HandshakeType.client_hello, encodeClientHello(ch)),
    );
  });
  assert.equal(out.filter((r) => r[0] === ContentType.handshake).length, 1);
  for (const r of out.slice(0, -1)) server.engine.receive(r);
  throwsIllegalParameter(() => server.engine.receive(out[out.length - 1]));
}

Deno.test("RFC 8446 §4.1.2: second ClientHello that changes legacy_version, random or legacy_session_id is illegal_parameter", async () => {
  await refusedOnTheWire((ch) => ch.legacyVersion = 0x0302);
  await refusedOnTheWire((ch) => ch.random = ch.random.map((b) => b ^ 1));
  await refusedOnTheWire((ch) => ch.sessionId = ch.sessionId.map((b) => b ^ 1));
  await refusedOnTheWire((ch) => ch.sessionId = new Uint8Array(0));
});

Deno.test("RFC 8446 §4.1.2: second ClientHello that changes cipher_suites or compression methods is illegal_parameter", async () => {
  await refusedOnTheWire((ch) => ch.cipherSuites = ch.cipherSuites.slice().reverse());
  await refusedOnTheWire((ch) => ch.cipherSuites = [...ch.cipherSuites, 0xc02f]);
  await refusedOnTheWire((ch) => ch.cipherSuites = ch.cipherSuites.slice(1));
  await refusedOnTheWire((ch) => ch.compressionMethods = new Uint8Array([1, 0]));
});

// ---- pieces for the direct checks ---------------------------------------

function hello(extensions: Extension[]) {
  return parseClientHello(encodeClientHello({
    legacyVersion: 0x0303,
    random: new Uint8Array(32).fill(5),
    sessionId: new Uint8Array(0),
    cipherSuites: [0x1301],
    compressionMethods: new Uint8Array([0]),
    extensions,
  }));
}

function keyShare(group: number): Extension {
  return ext(ExtensionType.key_share, [0, 5, group >> 8, group & 0xff, 0, 1, 7]);
}

function cookieExt(cookie: Uint8Array): Extension {
  return ext(ExtensionType.cookie, [0, cookie.length, ...cookie]);
}
