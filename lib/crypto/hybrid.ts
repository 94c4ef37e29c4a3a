/**
 * X25519MLKEM768 (code point 0x11EC, draft-ietf-tls-ecdhe-mlkem): the
 * post-quantum hybrid key exchange. ML-KEM-768 (FIPS 203) comes from
 * `@noble/post-quantum`; the X25519 half is any X25519 {@link KeyShare}, so
 * this module only lays out the shares and the secret as the draft says:
 *
 * - client share = ML-KEM encapsulation key (1184) ‖ X25519 public key (32);
 * - server share = ML-KEM ciphertext (1088) ‖ X25519 public key (32);
 * - shared secret = ML-KEM shared secret (32) ‖ X25519 shared secret (32).
 *
 * The ML-KEM part comes first in all three, unlike the NIST-curve hybrids.
 *
 * @module
 */

import { ml_kem768 } from "@noble/post-quantum/ml-kem.js";
import { concat } from "../protocol/bytes.ts";
import { Group } from "../protocol/constants.ts";
import type { CompletedKeyShare, KeyShare } from "./provider.ts";

/** Sizes of ML-KEM-768 values (FIPS 203 Table 3). */
export const MLKEM768 = { encapsulationKey: 1184, ciphertext: 1088, sharedSecret: 32 } as const;
const X25519_LENGTH = 32;
/** Length of the client's key_share for X25519MLKEM768. */
export const CLIENT_SHARE_LENGTH: number = MLKEM768.encapsulationKey + X25519_LENGTH;
/** Length of the server's key_share for X25519MLKEM768. */
export const SERVER_SHARE_LENGTH: number = MLKEM768.ciphertext + X25519_LENGTH;

/**
 * The client's X25519MLKEM768 share: a fresh ML-KEM-768 key pair next to an
 * X25519 key pair.
 */
export class X25519MLKEM768Share implements KeyShare {
  readonly group = Group.X25519MLKEM768;
  readonly publicKey: Uint8Array;
  readonly #decapsulationKey: Uint8Array;
  readonly #x25519: KeyShare;

  /** `seed` (64 bytes, FIPS 203 d ‖ z) pins the ML-KEM key pair, for tests only. */
  constructor(x25519: KeyShare, seed?: Uint8Array) {
    const { publicKey, secretKey } = ml_kem768.keygen(seed);
    this.#decapsulationKey = secretKey;
    this.#x25519 = x25519;
    this.publicKey = concat(publicKey, x25519.publicKey);
  }

  agree(serverShare: Uint8Array): Uint8Array {
    if (serverShare.length !== SERVER_SHARE_LENGTH) {
      throw new Error(`X25519MLKEM768 server share must be ${SERVER_SHARE_LENGTH} bytes, got ${serverShare.length}`);
    }
    // Decapsulation of a well-sized ciphertext cannot fail: a forged one
    // yields a pseudorandom secret (implicit rejection), and Finished fails.
    const mlkem = ml_kem768.decapsulate(serverShare.subarray(0, MLKEM768.ciphertext), this.#decapsulationKey);
    const x25519 = this.#x25519.agree(serverShare.subarray(MLKEM768.ciphertext));
    return concat(mlkem, x25519);
  }
}

/**
 * The server's side: encapsulates to the client's ML-KEM key and agrees
 * with its X25519 key using `x25519`, a fresh X25519 key pair of ours.
 * Throws when the share has the wrong length, the encapsulation key fails
 * the FIPS 203 §7.2 modulus check, or the X25519 result is all zero.
 */
export function completeX25519MLKEM768(clientShare: Uint8Array, x25519: KeyShare): CompletedKeyShare {
  if (clientShare.length !== CLIENT_SHARE_LENGTH) {
    throw new Error(`X25519MLKEM768 client share must be ${CLIENT_SHARE_LENGTH} bytes, got ${clientShare.length}`);
  }
  const encapsulationKey = clientShare.subarray(0, MLKEM768.encapsulationKey);
  let encapsulated: { cipherText: Uint8Array; sharedSecret: Uint8Array };
  try {
    encapsulated = ml_kem768.encapsulate(encapsulationKey);
  } catch {
    throw new Error("ML-KEM-768 encapsulation key fails the FIPS 203 §7.2 modulus check");
  }
  const secret = x25519.agree(clientShare.subarray(MLKEM768.encapsulationKey));
  return {
    publicKey: concat(encapsulated.cipherText, x25519.publicKey),
    secret: concat(encapsulated.sharedSecret, secret),
  };
}
