/**
 * Which key exchange group a handshake uses, as OpenSSL 3.5 decides it by
 * default: the post-quantum hybrid is worth a round trip, a classical group
 * is not.
 *
 * - Client: offer the groups in our order, with a key share for the first,
 *   and — when the first is a hybrid — for the first classical group too, so
 *   a server without ML-KEM needs no HelloRetryRequest.
 * - Server: walk our preference; take the first group the client sent a
 *   share for, except that a hybrid group the client supports but sent no
 *   share for, and that we prefer to every share it sent, is asked for with a
 *   HelloRetryRequest. Without any usable share, ask for our most preferred
 *   group the client supports.
 *
 * Pure functions of the offers: no state, no crypto.
 *
 * @module
 */

import { Alert, TlsError } from "../../ssl/alerts.ts";
import { Group } from "../../protocol/constants.ts";
import type { KeyShareEntry } from "../../protocol/messages.ts";

/** Groups that resist a quantum computer: worth a HelloRetryRequest. */
const POST_QUANTUM: ReadonlySet<number> = new Set([Group.X25519MLKEM768]);

/**
 * Our default group order (client offer and server preference), OpenSSL 3.5's.
 */
export const DEFAULT_GROUPS: readonly string[] = ["X25519MLKEM768", "x25519", "secp256r1", "secp384r1"];

/**
 * The groups a client sends key shares for in its first ClientHello.
 */
export function clientKeyShareGroups(ours: readonly number[]): number[] {
  const [first] = ours;
  if (first === undefined) return [];
  if (!POST_QUANTUM.has(first)) return [first];
  const classical = ours.find((g) => !POST_QUANTUM.has(g));
  return classical === undefined ? [first] : [first, classical];
}

/** The server's decision: use a share the client sent, or ask for another group. */
export type GroupSelection =
  | { readonly share: KeyShareEntry; readonly retryGroup?: undefined }
  | { readonly share?: undefined; readonly retryGroup: number };

/**
 * Picks the group from a ClientHello's supported_groups and key_share
 * (RFC 8446 §4.2.7, §4.2.8). Throws `illegal_parameter` for a share of a
 * group the client did not list or two shares for one group, and
 * `handshake_failure` when there is no group in common.
 */
export function selectGroup(
  ours: readonly number[],
  clientGroups: readonly number[],
  clientShares: readonly KeyShareEntry[],
): GroupSelection {
  const seen = new Set<number>();
  for (const s of clientShares) {
    if (!clientGroups.includes(s.group)) {
      throw new TlsError(Alert.illegal_parameter, "key share for a group not in supported_groups");
    }
    if (seen.has(s.group)) throw new TlsError(Alert.illegal_parameter, "two key shares for one group");
    seen.add(s.group);
  }
  for (const group of ours) {
    const share = clientShares.find((s) => s.group === group);
    if (share) return { share };
    if (POST_QUANTUM.has(group) && clientGroups.includes(group)) return { retryGroup: group };
  }
  const retryGroup = ours.find((g) => clientGroups.includes(g));
  if (retryGroup === undefined) throw new TlsError(Alert.handshake_failure, "no key exchange group in common");
  return { retryGroup };
}
