/**
 * The one place node-forge is imported, with its type definitions, so every
 * other module says `import { forge } from "./forge.ts"` and can use
 * `forge.pki.Certificate` as a type too.
 *
 * @module
 */

// @ts-types="@types/node-forge"
import forge from "node-forge";
import { Buffer } from "node:buffer";

export { forge };

/**
 * Bytes to forge's "binary string" (one char per byte), natively.
 */
export function toBinaryString(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1");
}

/**
 * forge's "binary string" back to bytes.
 */
export function fromBinaryString(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "latin1"));
}
