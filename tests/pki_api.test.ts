/**
 * The library's host-name rule: a client that verifies its peer names the
 * host (serverName) or opts out explicitly (verifyHostname: false); there is
 * no silent default. The same through both engines.
 */
import assert from "node:assert/strict";
import { createForgeEngine } from "../lib/engines/forge/forge_engine.ts";
import { createTls13Engine } from "../lib/engines/tls13/mod.ts";
import type { EngineFactory } from "../lib/ssl/engine.ts";
import { memoryPair, shuttle } from "./helpers.ts";

const ENGINES: [string, EngineFactory, object][] = [
  ["tls13", createTls13Engine, {}],
  ["forge", createForgeEngine, { maxVersion: "TLSv1.2" }],
];

for (const [name, engine, versions] of ENGINES) {
  Deno.test(`${name}: a verifying client without serverName is refused, saying how to opt out`, async () => {
    const { client, server } = await memoryPair(engine, { serverName: undefined, ...versions }, versions);
    shuttle(client, server);
    assert.equal(client.getError(), "ssl");
    assert.match(client.error!.message, /no host name to check the server certificate against: set serverName/);
  });

  Deno.test(`${name}: verifyHostname: false without serverName verifies the chain only`, async () => {
    const { client, server } = await memoryPair(
      engine,
      { serverName: undefined, verifyHostname: false, ...versions },
      versions,
    );
    shuttle(client, server);
    assert.equal(client.getError(), "none", String(client.error?.message));
    assert.ok(client.info);
  });

  Deno.test(`${name}: verifyHostname: false still refuses an untrusted chain`, async () => {
    const { client, server } = await memoryPair(
      engine,
      { serverName: undefined, verifyHostname: false, caCertificates: [], ...versions },
      versions,
    );
    shuttle(client, server);
    assert.equal(client.getError(), "ssl");
    assert.match(client.error!.message, /not signed by a trusted CA/);
  });

  Deno.test(`${name}: serverName for another host is refused`, async () => {
    const { client, server } = await memoryPair(engine, { serverName: "example.com", ...versions }, versions);
    shuttle(client, server);
    assert.equal(client.getError(), "ssl");
    assert.match(client.error!.message, /not valid for host name example\.com/);
  });
}
