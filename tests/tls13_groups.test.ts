/**
 * Key exchange groups and Ed25519 in the TLS 1.3 engine: the group policy
 * (OpenSSL 3.5's default: the post-quantum hybrid is worth a
 * HelloRetryRequest, a classical group is not), X25519MLKEM768 and
 * secp384r1 in both roles, malformed hybrid shares, and Ed25519
 * CertificateVerify both ways.
 */

import assert from "node:assert/strict";
import { Alert, TlsError } from "../lib/ssl/alerts.ts";
import { ExtensionType, Group, SignatureScheme } from "../lib/protocol/constants.ts";
import {
  encodeClientKeyShares,
  encodeU16List,
  type Extension,
  type KeyShareEntry,
  parseClientKeyShares,
  parseU16List,
} from "../lib/protocol/messages.ts";
import { NodeCryptoProvider } from "../lib/crypto/node_provider.ts";
import type { CompletedKeyShare } from "../lib/crypto/provider.ts";
import { clientKeyShareGroups, DEFAULT_GROUPS, selectGroup } from "../lib/engines/tls13/group_policy.ts";
import type { Tls13Options } from "../lib/engines/tls13/mod.ts";
import { issueCertificate } from "../lib/pki/certgen.ts";
import { connect, drain, pump, side, testPki, throwsAlert } from "./fixtures/tls13/helpers.ts";

const { X25519MLKEM768: HYBRID, x25519: X25519, secp256r1: P256, secp384r1: P384 } = Group;

const entry = (group: number): KeyShareEntry => ({ group, keyExchange: new Uint8Array(1) });

Deno.test("group policy: default order is OpenSSL 3.5's, with shares for the hybrid and x25519", () => {
  assert.deepEqual(DEFAULT_GROUPS, ["X25519MLKEM768", "x25519", "secp256r1", "secp384r1"]);
  assert.deepEqual(clientKeyShareGroups([HYBRID, X25519, P256, P384]), [HYBRID, X25519]);
  assert.deepEqual(clientKeyShareGroups([HYBRID, P384, X25519]), [HYBRID, P384]);
  assert.deepEqual(clientKeyShareGroups([P256, X25519]), [P256]);
  assert.deepEqual(clientKeyShareGroups([HYBRID]), [HYBRID]);
});

Deno.test("group policy: the hybrid is chosen whenever the client supports it, via HelloRetryRequest if unshared", () => {
  const ours = [HYBRID, X25519, P256, P384];
  // Our own client, OpenSSL 3.5, Chrome: both shares.
  assert.equal(selectGroup(ours, [HYBRID, X25519, P256], [entry(HYBRID), entry(X25519)]).share?.group, HYBRID);
  // rustls as in Deno: lists the hybrid, shares x25519 only.
  assert.deepEqual(selectGroup(ours, [X25519, HYBRID, P256, P384], [entry(X25519)]), { retryGroup: HYBRID });
});

Deno.test("group policy: without hybrid support, the best shared classical group is taken with no retry", () => {
  const ours = [HYBRID, X25519, P256, P384];
  // OpenSSL 3.0's s_client: x25519 share, no hybrid.
  assert.equal(selectGroup(ours, [X25519, P256, 0x001e, 0x0019, P384], [entry(X25519)]).share?.group, X25519);
  // A classical group we prefer but the client did not share is not worth a round trip.
  assert.equal(selectGroup(ours, [X25519, P256], [entry(P256)]).share?.group, P256);
  assert.equal(selectGroup(ours, [P384], [entry(P384)]).share?.group, P384);
  // No usable share at all: ask for our favourite the client supports.
  assert.deepEqual(selectGroup(ours, [0x001e, P384, P256], [entry(0x001e)]), { retryGroup: P256 });
  assert.deepEqual(selectGroup([P384], [X25519, P384], [entry(X25519)]), { retryGroup: P384 });
});

const isAlert = (alert: number, what: RegExp) => (e: unknown) =>
  e instanceof TlsError && e.alert === alert && what.test(e.message);

Deno.test("RFC 8446 §4.2.8: a share outside supported_groups or twice for one group → illegal_parameter", () => {
  assert.throws(
    () => selectGroup([X25519], [P256], [entry(X25519)]),
    isAlert(Alert.illegal_parameter, /not in supported_groups/),
  );
  assert.throws(
    () => selectGroup([X25519], [X25519], [entry(X25519), entry(X25519)]),
    isAlert(Alert.illegal_parameter, /two key shares/),
  );
});

Deno.test("RFC 8446 §4.2.7: no group in common → handshake_failure", () => {
  assert.throws(
    () => selectGroup([HYBRID, X25519], [P256, P384], [entry(P256)]),
    isAlert(Alert.handshake_failure, /no key exchange group in common/),
  );
});

Deno.test("the default ClientHello offers X25519MLKEM768, x25519, P-256, P-384, with 1216- and 32-byte shares", () => {
  let sent: Extension[] = [];
  const client = side({ role: "client", verifyPeer: false }, { clientHelloExtensions: (exts) => (sent = exts) });
  client.engine.start();
  const data = (type: number) => sent.find((e) => e.type === type)!.data;
  assert.deepEqual(parseU16List(data(ExtensionType.supported_groups)), [HYBRID, X25519, P256, P384]);
  const shares = parseClientKeyShares(data(ExtensionType.key_share));
  assert.deepEqual(shares.map((s) => [s.group, s.keyExchange.length]), [[HYBRID, 1216], [X25519, 32]]);
  // Each share has an X25519 key of its own: no key pair is used twice.
  assert.notDeepEqual(shares[0].keyExchange.subarray(1184), shares[1].keyExchange);
});

Deno.test("default engines negotiate X25519MLKEM768 in one round trip, both shares offered", async () => {
  const { client, server } = await connect();
  assert.equal(client.engine.info!.group, "X25519MLKEM768");
  assert.equal(server.engine.info!.group, "X25519MLKEM768");
  assert.ok(!server.events.includes("TLS server write hello retry request"));
  assert.equal(server.events.filter((e) => e === "in ClientHello").length, 1);
});

Deno.test("RFC 8446 §4.1.4: a client sharing only x25519 is asked for X25519MLKEM768 by HelloRetryRequest", async () => {
  const { client, server } = await connect({}, {}, { keyShareGroups: ["x25519"] });
  assert.equal(client.engine.info!.group, "X25519MLKEM768");
  assert.ok(server.events.includes("TLS server write hello retry request"));
  assert.ok(client.events.includes("TLS client read hello retry request"));
});

Deno.test("a client without the hybrid gets x25519 from a default server, with no retry", async () => {
  const { client, server } = await connect({}, {}, { groups: ["x25519", "secp256r1", "secp384r1"] });
  assert.equal(client.engine.info!.group, "x25519");
  assert.ok(!server.events.includes("TLS server write hello retry request"));
});

for (const [clientOptions, serverOptions] of [[{ groups: ["P-384"] }, {}], [{}, { groups: ["P-384"] }]]) {
  Deno.test(`secp384r1 key exchange: client ${JSON.stringify(clientOptions)}, server ${JSON.stringify(serverOptions)}`, async () => {
    const { client, server } = await connect({}, {}, clientOptions, serverOptions);
    assert.equal(client.engine.info!.group, "secp384r1");
    assert.equal(server.engine.info!.group, "secp384r1");
  });
}

/** Client options whose (first, or n-th) ClientHello key_share is rewritten by `edit`. */
function editShares(edit: (shares: KeyShareEntry[], hello: number) => KeyShareEntry[]): Tls13Options {
  let hello = 0;
  return {
    clientHelloExtensions: (exts: Extension[]) => {
      hello++;
      return exts.map((e) =>
        e.type === ExtensionType.key_share
          ? { type: e.type, data: encodeClientKeyShares(edit(parseClientKeyShares(e.data), hello)) }
          : e
      );
    },
  };
}

/** Starts a default client (with `options`) against a default server; the server's first reply must be this alert. */
async function serverRefuses(options: Tls13Options, alert: number, what: RegExp): Promise<void> {
  const pki = await testPki();
  const client = side({ role: "client", serverName: "localhost", caCertificates: [pki.caCert] }, options);
  const server = side({ role: "server", certificateChain: pki.rsaCert, privateKey: pki.rsaKey });
  client.engine.start();
  const e = throwsAlert(() => pump(client, server), alert, "sent");
  assert.match(e.message, what);
}

const hybridShare = (f: (k: Uint8Array) => Uint8Array) =>
  editShares((shares) => shares.map((s) => s.group === HYBRID ? { group: HYBRID, keyExchange: f(s.keyExchange) } : s));

Deno.test("draft-ietf-tls-ecdhe-mlkem: a client share one byte short or long → illegal_parameter", async () => {
  await serverRefuses(hybridShare((k) => k.subarray(0, 1215)), Alert.illegal_parameter, /1216 bytes, got 1215/);
  await serverRefuses(hybridShare((k) => new Uint8Array([...k, 0])), Alert.illegal_parameter, /1216 bytes, got 1217/);
});

Deno.test("FIPS 203 §7.2: an encapsulation key failing the modulus check → illegal_parameter", async () => {
  // The first 12-bit coefficient becomes 0xfff, above q = 3329.
  const bad = hybridShare((k) => new Uint8Array([0xff, k[1] | 0x0f, ...k.subarray(2)]));
  await serverRefuses(bad, Alert.illegal_parameter, /modulus check/);
});

Deno.test("RFC 8446 §7.4.2: an all-zero X25519 half of the hybrid share → illegal_parameter", async () => {
  await serverRefuses(
    hybridShare((k) => new Uint8Array([...k.subarray(0, 1184), ...new Uint8Array(32)])),
    Alert.illegal_parameter,
    /zero/,
  );
});

Deno.test("RFC 8446 §4.1.2: a second ClientHello that still lacks the requested share → illegal_parameter", async () => {
  const stale = new NodeCryptoProvider().generateKeyShare(X25519);
  const options = {
    keyShareGroups: ["x25519"],
    ...editShares((shares, hello) => hello === 2 ? [{ group: X25519, keyExchange: stale.publicKey }] : shares),
  };
  await serverRefuses(options, Alert.illegal_parameter, /lacks the requested key share/);
});

/** A server provider whose hybrid reply is rewritten by `edit`. */
class TamperingProvider extends NodeCryptoProvider {
  constructor(readonly edit: (share: Uint8Array) => Uint8Array) {
    super();
  }
  override completeKeyShare(group: number, peer: Uint8Array): CompletedKeyShare {
    const reply = super.completeKeyShare(group, peer);
    return { ...reply, publicKey: this.edit(reply.publicKey) };
  }
}

for (
  const [name, edit, what] of [
    ["one byte short", (k: Uint8Array) => k.subarray(0, 1119), /1120 bytes, got 1119/],
    ["one byte long", (k: Uint8Array) => new Uint8Array([...k, 0]), /1120 bytes, got 1121/],
    [
      "with an all-zero X25519 half",
      (k: Uint8Array) => new Uint8Array([...k.subarray(0, 1088), ...new Uint8Array(32)]),
      /zero/,
    ],
  ] as const
) {
  Deno.test(`draft-ietf-tls-ecdhe-mlkem: a server share ${name} → the client sends illegal_parameter`, async () => {
    const pki = await testPki();
    const client = side({ role: "client", serverName: "localhost", caCertificates: [pki.caCert] });
    const server = side(
      { role: "server", certificateChain: pki.rsaCert, privateKey: pki.rsaKey },
      { crypto: new TamperingProvider(edit) },
    );
    client.engine.start();
    server.engine.receive(drain(client.outbox));
    const e = throwsAlert(() => client.engine.receive(drain(server.outbox)), Alert.illegal_parameter, "sent");
    assert.match(e.message, what);
  });
}

/** A CA, server and client certificate, all Ed25519. */
function ed25519Pki() {
  const ca = issueCertificate({ commonName: "Ed25519 CA", keyType: "ed25519", isCA: true, keyUsage: ["keyCertSign"] });
  const leaf = (commonName: string, purpose: "serverAuth" | "clientAuth") =>
    issueCertificate({
      commonName,
      keyType: "ed25519",
      issuer: ca,
      keyUsage: ["digitalSignature"],
      extKeyUsage: [purpose],
      dnsNames: ["localhost"],
    });
  return { ca, server: leaf("localhost", "serverAuth"), client: leaf("ed25519 client", "clientAuth") };
}

Deno.test("RFC 8446 §4.4.3: Ed25519 CertificateVerify both ways, over Ed25519-signed chains", async () => {
  const pki = ed25519Pki();
  const { client, server } = await connect(
    { caCertificates: [pki.ca.certPem], certificateChain: pki.client.certPem, privateKey: pki.client.keyPem },
    {
      certificateChain: pki.server.certPem,
      privateKey: pki.server.keyPem,
      requireClientCertificate: true,
      verifyPeer: true,
      caCertificates: [pki.ca.certPem],
    },
  );
  assert.equal(client.engine.info!.signatureScheme, "ed25519");
  assert.equal(server.engine.info!.signatureScheme, "ed25519");
});

Deno.test("RFC 8446 §4.2.3: an Ed25519 server and a client that does not offer ed25519 → handshake_failure", () => {
  const pki = ed25519Pki();
  const client = side({ role: "client", serverName: "localhost", caCertificates: [pki.ca.certPem] }, {
    clientHelloExtensions: (exts) =>
      exts.map((e) =>
        e.type === ExtensionType.signature_algorithms
          ? { type: e.type, data: encodeU16List([SignatureScheme.rsa_pss_rsae_sha256]) }
          : e
      ),
  });
  const server = side({ role: "server", certificateChain: pki.server.certPem, privateKey: pki.server.keyPem });
  client.engine.start();
  throwsAlert(() => pump(client, server), Alert.handshake_failure, "sent");
});
