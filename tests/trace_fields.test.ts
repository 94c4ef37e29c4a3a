/**
 * The `--trace-html` annotator on bytes nobody vouches for: malformed
 * messages end as "(cannot be decoded)" with their bytes shown, declared
 * lengths are capped to the bytes present, every list moves on or stops,
 * and a page names a bounded number of fields. A seeded fuzz feeds it the
 * records of a recorded connection (RFC 8448 §3), mutated, and random bytes;
 * TRACE_FUZZ_CASES and TRACE_FUZZ_SEED reproduce or extend a run.
 */
import assert from "node:assert/strict";
import { Annotator, type Field, FieldBudget, plaintextFields, recordFields } from "../lib/trace/fields.ts";
import { annotatedBytes } from "../lib/trace/hex_view.ts";
import { mutate, prng } from "./fuzz_inputs.ts";

const CASES = Number(Deno.env.get("TRACE_FUZZ_CASES") ?? 3000);
const SEED = Number(Deno.env.get("TRACE_FUZZ_SEED") ?? 20261129);
/** A walk that takes longer than this is a hang, not a slow machine. */
const HANG_MS = 5000;

const trace = JSON.parse(
  await Deno.readTextFile(new URL("./fixtures/tls13/rfc8448_simple_1rtt.json", import.meta.url)),
) as Record<string, unknown>;
const unhex = (h: string) => Uint8Array.from(h.match(/../g) ?? [], (b) => parseInt(b, 16));
const message = (key: string) => unhex(trace[key] as string);

/** Every field inside its parent and the bytes; returns how many there are. */
function checkTree(fields: Field[], start: number, end: number): number {
  let count = 0;
  for (const f of fields) {
    assert.ok(
      start <= f.start && f.start <= f.end && f.end <= end,
      `${f.name} ${f.start}–${f.end} within ${start}–${end}`,
    );
    count += 1 + checkTree(f.children, f.start, f.end);
  }
  return count;
}

const names = (fields: Field[]): string[] => fields.flatMap((f) => [f.name, ...names(f.children)]);
const values = (fields: Field[]): string[] => fields.flatMap((f) => [f.value ?? "", ...values(f.children)]);

/** The HTML holds only the annotator's own tags: every peer byte and name escaped. */
function assertEscaped(html: string): void {
  const tags = html.match(/<[^>]*>/g) ?? [];
  for (const t of tags) assert.match(t, /^<\/?(span|pre|div|ul|li)( [a-z-]+="[^"<>]*")*>$/, `tag ${t}`);
  assert.doesNotMatch(html.replace(/<[^>]*>/g, ""), /[<>]/);
}

function timed<T>(what: string, fn: () => T): T {
  const t0 = performance.now();
  const out = fn();
  const ms = performance.now() - t0;
  assert.ok(ms < HANG_MS, `${what}: ${ms.toFixed(0)} ms`);
  return out;
}

Deno.test("trace fields: a Certificate whose list claims more bytes than it has returns, marked truncated", () => {
  const p = timed("repro", () => plaintextFields(new Uint8Array([11, 0, 0, 4, 0, 0, 0, 100]), "handshake", 0));
  checkTree(p.fields, 0, p.bytes.length);
  const list = p.fields[0].children[0].children[1].children[1];
  assert.equal(list.name, "certificate_list");
  assert.equal(list.value, "truncated: 103 bytes declared, 3 present");
  assert.equal(list.end, 8, "capped to the bytes present");
  assert.equal(p.fields[0].children[0].children[1].value, "(cannot be decoded)", "the body says so");
  const html = annotatedBytes(p.bytes, p.fields, "p", 8192);
  assert.match(
    html.replace(/<[^>]*>/g, "").replace(/\s+/g, " "),
    /0b 00 00 04 00 00 00 64 16/,
    "its raw bytes are shown",
  );
});

Deno.test("trace fields: a CertificateEntry list that ends mid-entry stops; trailing bytes are '(cannot be decoded)'", () => {
  // context 0, list of 5 bytes holding a cert_data of length 0 then two stray bytes.
  const body = [0, 0, 0, 5, 0, 0, 0, 0xab, 0xcd];
  const p = timed("entry", () => plaintextFields(new Uint8Array([11, 0, 0, body.length, ...body]), "handshake", 0));
  checkTree(p.fields, 0, p.bytes.length);
  assert.ok(
    names(p.fields).includes("(cannot be decoded)") || values(p.fields).some((v) => /cannot be decoded/.test(v)),
  );
});

Deno.test("trace fields: a list item that reads nothing ends the list instead of repeating forever", () => {
  const a = new Annotator(new Uint8Array(8));
  let calls = 0;
  const fields = timed("until", () => a.walk(() => a.until(8, () => void calls++)));
  assert.equal(calls, 1);
  assert.deepEqual(fields, []);
});

Deno.test("trace fields: RFC 5246 §7.4.2 Certificate (TLS 1.0–1.2) is read as a bare certificate list", () => {
  // The RFC 8448 server certificate, re-framed in the TLS 1.2 layout.
  const tls13 = message("certificate");
  const entries = tls13.subarray(4 + 1 + 3); // past header, context, list length
  const der = entries.subarray(3, 3 + ((entries[0] << 16) | (entries[1] << 8) | entries[2]));
  const list = [(der.length + 3) >> 16, ((der.length + 3) >> 8) & 0xff, (der.length + 3) & 0xff];
  const len = [der.length >> 16, (der.length >> 8) & 0xff, der.length & 0xff];
  const body = new Uint8Array([...list, ...len, ...der]);
  const msg = new Uint8Array([11, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff, ...body]);
  for (const version of [0x0301, 0x0303, undefined]) {
    const p = plaintextFields(msg, "handshake", 0, { version });
    checkTree(p.fields, 0, p.bytes.length);
    const n = names(p.fields);
    assert.ok(n.includes("ASN.1Cert (end-entity certificate)"), `version ${version}: ${n}`);
    assert.ok(!n.includes("certificate_request_context"));
    assert.ok(!n.includes("(cannot be decoded)") && !n.includes("(unexpected bytes)"));
  }
  // And the TLS 1.3 message still reads as TLS 1.3, by version or by layout.
  for (const version of [0x0304, undefined]) {
    const n = names(plaintextFields(tls13, "handshake", 0, { version }).fields);
    assert.ok(n.includes("certificate_request_context") && n.includes("CertificateEntry (end-entity certificate)"));
    assert.ok(!n.includes("(cannot be decoded)"));
  }
  // A TLS 1.3 Certificate on a TLS 1.0 page is undecodable, not a hang.
  const wrong = timed("wrong version", () => plaintextFields(tls13, "handshake", 0, { version: 0x0301 }));
  checkTree(wrong.fields, 0, wrong.bytes.length);
});

Deno.test("trace fields: a page's field budget bounds the fields named, whatever the records hold", () => {
  // A ClientHello whose cipher_suites list fills a whole record: one field per two bytes.
  const suites = 16000;
  const body = new Uint8Array(2 + 32 + 1 + 2 + suites + 2);
  body.set([3, 3], 0);
  body.set([suites >> 8, suites & 0xff], 35);
  body.set([1, 0], 37 + suites);
  const msg = new Uint8Array([1, 0, body.length >> 8, body.length & 0xff, ...body]);
  const record = new Uint8Array([22, 3, 3, msg.length >> 8, msg.length & 0xff, ...msg]);
  const unbounded = checkTree(recordFields(record, false), 0, record.length);
  assert.ok(unbounded > 8000, `${unbounded} fields without a tight budget`);
  const budget = new FieldBudget(1000);
  let named = 0;
  for (let i = 0; i < 5; i++) named += checkTree(recordFields(record, false, { budget }), 0, record.length);
  assert.equal(named, 1000, "the budget is shared by the page's records");
  assert.ok(budget.spent);
});

Deno.test(`trace fields: ${CASES} mutated RFC 8448 records and random bytes (seed ${SEED}) all return, in bounds, escaped`, () => {
  const rnd = prng(SEED);
  const plain = [
    "client_hello",
    "server_hello",
    "encrypted_extensions",
    "certificate",
    "certificate_verify",
    "server_finished",
    "client_finished",
  ].map(message);
  const wire = [
    "client_hello_record",
    "server_hello_record",
    "server_flight_record",
    "client_finished_record",
    "new_session_ticket_record",
    "client_alert_record",
  ].map(message);
  const contentTypes = ["handshake", "handshake", "handshake", "alert", "application_data", "change_cipher_spec"];
  const versions = [undefined, 0x0301, 0x0303, 0x0304];
  for (let i = 0; i < CASES; i++) {
    const pick = <T>(list: T[]) => list[Math.floor(rnd() * list.length)];
    const kind = Math.floor(rnd() * 4);
    const version = pick(versions);
    const budget = new FieldBudget(20_000);
    const what = `case ${i} (seed ${SEED})`;
    if (kind < 2) {
      const input = kind === 0
        ? mutate(pick(plain), rnd)
        : Uint8Array.from({ length: Math.floor(rnd() * 300) }, () => Math.floor(rnd() * 256));
      const type = kind === 0 ? "handshake" : pick(contentTypes);
      const padding = rnd() < 0.2 ? Math.floor(rnd() * 20) : 0;
      const p = timed(what, () => plaintextFields(input, type, padding, { version, budget }));
      assert.equal(p.bytes.length, input.length + 1 + padding);
      checkTree(p.fields, 0, p.bytes.length);
      assertEscaped(timed(what, () => annotatedBytes(p.bytes, p.fields, "p", 8192)));
    } else {
      const input = kind === 2 ? mutate(pick(wire), rnd) : new Uint8Array([
        pick([20, 21, 22, 23, 99]),
        3,
        3,
        ...Array.from({ length: Math.floor(rnd() * 300) }, () => Math.floor(rnd() * 256)),
      ]);
      const fields = timed(what, () => recordFields(input, rnd() < 0.3, { version, budget }));
      checkTree(fields, 0, input.length);
      assertEscaped(timed(what, () => annotatedBytes(input, fields, "r", 8192)));
    }
  }
});
