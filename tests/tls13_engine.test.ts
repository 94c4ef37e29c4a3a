/**
 * In-memory client↔server tests of the TLS 1.3 engine: every cipher suite
 * and group with RSA and ECDSA certificates, HelloRetryRequest, mutual TLS,
 * ALPN, KeyUpdate, bulk data, byte-at-a-time delivery, close_notify, and the
 * alerts for tampering and certificate problems.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Alert, TlsError } from "../lib/ssl/alerts.ts";
import { CIPHER_SUITES } from "../lib/protocol/constants.ts";
import { createTls13Engine } from "../lib/engines/tls13/mod.ts";
import { connect, drain, pump, side, testPki, throwsAlert } from "./fixtures/tls13/helpers.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

for (const suite of CIPHER_SUITES) {
  for (const group of ["x25519", "secp256r1"]) {
    for (const cert of ["rsa", "ec"] as const) {
      Deno.test(`handshake + data: ${suite.name}, ${group}, ${cert.toUpperCase()} server`, async () => {
        const pki = await testPki();
        const { client, server } = await connect(
          {},
          {
            certificateChain: cert === "rsa" ? pki.rsaCert : pki.ecCert,
            privateKey: cert === "rsa" ? pki.rsaKey : pki.ecKey,
          },
          { cipherSuites: [suite.name], groups: [group] },
          { groups: [group] },
        );
        assert.ok(client.engine.handshakeDone && server.engine.handshakeDone);
        for (const info of [client.engine.info!, server.engine.info!]) {
          assert.equal(info.protocol, "TLSv1.3");
          assert.equal(info.cipher, suite.name);
          assert.equal(info.group, group);
        }
        assert.equal(
          client.engine.info!.signatureScheme,
          cert === "rsa" ? "rsa_pss_rsae_sha256" : "ecdsa_secp256r1_sha256",
        );
        assert.equal(client.engine.info!.peerCertificates.length, 1);
        assert.equal(server.engine.info!.serverName, "localhost");
        client.engine.send(enc("ping"));
        pump(client, server);
        assert.equal(dec(drain(server.inbox)), "ping");
        server.engine.send(enc("pong"));
        pump(client, server);
        assert.equal(dec(drain(client.inbox)), "pong");
      });
    }
  }
}

Deno.test("HelloRetryRequest: client shares x25519, server only takes secp256r1", async () => {
  const { client, server } = await connect({}, {}, { keyShareGroups: ["x25519"] }, { groups: ["secp256r1"] });
  assert.ok(client.engine.handshakeDone && server.engine.handshakeDone);
  assert.equal(client.engine.info!.group, "secp256r1");
  assert.ok(server.events.includes("TLS server write hello retry request"));
  assert.ok(client.events.includes("TLS client read hello retry request"));
  // Both ClientHellos and a single CCS each way in compatibility mode.
  assert.equal(server.events.filter((e) => e === "in ClientHello").length, 2);
  assert.equal(client.events.filter((e) => e === "out ChangeCipherSpec").length, 1);
  client.engine.send(enc("after hrr"));
  pump(client, server);
  assert.equal(dec(drain(server.inbox)), "after hrr");
});

Deno.test("HelloRetryRequest without middlebox compatibility", async () => {
  const { client, server } = await connect(
    {},
    {},
    { keyShareGroups: ["x25519"], middleboxCompat: false },
    { groups: ["secp256r1"] },
  );
  assert.ok(client.engine.handshakeDone && server.engine.handshakeDone);
  assert.ok(!client.events.includes("in ChangeCipherSpec") && !server.events.includes("out ChangeCipherSpec"));
});

Deno.test("no common group or suite: handshake_failure", async () => {
  const client = side({ role: "client", verifyPeer: false }, { groups: ["x25519"] });
  const pki = await testPki();
  const server = side({ role: "server", certificateChain: pki.ecCert, privateKey: pki.ecKey }, {
    groups: ["secp256r1"],
  });
  client.engine.start();
  throwsAlert(() => server.engine.receive(drain(client.outbox)), Alert.handshake_failure, "sent");
  throwsAlert(() => client.engine.receive(drain(server.outbox)), Alert.handshake_failure, "received");

  const c2 = side({ role: "client", verifyPeer: false }, { cipherSuites: ["TLS_AES_256_GCM_SHA384"] });
  const s2 = side(
    { role: "server", certificateChain: pki.ecCert, privateKey: pki.ecKey },
    { cipherSuites: ["TLS_AES_128_GCM_SHA256"] },
  );
  c2.engine.start();
  throwsAlert(() => s2.engine.receive(drain(c2.outbox)), Alert.handshake_failure, "sent");
});

Deno.test("mutual TLS: required client certificate is verified and its scheme reported", async () => {
  const pki = await testPki();
  const { client, server } = await connect(
    { certificateChain: pki.clientCert, privateKey: pki.clientKey },
    { requireClientCertificate: true, verifyPeer: true, caCertificates: [pki.caCert] },
  );
  assert.ok(client.engine.handshakeDone && server.engine.handshakeDone);
  assert.equal(server.engine.info!.peerCertificates.length, 1);
  assert.equal(server.engine.info!.signatureScheme, "ecdsa_secp256r1_sha256");
  client.engine.send(enc("authenticated"));
  pump(client, server);
  assert.equal(dec(drain(server.inbox)), "authenticated");
});

Deno.test("mutual TLS: missing required certificate is certificate_required", async () => {
  const pki = await testPki();
  const client = side({ role: "client", serverName: "localhost", caCertificates: [pki.caCert] });
  const server = side({
    role: "server",
    certificateChain: pki.rsaCert,
    privateKey: pki.rsaKey,
    requireClientCertificate: true,
    verifyPeer: true,
    caCertificates: [pki.caCert],
  });
  client.engine.start();
  server.engine.receive(drain(client.outbox));
  client.engine.receive(drain(server.outbox));
  assert.ok(client.engine.handshakeDone); // the client finished its side with an empty Certificate
  throwsAlert(() => server.engine.receive(drain(client.outbox)), Alert.certificate_required, "sent");
  throwsAlert(() => client.engine.receive(drain(server.outbox)), Alert.certificate_required, "received");
});

Deno.test("mutual TLS: requested but optional certificate may be absent", async () => {
  const pki = await testPki();
  const { client, server } = await connect({}, { requestClientCertificate: true, caCertificates: [pki.caCert] });
  assert.ok(client.engine.handshakeDone && server.engine.handshakeDone);
  assert.equal(server.engine.info!.peerCertificates.length, 0);
});

Deno.test("mutual TLS: client certificate from another CA is unknown_ca", async () => {
  const pki = await testPki();
  const client = side({
    role: "client",
    serverName: "localhost",
    caCertificates: [pki.caCert],
    certificateChain: pki.clientCert,
    privateKey: pki.clientKey,
  });
  const server = side({
    role: "server",
    certificateChain: pki.rsaCert,
    privateKey: pki.rsaKey,
    requestClientCertificate: true,
    verifyPeer: true,
    caCertificates: [pki.otherCaCert],
  });
  client.engine.start();
  server.engine.receive(drain(client.outbox));
  client.engine.receive(drain(server.outbox));
  throwsAlert(() => server.engine.receive(drain(client.outbox)), Alert.unknown_ca, "sent");
});

Deno.test("ALPN: server picks the first of its own protocols that the client offers", async () => {
  const { client, server } = await connect(
    { alpnProtocols: ["h2", "http/1.1"] },
    { alpnProtocols: ["http/1.1", "h2"] },
  );
  assert.equal(client.engine.info!.alpn, "http/1.1");
  assert.equal(server.engine.info!.alpn, "http/1.1");
  const none = await connect({}, { alpnProtocols: ["h2"] });
  assert.equal(none.client.engine.info!.alpn, undefined);
});

Deno.test("ALPN: no overlap is no_application_protocol", async () => {
  const pki = await testPki();
  const client = side({ role: "client", serverName: "localhost", caCertificates: [pki.caCert], alpnProtocols: ["h2"] });
  const server = side({ role: "server", certificateChain: pki.rsaCert, privateKey: pki.rsaKey, alpnProtocols: ["x"] });
  client.engine.start();
  throwsAlert(() => server.engine.receive(drain(client.outbox)), Alert.no_application_protocol, "sent");
  throwsAlert(() => client.engine.receive(drain(server.outbox)), Alert.no_application_protocol, "received");
});

Deno.test("KeyUpdate both ways, with and without update_requested", async () => {
  const { client, server } = await connect();
  const roundTrip = (label: string) => {
    client.engine.send(enc(`c:${label}`));
    server.engine.send(enc(`s:${label}`));
    pump(client, server);
    assert.equal(dec(drain(server.inbox)), `c:${label}`);
    assert.equal(dec(drain(client.inbox)), `s:${label}`);
  };
  const count = (s: typeof client, text: string) => s.events.filter((e) => e === text).length;

  client.engine.keyUpdate(true); // server must update its write keys too
  pump(client, server);
  assert.equal(count(server, "read keys updated"), 1);
  assert.equal(count(server, "write keys updated"), 1);
  assert.equal(count(client, "read keys updated"), 1);
  roundTrip("1");

  server.engine.keyUpdate(false);
  pump(client, server);
  assert.equal(count(client, "read keys updated"), 2);
  assert.equal(count(client, "write keys updated"), 1);
  roundTrip("2");

  server.engine.keyUpdate(true);
  client.engine.keyUpdate(false);
  pump(client, server);
  roundTrip("3");
  // Many updates in a row stay in step.
  for (let i = 0; i < 20; i++) client.engine.keyUpdate(i % 2 === 0);
  pump(client, server);
  roundTrip("4");
});

Deno.test("1 MiB of random data each way, hash-checked", async () => {
  for (const suite of CIPHER_SUITES) {
    const { client, server } = await connect({}, {}, { cipherSuites: [suite.name] });
    const up = randomBytes(1 << 20), down = randomBytes(1 << 20);
    client.engine.send(up);
    server.engine.send(down);
    pump(client, server);
    assert.equal(sha256(drain(server.inbox)), sha256(up), suite.name);
    assert.equal(sha256(drain(client.inbox)), sha256(down), suite.name);
  }
});

Deno.test("bytes delivered one at a time: handshake, data, close", async () => {
  const pki = await testPki();
  const { client, server } = await connect(
    { certificateChain: pki.clientCert, privateKey: pki.clientKey },
    { requestClientCertificate: true, verifyPeer: true, caCertificates: [pki.caCert] },
    {},
    {},
    1,
  );
  assert.ok(client.engine.handshakeDone && server.engine.handshakeDone);
  const data = randomBytes(40000);
  client.engine.send(data);
  client.engine.keyUpdate(true);
  client.engine.close();
  pump(client, server, 1);
  assert.equal(sha256(drain(server.inbox)), sha256(data));
  assert.ok(server.engine.peerClosed);
});

Deno.test("close_notify both ways; half-close keeps the other direction open", async () => {
  const { client, server } = await connect();
  client.engine.close();
  pump(client, server);
  assert.ok(server.engine.peerClosed && !client.engine.peerClosed);
  assert.throws(() => client.engine.send(enc("late")), TlsError);
  server.engine.send(enc("still open"));
  pump(client, server);
  assert.equal(dec(drain(client.inbox)), "still open");
  server.engine.close();
  pump(client, server);
  assert.ok(client.engine.peerClosed);
  client.engine.close(); // idempotent
});

Deno.test("RFC 8446 §6.1: data after close_notify is ignored, and the other direction stays open", async () => {
  const { client, server } = await connect();
  client.engine.close();
  const closeRecord = drain(client.outbox);
  server.engine.receive(closeRecord.subarray(0, 3)); // split anywhere
  server.engine.receive(closeRecord.subarray(3));
  assert.ok(server.engine.peerClosed);
  // Any further record, even one that would not authenticate, is ignored: no alert, no data.
  server.engine.receive(new Uint8Array([23, 3, 3, 0, 17, ...new Uint8Array(17)]));
  server.engine.receive(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff]));
  assert.equal(drain(server.outbox).length, 0);
  assert.equal(server.inbox.length, 0);
  // The server may still send; the client, whose read side is open, gets it.
  server.engine.send(enc("still here"));
  client.engine.receive(drain(server.outbox));
  assert.equal(new TextDecoder().decode(drain(client.inbox)), "still here");
});

Deno.test("a flipped bit in a record is bad_record_mac on both ends", async () => {
  const { client, server } = await connect();
  client.engine.send(enc("tamper with me"));
  const rec = drain(client.outbox);
  rec[rec.length - 20] ^= 0x04;
  throwsAlert(() => server.engine.receive(rec), Alert.bad_record_mac, "sent");
  throwsAlert(() => client.engine.receive(drain(server.outbox)), Alert.bad_record_mac, "received");
  // The dead engine keeps throwing the same error.
  throwsAlert(() => server.engine.receive(new Uint8Array(1)), Alert.bad_record_mac, "sent");
  assert.throws(() => server.engine.send(enc("x")), TlsError);
});

Deno.test("a flipped bit in the server's handshake flight is bad_record_mac", async () => {
  const pki = await testPki();
  const client = side({ role: "client", serverName: "localhost", caCertificates: [pki.caCert] });
  const server = side({ role: "server", certificateChain: pki.rsaCert, privateKey: pki.rsaKey });
  client.engine.start();
  server.engine.receive(drain(client.outbox));
  const flight = drain(server.outbox);
  flight[flight.length - 1] ^= 1;
  throwsAlert(() => client.engine.receive(flight), Alert.bad_record_mac, "sent");
});

Deno.test("server certificate from an untrusted CA is unknown_ca", async () => {
  const pki = await testPki();
  const client = side({ role: "client", serverName: "localhost", caCertificates: [pki.otherCaCert] });
  const server = side({ role: "server", certificateChain: pki.ecCert, privateKey: pki.ecKey });
  client.engine.start();
  server.engine.receive(drain(client.outbox));
  throwsAlert(() => client.engine.receive(drain(server.outbox)), Alert.unknown_ca, "sent");
  throwsAlert(() => server.engine.receive(drain(client.outbox)), Alert.unknown_ca, "received");
});

Deno.test("wrong host name is bad_certificate; verifyPeer: false skips the check", async () => {
  const pki = await testPki();
  const client = side({ role: "client", serverName: "example.com", caCertificates: [pki.caCert] });
  const server = side({ role: "server", certificateChain: pki.ecCert, privateKey: pki.ecKey });
  client.engine.start();
  server.engine.receive(drain(client.outbox));
  throwsAlert(() => client.engine.receive(drain(server.outbox)), Alert.bad_certificate, "sent");
  const ok = await connect({ serverName: "example.com", verifyPeer: false });
  assert.ok(ok.client.engine.handshakeDone);
  // An IP literal is checked against the certificate but not sent as SNI.
  const ip = await connect({ serverName: "127.0.0.1" });
  assert.ok(ip.client.engine.handshakeDone);
  assert.equal(ip.server.engine.info!.serverName, undefined);
});

Deno.test("key log: five NSS lines per side, identical on both sides", async () => {
  const clientLog: string[] = [], serverLog: string[] = [];
  const { client } = await connect({ keyLog: (l) => clientLog.push(l) }, { keyLog: (l) => serverLog.push(l) });
  assert.ok(client.engine.handshakeDone);
  assert.deepEqual(clientLog.map((l) => l.split(" ")[0]), [
    "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
    "SERVER_HANDSHAKE_TRAFFIC_SECRET",
    "CLIENT_TRAFFIC_SECRET_0",
    "SERVER_TRAFFIC_SECRET_0",
    "EXPORTER_SECRET",
  ]);
  assert.deepEqual([...serverLog].sort(), [...clientLog].sort());
  for (const l of clientLog) assert.match(l, /^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]{64}$/);
});

Deno.test("a server without certificate or key is refused at construction", () => {
  assert.throws(
    () => createTls13Engine({ role: "server" }, { outgoing() {}, plaintext() {} }),
    (e: unknown) => e instanceof TlsError && e.alert === Alert.internal_error,
  );
});

Deno.test("bulk throughput in memory (reported, 32 MiB per suite, 16 KiB records)", async () => {
  const chunk = randomBytes(1 << 20);
  for (const suite of CIPHER_SUITES) {
    const { client, server } = await connect({}, {}, { cipherSuites: [suite.name] });
    let received = 0;
    const t0 = performance.now();
    for (let i = 0; i < 32; i++) {
      client.engine.send(chunk);
      for (const rec of client.outbox.splice(0)) server.engine.receive(rec);
      for (const b of server.inbox.splice(0)) received += b.length;
    }
    const seconds = (performance.now() - t0) / 1000;
    assert.equal(received, 32 << 20);
    console.log(`  ${suite.name}: ${(32 * 1.048576 / seconds).toFixed(0)} MB/s (encrypt + decrypt)`);
  }
});
