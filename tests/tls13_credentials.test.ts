/**
 * A server's certificate chain and private key are parsed once per provider
 * and PEM, not once per connection; a different key or provider is parsed
 * anew, and a bad key is refused every time.
 */
import assert from "node:assert/strict";
import { loadCredentials } from "../lib/engines/tls13/context.ts";
import { NodeCryptoProvider } from "../lib/crypto/node_provider.ts";
import type { SigningKey } from "../lib/crypto/provider.ts";
import { TlsError } from "../lib/ssl/alerts.ts";
import type { TlsConfig } from "../lib/ssl/engine.ts";
import { pem } from "./helpers.ts";

class CountingProvider extends NodeCryptoProvider {
  loads = 0;
  override loadPrivateKey(text: string): SigningKey {
    this.loads++;
    return super.loadPrivateKey(text);
  }
}

async function serverConfig(key = "server.key"): Promise<TlsConfig> {
  return { role: "server", certificateChain: await pem("server.crt"), privateKey: await pem(key) };
}

Deno.test("tls13 credentials: the same chain and key are parsed once per provider, not per connection", async () => {
  const provider = new CountingProvider();
  const first = loadCredentials(await serverConfig(), provider)!;
  const again = loadCredentials(await serverConfig(), provider)!; // a new config object, the same PEM
  assert.equal(provider.loads, 1);
  assert.equal(again, first);
  assert.equal(again.chain.length, 1);
  assert.equal(again.key.keyType, "rsa");

  const other = new CountingProvider();
  assert.notEqual(loadCredentials(await serverConfig(), other), first, "another provider parses its own");
  assert.equal(other.loads, 1);
});

Deno.test("tls13 credentials: another key is parsed anew; a bad key is refused every time", async () => {
  const provider = new CountingProvider();
  const server = loadCredentials(await serverConfig(), provider)!;
  // client.key does not belong to server.crt, but loading does not pair them: only parsing is cached.
  const client = loadCredentials(await serverConfig("client.key"), provider)!;
  assert.equal(provider.loads, 2);
  assert.notEqual(client.key, server.key);
  const bad = {
    ...(await serverConfig()),
    privateKey: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
  };
  for (let i = 0; i < 2; i++) {
    assert.throws(() => loadCredentials(bad, provider), (e: unknown) => e instanceof TlsError);
  }
  assert.equal(provider.loads, 4);
  assert.equal(loadCredentials({ role: "server" }, provider), undefined);
});
