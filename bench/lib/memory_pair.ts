/**
 * A client and a server {@link Ssl} joined in memory: what the engine-only
 * benchmark times, with no socket in the way.
 *
 * @module
 */

import { Ssl } from "../../lib/ssl/ssl.ts";
import type { EngineFactory, TlsConfig } from "../../lib/ssl/engine.ts";

/** PEM texts a pair needs. */
export interface PairCerts {
  ca: string;
  serverCert: string;
  serverKey: string;
}

/**
 * Reads ca.crt, server.crt and server.key from a gen-certs directory.
 *
 * @example
 * ```ts
 * const certs = await readPairCerts("bench/results/certs");
 * ```
 */
export async function readPairCerts(dir: string): Promise<PairCerts> {
  return {
    ca: await Deno.readTextFile(`${dir}/ca.crt`),
    serverCert: await Deno.readTextFile(`${dir}/server.crt`),
    serverKey: await Deno.readTextFile(`${dir}/server.key`),
  };
}

/** The client side's configuration, as client.ts builds it for 127.0.0.1. */
export function clientConfig(certs: PairCerts): TlsConfig {
  return { role: "client", serverName: "127.0.0.1", verifyPeer: true, caCertificates: [certs.ca] };
}

/** The server side's configuration, as server.ts builds it by default. */
export function serverConfig(certs: PairCerts): TlsConfig {
  return { role: "server", certificateChain: certs.serverCert, privateKey: certs.serverKey, caCertificates: [] };
}

function check(ssl: Ssl, side: string): void {
  if (ssl.getError() === "ssl") throw new Error(`${side}: ${ssl.error?.describe() ?? "TLS error"}`);
}

/**
 * Runs a full handshake between two new Ssl objects and returns them.
 *
 * @example
 * ```ts
 * const { client, server } = handshakePair(createForgeEngine, certs);
 * client.info!.cipher; // "TLS_RSA_WITH_AES_128_CBC_SHA"
 * ```
 */
export function handshakePair(engine: EngineFactory, certs: PairCerts): { client: Ssl; server: Ssl } {
  const client = new Ssl(engine, clientConfig(certs));
  const server = new Ssl(engine, serverConfig(certs));
  client.handshake();
  check(client, "client");
  for (let rounds = 0; !(client.isInitFinished && server.isInitFinished); rounds++) {
    if (rounds > 20) throw new Error("handshake did not complete in 20 round trips");
    server.rbio.write(client.wbio.read());
    server.handshake();
    check(server, "server");
    client.rbio.write(server.wbio.read());
    client.handshake();
    check(client, "client");
  }
  // Whatever is left in flight (e.g. TLS 1.3 session tickets) is delivered now.
  server.rbio.write(client.wbio.read());
  server.read();
  client.rbio.write(server.wbio.read());
  client.read();
  check(client, "client");
  check(server, "server");
  return { client, server };
}

/** Time spent on each side of {@link sendThrough}, accumulated. */
export interface SplitTimes {
  /** `write` on the sender and taking its records out of the wbio. */
  encryptMs: number;
  /** Feeding the records to the receiver and reading the plaintext back. */
  decryptMs: number;
}

/**
 * Encrypts `chunk` on `from`, decrypts it on `to`; returns the plaintext
 * bytes that came out (the whole chunk, unless the engine holds some back).
 *
 * @example
 * ```ts
 * const split = { encryptMs: 0, decryptMs: 0 };
 * const n = sendThrough(client, server, new Uint8Array(16384), split);
 * ```
 */
export function sendThrough(from: Ssl, to: Ssl, chunk: Uint8Array, split?: SplitTimes): number {
  const t0 = performance.now();
  if (from.write(chunk) !== chunk.length) throw new Error(`write failed: ${from.error?.describe() ?? from.getError()}`);
  const records = from.wbio.read();
  const t1 = performance.now();
  to.rbio.write(records);
  let received = 0;
  for (let data = to.read(); data.length > 0; data = to.read()) received += data.length;
  if (to.getError() === "ssl") throw new Error(`read failed: ${to.error?.describe()}`);
  if (split) {
    split.encryptMs += t1 - t0;
    split.decryptMs += performance.now() - t1;
  }
  // Anything the receiver answers (none for application data, but cheap to keep honest).
  from.rbio.write(to.wbio.read());
  return received;
}
