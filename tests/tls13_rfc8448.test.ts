/**
 * Reproduces RFC 8448 §3 ("Simple 1-RTT Handshake") with the TLS 1.3 engine:
 * every secret of the key schedule, the traffic keys, and the wire bytes of
 * both sides' handshake and application records. The trace's randoms and
 * x25519 keys are injected through the crypto provider; the server's RSA-PSS
 * signature is randomized, so the provider returns the trace's signature
 * after checking it verifies over exactly what the engine asked to sign.
 *
 * Vectors: tests/fixtures/tls13/rfc8448_simple_1rtt.json (RFC 8448 §3).
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { EngineSink, TlsConfig } from "../lib/ssl/engine.ts";
import { fromHex, toHex } from "../lib/protocol/bytes.ts";
import { CIPHER_SUITES, Group } from "../lib/protocol/constants.ts";
import { keyShareFromPrivateKey, NodeCryptoProvider } from "../lib/crypto/node_provider.ts";
import type { KeyShare, SigningKey } from "../lib/crypto/provider.ts";
import {
  applicationSecrets,
  deriveSecret,
  finishedVerifyData,
  handshakeSecrets,
  hkdfExpandLabel,
  hkdfExtract,
  trafficKeys,
} from "../lib/engines/tls13/key_schedule.ts";
import { parseCertificate, parseClientHello, parseExtensions } from "../lib/protocol/messages.ts";
import { createTls13Engine } from "../lib/engines/tls13/mod.ts";

const V = JSON.parse(
  await Deno.readTextFile(new URL("./fixtures/tls13/rfc8448_simple_1rtt.json", import.meta.url)),
);
const hex = (name: string): Uint8Array => fromHex(V[name]);
const S = (name: string): string => V.secrets[name];
const K = (name: string): string => V.keys[name];
const AES128 = CIPHER_SUITES[0];

/** A provider that replays the trace's random values, ephemeral key and signature. */
class TraceProvider extends NodeCryptoProvider {
  readonly #randoms: Uint8Array[];
  readonly #privateKey: Uint8Array;
  readonly #signature?: { cert: Uint8Array; scheme: number; value: Uint8Array };
  signedContent: Uint8Array | undefined;

  constructor(
    randoms: Uint8Array[],
    privateKey: Uint8Array,
    signature?: { cert: Uint8Array; scheme: number; value: Uint8Array },
  ) {
    super();
    this.#randoms = randoms;
    this.#privateKey = privateKey;
    this.#signature = signature;
  }

  override random(n: number): Uint8Array {
    const next = this.#randoms.shift();
    assert.ok(next && next.length === n, `unexpected random(${n})`);
    return next;
  }

  override generateKeyShare(group: number): KeyShare {
    assert.equal(group, Group.x25519);
    return keyShareFromPrivateKey(group, this.#privateKey);
  }

  override loadPrivateKey(): SigningKey {
    return { keyType: "rsa" };
  }

  override sign(scheme: number, _key: SigningKey, data: Uint8Array): Uint8Array {
    const sig = this.#signature!;
    assert.equal(scheme, sig.scheme);
    // The trace's signature must verify over what the engine wants signed: this checks the content.
    assert.ok(this.verify(scheme, sig.cert, data, sig.value), "trace signature does not cover the engine's content");
    this.signedContent = data;
    return sig.value;
  }
}

function collector() {
  const out: Uint8Array[] = [];
  const plain: Uint8Array[] = [];
  const sink: EngineSink = { outgoing: (b) => out.push(b.slice()), plaintext: (b) => plain.push(b.slice()) };
  const take = (list: Uint8Array[]) => toHex(Buffer.concat(list.splice(0)));
  return { sink, out: () => take(out), plain: () => take(plain) };
}

const certDer = parseCertificate(hex("certificate").subarray(4)).certificates[0];
const certPem = `-----BEGIN CERTIFICATE-----\n${Buffer.from(certDer).toString("base64")}\n-----END CERTIFICATE-----\n`;
const cvSignature = hex("certificate_verify").subarray(8);

Deno.test("RFC 8448 §3: key schedule secrets, traffic keys and Finished values", () => {
  const p = new NodeCryptoProvider();
  const ch = hex("client_hello"), sh = hex("server_hello");
  const transcript = (...names: string[]) => p.hash("sha256", Buffer.concat(names.map(hex)));

  // (EC)DHE from both sides' private keys.
  const client = keyShareFromPrivateKey(Group.x25519, hex("client_x25519_private"));
  const server = keyShareFromPrivateKey(Group.x25519, hex("server_x25519_private"));
  assert.equal(toHex(client.publicKey), V.client_x25519_public);
  assert.equal(toHex(server.publicKey), V.server_x25519_public);
  const shared = client.agree(server.publicKey);
  assert.equal(toHex(shared), S("ecdhe"));
  assert.equal(toHex(server.agree(client.publicKey)), S("ecdhe"));

  const zeros = new Uint8Array(32);
  const emptyHash = p.hash("sha256", new Uint8Array(0));
  assert.equal(toHex(hkdfExtract(p, "sha256", zeros, zeros)), S("early"));
  assert.equal(toHex(deriveSecret(p, "sha256", fromHex(S("early")), "derived", emptyHash)), S("derived_early"));
  assert.equal(toHex(deriveSecret(p, "sha256", fromHex(S("handshake")), "derived", emptyHash)), S("derived_handshake"));

  const helloHash = transcript("client_hello", "server_hello");
  assert.equal(toHex(helloHash), S("hello_hash"));
  assert.equal(toHex(p.hash("sha256", Buffer.concat([ch, sh]))), S("hello_hash"));
  const hs = handshakeSecrets(p, AES128, shared, helloHash);
  assert.equal(toHex(hs.early), S("early"));
  assert.equal(toHex(hs.handshake), S("handshake"));
  assert.equal(toHex(hs.clientHandshake), S("client_handshake_traffic"));
  assert.equal(toHex(hs.serverHandshake), S("server_handshake_traffic"));
  assert.equal(toHex(hs.master), S("master"));

  const sKeys = trafficKeys(p, AES128, hs.serverHandshake), cKeys = trafficKeys(p, AES128, hs.clientHandshake);
  assert.equal(toHex(sKeys.key), K("server_handshake_key"));
  assert.equal(toHex(sKeys.iv), K("server_handshake_iv"));
  assert.equal(toHex(cKeys.key), K("client_handshake_key"));
  assert.equal(toHex(cKeys.iv), K("client_handshake_iv"));

  const empty = new Uint8Array(0);
  assert.equal(
    toHex(hkdfExpandLabel(p, "sha256", hs.serverHandshake, "finished", empty, 32)),
    S("server_finished_key"),
  );
  assert.equal(
    toHex(hkdfExpandLabel(p, "sha256", hs.clientHandshake, "finished", empty, 32)),
    S("client_finished_key"),
  );
  const beforeServerFinished = transcript(
    "client_hello",
    "server_hello",
    "encrypted_extensions",
    "certificate",
    "certificate_verify",
  );
  assert.equal(
    toHex(finishedVerifyData(p, AES128, hs.serverHandshake, beforeServerFinished)),
    V.server_finished.slice(8),
  );

  const serverFinishedHash = transcript(
    "client_hello",
    "server_hello",
    "encrypted_extensions",
    "certificate",
    "certificate_verify",
    "server_finished",
  );
  assert.equal(toHex(serverFinishedHash), S("server_finished_hash"));
  assert.equal(
    toHex(finishedVerifyData(p, AES128, hs.clientHandshake, serverFinishedHash)),
    V.client_finished.slice(8),
  );
  const app = applicationSecrets(p, AES128, hs.master, serverFinishedHash);
  assert.equal(toHex(app.client), S("client_application_traffic_0"));
  assert.equal(toHex(app.server), S("server_application_traffic_0"));
  assert.equal(toHex(app.exporter), S("exporter_master"));
  const sApp = trafficKeys(p, AES128, app.server), cApp = trafficKeys(p, AES128, app.client);
  assert.equal(toHex(sApp.key), K("server_application_key"));
  assert.equal(toHex(sApp.iv), K("server_application_iv"));
  assert.equal(toHex(cApp.key), K("client_application_key"));
  assert.equal(toHex(cApp.iv), K("client_application_iv"));

  const clientFinishedHash = transcript(
    "client_hello",
    "server_hello",
    "encrypted_extensions",
    "certificate",
    "certificate_verify",
    "server_finished",
    "client_finished",
  );
  assert.equal(toHex(clientFinishedHash), S("client_finished_hash"));
  assert.equal(toHex(deriveSecret(p, "sha256", hs.master, "res master", clientFinishedHash)), S("resumption_master"));
});

Deno.test("RFC 8448 §3: the client engine produces the trace's ClientHello, Finished, data and alert records", () => {
  const traceHello = parseClientHello(hex("client_hello").subarray(4));
  const provider = new TraceProvider([hex("client_random")], hex("client_x25519_private"));
  const c = collector();
  const keyLog: string[] = [];
  const config: TlsConfig = { role: "client", serverName: "server", verifyPeer: false, keyLog: (l) => keyLog.push(l) };
  const engine = createTls13Engine(config, c.sink, {
    crypto: provider,
    cipherSuites: ["TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_256_GCM_SHA384"],
    middleboxCompat: false, // the trace's client sends an empty session id and no CCS
    groups: ["x25519", "secp256r1", "secp384r1"], // the trace's order, and its one key share: x25519
    clientHelloExtensions: (ours) => {
      // The trace offers more than this engine (ffdhe groups, tickets, record_size_limit); its key
      // share must still be the one the engine generated.
      const ks = (list: typeof ours) => toHex(list.find((e) => e.type === 51)!.data);
      assert.equal(ks(ours), ks(traceHello.extensions));
      return traceHello.extensions;
    },
  });
  engine.start();
  assert.equal(c.out(), V.client_hello_record);

  engine.receive(hex("server_hello_record"));
  assert.equal(c.out(), "");
  engine.receive(hex("server_flight_record"));
  assert.equal(c.out(), V.client_finished_record);
  assert.ok(engine.handshakeDone);
  assert.equal(engine.info?.cipher, "TLS_AES_128_GCM_SHA256");
  assert.equal(engine.info?.group, "x25519");
  assert.equal(engine.info?.signatureScheme, "rsa_pss_rsae_sha256");
  assert.equal(toHex(engine.info!.peerCertificates[0]), toHex(certDer));

  // The server's NewSessionTicket is accepted and dropped; its data record follows.
  engine.receive(hex("new_session_ticket_record"));
  engine.receive(hex("server_application_data_record"));
  assert.equal(c.plain(), V.application_data);

  engine.send(hex("application_data"));
  assert.equal(c.out(), V.client_application_data_record);
  engine.close();
  assert.equal(c.out(), V.client_alert_record);
  engine.receive(hex("server_alert_record"));
  assert.ok(engine.peerClosed);

  const random = V.client_random;
  assert.deepEqual(keyLog, [
    `CLIENT_HANDSHAKE_TRAFFIC_SECRET ${random} ${S("client_handshake_traffic")}`,
    `SERVER_HANDSHAKE_TRAFFIC_SECRET ${random} ${S("server_handshake_traffic")}`,
    `CLIENT_TRAFFIC_SECRET_0 ${random} ${S("client_application_traffic_0")}`,
    `SERVER_TRAFFIC_SECRET_0 ${random} ${S("server_application_traffic_0")}`,
    `EXPORTER_SECRET ${random} ${S("exporter_master")}`,
  ]);
});

Deno.test("RFC 8448 §3: the server engine produces the trace's ServerHello and encrypted flight", () => {
  const provider = new TraceProvider([hex("server_random")], hex("server_x25519_private"), {
    cert: certDer,
    scheme: 0x0804,
    value: cvSignature,
  });
  const c = collector();
  const traceEe = parseExtensions(hex("encrypted_extensions").subarray(4));
  const engine = createTls13Engine(
    { role: "server", certificateChain: certPem, privateKey: "(replaced by the trace provider)" },
    c.sink,
    // The trace's server prefers AES-128-GCM.
    { crypto: provider, encryptedExtensions: () => traceEe, cipherSuites: ["TLS_AES_128_GCM_SHA256"] },
  );
  engine.receive(hex("client_hello_record"));
  // No CCS: the trace's client did not ask for middlebox compatibility.
  assert.equal(c.out(), V.server_hello_record + V.server_flight_record);
  assert.ok(provider.signedContent, "CertificateVerify was signed");
  assert.ok(!engine.handshakeDone);

  engine.receive(hex("client_finished_record"));
  assert.ok(engine.handshakeDone);
  assert.equal(engine.info?.serverName, "server");
  engine.receive(hex("client_application_data_record"));
  assert.equal(c.plain(), V.application_data);
  engine.receive(hex("client_alert_record"));
  assert.ok(engine.peerClosed);
});

Deno.test("RFC 8448 §3: a flipped bit in the client Finished record is bad_record_mac", () => {
  const provider = new TraceProvider([hex("server_random")], hex("server_x25519_private"), {
    cert: certDer,
    scheme: 0x0804,
    value: cvSignature,
  });
  const c = collector();
  const traceEe = parseExtensions(hex("encrypted_extensions").subarray(4));
  const engine = createTls13Engine(
    { role: "server", certificateChain: certPem, privateKey: "-" },
    c.sink,
    // The trace's server prefers AES-128-GCM.
    { crypto: provider, encryptedExtensions: () => traceEe, cipherSuites: ["TLS_AES_128_GCM_SHA256"] },
  );
  engine.receive(hex("client_hello_record"));
  c.out();
  const bad = hex("client_finished_record");
  bad[10] ^= 1;
  assert.throws(
    () => engine.receive(bad),
    (e: Error & { alert?: number; sent?: boolean }) => e.alert === 20 && !!e.sent,
  );
  // Dead afterwards: the same error again.
  assert.throws(() => engine.receive(new Uint8Array(1)), (e: Error & { alert?: number }) => e.alert === 20);
  assert.ok(c.out().startsWith("1703030013"), "the alert went out protected");
});
