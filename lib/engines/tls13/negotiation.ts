/**
 * What a TLS 1.3 server decides from a ClientHello, as pure functions of the
 * decoded hello and the server's policy: version, suite, signature scheme,
 * key exchange (or a HelloRetryRequest), SNI, ALPN (RFC 8446 §4.1.1); and
 * whether a second ClientHello differs from the first only as RFC 8446
 * §4.1.2 permits.
 *
 * @module
 */

import { Alert, TlsError } from "../../ssl/alerts.ts";
import { equalBytes } from "../../protocol/bytes.ts";
import { type CipherSuiteInfo, extensionName, ExtensionType, Version } from "../../protocol/constants.ts";
import type { ClientHello, Extension } from "../../protocol/messages.ts";
import type { SigningKey } from "../../crypto/provider.ts";
import { type GroupSelection, selectGroup } from "./group_policy.ts";
import { chooseScheme } from "./context.ts";
import { checkPlacement, CLIENT_HELLO_EXTENSIONS } from "./extension_rules.ts";

/** The server's side of the negotiation. */
export interface ServerPolicy {
  /** Cipher suites, in our preference order. */
  readonly suites: readonly CipherSuiteInfo[];
  /** Key exchange groups, in our preference order. */
  readonly groups: readonly number[];
  /** ALPN protocols, in our preference order; none means ALPN is not negotiated. */
  readonly alpnProtocols?: readonly string[];
  /** The key our CertificateVerify is signed with. */
  readonly key: SigningKey;
}

/** The parameters agreed with a client. */
export interface Agreed {
  suite: CipherSuiteInfo;
  /** The scheme our CertificateVerify uses. */
  scheme: number;
  /** The client's SNI host name, acknowledged in EncryptedExtensions. */
  serverName?: string;
  alpn?: string;
}

/**
 * The outcome: either a usable key share of the client's, or the group a
 * HelloRetryRequest must ask for.
 */
export type Negotiation = Agreed & GroupSelection;

/**
 * Chooses the connection's parameters, or refuses the hello with the alert
 * RFC 8446 names.
 */
export function negotiate(ch: ClientHello, policy: ServerPolicy): Negotiation {
  // RFC 8446 §4.1.2 fixes legacy_version at 0x0303; SSL 3.0 and below is refused outright (§D.5).
  if (ch.legacyVersion < Version.TLS12) {
    const v = ch.legacyVersion.toString(16).padStart(4, "0");
    throw new TlsError(Alert.protocol_version, `ClientHello legacy_version 0x${v} is below 0x0303`);
  }
  if (!ch.supportedVersions?.includes(Version.TLS13)) {
    throw new TlsError(Alert.protocol_version, "client does not offer TLS 1.3");
  }
  checkPlacement(ch.extensions, CLIENT_HELLO_EXTENSIONS, "ClientHello");
  // RFC 8446 §4.2.9, §9.2: a PSK offer names its key exchange modes, even to a server that ignores the PSK.
  if (ch.preSharedKey && !ch.pskKeyExchangeModes) {
    throw new TlsError(Alert.missing_extension, "ClientHello offers pre_shared_key without psk_key_exchange_modes");
  }
  if (ch.compressionMethods.length !== 1 || ch.compressionMethods[0] !== 0) {
    throw new TlsError(Alert.illegal_parameter, "TLS 1.3 ClientHello must offer only null compression");
  }
  const suite = policy.suites.find((s) => ch.cipherSuites.includes(s.id));
  if (!suite) throw new TlsError(Alert.handshake_failure, "no cipher suite in common");

  if (!ch.signatureAlgorithms) throw new TlsError(Alert.missing_extension, "ClientHello without signature_algorithms");
  const scheme = chooseScheme(ch.signatureAlgorithms, policy.key);
  if (scheme === undefined) throw new TlsError(Alert.handshake_failure, "no signature scheme in common with our key");

  const clientGroups = ch.supportedGroups, shares = ch.keyShares;
  if (!clientGroups || !shares) {
    throw new TlsError(Alert.missing_extension, "ClientHello without supported_groups or key_share");
  }
  const keyExchange = selectGroup(policy.groups, clientGroups, shares);
  return { suite, scheme, serverName: ch.serverName, alpn: chooseAlpn(ch, policy), ...keyExchange };
}

function chooseAlpn(ch: ClientHello, policy: ServerPolicy): string | undefined {
  if (!ch.alpn || !policy.alpnProtocols?.length) return undefined;
  const offered = ch.alpn;
  const alpn = policy.alpnProtocols.find((p) => offered.includes(p));
  if (!alpn) throw new TlsError(Alert.no_application_protocol, "no ALPN protocol in common");
  return alpn;
}

/** What a HelloRetryRequest asked the client to change. */
export interface RetryRequest {
  /** The group of the single key share the second ClientHello must carry. */
  group?: number;
  /** The cookie the second ClientHello must echo. */
  cookie?: Uint8Array;
}

/** Extensions whose changes are checked one by one rather than byte for byte. */
const MAY_CHANGE = new Set<number>([
  ExtensionType.padding,
  ExtensionType.early_data,
  ExtensionType.cookie,
  ExtensionType.pre_shared_key,
]);

/**
 * Refuses (illegal_parameter) a second ClientHello that differs from the
 * first in anything but what RFC 8446 §4.1.2 permits: key_share replaced
 * by one share of the requested group, early_data removed, the
 * HelloRetryRequest's cookie added, pre_shared_key updated (identities kept
 * in order or dropped, ages and binders recomputed) or removed, padding
 * added, removed or resized. Every other field and extension, and the
 * order of the extensions, must be the same.
 */
export function checkRetriedClientHello(first: ClientHello, second: ClientHello, retry: RetryRequest): void {
  const refuse = (what: string): never => {
    throw new TlsError(Alert.illegal_parameter, `second ClientHello ${what} (RFC 8446 §4.1.2)`);
  };
  if (second.legacyVersion !== first.legacyVersion) refuse("changed legacy_version");
  if (!equalBytes(second.random, first.random)) refuse("changed random");
  if (!equalBytes(second.sessionId, first.sessionId)) refuse("changed legacy_session_id");
  if (!sameList(second.cipherSuites, first.cipherSuites)) refuse("changed cipher_suites");
  if (!equalBytes(second.compressionMethods, first.compressionMethods)) refuse("changed compression methods");

  // RFC 8446 §4.2.10: early data is never offered after a HelloRetryRequest.
  if (second.earlyData) refuse("still offers early_data");
  const cookie = retry.cookie ?? first.cookie;
  if (!sameOptionalBytes(second.cookie, cookie)) {
    refuse(retry.cookie ? "does not echo the cookie" : "changed or added a cookie");
  }
  if (second.preSharedKey) {
    const before = first.preSharedKey?.identities.map((i) => i.identity) ?? [];
    const after = second.preSharedKey.identities.map((i) => i.identity);
    if (!isSubsequence(after, before)) refuse("offers a PSK identity the first did not");
  }

  const kept1 = first.extensions.filter((e) => !MAY_CHANGE.has(e.type));
  const kept2 = second.extensions.filter((e) => !MAY_CHANGE.has(e.type));
  const n = Math.max(kept1.length, kept2.length);
  for (let i = 0; i < n; i++) {
    const a: Extension | undefined = kept1[i], b: Extension | undefined = kept2[i];
    if (!a || !b || a.type !== b.type) {
      const at = b ?? a;
      return refuse(`has different extensions, or in another order, from ${at ? extensionName(at.type) : "here"} on`);
    }
    if (b.type === ExtensionType.key_share && retry.group !== undefined) {
      const shares = second.keyShares ?? [];
      if (shares.length !== 1 || shares[0].group !== retry.group) refuse("lacks the requested key share");
    } else if (!equalBytes(a.data, b.data)) {
      refuse(`changed ${extensionName(b.type)}`);
    }
  }
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function sameOptionalBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  return a === undefined || b === undefined ? a === b : equalBytes(a, b);
}

/** Whether `sub` is `full` with some entries left out, order kept. */
function isSubsequence(sub: readonly Uint8Array[], full: readonly Uint8Array[]): boolean {
  let at = 0;
  for (const item of sub) {
    while (at < full.length && !equalBytes(full[at], item)) at++;
    if (at === full.length) return false;
    at++;
  }
  return true;
}
