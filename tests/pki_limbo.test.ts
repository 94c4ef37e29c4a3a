/**
 * The public x509-limbo suite (C2SP/x509-limbo), every case that applies to
 * a TLS client or server checking a peer against a private root, through
 * verifyChain. The fixture (tests/fixtures/x509-limbo/limbo.json) is the
 * suite's own `limbo compile` output at commit 8a2e6f4 (Apache-2.0), made
 * offline from its Python testcases, without the bettertls and online
 * cases (they need downloads) and without the CRL, policy-constraint and
 * max-chain-depth cases (nothing here reads CRLs or policies, and the depth
 * limit is fixed).
 *
 * Where our policy knowingly differs from the suite's expectation, the case
 * is listed in DIVERGENCES with the reason, and the test asserts that it
 * still differs: the list cannot go stale silently.
 */
import assert from "node:assert/strict";
import { CertificateError, pemToDer, TrustAnchors, verifyChain } from "../lib/pki/x509.ts";

interface LimboCase {
  id: string;
  features: string[];
  validation_kind: "SERVER" | "CLIENT";
  trusted_certs: string[];
  untrusted_intermediates: string[];
  peer_certificate: string;
  validation_time: string | null;
  expected_result: "SUCCESS" | "FAILURE";
  expected_peer_name: { kind: "DNS" | "IP"; value: string } | null;
}

const CA_AS_LEAF = "a CA certificate is never accepted as the peer's certificate (as rustls-webpki)";
const AKI_SKI = "key identifiers are profile rules for issuers; not used for chaining, not checked (as Go crypto/x509)";
const CN_LINT = "CA/B Forum issuance rule on the CN; the CN is never used as an identity here, so it is not checked";
const EMAIL_NC = "rfc822Name constraints are not processed: a certificate with an e-mail name under them is refused " +
  "(RFC 5280 §4.2.1.10 allows refusing)";
const CABF_EKU = "CA/B Forum EKU profile (pedantic-webpki-eku): RFC 5280 rules applied instead";

const DIVERGENCES: Record<string, string> = {
  "pathlen::validation-ignores-pathlen-in-leaf": CA_AS_LEAF,
  "rfc5280::ca-as-leaf": CA_AS_LEAF,
  "rfc5280::aki::critical-aki": AKI_SKI,
  "rfc5280::aki::leaf-missing-aki": AKI_SKI,
  "rfc5280::aki::intermediate-missing-aki": AKI_SKI,
  "rfc5280::aki::cross-signed-root-missing-aki": AKI_SKI,
  "rfc5280::ski::critical-ski": AKI_SKI,
  "rfc5280::ski::root-missing-ski": AKI_SKI,
  "rfc5280::ski::intermediate-missing-ski": AKI_SKI,
  "webpki::aki::root-with-aki-missing-keyidentifier": AKI_SKI,
  "webpki::aki::root-with-aki-authoritycertissuer": AKI_SKI,
  "webpki::aki::root-with-aki-authoritycertserialnumber": AKI_SKI,
  "webpki::aki::root-with-aki-all-fields": AKI_SKI,
  "webpki::aki::root-with-aki-ski-mismatch": AKI_SKI,
  "rfc5280::nc::permitted-dns-match-noncritical":
    "non-critical nameConstraints are enforced all the same (as rustls-webpki)",
  "rfc5280::nc::nc-permits-email-exact": EMAIL_NC,
  "rfc5280::nc::nc-permits-email-domain": EMAIL_NC,
  "rfc5280::nc::nc-permits-email-literal-asterisk-exact-match": EMAIL_NC,
  "rfc5280::nc::nc-permits-email-literal-double-asterisk": EMAIL_NC,
  "rfc5280::nc::nc-permits-email-literal-mid-asterisk": EMAIL_NC,
  "rfc5280::serial::too-long": "serial number length is an issuer rule, not checked (pedantic-serial-number)",
  "rfc5280::serial::zero": "a zero serial number is an issuer error, not checked (pedantic-serial-number)",
  "rfc5280::validity::notafter-fractional":
    "the suite calls this ambiguous: notAfter is taken as the instant it names, so 5 ms later is expired (as Go)",
  "rfc5280::root-non-critical-basic-constraints": "criticality of a trust anchor's basicConstraints is not checked",
  "webpki::cn::ipv4-hex-mismatch": CN_LINT,
  "webpki::cn::ipv4-leading-zeros-mismatch": CN_LINT,
  "webpki::cn::ipv6-uppercase-mismatch": CN_LINT,
  "webpki::cn::ipv6-uncompressed-mismatch": CN_LINT,
  "webpki::cn::ipv6-non-rfc5952-mismatch": CN_LINT,
  "webpki::cn::punycode-not-in-san": CN_LINT,
  "webpki::cn::utf8-vs-punycode-mismatch": CN_LINT,
  "webpki::cn::not-in-san": CN_LINT,
  "webpki::cn::case-mismatch": CN_LINT,
  "webpki::eku::ee-anyeku": CABF_EKU,
  "webpki::eku::ee-critical-eku": CABF_EKU,
  "webpki::eku::ee-without-eku": CABF_EKU,
  "webpki::eku::root-has-eku": CABF_EKU,
  "webpki::san::public-suffix-multi-label-wildcard-san": "needs the public suffix list, which is not carried",
  "webpki::san::public-suffix-private-namespace-wildcard-san": "needs the public suffix list, which is not carried",
  "webpki::san::san-critical-with-nonempty-subject": "CA/B Forum issuance rule, not a relying-party check",
  "webpki::malformed-aia": "authorityInfoAccess is not read (non-critical, nothing here fetches issuers)",
};

const fixture = new URL("./fixtures/x509-limbo/limbo.json", import.meta.url);
const { testcases } = JSON.parse(Deno.readTextFileSync(fixture)) as { testcases: LimboCase[] };

function run(c: LimboCase): { result: "SUCCESS" | "FAILURE"; why: string } {
  try {
    verifyChain([c.peer_certificate, ...c.untrusted_intermediates].flatMap((p) => pemToDer(p)), {
      trustAnchors: TrustAnchors.fromDer(c.trusted_certs.flatMap((p) => pemToDer(p))),
      hostname: c.expected_peer_name?.value,
      verifyHostname: c.expected_peer_name !== null,
      purpose: c.validation_kind === "CLIENT" ? "client" : "server",
      now: c.validation_time ? new Date(c.validation_time) : undefined,
    });
    return { result: "SUCCESS", why: "accepted" };
  } catch (e) {
    if (!(e instanceof CertificateError)) throw e;
    return { result: "FAILURE", why: `${e.reason}: ${e.message}` };
  }
}

Deno.test("x509-limbo fixture: every divergence names a case in the fixture", () => {
  const ids = new Set(testcases.map((c) => c.id));
  assert.ok(testcases.length > 150, `${testcases.length} cases`);
  for (const id of Object.keys(DIVERGENCES)) assert.ok(ids.has(id), id);
});

for (const c of testcases) {
  const divergence = DIVERGENCES[c.id];
  const label = divergence ? `differs from the suite's ${c.expected_result}: ${divergence}` : c.expected_result;
  Deno.test(`x509-limbo ${c.id} [${label}]`, () => {
    const { result, why } = run(c);
    if (divergence) {
      assert.notEqual(result, c.expected_result, `now agrees with the suite (${why}): drop it from DIVERGENCES`);
    } else assert.equal(result, c.expected_result, why);
  });
}
