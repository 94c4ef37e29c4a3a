/**
 * Which extensions may appear in which TLS 1.3 message (RFC 8446 §4.2, the
 * table of messages each extension may appear in): what a server sends,
 * checked by the client, and the ClientHello, checked by the server.
 *
 * @module
 */

import { Alert, TlsError } from "../../ssl/alerts.ts";
import { ExtensionType } from "../../protocol/constants.ts";
import type { Extension } from "../../protocol/messages.ts";

/** Extensions a ServerHello may carry. */
export const SERVER_HELLO_EXTENSIONS: ReadonlySet<number> = new Set([
  ExtensionType.key_share,
  ExtensionType.supported_versions,
]);

/** Extensions a HelloRetryRequest may carry. */
export const HELLO_RETRY_REQUEST_EXTENSIONS: ReadonlySet<number> = new Set([
  ExtensionType.key_share,
  ExtensionType.supported_versions,
  ExtensionType.cookie,
]);

/** Extensions a CertificateEntry from the server may carry (RFC 8446 §4.4.2). */
export const CERTIFICATE_ENTRY_EXTENSIONS: ReadonlySet<number> = new Set([
  ExtensionType.status_request,
  ExtensionType.signed_certificate_timestamp,
]);

/** Extensions EncryptedExtensions may carry. */
export const ENCRYPTED_EXTENSIONS: ReadonlySet<number> = new Set([
  ExtensionType.server_name,
  ExtensionType.max_fragment_length,
  ExtensionType.supported_groups,
  ExtensionType.use_srtp,
  ExtensionType.heartbeat,
  ExtensionType.alpn,
  ExtensionType.client_certificate_type,
  ExtensionType.server_certificate_type,
  ExtensionType.early_data,
  ExtensionType.record_size_limit,
]);

/** Extensions a CertificateRequest may carry (RFC 8446 §4.3.2). */
export const CERTIFICATE_REQUEST_EXTENSIONS: ReadonlySet<number> = new Set([
  ExtensionType.status_request,
  ExtensionType.signature_algorithms,
  ExtensionType.signed_certificate_timestamp,
  ExtensionType.certificate_authorities,
  ExtensionType.oid_filters,
  ExtensionType.signature_algorithms_cert,
]);

/** Extensions a NewSessionTicket may carry (RFC 8446 §4.6.1). */
export const NEW_SESSION_TICKET_EXTENSIONS: ReadonlySet<number> = new Set([ExtensionType.early_data]);

/**
 * The extensions the table of RFC 8446 §4.2 places in TLS 1.3 messages:
 * the ones whose placement is checked. Others (unknown, GREASE, TLS 1.2
 * only) are ignored where the receiver may ignore them (RFC 8446 §4.2, §9.3).
 */
const PLACED_EXTENSIONS: ReadonlySet<number> = new Set([
  ExtensionType.server_name,
  ExtensionType.max_fragment_length,
  ExtensionType.status_request,
  ExtensionType.supported_groups,
  ExtensionType.signature_algorithms,
  ExtensionType.use_srtp,
  ExtensionType.heartbeat,
  ExtensionType.alpn,
  ExtensionType.signed_certificate_timestamp,
  ExtensionType.client_certificate_type,
  ExtensionType.server_certificate_type,
  ExtensionType.padding,
  ExtensionType.pre_shared_key,
  ExtensionType.early_data,
  ExtensionType.supported_versions,
  ExtensionType.cookie,
  ExtensionType.psk_key_exchange_modes,
  ExtensionType.certificate_authorities,
  ExtensionType.oid_filters,
  ExtensionType.post_handshake_auth,
  ExtensionType.signature_algorithms_cert,
  ExtensionType.key_share,
]);

/** Extensions a ClientHello may carry: every one of the table but oid_filters. */
export const CLIENT_HELLO_EXTENSIONS: ReadonlySet<number> = new Set(
  [...PLACED_EXTENSIONS].filter((t) => t !== ExtensionType.oid_filters),
);

/**
 * In messages whose unknown extensions are ignored (ClientHello,
 * CertificateRequest, NewSessionTicket), a known extension outside the
 * message's column of the RFC 8446 §4.2 table is illegal_parameter.
 */
export function checkPlacement(exts: readonly Extension[], allowed: ReadonlySet<number>, what: string): void {
  for (const e of exts) {
    if (PLACED_EXTENSIONS.has(e.type) && !allowed.has(e.type)) {
      throw new TlsError(Alert.illegal_parameter, `extension ${e.type} not allowed in ${what}`);
    }
  }
}

/**
 * A server may answer only extensions the client offered
 * (unsupported_extension), and only in the messages RFC 8446 §4.2 allows
 * (illegal_parameter).
 */
export function checkAnswered(
  exts: readonly Extension[],
  offered: ReadonlySet<number>,
  allowed: ReadonlySet<number>,
  what: string,
): void {
  for (const e of exts) {
    if (!offered.has(e.type)) {
      throw new TlsError(Alert.unsupported_extension, `unsolicited extension ${e.type} in ${what}`);
    }
    if (!allowed.has(e.type)) {
      throw new TlsError(Alert.illegal_parameter, `extension ${e.type} not allowed in ${what}`);
    }
  }
}
