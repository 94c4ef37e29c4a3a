/**
 * Reference client for the end-to-end benchmark: Deno's own TLS
 * (`Deno.connectTls`, rustls), or plain TCP with `--plain`. Sends stdin,
 * then ends its direction (close_notify and FIN), writes what the server
 * sends to stdout and exits 0 when the server closes.
 *
 * ```
 * deno run --allow-net=127.0.0.1 --allow-read=DIR bench/native_tls_client.ts 127.0.0.1 PORT --ca DIR/ca.crt
 * deno run --allow-net=127.0.0.1 bench/native_tls_client.ts 127.0.0.1 PORT --plain
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { copy } from "./lib/copy.ts";

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: { ca: { type: "string" }, plain: { type: "boolean", default: false } },
    allowPositionals: true,
    strict: true,
  });
  const [hostname, portText] = positionals;
  const port = Number(portText);
  if (!hostname || !Number.isInteger(port) || (!values.plain && !values.ca)) {
    console.error("usage: native_tls_client.ts HOST PORT (--ca FILE | --plain)");
    return 2;
  }
  const conn = values.plain
    ? await Deno.connect({ hostname, port })
    : await Deno.connectTls({ hostname, port, caCerts: [await Deno.readTextFile(values.ca!)] });
  const sending = copy(Deno.stdin, conn).then(() => conn.closeWrite());
  await Promise.all([sending, copy(conn, Deno.stdout)]);
  conn.close();
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (e) {
    console.error(`native_tls_client: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  }
}
