/**
 * The handshake message codec shared by every engine: framing here, and the
 * messages and extensions, each decoded once into typed values, in the
 * modules re-exported below.
 *
 * - `extensions.ts`: the extension block and the payloads of most extensions;
 * - `key_share.ts`: key_share, client and server side;
 * - `client_hello.ts`: ClientHello with typed extensions;
 * - `server_hello.ts`: ServerHello, HelloRetryRequest, EncryptedExtensions;
 * - `authentication.ts`: Certificate, CertificateRequest, CertificateVerify, NewSessionTicket.
 *
 * @module
 */

export * from "./extensions.ts";
export * from "./key_share.ts";
export * from "./client_hello.ts";
export * from "./server_hello.ts";
export * from "./authentication.ts";

/**
 * Frames a handshake message: type, 24-bit length, body (RFC 8446 §4).
 *
 * @example
 * ```ts
 * const finished = handshakeMessage(20, new Uint8Array(32)); // Finished: [20, 0, 0, 32, ...]
 * ```
 */
export function handshakeMessage(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  out[0] = type;
  out[1] = body.length >>> 16;
  out[2] = body.length >>> 8;
  out[3] = body.length;
  out.set(body, 4);
  return out;
}
