/**
 * PEM (RFC 7468) to DER and back.
 *
 * @example
 * ```ts
 * const [leaf] = pemToDer(await Deno.readTextFile("certs/server.crt"));
 * console.log(derToPem(leaf));
 * ```
 *
 * @module
 */

import { Buffer } from "node:buffer";

/**
 * Every PEM block with the given label, decoded to DER.
 *
 * @example
 * ```ts
 * const [leaf] = pemToDer(await Deno.readTextFile("certs/server.crt"));
 * ```
 */
export function pemToDer(pem: string, label = "CERTIFICATE"): Uint8Array[] {
  const out: Uint8Array[] = [];
  const re = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`, "g");
  for (const m of pem.matchAll(re)) {
    out.push(new Uint8Array(Buffer.from(m[1].replace(/\s+/g, ""), "base64")));
  }
  return out;
}

/**
 * DER to PEM, 64 columns, for printing chains like `s_client -showcerts`.
 *
 * @example
 * ```ts
 * console.log(derToPem(info.peerCertificates[0]));
 * ```
 */
export function derToPem(der: Uint8Array, label = "CERTIFICATE"): string {
  const b64 = Buffer.from(der).toString("base64").replace(/.{64}/g, "$&\n");
  return `-----BEGIN ${label}-----\n${b64.replace(/\n$/, "")}\n-----END ${label}-----\n`;
}
