/**
 * The TLS 1.2 PRF and what is derived with it, against published vectors
 * (tests/fixtures/tls12/prf_vectors.json names its source) and against this
 * machine's OpenSSL (`openssl kdf TLS1-PRF`) as an independent oracle.
 */

import assert from "node:assert/strict";
import { NodeCryptoProvider } from "../lib/crypto/node_provider.ts";
import { concat, fromHex, toHex } from "../lib/protocol/bytes.ts";
import { extendedMasterSecret, finishedVerifyData, keyBlock, prf } from "../lib/engines/tls12/prf.ts";
import { TLS12_SUITES } from "../lib/engines/tls12/suites.ts";

const provider = new NodeCryptoProvider();
const enc = new TextEncoder();
const vectors = JSON.parse(
  await Deno.readTextFile(new URL("./fixtures/tls12/prf_vectors.json", import.meta.url)),
) as { vectors: { hash: "sha256" | "sha384"; secret: string; label: string; seed: string; output: string }[] };

/** OpenSSL's TLS1-PRF (for TLS 1.2 digests it is P_hash, RFC 5246 §5). */
async function opensslPrf(hash: string, secret: Uint8Array, label: string, seed: Uint8Array, n: number) {
  const out = await new Deno.Command("openssl", {
    args: [
      "kdf",
      "-keylen",
      String(n),
      "-kdfopt",
      `digest:${hash.toUpperCase()}`,
      "-kdfopt",
      `hexsecret:${toHex(secret)}`,
      "-kdfopt",
      `hexseed:${toHex(concat(enc.encode(label), seed))}`,
      "TLS1-PRF",
    ],
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim().replaceAll(":", "").toLowerCase();
}

Deno.test("RFC 5246 §5: P_SHA256 and P_SHA384 match the published TLS 1.2 PRF vectors", () => {
  for (const v of vectors.vectors) {
    const out = prf(provider, v.hash, fromHex(v.secret), v.label, fromHex(v.seed), v.output.length / 2);
    assert.equal(toHex(out), v.output, v.hash);
    // A shorter request is a prefix of a longer one (P_hash is a stream).
    assert.equal(toHex(prf(provider, v.hash, fromHex(v.secret), v.label, fromHex(v.seed), 13)), v.output.slice(0, 26));
  }
});

Deno.test("RFC 7627 §4 and RFC 5246 §6.3, §7.4.9: master secret, key block and Finished agree with OpenSSL's PRF", async () => {
  const preMaster = provider.random(32);
  const sessionHash = provider.random(48);
  const clientRandom = provider.random(32), serverRandom = provider.random(32);
  for (const suite of TLS12_SUITES) {
    const master = extendedMasterSecret(provider, suite, preMaster, sessionHash);
    assert.equal(toHex(master), await opensslPrf(suite.hash, preMaster, "extended master secret", sessionHash, 48));
    const k = keyBlock(provider, suite, master, clientRandom, serverRandom);
    const n = 2 * (suite.keyLength + suite.fixedIvLength);
    const block = await opensslPrf(suite.hash, master, "key expansion", concat(serverRandom, clientRandom), n);
    assert.equal(toHex(concat(k.client.key, k.server.key, k.client.iv, k.server.iv)), block, suite.name);
    assert.equal(k.client.iv.length, suite.aead === "chacha20-poly1305" ? 12 : 4, suite.name);
    const transcriptHash = provider.random(suite.hash === "sha256" ? 32 : 48);
    for (const sender of ["client", "server"] as const) {
      assert.equal(
        toHex(finishedVerifyData(provider, suite, master, sender, transcriptHash)),
        await opensslPrf(suite.hash, master, `${sender} finished`, transcriptHash, 12),
      );
    }
  }
});
