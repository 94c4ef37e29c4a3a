/**
 * The shared handshake codec (lib/protocol/): messages decoded once into
 * typed values, unknown extensions kept raw and in order, encoders that
 * give back the bytes they were decoded from.
 */

import assert from "node:assert/strict";
import { Alert } from "../lib/ssl/alerts.ts";
import { ExtensionType, HRR_RANDOM } from "../lib/protocol/constants.ts";
import {
  encodeAlpn,
  encodeCertificate,
  encodeClientHello,
  encodeClientKeyShares,
  encodeExtensions,
  encodeOfferedPsks,
  encodeServerHello,
  encodeServerKeyShare,
  encodeServerName,
  encodeSupportedVersions,
  encodeU16,
  encodeU16List,
  encodeU8List,
  type Extension,
  handshakeMessage,
  parseCertificate,
  parseClientHello,
  parseEncryptedExtensions,
  parseServerHello,
} from "../lib/protocol/messages.ts";
import { parseClientHelloVersions } from "../lib/protocol/probe.ts";
import { RecordWriter } from "../lib/engines/tls13/record.ts";
import { throwsAlert } from "./fixtures/tls13/helpers.ts";

const bytes = (...b: number[]) => new Uint8Array(b);
const share = new Uint8Array(32).fill(9);

function hello(extensions: Extension[], cipherSuites = [0x1301, 0xc02f, 0x00ff]) {
  return encodeClientHello({
    legacyVersion: 0x0303,
    random: new Uint8Array(32).fill(1),
    sessionId: new Uint8Array(32).fill(2),
    cipherSuites,
    compressionMethods: bytes(0),
    extensions,
  });
}

const everything: Extension[] = [
  { type: 0x1a1a, data: bytes() }, // GREASE
  { type: ExtensionType.server_name, data: encodeServerName("example.com") },
  { type: ExtensionType.extended_master_secret, data: bytes() },
  { type: ExtensionType.renegotiation_info, data: bytes(0) },
  { type: ExtensionType.supported_groups, data: encodeU16List([0x001d, 0x0017]) },
  { type: ExtensionType.ec_point_formats, data: encodeU8List([0]) },
  { type: ExtensionType.session_ticket, data: bytes() },
  { type: ExtensionType.alpn, data: encodeAlpn(["h2", "http/1.1"]) },
  { type: ExtensionType.status_request, data: bytes(1, 0, 0, 0, 0) },
  { type: ExtensionType.signature_algorithms, data: encodeU16List([0x0403, 0x0804]) },
  { type: ExtensionType.signature_algorithms_cert, data: encodeU16List([0x0401]) },
  { type: 0x4469, data: bytes(0, 3, 2, 104, 50) }, // an extension this codec does not know
  { type: ExtensionType.key_share, data: encodeClientKeyShares([{ group: 0x001d, keyExchange: share }]) },
  { type: ExtensionType.psk_key_exchange_modes, data: encodeU8List([1]) },
  { type: ExtensionType.supported_versions, data: encodeSupportedVersions([0x0304, 0x0303]) },
  { type: ExtensionType.cookie, data: bytes(0, 2, 7, 7) },
  { type: ExtensionType.early_data, data: bytes() },
  { type: ExtensionType.post_handshake_auth, data: bytes() },
  { type: ExtensionType.padding, data: new Uint8Array(5) },
  {
    type: ExtensionType.pre_shared_key,
    data: encodeOfferedPsks({
      identities: [{ identity: bytes(1, 2, 3), obfuscatedTicketAge: 77 }],
      binders: [new Uint8Array(32).fill(3)],
    }),
  },
];

Deno.test("parseClientHello: known extensions become typed fields, every extension stays raw and in order", () => {
  const body = hello(everything);
  const ch = parseClientHello(body);
  assert.deepEqual(ch.cipherSuites, [0x1301, 0xc02f, 0x00ff]); // legacy suites and SCSVs kept
  assert.deepEqual([...ch.compressionMethods], [0]);
  assert.equal(ch.serverName, "example.com");
  assert.equal(ch.extendedMasterSecret, true);
  assert.deepEqual([...(ch.renegotiationInfo ?? [9])], []);
  assert.deepEqual(ch.supportedGroups, [0x001d, 0x0017]);
  assert.deepEqual(ch.ecPointFormats, [0]);
  assert.deepEqual([...(ch.sessionTicket ?? [9])], []);
  assert.deepEqual(ch.alpn, ["h2", "http/1.1"]);
  assert.equal(ch.statusRequest?.statusType, 1);
  assert.deepEqual(ch.signatureAlgorithms, [0x0403, 0x0804]);
  assert.deepEqual(ch.signatureAlgorithmsCert, [0x0401]);
  assert.deepEqual(ch.keyShares?.map((k) => [k.group, [...k.keyExchange]]), [[0x001d, [...share]]]);
  assert.deepEqual(ch.pskKeyExchangeModes, [1]);
  assert.deepEqual(ch.supportedVersions, [0x0304, 0x0303]);
  assert.deepEqual([...(ch.cookie ?? [])], [7, 7]);
  assert.equal(ch.earlyData, true);
  assert.equal(ch.postHandshakeAuth, true);
  assert.deepEqual(ch.preSharedKey?.identities.map((i) => [[...i.identity], i.obfuscatedTicketAge]), [[[1, 2, 3], 77]]);
  assert.deepEqual(ch.extensions.map((e) => e.type), everything.map((e) => e.type));
  // Encoding the decoded value gives back the same bytes.
  assert.deepEqual(encodeClientHello(ch), body);
});

Deno.test("parseClientHello: a hello without extensions has none, and no flags set", () => {
  const ch = parseClientHello(hello([]));
  assert.deepEqual(ch.extensions, []);
  assert.equal(ch.supportedVersions, undefined);
  assert.equal(ch.extendedMasterSecret || ch.earlyData || ch.postHandshakeAuth, false);
});

Deno.test("RFC 8446 §4.2: a malformed known ClientHello extension is decode_error", () => {
  const bad: Extension[] = [
    { type: ExtensionType.extended_master_secret, data: bytes(0) }, // RFC 7627: empty
    { type: ExtensionType.early_data, data: bytes(0) },
    { type: ExtensionType.supported_groups, data: bytes(0, 3, 0, 0x1d, 0) },
    { type: ExtensionType.supported_groups, data: bytes(0, 0) },
    { type: ExtensionType.ec_point_formats, data: bytes(0) },
    { type: ExtensionType.psk_key_exchange_modes, data: bytes(0) },
    { type: ExtensionType.cookie, data: bytes(0, 0) },
    { type: ExtensionType.renegotiation_info, data: bytes(2, 0) },
    { type: ExtensionType.key_share, data: bytes(0, 4, 0, 0x1d, 0, 0) }, // an empty share
    { type: ExtensionType.alpn, data: bytes(0, 0) },
    { type: ExtensionType.server_name, data: bytes(0, 0) },
    { type: ExtensionType.status_request, data: bytes() },
    { type: ExtensionType.supported_versions, data: bytes(3, 3, 4, 3) },
    {
      type: ExtensionType.pre_shared_key, // a binder shorter than 32 bytes
      data: encodeOfferedPsks({ identities: [{ identity: bytes(1), obfuscatedTicketAge: 0 }], binders: [bytes(1)] }),
    },
  ];
  for (const e of bad) {
    throwsAlert(() => parseClientHello(hello([e])), Alert.decode_error);
  }
});

Deno.test("RFC 8446 §4.2.8: a client key_share naming one group twice is illegal_parameter", () => {
  const twice = encodeClientKeyShares([{ group: 0x1d, keyExchange: share }, { group: 0x1d, keyExchange: share }]);
  throwsAlert(() => parseClientHello(hello([{ type: ExtensionType.key_share, data: twice }])), Alert.illegal_parameter);
});

Deno.test("the ClientHello probe reads only framing and supported_versions: other extensions are the engine's to judge", () => {
  const body = hello([
    { type: ExtensionType.supported_groups, data: bytes(0, 3, 0, 0x1d, 0) }, // malformed
    { type: ExtensionType.supported_versions, data: encodeSupportedVersions([0x0303]) },
  ]);
  const record = new RecordWriter().seal(22, handshakeMessage(1, body), 0x0301);
  assert.deepEqual(parseClientHelloVersions(record), {
    complete: true,
    offersTls13: false,
    offersTls12: true,
    malformed: false,
    legacyVersion: 0x0303,
  });
});

Deno.test("RFC 8446 §4.1.3: parseServerHello tells a HelloRetryRequest apart and types each key_share shape", () => {
  const base = { legacyVersion: 0x0303, sessionId: bytes(), cipherSuite: 0x1301, compressionMethod: 0 };
  const sh = parseServerHello(encodeServerHello({
    ...base,
    random: new Uint8Array(32).fill(4),
    extensions: [
      { type: ExtensionType.key_share, data: encodeServerKeyShare({ group: 0x1d, keyExchange: share }) },
      { type: ExtensionType.supported_versions, data: encodeU16(0x0304) },
    ],
  }));
  assert.equal(sh.isHelloRetryRequest, false);
  assert.equal(sh.supportedVersion, 0x0304);
  assert.equal(sh.keyShare?.group, 0x1d);
  const hrr = parseServerHello(encodeServerHello({
    ...base,
    random: HRR_RANDOM,
    extensions: [
      { type: ExtensionType.supported_versions, data: encodeU16(0x0304) },
      { type: ExtensionType.key_share, data: encodeU16(0x17) },
      { type: ExtensionType.cookie, data: bytes(0, 1, 5) },
    ],
  }));
  assert.equal(hrr.isHelloRetryRequest, true);
  assert.equal(hrr.selectedGroup, 0x17);
  assert.equal(hrr.keyShare, undefined);
  assert.deepEqual([...(hrr.cookie ?? [])], [5]);
});

Deno.test("RFC 5246 §7.4.1.4: a TLS 1.2 ServerHello's extended_master_secret, renegotiation_info, ec_point_formats are typed", () => {
  const sh = parseServerHello(encodeServerHello({
    legacyVersion: 0x0303,
    random: new Uint8Array(32).fill(4),
    sessionId: new Uint8Array(32),
    cipherSuite: 0xc02f,
    compressionMethod: 0,
    extensions: [
      { type: ExtensionType.renegotiation_info, data: bytes(0) },
      { type: ExtensionType.extended_master_secret, data: bytes() },
      { type: ExtensionType.ec_point_formats, data: encodeU8List([0]) },
      { type: ExtensionType.alpn, data: encodeAlpn(["http/1.1"]) },
    ],
  }));
  assert.equal(sh.supportedVersion, undefined);
  assert.equal(sh.extendedMasterSecret, true);
  assert.deepEqual([...(sh.renegotiationInfo ?? [9])], []);
  assert.deepEqual(sh.ecPointFormats, [0]);
  assert.deepEqual(sh.alpn, ["http/1.1"]);
});

Deno.test("RFC 6066 §3: server_name in EncryptedExtensions is an empty acknowledgement; anything else is decode_error", () => {
  const ok = parseEncryptedExtensions(encodeExtensions([
    { type: ExtensionType.server_name, data: bytes() },
    { type: ExtensionType.alpn, data: encodeAlpn(["h2"]) },
  ]));
  assert.equal(ok.serverNameAcknowledged, true);
  assert.deepEqual(ok.alpn, ["h2"]);
  throwsAlert(
    () => parseEncryptedExtensions(encodeExtensions([{ type: ExtensionType.server_name, data: bytes(0, 0) }])),
    Alert.decode_error,
  );
});

Deno.test("RFC 8446 §4.4.2: Certificate entries keep their extensions", () => {
  const der = bytes(0x30, 1, 2);
  // context, certificate_list<3 bytes>, one entry: cert_data<3 bytes>, extensions: status_request [9]
  const entry = [0, 0, der.length, ...der, 0, 5, 0, 5, 0, 1, 9];
  const body = new Uint8Array([0, 0, 0, entry.length, ...entry]);
  const msg = parseCertificate(body);
  assert.deepEqual(msg.certificates, [der]);
  assert.deepEqual(msg.entries[0].extensions, [{ type: 5, data: bytes(9) }]);
  assert.deepEqual(parseCertificate(encodeCertificate(bytes(), [der])).entries[0].extensions, []);
});
