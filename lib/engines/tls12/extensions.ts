/**
 * Checks of the TLS 1.2 extensions both roles read (decoded by the shared
 * codec, lib/protocol/client_hello.ts and server_hello.ts).
 *
 * @module
 */

import { Alert, TlsError } from "../../ssl/alerts.ts";

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
