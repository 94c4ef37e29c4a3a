/**
 * PEM (RFC 7468) to DER and back.
 *
 * @module
 */

import { Buffer } from "node:buffer";

/**
 * Every PEM block with the given label, decoded to DER.
 *
 * @example
 * ```ts
 * import { derToPem, issueCertificate, pemToDer } from "@ssl-nonblock/tls";
 * import assert from "node:assert/strict";
 *
 * const ca = issueCertificate({ commonName: "Example CA", keyType: "ecdsa", isCA: true });
 * const leaf = issueCertificate({ commonName: "localhost", keyType: "ecdsa", issuer: ca });
 * const chain = pemToDer(leaf.certPem + ca.certPem);
 * assert.equal(chain.length, 2);
 * assert.equal(derToPem(chain[1]), ca.certPem);
 * ```
 *
 * @param pem Text holding PEM blocks (other text is skipped).
 * @param label The PEM label to collect.
 * @returns The DER of each block, in order.
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
 * import { derToPem } from "@ssl-nonblock/tls";
 * import assert from "node:assert/strict";
 *
 * assert.equal(derToPem(new Uint8Array([0x30, 0x00])), "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n");
 * ```
 *
 * @param der The encoded object.
 * @param label The PEM label.
 * @returns One PEM block.
 */
export function derToPem(der: Uint8Array, label = "CERTIFICATE"): string {
  const b64 = Buffer.from(der).toString("base64").replace(/.{64}/g, "$&\n");
  return `-----BEGIN ${label}-----\n${b64.replace(/\n$/, "")}\n-----END ${label}-----\n`;
}
