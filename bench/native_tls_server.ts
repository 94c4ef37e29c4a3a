/**
 * Reference server for the end-to-end benchmark: Deno's own TLS
 * (`Deno.listenTls`, rustls), or plain TCP with `--plain`. Serves one
 * client, like `openssl s_server -naccept 1`: the client's bytes go to
 * stdout, stdin goes to the client; exits 0 when the client has finished
 * sending.
 *
 * ```
 * deno run --allow-net=127.0.0.1 --allow-read=DIR bench/native_tls_server.ts PORT --cert DIR/server.crt --key DIR/server.key
 * deno run --allow-net=127.0.0.1 bench/native_tls_server.ts PORT --plain
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { copy } from "./lib/copy.ts";

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: { cert: { type: "string" }, key: { type: "string" }, plain: { type: "boolean", default: false } },
    allowPositionals: true,
    strict: true,
  });
  const port = Number(positionals[0]);
  if (!Number.isInteger(port) || (!values.plain && !(values.cert && values.key))) {
    console.error("usage: native_tls_server.ts PORT (--cert FILE --key FILE | --plain)");
    return 2;
  }
  const listener = values.plain ? Deno.listen({ hostname: "127.0.0.1", port }) : Deno.listenTls({
    hostname: "127.0.0.1",
    port,
    cert: await Deno.readTextFile(values.cert!),
    key: await Deno.readTextFile(values.key!),
  });
  const conn = await listener.accept();
  listener.close();
  // stdin → client runs alongside; the process ends when the client is done.
  copy(Deno.stdin, conn).catch(() => {});
  await copy(conn, Deno.stdout);
  // End our direction properly (close_notify for TLS) before closing, as server.ts does.
  await conn.closeWrite().catch(() => {});
  conn.close();
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (e) {
    console.error(`native_tls_server: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  }
}
