/**
 * The memory-BIO adapter in memory, no sockets: handshake, data both ways,
 * odd fragmentation, large binary payloads, close_notify, verification.
 * Every engine runs the same behaviours.
 */
import assert from "node:assert/strict";
import { createForgeEngine } from "../lib/engines/forge/forge_engine.ts";
import { createTls13Engine } from "../lib/engines/tls13/mod.ts";
import type { EngineFactory } from "../lib/ssl/engine.ts";
import { concat, memoryPair, pem, randomBytes, readAll, sha256, shuttle } from "./helpers.ts";
import type { Ssl } from "../lib/ssl/ssl.ts";

export const ENGINES: [string, EngineFactory][] = [["tls13", createTls13Engine], ["forge", createForgeEngine]];

/** Sends `data` from one Ssl to the other in `size` pieces and returns what arrived. */
function transfer(from: Ssl, to: Ssl, data: Uint8Array, size = 16384): Uint8Array {
  const got: Uint8Array[] = [];
  for (let off = 0; off < data.length; off += size) {
    assert.equal(from.write(data.subarray(off, off + size)), Math.min(size, data.length - off));
    to.rbio.write(from.wbio.read());
    got.push(readAll(to));
  }
  return concat(got);
}

for (const [name, engine] of ENGINES) {
  Deno.test(`${name}: client and server complete a handshake in memory and agree on the session`, async () => {
    const { client, server } = await memoryPair(engine);
    assert.equal(client.handshake(), "want-read");
    shuttle(client, server);
    assert.equal(client.handshake(), "none");
    assert.equal(server.handshake(), "none");
    assert.equal(client.info!.cipher, server.info!.cipher);
    assert.equal(client.info!.protocol, server.info!.protocol);
    assert.equal(client.info!.peerCertificates.length >= 1, true);
  });

  Deno.test(`${name}: data flows both ways, binary-safe`, async () => {
    const { client, server } = await memoryPair(engine);
    shuttle(client, server);
    const up = new Uint8Array([0, 1, 0, 255, 0, 10, 13, 0]);
    assert.deepEqual(transfer(client, server, up), up);
    const down = new TextEncoder().encode("héllo\0wörld\n");
    assert.deepEqual(transfer(server, client, down), down);
  });

  Deno.test(`${name}: encrypted bytes fed one byte at a time still work`, async () => {
    const { client, server } = await memoryPair(engine);
    shuttle(client, server, 1);
    assert.equal(client.isInitFinished && server.isInitFinished, true);
    const data = randomBytes(5000);
    client.write(data);
    const wire = client.wbio.read();
    const got: Uint8Array[] = [];
    for (const b of wire) {
      server.rbio.write(new Uint8Array([b]));
      got.push(readAll(server));
    }
    assert.equal(sha256(concat(got)), sha256(data));
  });

  Deno.test(`${name}: 16 MiB of random binary arrive intact both ways`, async () => {
    const { client, server } = await memoryPair(engine);
    shuttle(client, server);
    const data = randomBytes(16 << 20);
    assert.equal(sha256(transfer(client, server, data, 65536)), sha256(data));
    assert.equal(sha256(transfer(server, client, data, 65536)), sha256(data));
  });

  Deno.test(`${name}: close_notify from the client reaches the server as zero-return`, async () => {
    const { client, server } = await memoryPair(engine);
    shuttle(client, server);
    assert.equal(client.shutdown(), false);
    server.rbio.write(client.wbio.read());
    assert.equal(server.read().length, 0);
    assert.equal(server.getError(), "zero-return");
    server.shutdown();
    client.rbio.write(server.wbio.read());
    assert.equal(client.read().length, 0);
    assert.equal(client.getError(), "zero-return");
  });

  Deno.test(`${name}: close_notify from the server reaches the client, data sent before it arrives`, async () => {
    const { client, server } = await memoryPair(engine);
    shuttle(client, server);
    server.write(new TextEncoder().encode("last words"));
    server.shutdown();
    client.rbio.write(server.wbio.read());
    assert.equal(new TextDecoder().decode(readAll(client)), "last words");
    assert.equal(client.getError(), "zero-return");
    assert.equal(client.peerClosed, true);
  });

  Deno.test(`${name}: a client that does not trust the server's CA refuses the handshake`, async () => {
    // The server's own certificate is not a CA: trusting only it as an anchor
    // for a different name chain fails; use the client cert as the only anchor.
    const { client, server } = await memoryPair(engine, { caCertificates: [await pem("client.crt")] });
    shuttle(client, server);
    assert.equal(client.handshake(), "ssl");
    assert.equal(client.error!.alertName, "unknown_ca");
    assert.match(client.error!.message, /not signed by a trusted CA/);
    assert.equal(server.handshake(), "ssl");
    assert.equal(server.error!.received, true);
  });

  Deno.test(`${name}: a client refuses a certificate for another host name`, async () => {
    const { client, server } = await memoryPair(engine, { serverName: "example.com" });
    shuttle(client, server);
    assert.equal(client.handshake(), "ssl");
    assert.match(client.error!.message, /not valid for host name example\.com/);
  });

  Deno.test(`${name}: verification can be switched off explicitly`, async () => {
    const { client, server } = await memoryPair(engine, { serverName: "example.com", verifyPeer: false });
    shuttle(client, server);
    assert.equal(client.handshake(), "none");
  });

  Deno.test(`${name}: mutual TLS: the server verifies the client's certificate`, async () => {
    const { client, server } = await memoryPair(
      engine,
      { certificateChain: await pem("client.crt"), privateKey: await pem("client.key") },
      { requestClientCertificate: true, requireClientCertificate: true, verifyPeer: true },
    );
    shuttle(client, server);
    assert.equal(server.handshake(), "none");
    assert.equal(server.info!.peerCertificates.length, 1);
  });

  Deno.test(`${name}: a server that requires a client certificate refuses a client without one`, async () => {
    const { client, server } = await memoryPair(engine, {}, {
      requestClientCertificate: true,
      requireClientCertificate: true,
      verifyPeer: true,
    });
    shuttle(client, server);
    assert.equal(server.handshake(), "ssl");
  });

  Deno.test(`${name}: garbage instead of a ClientHello is a clean error, not an exception`, async () => {
    const { server } = await memoryPair(engine);
    server.rbio.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    assert.equal(server.handshake(), "ssl");
    assert.ok(server.error);
  });
}

for (const side of ["client", "server"] as const) {
  Deno.test(`forge: the ${side}'s --min-version TLSv1.1 refuses forge's TLS 1.0 with protocol_version, before any data`, async () => {
    const min = { minVersion: "TLSv1.1" as const };
    const { client, server } = await memoryPair(
      createForgeEngine,
      side === "client" ? min : {},
      side === "server" ? min : {},
    );
    const refusing = side === "client" ? client : server;
    shuttle(client, server);
    assert.equal(refusing.isInitFinished, false);
    assert.equal(refusing.error!.alertName, "protocol_version");
    assert.match(refusing.error!.message, /negotiated TLSv1, below the minimum TLSv1\.1/);
  });
}

Deno.test("forge: a range that includes TLS 1.0 completes the handshake (the twin of the refusal)", async () => {
  const range = { minVersion: "TLSv1" as const, maxVersion: "TLSv1.1" as const };
  const { client, server } = await memoryPair(createForgeEngine, range, range);
  shuttle(client, server);
  assert.equal(client.isInitFinished && server.isInitFinished, true);
  assert.equal(client.info!.protocol, "TLSv1");
});
