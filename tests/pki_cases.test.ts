/**
 * The certificate case table (tests/pki_cases.ts) through the library:
 * every case verified with verifyChain, expecting exactly its result —
 * acceptance, or the refusal's reason, alert and words.
 */
import assert from "node:assert/strict";
import { CertificateError, pemToDer, TrustAnchors, verifyChain } from "../lib/pki/x509.ts";
import { alertName } from "../lib/ssl/alerts.ts";
import { buildCases } from "./pki_cases.ts";

for (const c of buildCases()) {
  const expected = c.expected === "accept" ? "accepted" : `${c.expected.reason} (${alertName(c.expected.alert)})`;
  Deno.test(`case table: ${c.name} [expected: ${expected}]`, () => {
    let error: unknown;
    try {
      verifyChain(c.chain.map((i) => i.der), {
        trustAnchors: TrustAnchors.fromDer(c.anchors.flatMap((a) => pemToDer(a.certPem))),
        hostname: c.host,
        purpose: c.purpose,
      });
    } catch (e) {
      error = e;
    }
    if (c.expected === "accept") {
      assert.equal(error, undefined, `refused: ${(error as Error)?.message}`);
      return;
    }
    assert.ok(error instanceof CertificateError, `expected a refusal, got ${error}`);
    assert.equal(error.reason, c.expected.reason, error.message);
    assert.equal(alertName(error.alert), alertName(c.expected.alert), error.message);
    assert.match(error.message, c.expected.message);
    assert.ok(!error.message.includes("\n"), "one line");
  });
}
