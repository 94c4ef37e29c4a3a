/**
 * Connecting to a host name as `openssl s_client` and curl do: every address
 * the name resolves to (IPv6 and IPv4 alike, in the resolver's order) is
 * tried until one accepts, so `localhost` reaches a server that listens on
 * `::1` only.
 *
 * @module
 */

import { lookup } from "node:dns/promises";
import { errorText } from "./cli.ts";

/** Turns a host name into the addresses to try, in order. */
export type Resolver = (hostname: string) => Promise<string[]>;

/**
 * The system resolver (getaddrinfo: /etc/hosts, then DNS), every address,
 * in its order.
 */
export async function resolveAll(hostname: string): Promise<string[]> {
  const found = await lookup(hostname, { all: true, order: "verbatim" });
  return [...new Set(found.map((a) => a.address))];
}

/** No address of the name accepted the connection; the message says why, in one line. */
export class ConnectError extends Error {
  override name = "ConnectError";
}

/**
 * Connects to the first address of `hostname` that accepts; says which one.
 */
export async function connectAny(
  hostname: string,
  port: number,
  resolve: Resolver = resolveAll,
): Promise<{ conn: Deno.TcpConn; address: string }> {
  let addresses: string[];
  try {
    addresses = await resolve(hostname);
  } catch (e) {
    throw new ConnectError(`cannot resolve ${hostname}: ${errorText(e)}`);
  }
  if (!addresses.length) throw new ConnectError(`${hostname} has no address`);
  const failures: string[] = [];
  let allRefused = true;
  for (const address of addresses) {
    try {
      return { conn: await Deno.connect({ hostname: address, port, transport: "tcp" }), address };
    } catch (e) {
      if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
        throw new ConnectError(`no permission to connect to ${hostname}:${port} (${errorText(e)})`);
      }
      allRefused &&= e instanceof Deno.errors.ConnectionRefused;
      failures.push(`${address}: ${errorText(e)}`);
    }
  }
  const tried = addresses.length > 1 || addresses[0] !== hostname ? ` (tried ${failures.join("; ")})` : "";
  if (allRefused) {
    throw new ConnectError(`connection to ${hostname}:${port} refused${tried} (is the server running?)`);
  }
  throw new ConnectError(`cannot connect to ${hostname}:${port}${tried || `: ${failures[0].replace(/^[^:]*: /, "")}`}`);
}
