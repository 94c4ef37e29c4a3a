/**
 * The forge engine (`--engine forge`) with this machine's OpenSSL 3 command-line tools. The forge
 * engine speaks TLS 1.0/1.1 with RSA key exchange and without the
 * renegotiation_info extension, so OpenSSL 3 needs these flags (the README
 * lists them):
 * - s_client → server.ts: `-cipher DEFAULT@SECLEVEL=0 -legacy_server_connect`
 * - client.ts → s_server: `-cipher DEFAULT@SECLEVEL=0`
 */
import assert from "node:assert/strict";
import { clientArgs, DENO, freePort, Proc, startOpensslServer, startServer, testCerts, until } from "./helpers.ts";

const dec = new TextDecoder();

Deno.test("forge: openssl s_client (legacy flags) chats both ways with server.ts", async () => {
  const port = freePort();
  const dir = await testCerts();
  const server = await startServer(port, "--engine", "forge");
  const sClient = new Proc("openssl", [
    "s_client",
    "-connect",
    `127.0.0.1:${port}`,
    "-CAfile",
    `${dir}/ca.crt`,
    "-verify_return_error",
    "-cipher",
    "DEFAULT@SECLEVEL=0",
    "-legacy_server_connect",
    "-quiet",
    "-no_ign_eof", // -quiet implies -ign_eof; we want close_notify at stdin EOF
  ]);
  try {
    await server.waitFor(/handshake complete: TLSv1/);
    await sClient.write("from s_client\n");
    await server.write("from server.ts\n");
    await until(() => dec.decode(server.stdout) === "from s_client\n", "s_client's data at the server");
    await until(() => dec.decode(sClient.stdout).includes("from server.ts\n"), "server data at s_client");
    await sClient.closeStdin(); // s_client sends close_notify on stdin EOF
    await server.waitFor(/client closed the connection: 14 bytes in, 15 bytes out/);
    await sClient.exit();
  } finally {
    await sClient.stop();
    await server.stop();
  }
});

Deno.test("forge: client.ts chats both ways with openssl s_server (legacy cipher level)", async () => {
  const dir = await testCerts();
  const { proc: sServer, port } = await startOpensslServer([
    "-naccept",
    "1",
    "-cert",
    `${dir}/server.crt`,
    "-key",
    `${dir}/server.key`,
    "-cipher",
    "DEFAULT@SECLEVEL=0",
    "-quiet",
  ]);
  let client: Proc | undefined;
  try {
    client = new Proc(DENO, await clientArgs(port, "--engine", "forge"));
    await client.waitFor(/handshake complete: TLSv1\.1/);
    await client.write("from client.ts\n");
    await sServer.write("from s_server\n");
    await until(() => dec.decode(sServer.stdout) === "from client.ts\n", "client data at s_server");
    await until(() => dec.decode(client!.stdout) === "from s_server\n", "s_server data at the client");
    await client.closeStdin();
    const status = await client.exit();
    assert.equal(status.code, 0, client.stderr);
  } finally {
    await client?.stop();
    await sServer.stop();
  }
});
