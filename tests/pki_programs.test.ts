/**
 * The representative cases of the certificate case table (tests/pki_cases.ts,
 * those marked `programs`) through the programs: client.ts against
 * `openssl s_server` serving each chain, and `server.ts
 * --require-client-cert` against `openssl s_client -cert …`. A refusal must
 * end the program with the case's one-line reason; an accepted chain must
 * carry data.
 */
import assert from "node:assert/strict";
import { alertName } from "../lib/ssl/alerts.ts";
import { DENO, freePort, Proc, startOpensslServer, testCerts, until } from "./helpers.ts";
import { buildCases, type Case } from "./pki_cases.ts";

const dec = new TextDecoder();
const cases = buildCases().filter((c) => c.programs);

/** Writes the case's files: root(s), the peer's chain (leaf first) and key. */
async function files(c: Case): Promise<{ dir: string; ca: string; chain: string; key: string }> {
  const dir = await Deno.makeTempDir({ prefix: "pki-case-" });
  const ca = `${dir}/ca.crt`, chain = `${dir}/chain.crt`, key = `${dir}/leaf.key`;
  await Deno.writeTextFile(ca, c.anchors.map((a) => a.certPem).join(""));
  await Deno.writeTextFile(chain, c.chain.map((i) => i.certPem).join(""));
  await Deno.writeTextFile(key, c.chain[0].keyPem, { mode: 0o600 });
  return { dir, ca, chain, key };
}

for (const c of cases.filter((c) => c.purpose === "server")) {
  Deno.test(`programs: client.ts against openssl s_server: ${c.name}`, async () => {
    const f = await files(c);
    const { proc: sServer, port } = await startOpensslServer([
      "-cert",
      f.chain,
      "-key",
      f.key,
      "-cert_chain",
      f.chain,
      "-naccept",
      "1",
      "-quiet",
      // Security level 0: s_server must be willing to serve the weak chains we expect the client to refuse.
      "-cipher",
      "DEFAULT:@SECLEVEL=0",
    ]);
    let client: Proc | undefined;
    try {
      client = new Proc(DENO, [
        "run",
        "--allow-net",
        `--allow-read=${f.dir}`,
        "client.ts",
        "127.0.0.1",
        String(port),
        "--ca",
        f.ca,
        "--servername",
        c.host!,
      ]);
      if (c.expected === "accept") {
        await client.write("chain accepted\n");
        await until(() => dec.decode(sServer.stdout).includes("chain accepted\n"), "data at s_server");
        await client.closeStdin();
        assert.equal((await client.exit()).code, 0, client.stderr);
      } else {
        await client.closeStdin();
        assert.equal((await client.exit()).code, 1, client.stderr);
        assert.match(client.stderr, c.expected.message);
        assert.match(client.stderr, new RegExp(alertName(c.expected.alert)));
      }
    } finally {
      await client?.stop();
      await sServer.stop();
      await Deno.remove(f.dir, { recursive: true });
    }
  });
}

for (const c of cases.filter((c) => c.purpose === "client")) {
  Deno.test(`programs: openssl s_client -cert … against server.ts --require-client-cert: ${c.name}`, async () => {
    const f = await files(c);
    const port = freePort();
    const certs = await testCerts();
    const server = new Proc(DENO, [
      "run",
      "--allow-net",
      `--allow-read=${certs},${f.dir}`,
      "server.ts",
      String(port),
      "--cert",
      `${certs}/server.crt`,
      "--key",
      `${certs}/server.key`,
      "--ca",
      f.ca,
      "--require-client-cert",
    ]);
    await server.waitFor(/waiting for next connection/);
    const sClient = new Proc("openssl", [
      "s_client",
      "-connect",
      `127.0.0.1:${port}`,
      "-CAfile",
      `${certs}/ca.crt`,
      "-cert",
      f.chain,
      "-key",
      f.key,
      "-cert_chain",
      f.chain,
      "-quiet",
      "-no_ign_eof",
    ]);
    try {
      await sClient.write("client chain\n");
      if (c.expected === "accept") {
        await until(() => dec.decode(server.stdout).includes("client chain\n"), "data at server.ts");
      } else {
        await server.waitFor(/ended: /);
        assert.match(server.stderr, c.expected.message);
        assert.match(server.stderr, new RegExp(alertName(c.expected.alert)));
        assert.doesNotMatch(dec.decode(server.stdout), /client chain/);
      }
    } finally {
      await sClient.stop();
      await server.stop();
      await Deno.remove(f.dir, { recursive: true });
    }
  });
}
