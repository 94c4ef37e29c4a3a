/**
 * The TLS 1.2 pseudorandom function and everything derived with it
 * (RFC 5246 §5, §6.3, §7.4.9; RFC 7627 §4 extended master secret).
 *
 * @module
 */

import type { CryptoProvider, HashAlgorithm } from "../../crypto/provider.ts";
import { concat } from "../../protocol/bytes.ts";
import type { Tls12Suite } from "./suites.ts";
import { Tls12Protection } from "./record.ts";

const encoder = new TextEncoder();

/**
 * PRF(secret, label, seed) = P_hash(secret, label + seed), cut to `length`
 * bytes (RFC 5246 §5).
 */
export function prf(
  p: CryptoProvider,
  hash: HashAlgorithm,
  secret: Uint8Array,
  label: string,
  seed: Uint8Array,
  length: number,
): Uint8Array {
  const labelSeed = concat(encoder.encode(label), seed);
  const out = new Uint8Array(length);
  let a = labelSeed; // A(0)
  let at = 0;
  while (at < length) {
    a = p.hmac(hash, secret, a); // A(i) = HMAC(secret, A(i-1))
    const block = p.hmac(hash, secret, concat(a, labelSeed));
    out.set(block.subarray(0, Math.min(block.length, length - at)), at);
    at += block.length;
  }
  return out;
}

/**
 * master_secret = PRF(pre_master_secret, "extended master secret",
 * session_hash)[0..47] (RFC 7627 §4), where session_hash is the transcript
 * hash up to and including ClientKeyExchange.
 */
export function extendedMasterSecret(
  p: CryptoProvider,
  suite: Tls12Suite,
  preMasterSecret: Uint8Array,
  sessionHash: Uint8Array,
): Uint8Array {
  return prf(p, suite.hash, preMasterSecret, "extended master secret", sessionHash, 48);
}

/** One direction's AEAD key and implicit IV. */
export interface DirectionKeys {
  key: Uint8Array;
  iv: Uint8Array;
}

/**
 * Splits the key block (RFC 5246 §6.3). AEAD suites have no MAC keys, so the
 * block is client key, server key, client IV, server IV.
 */
export function keyBlock(
  p: CryptoProvider,
  suite: Tls12Suite,
  master: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
): { client: DirectionKeys; server: DirectionKeys } {
  const k = suite.keyLength, iv = suite.fixedIvLength;
  const block = prf(p, suite.hash, master, "key expansion", concat(serverRandom, clientRandom), 2 * (k + iv));
  return {
    client: { key: block.slice(0, k), iv: block.slice(2 * k, 2 * k + iv) },
    server: { key: block.slice(k, 2 * k), iv: block.slice(2 * k + iv, 2 * k + 2 * iv) },
  };
}

/**
 * Finished.verify_data = PRF(master_secret, finished_label,
 * Hash(handshake_messages))[0..11] (RFC 5246 §7.4.9).
 */
export function finishedVerifyData(
  p: CryptoProvider,
  suite: Tls12Suite,
  master: Uint8Array,
  sender: "client" | "server",
  transcriptHash: Uint8Array,
): Uint8Array {
  return prf(p, suite.hash, master, `${sender} finished`, transcriptHash, 12);
}

/**
 * Both directions' record protection from the master secret.
 */
export function recordProtections(
  p: CryptoProvider,
  suite: Tls12Suite,
  master: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
): { client: Tls12Protection; server: Tls12Protection } {
  const k = keyBlock(p, suite, master, clientRandom, serverRandom);
  return {
    client: new Tls12Protection(p.aead(suite.aead, k.client.key), k.client.iv, suite),
    server: new Tls12Protection(p.aead(suite.aead, k.server.key), k.server.iv, suite),
  };
}
