/**
 * The end-to-end harness on a real pair (the plain-TCP reference, the
 * quickest to start): the payload arrives intact with memory samples, and
 * a transfer that does not match fails loudly with no process left over.
 */
import assert from "node:assert/strict";
import { runTransfer } from "../bench/transfer.ts";
import { nativePair } from "../bench/pairs.ts";
import { freePort } from "../bench/procs.ts";
import { payloadDigest } from "../bench/lib/payload.ts";
import { DigestMismatchError } from "../bench/lib/digest.ts";
import { DENO, ROOT } from "./helpers.ts";

const paths = { root: ROOT, certs: "/nonexistent", deno: DENO };
const bytes = 3 << 20;

Deno.test("bench harness: a plain pair carries the payload byte-exact and is sampled every tenth", async () => {
  const port = freePort();
  const outcome = await runTransfer(nativePair(paths, port, { plain: true }), {
    label: "plain",
    port,
    seed: "harness",
    bytes,
    sha256: payloadDigest("harness", bytes),
    timeoutMs: 30_000,
  });
  assert.equal(outcome.samples.length, 10);
  assert.equal(outcome.samples.at(-1)!.deliveredMib, 3);
  assert.ok(Number.isFinite(outcome.mbps) && Number.isFinite(outcome.wallSeconds));
  assert.ok(outcome.server.peakKiB === undefined || outcome.server.peakKiB > 0);
});

Deno.test("bench harness: bytes that do not match the expected hash fail the transfer", async () => {
  const port = freePort();
  await assert.rejects(
    runTransfer(nativePair(paths, port, { plain: true }), {
      label: "mismatch",
      port,
      seed: "harness",
      bytes,
      sha256: payloadDigest("another seed", bytes),
      timeoutMs: 30_000,
    }),
    (e: unknown) => e instanceof DigestMismatchError && /mismatch: SHA-256 mismatch/.test(e.message),
  );
});
