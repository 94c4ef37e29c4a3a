/**
 * ML-KEM-768 (FIPS 203) as the hybrid group uses it, checked against
 * independent vectors: a subset of Project Wycheproof's ML-KEM-768 files
 * (tests/fixtures/mlkem/wycheproof_mlkem_768.json names the commit), and
 * the X25519MLKEM768 share and secret layout of draft-ietf-tls-ecdhe-mlkem.
 */

import assert from "node:assert/strict";
import { ml_kem768 } from "@noble/post-quantum/ml-kem.js";
import { fromHex, toHex } from "../lib/protocol/bytes.ts";
import { Group } from "../lib/protocol/constants.ts";
import { keyShareFromPrivateKey, NodeCryptoProvider } from "../lib/crypto/node_provider.ts";
import {
  CLIENT_SHARE_LENGTH,
  completeX25519MLKEM768,
  MLKEM768,
  SERVER_SHARE_LENGTH,
  X25519MLKEM768Share,
} from "../lib/crypto/hybrid.ts";

interface EncapsVector {
  tcId: number;
  comment?: string;
  ek: string;
  m: string;
  c: string;
  K: string;
  result: "valid" | "invalid";
}
interface DecapsVector {
  tcId: number;
  comment?: string;
  seed: string;
  ek: string;
  c: string;
  K: string;
  result: "valid" | "invalid";
}
const vectors: { encaps: EncapsVector[]; decaps: DecapsVector[] } = JSON.parse(
  await Deno.readTextFile(new URL("./fixtures/mlkem/wycheproof_mlkem_768.json", import.meta.url)),
);

const provider = new NodeCryptoProvider();
const x25519 = () => provider.generateKeyShare(Group.x25519);
const label = (v: { tcId: number; comment?: string }) => `tcId ${v.tcId}${v.comment ? ` (${v.comment})` : ""}`;

Deno.test("Wycheproof ML-KEM-768 encaps: fixed randomness gives the vectors' ciphertext and key", () => {
  const valid = vectors.encaps.filter((v) => v.result === "valid");
  assert.ok(valid.length >= 3);
  for (const v of valid) {
    const { cipherText, sharedSecret } = ml_kem768.encapsulate(fromHex(v.ek), fromHex(v.m));
    assert.equal(toHex(cipherText), v.c, label(v));
    assert.equal(toHex(sharedSecret), v.K, label(v));
  }
});

Deno.test("FIPS 203 §7.2: X25519MLKEM768 refuses every invalid encapsulation key of Wycheproof (modulus, length)", () => {
  const invalid = vectors.encaps.filter((v) => v.result === "invalid");
  assert.ok(invalid.some((v) => fromHex(v.ek).length === MLKEM768.encapsulationKey), "has modulus-check vectors");
  for (const v of invalid) {
    const ek = fromHex(v.ek);
    // As a TLS share: the encapsulation key followed by a good X25519 key.
    const share = new Uint8Array(ek.length + 32);
    share.set(ek);
    share.set(x25519().publicKey, ek.length);
    assert.throws(() => completeX25519MLKEM768(share, x25519()), label(v));
  }
});

Deno.test("Wycheproof ML-KEM-768 decaps through the client share: keys from the seed, secrets incl. implicit rejection", () => {
  const valid = vectors.decaps.filter((v) => v.result === "valid");
  assert.ok(valid.some((v) => v.comment?.includes("Bit flipped")), "has an implicit-rejection vector");
  for (const v of valid) {
    const server = x25519();
    const client = new X25519MLKEM768Share(x25519(), fromHex(v.seed));
    assert.equal(toHex(client.publicKey.subarray(0, MLKEM768.encapsulationKey)), v.ek, label(v));
    const secret = client.agree(new Uint8Array([...fromHex(v.c), ...server.publicKey]));
    assert.equal(toHex(secret.subarray(0, 32)), v.K, label(v));
  }
});

Deno.test("Wycheproof ML-KEM-768 decaps: a ciphertext of the wrong length is refused", () => {
  const invalid = vectors.decaps.filter((v) => v.result === "invalid");
  assert.ok(invalid.length >= 2);
  for (const v of invalid) {
    const client = new X25519MLKEM768Share(x25519(), fromHex(v.seed));
    assert.throws(() => client.agree(new Uint8Array([...fromHex(v.c), ...x25519().publicKey])), label(v));
  }
});

Deno.test("draft-ietf-tls-ecdhe-mlkem: shares are ek ‖ x25519 (1216) and ct ‖ x25519 (1120), secret mlkem ‖ x25519", () => {
  // Fixed X25519 keys, so the X25519 half can be checked on its own.
  const clientX = keyShareFromPrivateKey(Group.x25519, new Uint8Array(32).fill(0x11));
  const serverX = keyShareFromPrivateKey(Group.x25519, new Uint8Array(32).fill(0x22));
  const client = new X25519MLKEM768Share(clientX);
  assert.equal(client.publicKey.length, CLIENT_SHARE_LENGTH);
  assert.equal(CLIENT_SHARE_LENGTH, 1216);
  assert.deepEqual(client.publicKey.subarray(1184), clientX.publicKey);

  const reply = completeX25519MLKEM768(client.publicKey, serverX);
  assert.equal(reply.publicKey.length, SERVER_SHARE_LENGTH);
  assert.equal(SERVER_SHARE_LENGTH, 1120);
  assert.deepEqual(reply.publicKey.subarray(1088), serverX.publicKey);

  const secret = client.agree(reply.publicKey);
  assert.equal(secret.length, 64);
  assert.deepEqual(secret, reply.secret);
  assert.deepEqual(secret.subarray(32), clientX.agree(serverX.publicKey));
  assert.notDeepEqual(secret.subarray(0, 32), new Uint8Array(32));
});

Deno.test("draft-ietf-tls-ecdhe-mlkem: each share length off by one, or an all-zero X25519 result, is refused", () => {
  const client = provider.generateKeyShare(Group.X25519MLKEM768);
  const reply = provider.completeKeyShare(Group.X25519MLKEM768, client.publicKey);
  for (const n of [CLIENT_SHARE_LENGTH - 1, CLIENT_SHARE_LENGTH + 1]) {
    const share = new Uint8Array(n);
    share.set(client.publicKey.subarray(0, Math.min(n, CLIENT_SHARE_LENGTH)));
    assert.throws(() => provider.completeKeyShare(Group.X25519MLKEM768, share), /client share must be 1216 bytes/);
  }
  for (const n of [SERVER_SHARE_LENGTH - 1, SERVER_SHARE_LENGTH + 1]) {
    const share = new Uint8Array(n);
    share.set(reply.publicKey.subarray(0, Math.min(n, SERVER_SHARE_LENGTH)));
    assert.throws(() => client.agree(share), /server share must be 1120 bytes/);
  }
  // The X25519 point 0 has small order: the agreement is all zero (RFC 7748 §6.1).
  const zeroX = (share: Uint8Array, at: number) => {
    const out = share.slice();
    out.fill(0, at);
    return out;
  };
  assert.throws(() => provider.completeKeyShare(Group.X25519MLKEM768, zeroX(client.publicKey, 1184)), /zero/);
  assert.throws(() => client.agree(zeroX(reply.publicKey, 1088)), /zero/);
});
