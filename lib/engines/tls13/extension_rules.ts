/**
 * Which extensions a TLS 1.3 server may send where (RFC 8446 §4.2, the table
 * of messages each extension may appear in), checked by the client.
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
