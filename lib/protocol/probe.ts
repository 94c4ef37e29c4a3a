/**
 * Looks at the first bytes a server received, before any engine is chosen,
 * to tell whether the client offers TLS 1.3 (supported_versions, RFC 8446
 * §4.2.1). A server can then hand TLS 1.3 clients to this engine and older
 * clients to another.
 *
 * @module
 */

import { Reader } from "./bytes.ts";
import { ContentType, ExtensionType, HandshakeType, MAX_CLIENT_HELLO, MAX_PLAINTEXT, Version } from "./constants.ts";
import { parseRawClientHello } from "./client_hello.ts";
import { findExtension, parseSupportedVersions } from "./extensions.ts";

/** What {@link parseClientHelloVersions} found. */
export interface ClientHelloProbe {
  /** The whole first ClientHello is there (or the bytes are already known not to be one). */
  complete: boolean;
  /** The ClientHello lists TLS 1.3 in supported_versions. */
  offersTls13: boolean;
  /** The bytes are not a well-formed ClientHello; whichever engine gets them will send the alert. */
  malformed: boolean;
  /** ClientHello.legacy_version, when parsed. */
  legacyVersion?: number;
}

const NEED_MORE: ClientHelloProbe = { complete: false, offersTls13: false, malformed: false };
const MALFORMED: ClientHelloProbe = { complete: true, offersTls13: false, malformed: true };

/**
 * Inspects the first bytes from a client. The ClientHello may span several
 * handshake records; until it is complete the answer is `complete: false`.
 *
 * @example A TLS 1.3 ClientHello, whole and cut short
 * ```ts
 * import { createTls13Engine, parseClientHelloVersions, Ssl } from "@ssl-nonblock/tls";
 * import assert from "node:assert/strict";
 *
 * const client = new Ssl(createTls13Engine, { role: "client", serverName: "example.com" });
 * client.handshake();
 * const hello = client.wbio.read();
 * assert.equal(parseClientHelloVersions(hello.subarray(0, 20)).complete, false);
 * const probe = parseClientHelloVersions(hello);
 * assert.equal(probe.complete && probe.offersTls13, true);
 * assert.equal(probe.legacyVersion, 0x0303);
 * ```
 *
 * @param bytes The first bytes the client sent.
 * @returns Whether the ClientHello is complete, and what it offers.
 */
export function parseClientHelloVersions(bytes: Uint8Array): ClientHelloProbe {
  // Gather the handshake bytes of leading plaintext handshake records.
  const parts: Uint8Array[] = [];
  let have = 0;
  let at = 0;
  let msgLen = -1;
  while (msgLen < 0 || have < 4 + msgLen) {
    if (bytes.length - at < 5) return NEED_MORE;
    if (bytes[at] !== ContentType.handshake || bytes[at + 1] !== 3) return MALFORMED;
    const len = (bytes[at + 3] << 8) | bytes[at + 4];
    if (len === 0 || len > MAX_PLAINTEXT) return MALFORMED;
    if (bytes.length - at < 5 + len) return NEED_MORE;
    parts.push(bytes.subarray(at + 5, at + 5 + len));
    have += len;
    at += 5 + len;
    if (msgLen < 0 && have >= 4) {
      const head = parts.length === 1 ? parts[0] : join(parts, have);
      if (head[0] !== HandshakeType.client_hello) return MALFORMED;
      msgLen = (head[1] << 16) | (head[2] << 8) | head[3];
      if (msgLen > MAX_CLIENT_HELLO) return MALFORMED;
    }
  }
  const msg = join(parts, have);
  try {
    // Only the framing and supported_versions: whether other extensions are
    // well-formed is for the engine that gets the hello to say.
    const ch = parseRawClientHello(msg.subarray(4, 4 + msgLen));
    const sv = findExtension(ch.extensions, ExtensionType.supported_versions);
    const offersTls13 = sv ? parseSupportedVersions(sv).includes(Version.TLS13) : false;
    return { complete: true, offersTls13, malformed: false, legacyVersion: ch.legacyVersion };
  } catch {
    // Old SSLv3/TLS 1.0 hellos without extensions still parse; only garbage lands here.
    try {
      const r = new Reader(msg, 4);
      return { complete: true, offersTls13: false, malformed: true, legacyVersion: r.u16() };
    } catch {
      return MALFORMED;
    }
  }
}

function join(parts: Uint8Array[], n: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
