/**
 * The node:crypto provider's own primitives: HMAC (built from two hashes)
 * against the RFC 4231 vectors and the runtime's HMAC, and X25519 shares
 * whose public key is the one their private key agrees with.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { NodeCryptoProvider } from "../lib/crypto/node_provider.ts";
import { Group } from "../lib/protocol/constants.ts";
import { toHex } from "../lib/protocol/bytes.ts";

const enc = new TextEncoder();
const repeat = (byte: number, n: number) => new Uint8Array(n).fill(byte);

/** RFC 4231 §4.2, §4.3, §4.7: a short key, a key shorter than the output, and a key longer than the block. */
const RFC4231 = [
  {
    key: repeat(0x0b, 20),
    data: enc.encode("Hi There"),
    sha256: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
    sha384: "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6",
  },
  {
    key: enc.encode("Jefe"),
    data: enc.encode("what do ya want for nothing?"),
    sha256: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    sha384: "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649",
  },
  {
    key: repeat(0xaa, 131),
    data: enc.encode("Test Using Larger Than Block-Size Key - Hash Key First"),
    sha256: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    sha384: "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952",
  },
] as const;

Deno.test("RFC 4231 §4: HMAC-SHA-256 and HMAC-SHA-384 give the published values", () => {
  const p = new NodeCryptoProvider();
  for (const v of RFC4231) {
    assert.equal(toHex(p.hmac("sha256", v.key, v.data)), v.sha256);
    assert.equal(toHex(p.hmac("sha384", v.key, v.data)), v.sha384);
  }
});

Deno.test("RFC 2104 §2: HMAC agrees with the runtime's for keys up to, at and past the block size (64, 128)", () => {
  const p = new NodeCryptoProvider();
  const data = enc.encode("tls13 derived");
  for (const alg of ["sha256", "sha384"] as const) {
    for (let n = 0; n <= 200; n++) {
      const key = new Uint8Array(n).map((_, i) => (i * 7 + n) & 0xff);
      assert.equal(
        toHex(p.hmac(alg, key, data)),
        createHmac(alg, key).update(data).digest("hex"),
        `${alg}, ${n}-byte key`,
      );
    }
  }
});

Deno.test("RFC 7748 §6.1: a generated X25519 share's public key is its private key's (both sides agree)", () => {
  const p = new NodeCryptoProvider();
  for (let i = 0; i < 4; i++) {
    const a = p.generateKeyShare(Group.x25519), b = p.generateKeyShare(Group.x25519);
    assert.equal(a.publicKey.length, 32);
    assert.deepEqual(a.agree(b.publicKey), b.agree(a.publicKey));
    const completed = p.completeKeyShare(Group.x25519, a.publicKey);
    assert.deepEqual(a.agree(completed.publicKey), completed.secret);
  }
});
