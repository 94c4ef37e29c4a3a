/**
 * The TLS 1.3 key schedule (RFC 8446 §7.1) on HKDF (RFC 5869), traffic key
 * derivation (§7.3), Finished MACs (§4.4.4) and the handshake transcript
 * (§4.4.1), including the HelloRetryRequest `message_hash` substitution.
 *
 * @module
 */

import { concat, Writer } from "../../protocol/bytes.ts";
import type { CipherSuiteInfo } from "../../protocol/constants.ts";
import { HandshakeType } from "../../protocol/constants.ts";
import type { CryptoProvider, HashAlgorithm, HashContext } from "../../crypto/provider.ts";

/**
 * HKDF-Expand (RFC 5869 §2.3) on the provider's HMAC.
 */
export function hkdfExpand(
  p: CryptoProvider,
  alg: HashAlgorithm,
  prk: Uint8Array,
  info: Uint8Array,
  length: number,
): Uint8Array {
  const out = new Uint8Array(length);
  let t: Uint8Array = new Uint8Array(0);
  let filled = 0;
  for (let i = 1; filled < length; i++) {
    t = p.hmac(alg, prk, concat(t, info, new Uint8Array([i])));
    const n = Math.min(t.length, length - filled);
    out.set(t.subarray(0, n), filled);
    filled += n;
  }
  return out;
}

/**
 * HKDF-Extract (RFC 5869 §2.2).
 */
export function hkdfExtract(p: CryptoProvider, alg: HashAlgorithm, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return p.hmac(alg, salt, ikm);
}

/**
 * `"tls13 " + label`, encoded once per label: the schedule uses a dozen
 * fixed labels on every handshake. Bounded, since the function is public
 * and any label may come in.
 */
const fullLabels = new Map<string, Uint8Array>();
const FULL_LABELS_KEPT = 32;

function fullLabel(label: string): Uint8Array {
  let bytes = fullLabels.get(label);
  if (!bytes) {
    bytes = new TextEncoder().encode(`tls13 ${label}`);
    if (fullLabels.size < FULL_LABELS_KEPT) fullLabels.set(label, bytes);
  }
  return bytes;
}

/**
 * HKDF-Expand-Label (RFC 8446 §7.1): the label gets the `tls13 ` prefix.
 */
export function hkdfExpandLabel(
  p: CryptoProvider,
  alg: HashAlgorithm,
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Uint8Array {
  const w = new Writer(64);
  w.u16(length);
  w.block8(() => w.bytes(fullLabel(label)));
  w.block8(() => w.bytes(context));
  return hkdfExpand(p, alg, secret, w.finish(), length);
}

/**
 * Derive-Secret (RFC 8446 §7.1) given the transcript hash already computed.
 */
export function deriveSecret(
  p: CryptoProvider,
  alg: HashAlgorithm,
  secret: Uint8Array,
  label: string,
  transcriptHash: Uint8Array,
): Uint8Array {
  return hkdfExpandLabel(p, alg, secret, label, transcriptHash, transcriptHash.length);
}

/** The write key and static IV for one direction (RFC 8446 §7.3). */
export interface TrafficKeys {
  key: Uint8Array;
  iv: Uint8Array;
}

/**
 * The record protection key and IV derived from a traffic secret.
 */
export function trafficKeys(p: CryptoProvider, suite: CipherSuiteInfo, secret: Uint8Array): TrafficKeys {
  const empty = new Uint8Array(0);
  return {
    key: hkdfExpandLabel(p, suite.hash, secret, "key", empty, suite.keyLength),
    iv: hkdfExpandLabel(p, suite.hash, secret, "iv", empty, 12),
  };
}

/**
 * Finished.verify_data (RFC 8446 §4.4.4) for a base key (a handshake traffic
 * secret) over a transcript hash.
 */
export function finishedVerifyData(
  p: CryptoProvider,
  suite: CipherSuiteInfo,
  baseKey: Uint8Array,
  transcriptHash: Uint8Array,
): Uint8Array {
  const finishedKey = hkdfExpandLabel(p, suite.hash, baseKey, "finished", new Uint8Array(0), suite.hashLength);
  return p.hmac(suite.hash, finishedKey, transcriptHash);
}

/**
 * The next traffic secret after a KeyUpdate (RFC 8446 §7.2).
 */
export function nextTrafficSecret(p: CryptoProvider, suite: CipherSuiteInfo, secret: Uint8Array): Uint8Array {
  return hkdfExpandLabel(p, suite.hash, secret, "traffic upd", new Uint8Array(0), suite.hashLength);
}

/** The secrets of one full (EC)DHE handshake without PSK. */
export interface HandshakeSecrets {
  early: Uint8Array;
  handshake: Uint8Array;
  clientHandshake: Uint8Array;
  serverHandshake: Uint8Array;
  master: Uint8Array;
}

/** The application-phase secrets. */
export interface ApplicationSecrets {
  client: Uint8Array;
  server: Uint8Array;
  exporter: Uint8Array;
}

/**
 * Receives each step of the schedule as it is computed (for `--trace-html`);
 * the names are the RFC's.
 */
export type SecretTrace = (name: string, value: Uint8Array, derivation: string, transcriptHash?: Uint8Array) => void;

/** The start of the schedule without PSK, which depends on the hash alone. */
interface NoPskStart {
  emptyHash: Uint8Array;
  early: Uint8Array;
  derivedEarly: Uint8Array;
}

const noPskStarts = new WeakMap<CryptoProvider, Map<HashAlgorithm, NoPskStart>>();

/**
 * early_secret = HKDF-Extract(0, 0) and Derive-Secret(early_secret,
 * "derived", ""), computed once per provider and hash: every handshake
 * without PSK starts from the same two values.
 */
function noPskStart(p: CryptoProvider, alg: HashAlgorithm, zeros: Uint8Array): NoPskStart {
  let byHash = noPskStarts.get(p);
  if (!byHash) noPskStarts.set(p, byHash = new Map());
  let start = byHash.get(alg);
  if (!start) {
    const emptyHash = p.hash(alg, new Uint8Array(0));
    const early = hkdfExtract(p, alg, zeros, zeros);
    start = { emptyHash, early, derivedEarly: deriveSecret(p, alg, early, "derived", emptyHash) };
    byHash.set(alg, start);
  }
  return start;
}

/**
 * Runs the RFC 8446 §7.1 schedule for a handshake without PSK: from the
 * (EC)DHE shared secret and the ClientHello..ServerHello hash to the
 * handshake traffic secrets and the master secret.
 */
export function handshakeSecrets(
  p: CryptoProvider,
  suite: CipherSuiteInfo,
  sharedSecret: Uint8Array,
  helloHash: Uint8Array,
  trace?: SecretTrace,
): HandshakeSecrets {
  const alg = suite.hash;
  const zeros = new Uint8Array(suite.hashLength);
  const { emptyHash, early, derivedEarly } = noPskStart(p, alg, zeros);
  const handshake = hkdfExtract(p, alg, derivedEarly, sharedSecret);
  const derivedHandshake = deriveSecret(p, alg, handshake, "derived", emptyHash);
  const master = hkdfExtract(p, alg, derivedHandshake, zeros);
  const hs = {
    early,
    handshake,
    clientHandshake: deriveSecret(p, alg, handshake, "c hs traffic", helloHash),
    serverHandshake: deriveSecret(p, alg, handshake, "s hs traffic", helloHash),
    master,
  };
  if (trace) {
    trace("early_secret", early, "HKDF-Extract(salt = 0, IKM = 0) — no PSK");
    trace("derived", derivedEarly, 'Derive-Secret(early_secret, "derived", "")');
    trace("(EC)DHE shared secret", sharedSecret, "key exchange of the key_share entries");
    trace("handshake_secret", handshake, "HKDF-Extract(salt = derived, IKM = (EC)DHE)");
    const hello = "ClientHello...ServerHello";
    trace(
      "client_handshake_traffic_secret",
      hs.clientHandshake,
      `Derive-Secret(handshake_secret, "c hs traffic", ${hello})`,
      helloHash,
    );
    trace(
      "server_handshake_traffic_secret",
      hs.serverHandshake,
      `Derive-Secret(handshake_secret, "s hs traffic", ${hello})`,
      helloHash,
    );
    trace("derived", derivedHandshake, 'Derive-Secret(handshake_secret, "derived", "")');
    trace("master_secret", master, "HKDF-Extract(salt = derived, IKM = 0)");
  }
  return hs;
}

/**
 * The application traffic and exporter secrets, from the master secret and the
 * hash of ClientHello..server Finished.
 */
export function applicationSecrets(
  p: CryptoProvider,
  suite: CipherSuiteInfo,
  master: Uint8Array,
  finishedHash: Uint8Array,
  trace?: SecretTrace,
): ApplicationSecrets {
  const alg = suite.hash;
  const app = {
    client: deriveSecret(p, alg, master, "c ap traffic", finishedHash),
    server: deriveSecret(p, alg, master, "s ap traffic", finishedHash),
    exporter: deriveSecret(p, alg, master, "exp master", finishedHash),
  };
  if (trace) {
    const upTo = "ClientHello...server Finished";
    trace(
      "client_application_traffic_secret_0",
      app.client,
      `Derive-Secret(master_secret, "c ap traffic", ${upTo})`,
      finishedHash,
    );
    trace(
      "server_application_traffic_secret_0",
      app.server,
      `Derive-Secret(master_secret, "s ap traffic", ${upTo})`,
      finishedHash,
    );
    trace("exporter_master_secret", app.exporter, `Derive-Secret(master_secret, "exp master", ${upTo})`, finishedHash);
  }
  return app;
}

/**
 * The running handshake transcript. The client learns the hash function only
 * from ServerHello, so messages are kept until {@link select} is called.
 */
export class Transcript {
  readonly #p: CryptoProvider;
  #pending: Uint8Array[] = [];
  #ctx: HashContext | undefined;
  #alg: HashAlgorithm | undefined;

  constructor(p: CryptoProvider) {
    this.#p = p;
  }

  /** Adds one whole handshake message (header included). */
  add(message: Uint8Array): void {
    if (this.#ctx) this.#ctx.update(message);
    else this.#pending.push(message);
  }

  /** Fixes the hash function; earlier messages are hashed now. */
  select(alg: HashAlgorithm): void {
    if (this.#alg === alg) return;
    this.#alg = alg;
    this.#ctx = this.#p.hashContext(alg);
    for (const m of this.#pending) this.#ctx.update(m);
    this.#pending = [];
  }

  /**
   * After a HelloRetryRequest, ClientHello1 is replaced by a synthetic
   * `message_hash` message carrying its hash (RFC 8446 §4.4.1). Call before
   * adding the HelloRetryRequest.
   */
  replaceWithMessageHash(alg: HashAlgorithm, clientHello1: Uint8Array): void {
    const h = this.#p.hash(alg, clientHello1);
    this.#alg = alg;
    this.#ctx = this.#p.hashContext(alg);
    this.#pending = [];
    this.#ctx.update(concat(new Uint8Array([HandshakeType.message_hash, 0, 0, h.length]), h));
  }

  /** The hash of everything added so far. */
  hash(): Uint8Array {
    if (!this.#ctx) throw new Error("transcript hash not selected");
    return this.#ctx.digest();
  }
}
