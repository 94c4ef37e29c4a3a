/**
 * Checks of the TLS 1.2 extensions both roles read (decoded by the shared
 * codec, lib/protocol/client_hello.ts and server_hello.ts).
 *
 * @module
 */

import { Alert, TlsError } from "../../ssl/alerts.ts";
import { ExtensionType } from "../../protocol/constants.ts";
import type { Extension } from "../../protocol/messages.ts";

/** renegotiation_info with an empty renegotiated_connection (RFC 5746 §3.2), as sent in an initial handshake. */
export const RENEGOTIATION_INFO_EMPTY: Uint8Array = new Uint8Array([0]);

/**
 * RFC 5746 §3.4/§3.6: in an initial handshake renegotiated_connection must
 * be empty; anything else is handshake_failure.
 */
export function checkRenegotiationInfo(renegotiatedConnection: Uint8Array): void {
  if (renegotiatedConnection.length !== 0) {
    throw new TlsError(Alert.handshake_failure, "renegotiation_info is not empty in an initial handshake");
  }
}

/**
 * RFC 8422 §5.1.2: ec_point_formats must list uncompressed (0).
 */
export function checkPointFormats(formats: readonly number[]): void {
  if (!formats.includes(0)) throw new TlsError(Alert.illegal_parameter, "peer does not accept uncompressed EC points");
}

/**
 * Extensions a TLS 1.3 ClientHello offers that no TLS 1.2 ServerHello may
 * answer: the TLS 1.3 handshake's own (RFC 8446 §4.2 table) and
 * signature_algorithms, which a server never sends (RFC 5246 §7.4.1.4.1).
 */
const NOT_IN_TLS12_SERVER_HELLO: ReadonlySet<number> = new Set([
  ExtensionType.signature_algorithms,
  ExtensionType.pre_shared_key,
  ExtensionType.early_data,
  ExtensionType.cookie,
  ExtensionType.psk_key_exchange_modes,
  ExtensionType.certificate_authorities,
  ExtensionType.oid_filters,
  ExtensionType.post_handshake_auth,
  ExtensionType.signature_algorithms_cert,
  ExtensionType.key_share,
]);

/**
 * A TLS 1.2 ServerHello answering with a TLS 1.3-only extension is
 * illegal_parameter (as OpenSSL judges it), not silently ignored.
 */
export function checkTls12ServerHelloExtensions(exts: readonly Extension[]): void {
  for (const e of exts) {
    if (NOT_IN_TLS12_SERVER_HELLO.has(e.type)) {
      throw new TlsError(Alert.illegal_parameter, `extension ${e.type} not allowed in a TLS 1.2 ServerHello`);
    }
  }
}
