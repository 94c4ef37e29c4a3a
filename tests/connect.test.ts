/**
 * client.ts tries every address its host name resolves to, in order, as
 * `openssl s_client` and curl do, and says which one answered.
 */

import assert from "node:assert/strict";
import { connectAny } from "../lib/app/connect.ts";
import { clientArgs, DENO, freePort, Proc, servedNext, startServer } from "./helpers.ts";

for (const [listening, order] of [["::1", ["127.0.0.1", "::1"]], ["127.0.0.1", ["::1", "127.0.0.1"]]] as const) {
  Deno.test(`every address is tried in order: a server on ${listening} only is reached after ${order[0]} refuses`, async () => {
    const l = Deno.listen({ hostname: listening, port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    try {
      const accepted = l.accept();
      const { conn, address } = await connectAny("dual.test", port, () => Promise.resolve([...order]));
      assert.equal(address, listening);
      (await accepted).close();
      conn.close();
    } finally {
      l.close();
    }
  });
}

Deno.test("when every address refuses, one line names them all", async () => {
  const port = freePort();
  await assert.rejects(
    () => connectAny("dual.test", port, () => Promise.resolve(["::1", "127.0.0.1"])),
    new RegExp(
      `connection to dual.test:${port} refused \\(tried ::1: .*; 127.0.0.1: .*\\) \\(is the server running\\?\\)`,
    ),
  );
  await assert.rejects(() => connectAny("nothing.invalid", port), /cannot resolve nothing\.invalid/);
});

Deno.test("client.ts localhost: connects through the system resolver and says which address answered", async () => {
  const port = freePort();
  const server = await startServer(port);
  try {
    const args = (await clientArgs(port)).map((a) => (a === "127.0.0.1" ? "localhost" : a));
    const client = new Proc(DENO, args);
    await client.write("via localhost\n");
    await client.closeStdin();
    assert.equal((await client.exit()).code, 0, client.stderr);
    assert.match(client.stderr, new RegExp(`connected to localhost:${port} \\((127\\.0\\.0\\.1|::1)\\)`));
    await servedNext(port, server, "next\n");
  } finally {
    await server.stop();
  }
});
