/**
 * The AEADs of the crypto provider against published vectors, sealed both
 * from a separate plaintext and in place (the record layer builds each
 * record in its output buffer and seals it there).
 */
import assert from "node:assert/strict";
import { NodeCryptoProvider } from "../lib/crypto/node_provider.ts";
import type { AeadAlgorithm } from "../lib/crypto/provider.ts";

const hex = (s: string) => new Uint8Array(s.replace(/\s+/g, "").match(/../g)!.map((b) => parseInt(b, 16)));
const provider = new NodeCryptoProvider();

interface Vector {
  name: string;
  alg: AeadAlgorithm;
  key: string;
  nonce: string;
  aad: string;
  plaintext: Uint8Array;
  ciphertext: string;
  tag: string;
}

const VECTORS: Vector[] = [
  {
    name: "RFC 8439 §2.8.2: ChaCha20-Poly1305 AEAD",
    alg: "chacha20-poly1305",
    key: "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
    nonce: "070000004041424344454647",
    aad: "50515253c0c1c2c3c4c5c6c7",
    plaintext: new TextEncoder().encode(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
    ),
    ciphertext: `d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b
      1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116`,
    tag: "1ae10b594f09e26a7e902ecbd0600691",
  },
  {
    // NIST GCM test vectors (gcmEncryptExtIV128.rsp), the test case of McGrew & Viega's GCM paper no. 4.
    name: "GCM spec test case 4: AES-128-GCM with additional data",
    alg: "aes-128-gcm",
    key: "feffe9928665731c6d6a8f9467308308",
    nonce: "cafebabefacedbaddecaf888",
    aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
    plaintext: hex(`d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525
      b16aedf5aa0de657ba637b39`),
    ciphertext: `42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa05
      1ba30b396a0aac973d58e091`,
    tag: "5bc94fbc3221a5db94fae95ae7121a47",
  },
];

for (const v of VECTORS) {
  Deno.test(`${v.name}: sealed from a separate buffer`, () => {
    const aead = provider.aead(v.alg, hex(v.key));
    const out = new Uint8Array(3 + v.plaintext.length + 16);
    const n = aead.seal(hex(v.nonce), hex(v.aad), v.plaintext, out, 3);
    assert.equal(n, v.plaintext.length + 16);
    assert.deepEqual(out.subarray(3, 3 + v.plaintext.length), hex(v.ciphertext));
    assert.deepEqual(out.subarray(3 + v.plaintext.length), hex(v.tag));
  });

  Deno.test(`${v.name}: sealed in place gives the same bytes, and opens`, () => {
    const aead = provider.aead(v.alg, hex(v.key));
    const out = new Uint8Array(5 + v.plaintext.length + 16);
    out.set(v.plaintext, 5);
    aead.seal(hex(v.nonce), hex(v.aad), out.subarray(5, 5 + v.plaintext.length), out, 5);
    assert.deepEqual(out.subarray(5), new Uint8Array([...hex(v.ciphertext), ...hex(v.tag)]));
    const opened = aead.open(hex(v.nonce), hex(v.aad), hex(v.ciphertext), hex(v.tag));
    assert.deepEqual(opened && new Uint8Array(opened), v.plaintext);
  });

  Deno.test(`${v.name}: a flipped bit in tag, ciphertext or additional data fails to open`, () => {
    const aead = provider.aead(v.alg, hex(v.key));
    const flip = (b: Uint8Array, i: number) => (b[i] ^= 1, b);
    assert.equal(aead.open(hex(v.nonce), hex(v.aad), hex(v.ciphertext), flip(hex(v.tag), 15)), null);
    assert.equal(aead.open(hex(v.nonce), hex(v.aad), flip(hex(v.ciphertext), 0), hex(v.tag)), null);
    assert.equal(aead.open(hex(v.nonce), flip(hex(v.aad), 0), hex(v.ciphertext), hex(v.tag)), null);
  });
}
