/**
 * The pieces under the case table: the strict DER reader, IP address
 * parsing, RFC 9525 name matching and name-constraint subtrees.
 */
import assert from "node:assert/strict";
import { DerError, DerReader, generalNameForm, readBitString, readTime, Tag } from "../lib/pki/der.ts";
import { dnsNameMatches, parseIp, referenceIdentity } from "../lib/pki/names.ts";
import { dnsWithin, parseNameConstraints } from "../lib/pki/name_constraints.ts";
import { rdnKey } from "../lib/pki/directory_names.ts";

const ascii = (tag: number, text: string) => ({ tag, bytes: new Uint8Array(), value: new TextEncoder().encode(text) });

Deno.test("X.690 §10.1: DER lengths are definite and minimal", () => {
  assert.equal(new DerReader(new Uint8Array([0x04, 0x01, 0xaa])).read().value.length, 1);
  assert.throws(() => new DerReader(new Uint8Array([0x04, 0x81, 0x01, 0xaa])).read(), DerError); // long form for 1
  assert.throws(() => new DerReader(new Uint8Array([0x30, 0x80, 0x00, 0x00])).read(), DerError); // indefinite
  assert.throws(() => new DerReader(new Uint8Array([0x04, 0x05, 0xaa])).read(), DerError); // truncated
});

Deno.test("RFC 5280 §4.1.2.5: times are UTCTime/GeneralizedTime with seconds and Z, nothing else", () => {
  assert.equal(readTime(ascii(Tag.UTCTime, "491231235959Z")), Date.UTC(2049, 11, 31, 23, 59, 59));
  assert.equal(readTime(ascii(Tag.UTCTime, "500101000000Z")), Date.UTC(1950, 0, 1));
  assert.equal(readTime(ascii(Tag.GeneralizedTime, "20500101000000Z")), Date.UTC(2050, 0, 1));
  for (const bad of ["491231235959", "4912312359Z", "491231235959+0100", "491332000000Z", "490230000000Z"]) {
    assert.throws(() => readTime(ascii(Tag.UTCTime, bad)), DerError, bad);
  }
  // x509-limbo rfc5280::validity::notbefore-fractional: fractional seconds are not DER for certificates.
  assert.throws(() => readTime(ascii(Tag.GeneralizedTime, "20500101000000.5Z")), DerError);
});

Deno.test("IP literals: dotted quads and RFC 4291 §2.2 IPv6 forms; 127.1 and leading zeros are not addresses", () => {
  assert.deepEqual(parseIp("127.0.0.1"), new Uint8Array([127, 0, 0, 1]));
  assert.deepEqual(parseIp("::1"), new Uint8Array([...new Array(15).fill(0), 1]));
  assert.deepEqual(parseIp("0:0:0:0:0:0:0:1"), parseIp("::1"));
  assert.deepEqual(parseIp("::ffff:10.0.0.1"), new Uint8Array([...new Array(10).fill(0), 0xff, 0xff, 10, 0, 0, 1]));
  assert.deepEqual(parseIp("FD00::1"), parseIp("fd00:0::1"));
  for (const bad of ["127.1", "010.0.0.1", "256.0.0.1", "1::2::3", "1:2:3:4:5:6:7:8:9", "fe80::1%eth0", ":::"]) {
    assert.equal(parseIp(bad), undefined, bad);
  }
});

Deno.test("RFC 9525 §6.3: reference identities are normalised; wildcards are one whole leftmost label", () => {
  assert.deepEqual(referenceIdentity("WWW.Example.TEST."), { kind: "dns", name: "www.example.test" });
  assert.deepEqual(referenceIdentity("bücher.example"), { kind: "dns", name: "xn--bcher-kva.example" });
  assert.equal(referenceIdentity("foo_bar.example"), undefined);
  assert.equal(referenceIdentity("127.1"), undefined);
  assert.equal(dnsNameMatches("*.example.test", "www.example.test"), true);
  assert.equal(dnsNameMatches("*.EXAMPLE.test.", "www.example.test"), true);
  for (
    const [pattern, host] of [
      ["*.example.test", "example.test"],
      ["*.example.test", "a.b.example.test"],
      ["f*o.example.test", "foo.example.test"],
      ["*oo.example.test", "foo.example.test"],
      ["*.test", "example.test"],
      ["*", "localhost"],
      ["www.*.test", "www.example.test"],
    ]
  ) {
    assert.equal(dnsNameMatches(pattern, host), false, `${pattern} ~ ${host}`);
  }
});

Deno.test("RFC 5280 §4.2.1.10: a DNS subtree covers the name and names below it, on label boundaries", () => {
  assert.equal(dnsWithin("example.test", "example.test"), true);
  assert.equal(dnsWithin("a.b.example.test", "example.test"), true);
  assert.equal(dnsWithin("badexample.test", "example.test"), false);
  assert.equal(dnsWithin("anything.test", ""), true);
});

Deno.test("X.690 §11.2.1: a DER BIT STRING's unused bits are zero", () => {
  const bits = (...b: number[]) => new DerReader(new Uint8Array([0x03, b.length, ...b])).read();
  assert.deepEqual(readBitString(bits(0x07, 0x80)), { bits: new Uint8Array([0x80]), unused: 7 });
  assert.deepEqual(readBitString(bits(0x00)), { bits: new Uint8Array(), unused: 0 });
  assert.throws(() => readBitString(bits(0x01, 0x81)), DerError); // keyUsage bit 7 set in the unused part
  assert.throws(() => readBitString(bits(0x07, 0xff)), DerError);
  assert.throws(() => readBitString(bits(0x08, 0x00)), DerError);
});

Deno.test("RFC 5280 §4.1.2.5.2: GeneralizedTime years below 100 are those years, not 19xx", () => {
  const t = readTime(ascii(Tag.GeneralizedTime, "00500101000000Z"));
  assert.equal(new Date(t).getUTCFullYear(), 50);
  assert.equal(readTime(ascii(Tag.GeneralizedTime, "19500101000000Z")), Date.UTC(1950, 0, 1));
  assert.ok(readTime(ascii(Tag.GeneralizedTime, "00991231235959Z")) < Date.UTC(1900, 0, 1));
});

Deno.test("RFC 5280 §4.2.1.10: a dNSName subtree written as a constructed [2] is refused, not skipped as another form", () => {
  const der = (...b: number[]) => new Uint8Array(b);
  const name = [...new TextEncoder().encode("example.test")];
  const constraints = (tag: number) => {
    const subtree = [0x30, name.length + 2, tag, name.length, ...name];
    return new DerReader(der(0x30, subtree.length + 2, 0xa0, subtree.length, ...subtree)).read(Tag.SEQUENCE);
  };
  assert.deepEqual(parseNameConstraints(constraints(0x82)).permitted?.dns, ["example.test"]);
  assert.throws(() => parseNameConstraints(constraints(0xa2)), DerError);
  assert.throws(() => parseNameConstraints(constraints(0x87)), DerError); // iPAddress of 12 bytes
  assert.throws(() => parseNameConstraints(constraints(0x84)), DerError); // directoryName is constructed
  assert.equal(generalNameForm(0x82), 2);
  assert.equal(generalNameForm(0xa4), 4);
  assert.throws(() => generalNameForm(0xa7), DerError);
  assert.throws(() => generalNameForm(0x89), DerError);
});

Deno.test("RFC 5280 §7.1 / RFC 4518: RDNs compare after case folding, space folding and across string types", () => {
  const der = (tag: number, bytes: number[], oid = [0x55, 0x04, 0x0a]) => {
    const atv = [0x06, oid.length, ...oid, tag, bytes.length, ...bytes];
    return new Uint8Array([0x31, atv.length + 2, 0x30, atv.length, ...atv]);
  };
  const text = (s: string) => [...new TextEncoder().encode(s)];
  const bmp = (s: string) => [...s].flatMap((c) => [c.charCodeAt(0) >> 8, c.charCodeAt(0) & 0xff]);
  const key = rdnKey(der(Tag.UTF8String, text("Example Org")));
  assert.equal(rdnKey(der(Tag.PrintableString, text("  EXAMPLE   org "))), key);
  assert.equal(rdnKey(der(Tag.BMPString, bmp("example ORG"))), key);
  assert.notEqual(rdnKey(der(Tag.UTF8String, text("Example Org"), [0x55, 0x04, 0x03])), key); // CN, not O
  assert.notEqual(rdnKey(der(Tag.UTF8String, text("ExampleOrg"))), key);
  assert.throws(() => rdnKey(der(Tag.UTF8String, [0xc0, 0x80])), DerError); // not UTF-8
  assert.throws(() => rdnKey(der(Tag.BMPString, [0x00])), DerError);
});
