/**
 * Certificate verification, the same for every engine: which chains are
 * refused, with which alert and which words.
 */
import assert from "node:assert/strict";
import { issueCertificate } from "../lib/pki/certgen.ts";
import { CertificateError, keyMatchesCertificate, pemToDer, verifyChain } from "../lib/pki/x509.ts";
import { Alert } from "../lib/ssl/alerts.ts";

const DAY = 86_400_000;
const ca = issueCertificate({ commonName: "Test CA", isCA: true, keyUsage: ["keyCertSign", "cRLSign"] });
const leafSpec = {
  commonName: "localhost",
  issuer: ca,
  keyUsage: ["digitalSignature", "keyEncipherment"],
  extKeyUsage: ["serverAuth" as const],
  dnsNames: ["localhost"],
  ipAddresses: ["127.0.0.1", "::1"],
};
const good = issueCertificate(leafSpec);
const anchors = pemToDer(ca.certPem);

function refusal(chainPem: string[], hostname = "localhost", purpose: "server" | "client" = "server") {
  try {
    verifyChain(chainPem.flatMap((p) => pemToDer(p)), { trustAnchors: anchors, hostname, purpose });
  } catch (e) {
    assert.ok(e instanceof CertificateError, String(e));
    return e;
  }
  assert.fail("the chain was accepted");
}

Deno.test("a CA-signed leaf is accepted for its DNS name and its IPv4 and IPv6 addresses", () => {
  for (const host of ["localhost", "127.0.0.1", "::1", "[::1]"]) {
    verifyChain(pemToDer(good.certPem), { trustAnchors: anchors, hostname: host, purpose: "server" });
  }
});

Deno.test("a chain through an intermediate CA is accepted", () => {
  const intermediate = issueCertificate({
    commonName: "Intermediate",
    issuer: ca,
    isCA: true,
    keyUsage: ["keyCertSign"],
  });
  const leaf = issueCertificate({ ...leafSpec, issuer: intermediate });
  verifyChain([...pemToDer(leaf.certPem), ...pemToDer(intermediate.certPem)], {
    trustAnchors: anchors,
    hostname: "localhost",
    purpose: "server",
  });
  // …but not without the intermediate.
  const e = refusal([leaf.certPem]);
  assert.equal(e.reason, "unknown_ca");
});

Deno.test("an unknown CA is refused with unknown_ca", () => {
  const other = issueCertificate({ commonName: "Other CA", isCA: true, keyUsage: ["keyCertSign"] });
  const e = refusal([issueCertificate({ ...leafSpec, issuer: other }).certPem]);
  assert.equal(e.reason, "unknown_ca");
  assert.equal(e.alert, Alert.unknown_ca);
  assert.match(e.message, /not signed by a trusted CA \(issuer: .*Other CA/);
});

Deno.test("an expired certificate is refused with certificate_expired", () => {
  const e = refusal([
    issueCertificate({ ...leafSpec, notBefore: new Date(Date.now() - 30 * DAY), notAfter: new Date(Date.now() - DAY) })
      .certPem,
  ]);
  assert.equal(e.reason, "expired");
  assert.equal(e.alert, Alert.certificate_expired);
  assert.match(e.message, /has expired/);
});

Deno.test("a certificate that is not yet valid is refused", () => {
  const e = refusal([
    issueCertificate({ ...leafSpec, notBefore: new Date(Date.now() + DAY), notAfter: new Date(Date.now() + 9 * DAY) })
      .certPem,
  ]);
  assert.equal(e.reason, "not_yet_valid");
  assert.match(e.message, /not yet valid/);
});

Deno.test("a certificate for another host name is refused and the message names both", () => {
  const e = refusal([good.certPem], "example.com");
  assert.equal(e.reason, "hostname_mismatch");
  assert.match(e.message, /not valid for host name example\.com \(it names DNS:localhost/);
  assert.equal(refusal([good.certPem], "10.0.0.1").reason, "hostname_mismatch");
});

Deno.test("a CA certificate used as a server certificate is refused", () => {
  const caAsLeaf = issueCertificate({ ...leafSpec, isCA: true });
  const e = refusal([caAsLeaf.certPem]);
  assert.equal(e.reason, "ca_as_leaf");
  assert.match(e.message, /is a CA certificate, not an end-entity certificate/);
});

Deno.test("a leaf whose key usage does not fit is refused", () => {
  const noSignature = issueCertificate({ ...leafSpec, keyUsage: ["keyEncipherment"] });
  assert.equal(refusal([noSignature.certPem]).reason, "bad_key_usage");
  const clientOnly = issueCertificate({ ...leafSpec, extKeyUsage: ["clientAuth"] });
  const e = refusal([clientOnly.certPem]);
  assert.equal(e.reason, "bad_key_usage");
  assert.match(e.message, /extended key usage does not include serverAuth/);
});

Deno.test("a chain whose signature was tampered with is refused", () => {
  const der = pemToDer(good.certPem)[0];
  der[der.length - 10] ^= 0x01; // inside the signature
  assert.throws(
    () => verifyChain([der], { trustAnchors: anchors, hostname: "localhost", purpose: "server" }),
    (e: unknown) => e instanceof CertificateError && e.reason === "unknown_ca",
  );
});

Deno.test("an empty chain is refused as no certificate", () => {
  assert.throws(
    () => verifyChain([], { trustAnchors: anchors, purpose: "client" }),
    (e: unknown) => e instanceof CertificateError && e.alert === Alert.certificate_required,
  );
});

Deno.test("keyMatchesCertificate tells a matching key from another one", () => {
  assert.equal(keyMatchesCertificate(good.keyPem, good.certPem), true);
  assert.equal(keyMatchesCertificate(ca.keyPem, good.certPem), false);
});

Deno.test("ECDSA certificates verify, under an ECDSA CA and under an RSA CA", () => {
  const ecCa = issueCertificate({ commonName: "EC CA", keyType: "ecdsa", isCA: true, keyUsage: ["keyCertSign"] });
  for (const issuer of [ecCa, ca]) {
    const leaf = issueCertificate({ ...leafSpec, keyType: "ecdsa", issuer });
    verifyChain(pemToDer(leaf.certPem), {
      trustAnchors: pemToDer(issuer.certPem),
      hostname: "localhost",
      purpose: "server",
    });
    assert.equal(keyMatchesCertificate(leaf.keyPem, leaf.certPem), true);
  }
});

Deno.test("a trusted certificate that is not a CA can be pinned but cannot vouch for others", () => {
  // Pinned: the peer's certificate is exactly the trusted one.
  verifyChain(pemToDer(good.certPem), {
    trustAnchors: pemToDer(good.certPem),
    hostname: "localhost",
    purpose: "server",
  });
  // Signed by the pinned leaf: refused, as OpenSSL does ("invalid CA certificate").
  const byLeaf = issueCertificate({ ...leafSpec, issuer: good });
  assert.throws(
    () =>
      verifyChain(pemToDer(byLeaf.certPem), {
        trustAnchors: pemToDer(good.certPem),
        hostname: "localhost",
        purpose: "server",
      }),
    (e: unknown) => e instanceof CertificateError && e.reason === "unknown_ca",
  );
});

Deno.test("odd host names are mismatches, not parse errors; the subject CN is not a host name", () => {
  assert.equal(refusal([good.certPem], "127.1").reason, "hostname_mismatch");
  const cnOnly = issueCertificate({ ...leafSpec, dnsNames: [], ipAddresses: [] });
  assert.equal(refusal([cnOnly.certPem], "localhost").reason, "hostname_mismatch");
});
