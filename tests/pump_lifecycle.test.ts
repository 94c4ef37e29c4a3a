/** The pump's connection states: the one guarded transition, and what waits on it. */
import assert from "node:assert/strict";
import { PumpError, PumpLifecycle } from "../lib/app/pump_lifecycle.ts";

Deno.test("a connection goes handshaking → open → closing → closed; the input's wait settles on open", async () => {
  let failures = 0;
  const life = new PumpLifecycle(() => failures++);
  assert.equal(life.state, "handshaking");
  let opened = false;
  life.openOrEnded.then(() => opened = true);
  life.open();
  await Promise.resolve();
  assert.equal(opened, true);
  assert.equal(life.ended.aborted, false);
  life.closing();
  life.closing(); // both directions may start closing
  assert.equal(life.state, "closing");
  life.finish();
  assert.equal(life.state, "closed");
  assert.equal(life.ended.aborted, true);
  assert.equal(life.failure, undefined);
  assert.equal(failures, 0);
});

Deno.test("a failure during the handshake ends it at once: waits are released, the socket hook runs once", async () => {
  let failures = 0;
  const life = new PumpLifecycle(() => failures++);
  life.fail(new PumpError("handshake not completed within 1 s"));
  await life.openOrEnded;
  assert.equal(life.state, "closed");
  assert.equal(life.ended.aborted, true);
  assert.equal(life.failure?.message, "handshake not completed within 1 s");
  assert.equal(failures, 1);
});

Deno.test("only the first ending counts: later failures and a late clean finish are ignored", () => {
  let failures = 0;
  const life = new PumpLifecycle(() => failures++);
  life.open();
  life.fail(new Error("connection reset by peer"));
  life.fail(new PumpError("interrupted"));
  life.finish();
  life.open();
  life.closing();
  assert.equal(life.state, "closed");
  assert.equal(life.failure instanceof PumpError, true);
  assert.equal(life.failure?.message, "connection reset by peer");
  assert.equal(failures, 1);

  const clean = new PumpLifecycle(() => failures++);
  clean.open();
  clean.finish();
  clean.fail(new PumpError("interrupted"));
  assert.equal(clean.failure, undefined);
  assert.equal(failures, 1);
});

Deno.test("a transition the diagram does not have is a bug and throws", () => {
  const life = new PumpLifecycle(() => {});
  assert.throws(() => life.closing(), /no transition handshaking → closing/);
  life.open();
  assert.throws(() => life.open(), /no transition open → open/);
  life.closing();
  assert.throws(() => life.open(), /no transition closing → open/);
  assert.equal(life.state, "closing");
});
