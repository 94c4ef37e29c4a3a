/**
 * The server's negotiation as pure policy (lib/engines/tls13/negotiation.ts):
 * a decoded ClientHello and the server's preferences in, the parameters or
 * the RFC 8446 alert out, with no engine, transcript or I/O involved.
 */

import assert from "node:assert/strict";
import { Alert } from "../lib/ssl/alerts.ts";
import { CIPHER_SUITES, ExtensionType, Group, SignatureScheme } from "../lib/protocol/constants.ts";
import {
  encodeAlpn,
  encodeClientHello,
  encodeClientKeyShares,
  encodeServerName,
  encodeSupportedVersions,
  encodeU16List,
  type Extension,
  parseClientHello,
} from "../lib/protocol/messages.ts";
import { NodeCryptoProvider } from "../lib/crypto/node_provider.ts";
import { negotiate, type ServerPolicy } from "../lib/engines/tls13/negotiation.ts";
import { testPki, throwsAlert } from "./fixtures/tls13/helpers.ts";

const share = (group: number) => ({ group, keyExchange: new Uint8Array(32).fill(group & 0xff) });
const ext = (type: number, data: Uint8Array): Extension => ({ type, data });

/** A TLS 1.3 ClientHello: x25519 share, the usual lists; `edit` changes the extensions. */
function hello(edit: (exts: Extension[]) => Extension[] = (e) => e, suites = [0x1301, 0x1302], compression = [0]) {
  const exts = [
    ext(ExtensionType.server_name, encodeServerName("example.com")),
    ext(ExtensionType.supported_groups, encodeU16List([Group.x25519, Group.secp256r1])),
    ext(ExtensionType.signature_algorithms, encodeU16List([SignatureScheme.rsa_pss_rsae_sha256])),
    ext(ExtensionType.supported_versions, encodeSupportedVersions([0x0304])),
    ext(ExtensionType.alpn, encodeAlpn(["h2", "http/1.1"])),
    ext(ExtensionType.key_share, encodeClientKeyShares([share(Group.x25519)])),
  ];
  return parseClientHello(encodeClientHello({
    legacyVersion: 0x0303,
    random: new Uint8Array(32),
    sessionId: new Uint8Array(0),
    cipherSuites: suites,
    compressionMethods: new Uint8Array(compression),
    extensions: edit(exts),
  }));
}

const replace = (e: Extension) => (exts: Extension[]) => exts.map((x) => (x.type === e.type ? e : x));
const without = (type: number) => (exts: Extension[]) => exts.filter((x) => x.type !== type);

async function policy(extra: Partial<ServerPolicy> = {}): Promise<ServerPolicy> {
  const pki = await testPki();
  return {
    suites: [0x1302, 0x1301].flatMap((id) => CIPHER_SUITES.filter((s) => s.id === id)), // AES-256 first
    groups: [Group.x25519, Group.secp256r1],
    key: new NodeCryptoProvider().loadPrivateKey(pki.rsaKey),
    ...extra,
  };
}

Deno.test("RFC 8446 §4.1.1: the server's suite order wins; the client's share, SNI and ALPN are taken", async () => {
  const n = negotiate(hello(), await policy({ alpnProtocols: ["http/1.1", "h2"] }));
  assert.equal(n.suite.id, 0x1302);
  assert.equal(n.scheme, SignatureScheme.rsa_pss_rsae_sha256);
  assert.equal(n.share?.group, Group.x25519);
  assert.equal(n.retryGroup, undefined);
  assert.equal(n.serverName, "example.com");
  assert.equal(n.alpn, "http/1.1");
  // Without ALPN configured, the client's list is not negotiated.
  assert.equal(negotiate(hello(), await policy()).alpn, undefined);
});

Deno.test("RFC 8446 §4.1.1: no share for a group we take, but a common group: a HelloRetryRequest for it", async () => {
  const n = negotiate(hello(), await policy({ groups: [Group.secp256r1] }));
  assert.equal(n.share, undefined);
  assert.equal(n.retryGroup, Group.secp256r1);
});

Deno.test("RFC 8446 §4.2.1: a ClientHello without TLS 1.3 in supported_versions is protocol_version", async () => {
  const p = await policy();
  throwsAlert(() => negotiate(hello(without(ExtensionType.supported_versions)), p), Alert.protocol_version);
  const tls12 = replace(ext(ExtensionType.supported_versions, encodeSupportedVersions([0x0303])));
  throwsAlert(() => negotiate(hello(tls12), p), Alert.protocol_version);
});

Deno.test("RFC 8446 §4.1.2: compression methods other than exactly [null] are illegal_parameter", async () => {
  const p = await policy();
  throwsAlert(() => negotiate(hello(undefined, undefined, [1, 0]), p), Alert.illegal_parameter);
});

Deno.test("RFC 8446 §4.1.1: no cipher suite, signature scheme or group in common is handshake_failure", async () => {
  const p = await policy();
  throwsAlert(() => negotiate(hello(undefined, [0x1303]), p), Alert.handshake_failure);
  const ecdsaOnly = replace(
    ext(ExtensionType.signature_algorithms, encodeU16List([SignatureScheme.ecdsa_secp256r1_sha256])),
  );
  throwsAlert(() => negotiate(hello(ecdsaOnly), p), Alert.handshake_failure);
  const p384Only = (exts: Extension[]) =>
    replace(ext(ExtensionType.supported_groups, encodeU16List([Group.secp384r1])))(
      replace(ext(ExtensionType.key_share, encodeClientKeyShares([share(Group.secp384r1)])))(exts),
    );
  throwsAlert(() => negotiate(hello(p384Only), p), Alert.handshake_failure);
});

Deno.test("RFC 8446 §9.2: a ClientHello without signature_algorithms, supported_groups or key_share is missing_extension", async () => {
  const p = await policy();
  for (const type of [ExtensionType.signature_algorithms, ExtensionType.supported_groups, ExtensionType.key_share]) {
    throwsAlert(() => negotiate(hello(without(type)), p), Alert.missing_extension);
  }
});

Deno.test("RFC 8446 §4.2.8: a key share for a group not in supported_groups is illegal_parameter", async () => {
  const stray = replace(ext(ExtensionType.key_share, encodeClientKeyShares([share(Group.secp384r1)])));
  const p = await policy();
  throwsAlert(() => negotiate(hello(stray), p), Alert.illegal_parameter);
});

Deno.test("RFC 7301 §3.2: ALPN offered with no protocol in common is no_application_protocol", async () => {
  const p = await policy({ alpnProtocols: ["spdy/3"] });
  throwsAlert(() => negotiate(hello(), p), Alert.no_application_protocol);
});
