/**
 * The certificate case table: each case is a real chain made here with
 * lib/pki/certgen.ts, with the result a verifier must give. Shared by the
 * library tests (tests/pki_cases.test.ts) and the program tests
 * (tests/pki_programs.test.ts). Case names cite the rule (RFC section) or
 * the public suite case they reproduce (x509-limbo ids, BetterTLS
 * name-constraint categories).
 */

import { type CertificateSpec, issueCertificate, type Issued } from "../lib/pki/certgen.ts";
import { derToPem } from "../lib/pki/pem.ts";
import { parseCertificate } from "../lib/pki/certificate.ts";
import { Alert } from "../lib/ssl/alerts.ts";

const DAY = 86_400_000;

/** What a verifier must say about a case: accept, or refuse with this reason and alert. */
export type Expected = "accept" | { reason: string; alert: number; message: RegExp };

/** One case: the peer's chain (leaf first, as sent), the trusted roots, the host and purpose. */
export interface Case {
  name: string;
  chain: Issued[];
  anchors: Issued[];
  host?: string;
  purpose: "server" | "client";
  expected: Expected;
  /** Also run through client.ts/server.ts against openssl (a representative subset). */
  programs?: boolean;
}

const refuse = (reason: string, alert: number, message: RegExp): Expected => ({ reason, alert, message });

/** A root CA: ECDSA P-256 unless told otherwise (fast to make). */
export function root(extra: Partial<CertificateSpec> = {}): Issued {
  return issueCertificate({
    commonName: "Case Root",
    keyType: "ecdsa",
    isCA: true,
    keyUsage: ["keyCertSign", "cRLSign"],
    ...extra,
  });
}

/** An intermediate CA under `issuer`. */
export function intermediate(issuer: Issued, extra: Partial<CertificateSpec> = {}): Issued {
  return issueCertificate({
    commonName: "Case Intermediate",
    keyType: "ecdsa",
    issuer,
    isCA: true,
    keyUsage: ["keyCertSign", "cRLSign"],
    ...extra,
  });
}

/** A server (or, with clientAuth, client) leaf for localhost under `issuer`. */
export function leaf(issuer: Issued, extra: Partial<CertificateSpec> = {}): Issued {
  return issueCertificate({
    commonName: "localhost",
    keyType: "ecdsa",
    issuer,
    keyUsage: ["digitalSignature"],
    extKeyUsage: ["serverAuth"],
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1", "::1"],
    ...extra,
  });
}

/**
 * The certificate with its outer signatureAlgorithm changed from
 * ecdsa-with-SHA256 to ecdsa-with-SHA384 (same length; the signed part is
 * untouched, so the signature still verifies).
 */
function withOuterAlgorithm(cert: Issued, _name: "ecdsa-with-SHA384"): Issued {
  const der = cert.der.slice();
  const sha256 = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
  for (let i = der.length - sha256.length; i >= 0; i--) {
    if (sha256.every((b, j) => der[i + j] === b)) {
      der[i + sha256.length - 1] = 0x03;
      return { ...cert, der, certPem: derToPem(der) };
    }
  }
  throw new Error("no ecdsa-with-SHA256 identifier found");
}

/** A DER TLV (short or two-byte long form lengths, enough for test extensions). */
function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const body = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) body.set(p, (at += p.length) - p.length);
  const len = body.length < 0x80 ? [body.length] : [0x82, body.length >> 8, body.length & 0xff];
  return new Uint8Array([tag, ...len, ...body]);
}

/** A critical nameConstraints extension with one directoryName subtree: the given RDNs (DER). */
function directoryConstraint(side: "permitted" | "excluded", rdns: Uint8Array[]) {
  const name = tlv(0x30, ...rdns);
  const subtree = tlv(0x30, tlv(0xa4, name));
  const value = tlv(0x30, tlv(side === "permitted" ? 0xa0 : 0xa1, subtree));
  return { extraExtensions: [{ oid: "2.5.29.30", critical: true, value }] };
}

/** Builds every case (fresh keys and certificates each call). */
export function buildCases(): Case[] {
  const cases: Case[] = [];
  const add = (c: Omit<Case, "purpose"> & { purpose?: Case["purpose"] }) =>
    cases.push({ purpose: "server", host: "localhost", ...c });
  const r = root();
  const ok = "accept" as const;

  // --- Names (RFC 9525) ---
  add({
    name: "RFC 9525 §6.3: CN is the host but the SAN names another host → hostname_mismatch",
    chain: [leaf(r, { dnsNames: ["other.test"], ipAddresses: [] })],
    anchors: [r],
    expected: refuse(
      "hostname_mismatch",
      Alert.bad_certificate,
      /not valid for host name localhost \(it names DNS:other\.test\)/,
    ),
    programs: true,
  });
  add({
    name: "RFC 9525 §6.3: the same leaf with the host in its SAN → accepted",
    chain: [leaf(r)],
    anchors: [r],
    expected: ok,
    programs: true,
  });
  add({
    name: "RFC 9525 §6.3: *.example.test matches www.example.test",
    chain: [leaf(r, { dnsNames: ["*.example.test"] })],
    anchors: [r],
    host: "www.example.test",
    expected: ok,
  });
  const wildcard = leaf(r, { dnsNames: ["*.example.test"] });
  for (const host of ["a.b.example.test", "example.test"]) {
    add({
      name: `RFC 9525 §6.3: *.example.test does not match ${host}`,
      chain: [wildcard],
      anchors: [r],
      host,
      expected: refuse("hostname_mismatch", Alert.bad_certificate, /not valid for host name/),
    });
  }
  add({
    name:
      "RFC 9525 §6.3: a partial-label wildcard f*o.example.test never matches (x509-limbo webpki::san::wildcard-embedded-leftmost-san)",
    chain: [leaf(r, { dnsNames: ["f*o.example.test"] })],
    anchors: [r],
    host: "foo.example.test",
    expected: refuse("hostname_mismatch", Alert.bad_certificate, /not valid for host name/),
  });
  add({
    name:
      "RFC 9525 §6.3: *.test covers a whole TLD and matches nothing (x509-limbo webpki::san::public-suffix-wildcard-san)",
    chain: [leaf(r, { dnsNames: ["*.test"] })],
    anchors: [r],
    host: "example.test",
    expected: refuse("hostname_mismatch", Alert.bad_certificate, /not valid for host name/),
  });
  add({
    name:
      "RFC 9525 §6.3: a wildcard not in the leftmost label never matches (x509-limbo webpki::san::wildcard-not-in-leftmost-san)",
    chain: [leaf(r, { dnsNames: ["www.*.example.test"] })],
    anchors: [r],
    host: "www.a.example.test",
    expected: refuse("hostname_mismatch", Alert.bad_certificate, /not valid for host name/),
  });
  add({
    name: "RFC 9525 §6.3 / RFC 4343: SAN LocalHost matches localhost (case-insensitive)",
    chain: [leaf(r, { dnsNames: ["LocalHost"] })],
    anchors: [r],
    expected: ok,
  });
  add({
    name: "RFC 9525 §6.3: a trailing dot on the reference name is ignored",
    chain: [leaf(r)],
    anchors: [r],
    host: "localhost.",
    expected: ok,
  });
  add({
    name: "RFC 9525 §6.2: an internationalised host compares as its A-label",
    chain: [leaf(r, { dnsNames: ["xn--bcher-kva.example"] })],
    anchors: [r],
    host: "bücher.example",
    expected: ok,
  });
  add({
    name: "RFC 9525 §6.2: IPv6 addresses compare as addresses (0:0:0:0:0:0:0:1 is ::1)",
    chain: [leaf(r)],
    anchors: [r],
    host: "0:0:0:0:0:0:0:1",
    expected: ok,
  });
  add({
    name:
      "RFC 9525 §6.2: an IP address in a DNS SAN entry does not match the address (x509-limbo rfc5280::san::ip-in-dns)",
    chain: [leaf(r, { dnsNames: ["127.0.0.1"], ipAddresses: [] })],
    anchors: [r],
    host: "127.0.0.1",
    expected: refuse("hostname_mismatch", Alert.bad_certificate, /not valid for host name 127\.0\.0\.1/),
  });
  add({
    name: "RFC 9525 §6.3: a SAN with an underscore is not a host name (x509-limbo rfc5280::san::underscore-dns)",
    chain: [leaf(r, { dnsNames: ["foo_bar.example.test"] })],
    anchors: [r],
    host: "foo_bar.example.test",
    expected: refuse("hostname_mismatch", Alert.bad_certificate, /not valid for host name/),
  });
  add({
    name: "RFC 6125 §6.4.4: no SAN at all, only a CN → hostname_mismatch (x509-limbo webpki::san::no-san)",
    chain: [leaf(r, { dnsNames: [], ipAddresses: [] })],
    anchors: [r],
    expected: refuse("hostname_mismatch", Alert.bad_certificate, /it names no DNS name or IP address/),
  });

  // --- Path length (RFC 5280 §4.2.1.9, §6.1.4 (l)(m)) ---
  const r0 = root({ pathLen: 0 });
  const sub0 = intermediate(r0);
  add({
    name: "RFC 5280 §6.1.4 (l): root pathLenConstraint=0 → sub-CA → leaf → path_length",
    chain: [leaf(sub0), sub0],
    anchors: [r0],
    expected: refuse("path_length", Alert.bad_certificate, /exceeds the path length its CA allows/),
    programs: true,
  });
  const r1 = root({ pathLen: 1 });
  const sub1 = intermediate(r1);
  add({
    name: "RFC 5280 §6.1.4 (l): root pathLenConstraint=1 → sub-CA → leaf → accepted",
    chain: [leaf(sub1), sub1],
    anchors: [r1],
    expected: ok,
    programs: true,
  });
  const ica0 = intermediate(r, { pathLen: 0 });
  add({
    name: "x509-limbo pathlen::ee-with-intermediate-pathlen-0",
    chain: [leaf(ica0), ica0],
    anchors: [r],
    expected: ok,
  });
  const ica0b = intermediate(ica0, { commonName: "Second Intermediate", pathLen: 0 });
  add({
    name: "x509-limbo pathlen::intermediate-violates-pathlen-0",
    chain: [leaf(ica0b), ica0b, ica0],
    anchors: [r],
    expected: refuse("path_length", Alert.bad_certificate, /exceeds the path length/),
  });
  const icaUp1 = intermediate(r, { pathLen: 1 });
  const icaUp2 = intermediate(icaUp1, { commonName: "Second Intermediate", pathLen: 2 });
  add({
    name: "x509-limbo pathlen::intermediate-pathlen-may-increase (the smaller limit still holds)",
    chain: [leaf(icaUp2), icaUp2, icaUp1],
    anchors: [r],
    expected: ok,
  });
  // A self-issued intermediate (same name, new key: a key rollover) does not count (§6.1.4 (l)).
  const rollover = intermediate(ica0, { commonName: "Case Intermediate" });
  add({
    name: "x509-limbo pathlen::self-issued-certs-pathlen (a self-issued CA does not use up pathLen)",
    chain: [leaf(rollover), rollover, ica0],
    anchors: [r],
    expected: ok,
  });

  const clientLeaf = { commonName: "client", extKeyUsage: ["clientAuth" as const], dnsNames: [], ipAddresses: [] };
  add({
    name: "RFC 5280 §6.1.4 (l): a client certificate under root pathLenConstraint=0 → sub-CA → path_length",
    chain: [leaf(sub0, clientLeaf), sub0],
    anchors: [r0],
    host: undefined,
    purpose: "client",
    expected: refuse("path_length", Alert.bad_certificate, /exceeds the path length its CA allows/),
    programs: true,
  });
  add({
    name: "RFC 5280 §6.1.4 (l): a client certificate under root pathLenConstraint=1 → sub-CA → accepted",
    chain: [leaf(sub1, clientLeaf), sub1],
    anchors: [r1],
    host: undefined,
    purpose: "client",
    expected: ok,
    programs: true,
  });

  // --- Critical extensions (§4.2) ---
  const unknownExt = (critical: boolean) => ({
    extraExtensions: [{ oid: "1.3.6.1.4.1.55738.666.1", critical, value: new Uint8Array([0x05, 0x00]) }],
  });
  add({
    name:
      "RFC 5280 §4.2: a leaf with an unknown critical extension → unsupported_certificate (x509-limbo rfc5280::unknown-critical-extension-ee)",
    chain: [leaf(r, unknownExt(true))],
    anchors: [r],
    expected: refuse(
      "unsupported_critical_extension",
      Alert.unsupported_certificate,
      /critical extension we do not support \(1\.3\.6\.1\.4\.1\.55738\.666\.1\)/,
    ),
    programs: true,
  });
  add({
    name: "RFC 5280 §4.2: the same extension not critical → accepted",
    chain: [leaf(r, unknownExt(false))],
    anchors: [r],
    expected: ok,
    programs: true,
  });
  const icaCrit = intermediate(r, unknownExt(true));
  add({
    name: "x509-limbo rfc5280::unknown-critical-extension-intermediate",
    chain: [leaf(icaCrit), icaCrit],
    anchors: [r],
    expected: refuse(
      "unsupported_critical_extension",
      Alert.unsupported_certificate,
      /intermediate certificate .* critical extension/,
    ),
  });
  const rootCrit = root(unknownExt(true));
  add({
    name: "x509-limbo rfc5280::unknown-critical-extension-root",
    chain: [leaf(rootCrit)],
    anchors: [rootCrit],
    expected: refuse(
      "unsupported_critical_extension",
      Alert.unsupported_certificate,
      /CA certificate .* critical extension/,
    ),
  });
  add({
    name: "x509-limbo rfc5280::unknown-critical-extension-unrelated-root (an unused root does not matter)",
    chain: [leaf(r)],
    anchors: [root({ commonName: "Unrelated Root", ...unknownExt(true) }), r],
    expected: ok,
  });

  // --- Name constraints (§4.2.1.10) ---
  const ncRoot = root({ commonName: "Constrained Root", nameConstraints: { permitted: { dns: ["allowed.example"] } } });
  add({
    name:
      "RFC 5280 §4.2.1.10: root permits only allowed.example, leaf for localhost → name_constraints (x509-limbo rfc5280::nc::permitted-dns-mismatch)",
    chain: [leaf(ncRoot)],
    anchors: [ncRoot],
    expected: refuse(
      "name_constraints",
      Alert.bad_certificate,
      /violates its CA's name constraints: DNS name localhost is outside the permitted subtrees/,
    ),
    programs: true,
  });
  add({
    name:
      "RFC 5280 §4.2.1.10: the same root, leaf for www.allowed.example → accepted (x509-limbo rfc5280::nc::permitted-dns-match)",
    chain: [leaf(ncRoot, { dnsNames: ["www.allowed.example"], ipAddresses: [] })],
    anchors: [ncRoot],
    host: "www.allowed.example",
    expected: ok,
  });
  add({
    name: "BetterTLS nameconstraints: permitted allowed.example does not cover notallowed.example (label boundary)",
    chain: [leaf(ncRoot, { dnsNames: ["notallowed.example"], ipAddresses: [] })],
    anchors: [ncRoot],
    host: "notallowed.example",
    expected: refuse("name_constraints", Alert.bad_certificate, /outside the permitted subtrees/),
  });
  add({
    name:
      "BetterTLS nameconstraints: a permitted DNS subtree does not let other SAN entries through (second SAN outside)",
    chain: [leaf(ncRoot, { dnsNames: ["allowed.example", "evil.example"], ipAddresses: [] })],
    anchors: [ncRoot],
    host: "allowed.example",
    expected: refuse("name_constraints", Alert.bad_certificate, /evil\.example is outside/),
  });
  add({
    name: "BetterTLS nameconstraints: DNS-only permitted subtrees leave IP SANs unconstrained",
    chain: [leaf(ncRoot, { dnsNames: ["allowed.example"], ipAddresses: ["10.1.2.3"] })],
    anchors: [ncRoot],
    host: "allowed.example",
    expected: ok,
  });
  const exRoot = root({ commonName: "Excluding Root", nameConstraints: { excluded: { dns: ["bad.example"] } } });
  add({
    name: "x509-limbo rfc5280::nc::excluded-dns-match",
    chain: [leaf(exRoot, { dnsNames: ["www.bad.example"], ipAddresses: [] })],
    anchors: [exRoot],
    host: "www.bad.example",
    expected: refuse("name_constraints", Alert.bad_certificate, /in an excluded subtree/),
  });
  add({
    name: "x509-limbo rfc5280::nc::excluded-dns-match twin: a name outside the excluded subtree → accepted",
    chain: [leaf(exRoot)],
    anchors: [exRoot],
    expected: ok,
  });
  const exWild = root({ commonName: "Excluding Root 2", nameConstraints: { excluded: { dns: ["bad.example.test"] } } });
  add({
    name: "x509-limbo rfc5280::nc::nc-forbids-dnsname-wildcard-san (BetterTLS: wildcard SAN reaching an excluded name)",
    chain: [leaf(exWild, { dnsNames: ["*.example.test"], ipAddresses: [] })],
    anchors: [exWild],
    host: "good.example.test",
    expected: refuse("name_constraints", Alert.bad_certificate, /\*\.example\.test is in an excluded subtree/),
  });
  const permWild = root({
    commonName: "Permitting Root",
    nameConstraints: { permitted: { dns: ["good.example.test"] } },
  });
  add({
    name: "BetterTLS nameconstraints: a wildcard SAN wider than the permitted subtree → refused",
    chain: [leaf(permWild, { dnsNames: ["*.example.test"], ipAddresses: [] })],
    anchors: [permWild],
    host: "good.example.test",
    expected: refuse("name_constraints", Alert.bad_certificate, /outside the permitted subtrees/),
  });
  const ipRoot = root({ commonName: "IP Root", nameConstraints: { permitted: { ip: ["127.0.0.0/8", "::1/128"] } } });
  add({
    name: "x509-limbo rfc5280::nc::permitted-ipv4-match and permitted-ipv6-match",
    chain: [leaf(ipRoot, { dnsNames: [] })],
    anchors: [ipRoot],
    host: "127.0.0.1",
    expected: ok,
  });
  add({
    name: "x509-limbo rfc5280::nc::permitted-ip-mismatch",
    chain: [leaf(ipRoot, { dnsNames: [], ipAddresses: ["10.0.0.1"] })],
    anchors: [ipRoot],
    host: "10.0.0.1",
    expected: refuse(
      "name_constraints",
      Alert.bad_certificate,
      /IP address 10\.0\.0\.1 is outside the permitted subtrees/,
    ),
  });
  const ipEx = root({
    commonName: "IP Excluding Root",
    nameConstraints: { excluded: { ip: ["192.168.0.0/16", "fd00::/8"] } },
  });
  add({
    name: "x509-limbo rfc5280::nc::excluded-ipv4-match",
    chain: [leaf(ipEx, { ipAddresses: ["192.168.1.1"] })],
    anchors: [ipEx],
    host: "192.168.1.1",
    expected: refuse("name_constraints", Alert.bad_certificate, /IP address 192\.168\.1\.1 is in an excluded subtree/),
  });
  add({
    name: "x509-limbo rfc5280::nc::excluded-ipv6-match",
    chain: [leaf(ipEx, { ipAddresses: ["fd00::1"] })],
    anchors: [ipEx],
    host: "fd00::1",
    expected: refuse("name_constraints", Alert.bad_certificate, /an IPv6 address is in an excluded subtree/),
  });
  add({
    name:
      "RFC 5280 §4.2.1.10: an IPv4-mapped IPv6 SAN (::ffff:192.168.1.1) is the IPv4 address for an excluded IPv4 subtree",
    chain: [leaf(ipEx, { dnsNames: [], ipAddresses: ["::ffff:c0a8:101"] })],
    anchors: [ipEx],
    host: "::ffff:192.168.1.1",
    expected: refuse("name_constraints", Alert.bad_certificate, /IP address 192\.168\.1\.1 is in an excluded subtree/),
  });
  add({
    name: "RFC 5280 §4.2.1.10: an IPv4-mapped IPv6 SAN inside a permitted IPv4 subtree → accepted",
    chain: [leaf(ipRoot, { dnsNames: [], ipAddresses: ["::ffff:7f00:1"] })],
    anchors: [ipRoot],
    host: "::ffff:127.0.0.1",
    expected: ok,
  });
  add({
    name: "RFC 5280 §4.2.1.10: an IPv4-mapped IPv6 SAN outside a permitted IPv4 subtree → refused",
    chain: [leaf(ipRoot, { dnsNames: [], ipAddresses: ["::ffff:a00:1"] })],
    anchors: [ipRoot],
    host: "::ffff:10.0.0.1",
    expected: refuse(
      "name_constraints",
      Alert.bad_certificate,
      /IP address 10\.0\.0\.1 is outside the permitted subtrees/,
    ),
  });
  const ncIca = intermediate(r, { nameConstraints: { permitted: { dns: ["allowed.example"] } } });
  add({
    name: "BetterTLS nameconstraints: constraints on the intermediate apply to the leaf",
    chain: [leaf(ncIca), ncIca],
    anchors: [r],
    expected: refuse("name_constraints", Alert.bad_certificate, /outside the permitted subtrees/),
  });
  const icaWithSan = intermediate(ncRoot, { dnsNames: ["elsewhere.example"] });
  add({
    name: "x509-limbo rfc5280::nc::intermediate-with-san-rejected-by-root-nc",
    chain: [leaf(icaWithSan, { dnsNames: ["allowed.example"], ipAddresses: [] }), icaWithSan],
    anchors: [ncRoot],
    host: "allowed.example",
    expected: refuse("name_constraints", Alert.bad_certificate, /intermediate certificate .* elsewhere\.example/),
  });
  const malformedNc = root({ commonName: "Malformed NC Root", nameConstraints: { permitted: { dns: [".example"] } } });
  add({
    name: "x509-limbo rfc5280::nc::invalid-dnsname-leading-period (a malformed constraint fails closed)",
    chain: [leaf(malformedNc)],
    anchors: [malformedNc],
    expected: refuse("unparsable", Alert.bad_certificate, /could not be parsed \(malformed DNS name constraint/),
  });
  const ncLeaf = leaf(r, { nameConstraints: { permitted: { dns: ["localhost"] } } });
  add({
    name: "x509-limbo rfc5280::nc::not-allowed-in-ee-critical",
    chain: [ncLeaf],
    anchors: [r],
    expected: refuse("bad_ca_markings", Alert.bad_certificate, /has name constraints but is not a CA/),
  });

  // Directory names: the subject (and directoryName SAN entries) must start with the permitted RDNs.
  const cnLocalhost = parseCertificate(leaf(r).der).subjectRdns[0]; // CN=localhost, as certgen encodes it
  const dnRoot = root({ commonName: "DN Root", ...directoryConstraint("permitted", [cnLocalhost]) });
  add({ name: "x509-limbo rfc5280::nc::permitted-dn-match", chain: [leaf(dnRoot)], anchors: [dnRoot], expected: ok });
  add({
    name: "x509-limbo rfc5280::nc::permitted-dn-mismatch",
    chain: [leaf(dnRoot, { commonName: "elsewhere" })],
    anchors: [dnRoot],
    expected: refuse("name_constraints", Alert.bad_certificate, /directory name is outside the permitted subtrees/),
  });
  const dnExRoot = root({ commonName: "DN Excluding Root", ...directoryConstraint("excluded", [cnLocalhost]) });
  add({
    name: "x509-limbo rfc5280::nc::excluded-dn-match",
    chain: [leaf(dnExRoot)],
    anchors: [dnExRoot],
    expected: refuse("name_constraints", Alert.bad_certificate, /directory name is in an excluded subtree/),
  });
  // RFC 5280 §7.1: names compare after RFC 4518 preparation (case, insignificant spaces, string type).
  const cnRdn = (tag: number, text: string) =>
    tlv(0x31, tlv(0x30, new Uint8Array([0x06, 0x03, 0x55, 0x04, 0x03]), tlv(tag, new TextEncoder().encode(text))));
  const dnExFolded = root({
    commonName: "DN Excluding Root 2",
    ...directoryConstraint("excluded", [cnRdn(0x13, "LocalHost")]),
  });
  add({
    name:
      "RFC 5280 §7.1: an excluded CN=LocalHost (PrintableString) excludes a subject CN=localhost (UTF8String) → name_constraints",
    chain: [leaf(dnExFolded)],
    anchors: [dnExFolded],
    expected: refuse("name_constraints", Alert.bad_certificate, /directory name is in an excluded subtree/),
  });
  add({
    name: "RFC 5280 §7.1: the same excluded CN=LocalHost does not exclude CN=otherhost → accepted",
    chain: [leaf(dnExFolded, { commonName: "otherhost" })],
    anchors: [dnExFolded],
    expected: ok,
  });
  const dnFolded = root({
    commonName: "DN Root 2",
    ...directoryConstraint("permitted", [cnRdn(0x13, "  LOCALHOST ")]),
  });
  add({
    name: "RFC 5280 §7.1: a permitted CN=' LOCALHOST ' (case and outer spaces) permits CN=localhost → accepted",
    chain: [leaf(dnFolded)],
    anchors: [dnFolded],
    expected: ok,
  });
  // Many names against many subtrees: refused before the work grows (Go and rustls-webpki bound it too).
  const manyNames = Array.from({ length: 64 }, (_, i) => `host${i}.allowed.example`);
  const manySubtrees = root({
    commonName: "Many Subtrees Root",
    nameConstraints: {
      permitted: { dns: Array.from({ length: 128 }, (_, i) => `s${i}.allowed.example`).concat(["allowed.example"]) },
    },
  });
  add({
    name: "x509-limbo pathological::nc-dos-1 (64 SANs × 129 subtrees exceeds the comparison budget)",
    chain: [leaf(manySubtrees, { dnsNames: ["localhost", ...manyNames] })],
    anchors: [manySubtrees],
    expected: refuse("name_constraints", Alert.bad_certificate, /take too many comparisons/),
  });

  // --- Purpose (EKU) ---
  const clientOnlyIca = intermediate(r, { extKeyUsage: ["clientAuth"] });
  add({
    name: "CA/B Forum 7.1.2.2: intermediate EKU clientAuth only, serverAuth leaf → unsupported_certificate",
    chain: [leaf(clientOnlyIca), clientOnlyIca],
    anchors: [r],
    expected: refuse(
      "bad_key_usage",
      Alert.unsupported_certificate,
      /intermediate certificate .* extended key usage does not include serverAuth/,
    ),
    programs: true,
  });
  const serverIca = intermediate(r, { extKeyUsage: ["serverAuth"] });
  add({
    name: "CA/B Forum 7.1.2.2: intermediate EKU serverAuth, serverAuth leaf → accepted",
    chain: [leaf(serverIca), serverIca],
    anchors: [r],
    expected: ok,
    programs: true,
  });
  add({
    name: "x509-limbo rfc5280::eku::ee-without-eku (RFC 5280: no EKU means any use)",
    chain: [leaf(r, { extKeyUsage: undefined })],
    anchors: [r],
    expected: ok,
  });
  add({
    name: "x509-limbo webpki::eku::ee-anyeku (a leaf must name serverAuth)",
    chain: [leaf(r, { extKeyUsage: ["anyExtendedKeyUsage"] })],
    anchors: [r],
    expected: refuse("bad_key_usage", Alert.unsupported_certificate, /extended key usage does not include serverAuth/),
  });
  add({
    name: "x509-limbo rfc5280::eku::ee-wrong-eku: a serverAuth-only certificate as a client certificate → refused",
    chain: [leaf(r)],
    anchors: [r],
    host: undefined,
    purpose: "client",
    expected: refuse("bad_key_usage", Alert.unsupported_certificate, /does not include clientAuth/),
    programs: true,
  });
  add({
    name: "x509-limbo rfc5280::eku::ee-wrong-eku twin: a clientAuth certificate as a client certificate → accepted",
    chain: [leaf(r, { commonName: "client", extKeyUsage: ["clientAuth"] })],
    anchors: [r],
    host: undefined,
    purpose: "client",
    expected: ok,
    programs: true,
  });

  // --- Algorithms ---
  const rsaRoot = root({ keyType: "rsa" });
  add({
    name:
      "algorithm policy: an RSA-1024 leaf → unsupported_certificate (x509-limbo webpki::forbidden-weak-rsa-in-leaf)",
    chain: [leaf(rsaRoot, { keyType: "rsa", rsaBits: 1024 })],
    anchors: [rsaRoot],
    expected: refuse("weak_key", Alert.unsupported_certificate, /RSA key of 1024 bits \(at least 2048 needed\)/),
    programs: true,
  });
  add({
    name: "algorithm policy: an RSA-2048 leaf under an RSA root → accepted",
    chain: [leaf(rsaRoot, { keyType: "rsa" })],
    anchors: [rsaRoot],
    expected: ok,
    programs: true,
  });
  add({
    name: "algorithm policy: a SHA-1-signed leaf → unsupported_certificate",
    chain: [leaf(rsaRoot, { signatureHash: "sha1" })],
    anchors: [rsaRoot],
    expected: refuse(
      "weak_signature",
      Alert.unsupported_certificate,
      /signed with sha1WithRSAEncryption, which is not accepted/,
    ),
    // Not through the programs: s_server itself refuses to serve a SHA-1 chain to a TLS 1.3 client that does not offer it.
  });
  add({
    name: "algorithm policy: a SHA-384-signed leaf (PKCS#1 v1.5) → accepted",
    chain: [leaf(rsaRoot, { signatureHash: "sha384" })],
    anchors: [rsaRoot],
    expected: ok,
  });
  add({
    name: "algorithm policy: RSASSA-PSS SHA-256 → accepted",
    chain: [leaf(rsaRoot, { rsaPss: true })],
    anchors: [rsaRoot],
    expected: ok,
  });
  add({
    name: "algorithm policy: RSASSA-PSS SHA-512 → accepted",
    chain: [leaf(rsaRoot, { rsaPss: true, signatureHash: "sha512" })],
    anchors: [rsaRoot],
    expected: ok,
  });
  add({
    name: "algorithm policy: the refusal reads as a sentence: 'peer certificate (…) is signed with ecdsa-with-SHA1'",
    chain: [leaf(r, { signatureHash: "sha1" })],
    anchors: [r],
    expected: refuse(
      "weak_signature",
      Alert.unsupported_certificate,
      /^peer certificate \(CN=localhost[^)]*\) is signed with ecdsa-with-SHA1, which is not accepted$/,
    ),
  });
  add({
    name: "algorithm policy: ecdsa-with-SHA1 → unsupported_certificate",
    chain: [leaf(r, { signatureHash: "sha1" })],
    anchors: [r],
    expected: refuse("weak_signature", Alert.unsupported_certificate, /ecdsa-with-SHA1/),
  });
  const p384 = root({ commonName: "P-384 Root", curve: "P-384", signatureHash: "sha384" });
  add({
    name: "algorithm policy: ECDSA P-384 root and leaf, SHA-384 → accepted",
    chain: [leaf(p384, { curve: "P-384", signatureHash: "sha384" })],
    anchors: [p384],
    expected: ok,
  });
  add({
    name:
      "algorithm policy: an ECDSA secp256k1 leaf → unsupported_certificate (as x509-limbo webpki::forbidden-p192-leaf)",
    chain: [leaf(r, { curve: "secp256k1" })],
    anchors: [r],
    expected: refuse("weak_key", Alert.unsupported_certificate, /EC key on curve secp256k1/),
  });
  const edRoot = root({ commonName: "Ed25519 Root", keyType: "ed25519" });
  add({
    name: "algorithm policy: Ed25519 root signing an Ed25519 leaf → accepted",
    chain: [leaf(edRoot, { keyType: "ed25519" })],
    anchors: [edRoot],
    expected: ok,
    programs: true,
  });
  add({
    name: "algorithm policy: Ed25519 root signing an ECDSA leaf → accepted",
    chain: [leaf(edRoot)],
    anchors: [edRoot],
    expected: ok,
  });

  // --- Validity (§4.1.2.5) ---
  const past = { notBefore: new Date(Date.now() - 30 * DAY), notAfter: new Date(Date.now() - DAY) };
  const future = { notBefore: new Date(Date.now() + DAY), notAfter: new Date(Date.now() + 30 * DAY) };
  add({
    name: "x509-limbo rfc5280::validity::expired-leaf",
    chain: [leaf(r, past)],
    anchors: [r],
    expected: refuse("expired", Alert.certificate_expired, /peer certificate has expired/),
  });
  const oldIca = intermediate(r, past);
  add({
    name: "x509-limbo rfc5280::validity::expired-intermediate",
    chain: [leaf(oldIca), oldIca],
    anchors: [r],
    expected: refuse("expired", Alert.certificate_expired, /intermediate certificate has expired/),
  });
  const oldRoot = root({ commonName: "Old Root", ...past });
  add({
    name: "x509-limbo rfc5280::validity::expired-root",
    chain: [leaf(oldRoot)],
    anchors: [oldRoot],
    expected: refuse("expired", Alert.certificate_expired, /CA certificate has expired/),
  });
  add({
    name: 'RFC 8446 §6.2: a leaf not yet valid → certificate_expired ("not currently valid")',
    chain: [leaf(r, future)],
    anchors: [r],
    expected: refuse("not_yet_valid", Alert.certificate_expired, /peer certificate is not yet valid/),
  });

  // --- CA markings (§4.2.1.3, §4.2.1.9) ---
  const notCa = intermediate(r, { isCA: false, keyUsage: ["digitalSignature"] });
  add({
    name: "x509-limbo rfc5280::intermediate-ca-without-ca-bit",
    chain: [leaf(notCa), notCa],
    anchors: [r],
    expected: refuse("not_a_ca", Alert.bad_certificate, /is not a CA/),
  });
  const noBc = intermediate(r, { omitBasicConstraints: true, keyUsage: undefined });
  add({
    name: "x509-limbo rfc5280::intermediate-ca-missing-basic-constraints",
    chain: [leaf(noBc), noBc],
    anchors: [r],
    expected: refuse("not_a_ca", Alert.bad_certificate, /is not a CA/),
  });
  const rootNoBc = root({ commonName: "No BC Root", omitBasicConstraints: true, keyUsage: undefined });
  add({
    name: "x509-limbo rfc5280::root-missing-basic-constraints",
    chain: [leaf(rootNoBc)],
    anchors: [rootNoBc],
    expected: refuse("unknown_ca", Alert.unknown_ca, /not signed by a trusted CA/),
  });
  const noSignIca = intermediate(r, { keyUsage: ["digitalSignature"] });
  add({
    name: "x509-limbo rfc5280::ica-ku-keycertsign",
    chain: [leaf(noSignIca), noSignIca],
    anchors: [r],
    expected: refuse("bad_key_usage", Alert.bad_certificate, /key usage does not allow keyCertSign/),
  });
  add({
    name: "x509-limbo rfc5280::leaf-ku-keycertsign",
    chain: [leaf(r, { keyUsage: ["digitalSignature", "keyCertSign"] })],
    anchors: [r],
    expected: refuse("bad_ca_markings", Alert.bad_certificate, /allows certificate signing but is not a CA/),
  });
  add({
    name: "x509-limbo webpki::ca-as-leaf",
    chain: [leaf(r, { isCA: true })],
    anchors: [r],
    expected: refuse("ca_as_leaf", Alert.bad_certificate, /is a CA certificate, not an end-entity certificate/),
  });
  {
    // What `openssl req -x509 -subj /CN=localhost -addext subjectAltName=…` makes: self-signed, CA:TRUE, no keyUsage.
    const selfSigned = root({ commonName: "localhost", keyUsage: undefined, dnsNames: ["localhost"] });
    add({
      name:
        "pinned: a self-signed CA:TRUE certificate trusted exactly serves as the server's own certificate → accepted",
      chain: [selfSigned],
      anchors: [selfSigned],
      expected: ok,
    });
    add({
      name: "pinned: the same certificate for another host name → hostname_mismatch (a pin still checks the name)",
      chain: [selfSigned],
      anchors: [selfSigned],
      host: "other.test",
      expected: refuse("hostname_mismatch", Alert.bad_certificate, /not valid for host name other\.test/),
    });
    add({
      name: "pinned: a CA:TRUE certificate that is not itself trusted, only its issuer → ca_as_leaf",
      chain: [leaf(r, { isCA: true, keyUsage: undefined })],
      anchors: [r],
      expected: refuse("ca_as_leaf", Alert.bad_certificate, /is a CA certificate, not an end-entity certificate/),
    });
  }
  add({
    name: "RFC 8446 §4.4.2.2: a TLS 1.3 leaf without digitalSignature key usage → unsupported_certificate",
    chain: [leaf(r, { keyUsage: ["keyAgreement"] })],
    anchors: [r],
    expected: refuse("bad_key_usage", Alert.unsupported_certificate, /key usage does not allow digitalSignature/),
  });
  add({
    name: "x509-limbo rfc5280::san::noncritical-with-empty-subject",
    chain: [leaf(r, { emptySubject: true })],
    anchors: [r],
    expected: refuse("empty_name", Alert.bad_certificate, /empty subject name/),
  });
  add({
    name: "RFC 5280 §4.1.2.6: empty subject with a critical SAN → accepted",
    chain: [leaf(r, { emptySubject: true, sanCritical: true })],
    anchors: [r],
    expected: ok,
  });

  add({
    name: "x509-limbo rfc5280::mismatching-signature-algorithm (§4.1.1.2: the two fields must match)",
    chain: [withOuterAlgorithm(leaf(r), "ecdsa-with-SHA384")],
    anchors: [r],
    expected: refuse("bad_encoding", Alert.bad_certificate, /names two different signature algorithms/),
  });

  // --- Path building (RFC 4158) ---
  const ica = intermediate(r);
  const unrelated = root({ commonName: "Unrelated" });
  const lower = intermediate(ica, { commonName: "Lower" });
  add({
    name: "path building: intermediates out of order, with an unrelated certificate and the root → accepted",
    chain: [leaf(lower), unrelated, r, ica, lower],
    anchors: [r],
    expected: ok,
  });
  const impostor = intermediate(root({ commonName: "Impostor Root" }), { commonName: "Case Intermediate" });
  add({
    name: "path building: two candidate issuers with the same name, the first a dead end → accepted via the second",
    chain: [leaf(ica), impostor, ica],
    anchors: [r],
    expected: ok,
  });
  const fresh = intermediate(r, { keyPair: { publicKey: ica.publicKey, privateKey: ica.privateKey } });
  const expiredTwin = intermediate(r, { keyPair: { publicKey: ica.publicKey, privateKey: ica.privateKey }, ...past });
  add({
    name: "x509-limbo pathological::multiple-chains-expired-intermediate (the valid twin is found)",
    chain: [leaf(ica), expiredTwin, fresh],
    anchors: [r],
    expected: ok,
  });
  add({
    name: "path building: only the expired twin → certificate_expired",
    chain: [leaf(ica), expiredTwin],
    anchors: [r],
    expected: refuse("expired", Alert.certificate_expired, /intermediate certificate has expired/),
  });
  // A loop: A is signed by B and B by A, neither reaches the root.
  const caA = root({ commonName: "Loop A" }), caB = root({ commonName: "Loop B" });
  const aByB = intermediate(caB, {
    commonName: "Loop A",
    keyPair: { publicKey: caA.publicKey, privateKey: caA.privateKey },
  });
  const bByA = intermediate(caA, {
    commonName: "Loop B",
    keyPair: { publicKey: caB.publicKey, privateKey: caB.privateKey },
  });
  add({
    name: "x509-limbo pathological::intermediate-cycle-distinct-cas → unknown_ca",
    chain: [leaf(aByB), bByA, aByB],
    anchors: [r],
    expected: refuse("unknown_ca", Alert.unknown_ca, /not signed by a trusted CA/),
  });
  const deep: Issued[] = [];
  let top = r;
  for (let i = 0; i < 9; i++) deep.unshift(top = intermediate(top, { commonName: `Depth ${i}` }));
  add({
    name: "path building: 9 intermediates exceed the depth limit (8) → unknown_ca",
    chain: [leaf(deep[0]), ...deep],
    anchors: [r],
    expected: refuse("unknown_ca", Alert.unknown_ca, /not signed by a trusted CA/),
  });
  add({
    name: "path building: 8 intermediates → accepted",
    chain: [leaf(deep[1]), ...deep.slice(1)],
    anchors: [r],
    expected: ok,
  });
  add({
    name: "x509-limbo rfc5280::chain-untrusted-root",
    chain: [leaf(unrelated), unrelated],
    anchors: [r],
    expected: refuse("unknown_ca", Alert.unknown_ca, /not signed by a trusted CA \(issuer: CN=Unrelated/),
    programs: true,
  });
  // Many candidate issuers with the right name: the search gives up after its signature budget.
  const decoys = Array.from({ length: 70 }, () => intermediate(root({ commonName: "Decoy Root" })));
  add({
    name: "path building: 70 decoy issuers with the issuer's name before the real one → unknown_ca (bounded work)",
    chain: [leaf(ica), ...decoys, ica],
    anchors: [r],
    expected: refuse("unknown_ca", Alert.unknown_ca, /not signed by a trusted CA/),
  });
  add({
    name: "path building: the real issuer first, then the 70 decoys → accepted",
    chain: [leaf(ica), ica, ...decoys],
    anchors: [r],
    expected: ok,
  });
  const noSubjectIca = intermediate(r, { emptySubject: true });
  add({
    name: "x509-limbo rfc5280::ca-empty-subject (its leaf then names an empty issuer)",
    chain: [leaf(noSubjectIca), noSubjectIca],
    anchors: [r],
    expected: refuse("empty_name", Alert.bad_certificate, /peer certificate .* has an empty issuer name/),
  });
  const duplicateSan = leaf(r, {
    extraExtensions: [{
      oid: "2.5.29.17",
      critical: false,
      value: tlv(0x30, tlv(0x82, new TextEncoder().encode("localhost"))),
    }],
  });
  add({
    name: "x509-limbo rfc5280::duplicate-extensions (§4.2: one instance of each extension)",
    chain: [duplicateSan],
    anchors: [r],
    expected: refuse(
      "unparsable",
      Alert.bad_certificate,
      /could not be parsed \(extension 2\.5\.29\.17 appears twice\)/,
    ),
  });
  return cases;
}
