/**
 * The end-to-end harness on a real pair (the plain-TCP reference, the
 * quickest to start): the payload arrives intact with memory samples, and
 * a transfer that does not match fails loudly with no process left over.
 */
import assert from "node:assert/strict";
import { runTransfer } from "../bench/transfer.ts";
import { nativePair, PROGRAM_V8_FLAGS, projectPair, SERVER_RUN_FLAGS } from "../bench/pairs.ts";
import { freePort } from "../bench/procs.ts";
import { payloadDigest, writePayloadFile } from "../bench/lib/payload.ts";
import { runFileTransfer } from "../bench/file_transfer.ts";
import { haveGnuTime, parseTimeOutput } from "../bench/measured.ts";
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

Deno.test("bench harness, file-fed: the pair reads a file and writes a file; exact CPU and peak memory per side", {
  ignore: !(await haveGnuTime()),
}, async () => {
  const workDir = await Deno.makeTempDir({ prefix: "bench-file-" });
  try {
    const input = `${workDir}/payload.bin`;
    const sha256 = await writePayloadFile("harness", bytes, input);
    assert.equal(sha256, payloadDigest("harness", bytes));
    const port = freePort();
    const outcome = await runFileTransfer(nativePair(paths, port, { plain: true }), {
      label: "plain",
      port,
      input,
      bytes,
      sha256,
      workDir,
      timeoutMs: 30_000,
    });
    assert.ok(outcome.wallSeconds > 0 && outcome.wallMBps > 0 && outcome.steadyMBps > 0);
    for (const side of [outcome.server, outcome.client]) {
      assert.ok(side.cpuSeconds > 0, "CPU seconds");
      assert.ok(side.peakKiB > 1024, "a Deno process has more than 1 MiB resident");
    }
    // Only the payload file is left: output and usage reports are removed.
    assert.deepEqual([...Deno.readDirSync(workDir)].map((e) => e.name), ["payload.bin"]);

    const port2 = freePort();
    await assert.rejects(
      runFileTransfer(nativePair(paths, port2, { plain: true }), {
        label: "mismatch",
        port: port2,
        input,
        bytes,
        sha256: payloadDigest("another seed", bytes),
        workDir,
        timeoutMs: 30_000,
      }),
      (e: unknown) => e instanceof DigestMismatchError && /mismatch: SHA-256 mismatch/.test(e.message),
    );
  } finally {
    await Deno.remove(workDir, { recursive: true });
  }
});

Deno.test("bench harness: GNU time's report is parsed, and anything else is refused", () => {
  assert.deepEqual(parseTimeOutput("1.50 0.25 40960\n"), { cpuSeconds: 1.75, peakKiB: 40960 });
  assert.deepEqual(parseTimeOutput("Command terminated by signal 15\n0.02 0.01 2048\n"), {
    cpuSeconds: 0.03,
    peakKiB: 2048,
  });
  assert.throws(() => parseTimeOutput(""), SyntaxError);
  assert.throws(() => parseTimeOutput("0:01.02elapsed"), SyntaxError);
});

Deno.test("bench harness: server.ts and client.ts run with the V8 settings of deno.json's server and client tasks", async () => {
  const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`)).tasks;
  const pair = projectPair(paths, "tls13", 55555);
  for (const [task, cmd] of [["server", pair.server], ["client", pair.client]] as const) {
    const taskFlags = (tasks[task] as string).split(/\s+/).filter((a) => a.startsWith("--v8-flags"));
    assert.deepEqual(taskFlags, PROGRAM_V8_FLAGS, task);
    assert.deepEqual(cmd.args.filter((a) => a.startsWith("--v8-flags")), PROGRAM_V8_FLAGS, task);
  }
});

Deno.test("bench harness: server.ts runs without the code cache, as deno.json's server task does; client.ts keeps it", async () => {
  const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`)).tasks;
  const pair = projectPair(paths, "tls13", 55555);
  const cacheFlags = (args: string[]) => args.filter((a) => a.includes("code-cache"));
  assert.deepEqual(cacheFlags(tasks.server.split(/\s+/)), SERVER_RUN_FLAGS);
  assert.deepEqual(cacheFlags(pair.server.args), SERVER_RUN_FLAGS);
  assert.deepEqual(cacheFlags(tasks.client.split(/\s+/)), []);
  assert.deepEqual(cacheFlags(pair.client.args), []);
});
