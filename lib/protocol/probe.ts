/**
 * Looks at the first bytes a server received, before any engine is chosen,
 * to tell which versions the client offers (supported_versions, RFC 8446
 * §4.2.1, or legacy_version). A server can then hand each client to the
 * engine for the highest version both sides speak.
 *
 * @module
 */

import { Reader } from "./bytes.ts";
import { ContentType, ExtensionType, HandshakeType, MAX_PLAINTEXT, maxHandshakeLength, Version } from "./constants.ts";
import { parseRawClientHello } from "./client_hello.ts";
import { findExtension, parseSupportedVersions } from "./extensions.ts";

/** What {@link parseClientHelloVersions} found. */
export interface ClientHelloProbe {
  /** The whole first ClientHello is there (or the bytes are already known not to be one). */
  complete: boolean;
  /** The ClientHello lists TLS 1.3 in supported_versions. */
  offersTls13: boolean;
  /** The ClientHello offers TLS 1.2: in supported_versions, or as legacy_version when that extension is absent. */
  offersTls12: boolean;
  /** The bytes are not a well-formed ClientHello; whichever engine gets them will send the alert. */
  malformed: boolean;
  /** ClientHello.legacy_version, when parsed. */
  legacyVersion?: number;
}

const NEED_MORE: ClientHelloProbe = { complete: false, offersTls13: false, offersTls12: false, malformed: false };
const MALFORMED: ClientHelloProbe = { complete: true, offersTls13: false, offersTls12: false, malformed: true };

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
  const first = firstHandshakeMessage(bytes, HandshakeType.client_hello);
  if (first === "need_more") return NEED_MORE;
  if (first === "malformed") return MALFORMED;
  try {
    // Only the framing and supported_versions: whether other extensions are
    // well-formed is for the engine that gets the hello to say.
    const ch = parseRawClientHello(first.subarray(4));
    const sv = findExtension(ch.extensions, ExtensionType.supported_versions);
    const versions = sv ? parseSupportedVersions(sv) : [];
    const offersTls13 = versions.includes(Version.TLS13);
    const offersTls12 = sv ? versions.includes(Version.TLS12) : ch.legacyVersion >= Version.TLS12;
    return { complete: true, offersTls13, offersTls12, malformed: false, legacyVersion: ch.legacyVersion };
  } catch {
    // Old SSLv3/TLS 1.0 hellos without extensions still parse; only garbage lands here.
    try {
      const r = new Reader(first, 4);
      return { complete: true, offersTls13: false, offersTls12: false, malformed: true, legacyVersion: r.u16() };
    } catch {
      return MALFORMED;
    }
  }
}

/**
 * The first handshake message (header included) at the start of a stream of
 * plaintext records, once complete; it may span several records.
 * "malformed" when the stream does not begin with a handshake message of
 * `type` (an alert, say, or garbage): the engine that gets it says why.
 *
 * @example A ClientHello, whole, cut short, and asked for as something else
 * ```ts
 * import { createTls13Engine, Ssl } from "@ssl-nonblock/tls";
 * import assert from "node:assert/strict";
 *
 * const client = new Ssl(createTls13Engine, { role: "client", serverName: "example.com" });
 * client.handshake();
 * const wire = client.wbio.read();
 * const hello = firstHandshakeMessage(wire, 1); // client_hello
 * assert.ok(hello instanceof Uint8Array && hello[0] === 1);
 * assert.equal(firstHandshakeMessage(wire.subarray(0, 20), 1), "need_more");
 * assert.equal(firstHandshakeMessage(wire, 2), "malformed"); // not a ServerHello
 * ```
 *
 * @param bytes Bytes as they came from the peer.
 * @param type The handshake type expected first.
 * @returns The message, or why there is none yet.
 */
export function firstHandshakeMessage(bytes: Uint8Array, type: number): Uint8Array | "need_more" | "malformed" {
  const parts: Uint8Array[] = [];
  let have = 0;
  let at = 0;
  let msgLen = -1;
  while (msgLen < 0 || have < 4 + msgLen) {
    if (bytes.length - at < 5) return "need_more";
    if (bytes[at] !== ContentType.handshake || bytes[at + 1] !== 3) return "malformed";
    const len = (bytes[at + 3] << 8) | bytes[at + 4];
    if (len === 0 || len > MAX_PLAINTEXT) return "malformed";
    if (bytes.length - at < 5 + len) return "need_more";
    parts.push(bytes.subarray(at + 5, at + 5 + len));
    have += len;
    at += 5 + len;
    if (msgLen < 0 && have >= 4) {
      const head = parts.length === 1 ? parts[0] : join(parts, have);
      if (head[0] !== type) return "malformed";
      msgLen = (head[1] << 16) | (head[2] << 8) | head[3];
      if (msgLen > maxHandshakeLength(type)) return "malformed";
    }
  }
  return join(parts, have).subarray(0, 4 + msgLen);
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
