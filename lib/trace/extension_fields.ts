/**
 * Field names inside extensions (RFC 8446 §4.2, RFC 6066, RFC 7301): server
 * name, groups, signature algorithms, ALPN, supported versions, key shares,
 * cookie, PSK modes. Others show as their raw data.
 *
 * @module
 */

import { ExtensionType, GROUP_NAMES } from "../protocol/constants.ts";
import type { Annotator } from "./fields.ts";
import { schemeName, versionName } from "./message_fields.ts";

/** Where an extension list sits: some extensions read differently in each. */
export type HelloKind =
  | "ClientHello"
  | "ServerHello"
  | "HelloRetryRequest"
  | "EncryptedExtensions"
  | "CertificateRequest"
  | "CertificateEntry"
  | "NewSessionTicket";

const EXTENSION_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(ExtensionType).map(([name, id]) => [id, name]),
);

const hex4 = (v: number) => `0x${v.toString(16).padStart(4, "0")}`;

/** A group code point with its name. */
export function groupName(v: number): string {
  return `${GROUP_NAMES[v] ?? "group"} (${hex4(v)})`;
}

const text = (b: Uint8Array) => JSON.stringify(new TextDecoder().decode(b));

/** An extension block: its length, then each extension. */
export function extensionList(a: Annotator, where: HelloKind): void {
  a.vector("extensions", 2, (end) =>
    a.until(end, () => {
      const type = (a.bytes[a.pos] << 8) | a.bytes[a.pos + 1];
      const name = EXTENSION_NAMES[type] ?? `extension ${hex4(type)}`;
      const dataLength = (a.bytes[a.pos + 2] << 8) | a.bytes[a.pos + 3];
      a.group(`extension: ${name}`, 4 + dataLength, () => {
        a.u16("extension_type", (v) => `${name} (${v})`);
        a.vector("extension_data", 2, (e) => extensionData(a, type, where, e));
      });
    }));
}

function u16List(a: Annotator, name: string, item: string, prefix: 1 | 2, describe: (v: number) => string): void {
  a.vector(name, prefix, (e) => a.until(e, () => void a.u16(item, describe)));
}

function extensionData(a: Annotator, type: number, where: HelloKind, end: number): void {
  if (end === a.pos) return; // empty: the extension's presence is the message
  switch (type) {
    case ExtensionType.server_name:
      return a.vector("server_name_list", 2, (e) =>
        a.until(e, () => {
          a.u8("name_type", (v) => v === 0 ? "host_name (0)" : String(v));
          a.vector("host_name", 2, (he) => a.leaf("name", he - a.pos, text));
        }));
    case ExtensionType.supported_groups:
      return u16List(a, "named_group_list", "group", 2, groupName);
    case ExtensionType.signature_algorithms:
    case ExtensionType.signature_algorithms_cert:
      return u16List(a, "supported_signature_algorithms", "scheme", 2, schemeName);
    case ExtensionType.alpn:
      return a.vector(
        "protocol_name_list",
        2,
        (e) => a.until(e, () => a.vector("protocol", 1, (pe) => a.leaf("name", pe - a.pos, text))),
      );
    case ExtensionType.supported_versions:
      if (where === "ClientHello") return u16List(a, "versions", "version", 1, versionName);
      a.u16("selected_version", versionName);
      return;
    case ExtensionType.key_share:
      if (where === "HelloRetryRequest") {
        a.u16("selected_group", groupName);
        return;
      }
      if (where === "ClientHello") return a.vector("client_shares", 2, (e) => a.until(e, () => keyShare(a)));
      return keyShare(a);
    case ExtensionType.psk_key_exchange_modes:
      return a.vector(
        "ke_modes",
        1,
        (e) =>
          a.until(e, () => void a.u8("mode", (v) => v === 1 ? "psk_dhe_ke (1)" : v === 0 ? "psk_ke (0)" : String(v))),
      );
    case ExtensionType.cookie:
      return a.vector("cookie", 2, (e) => a.leaf("cookie bytes", e - a.pos, (b) => `${b.length} bytes`));
    case ExtensionType.record_size_limit:
      a.u16("record_size_limit", (v) => `${v} bytes`);
      return;
    default:
      a.leaf("data", end - a.pos, (b) => `${b.length} bytes`);
  }
}

function keyShare(a: Annotator): void {
  const group = (a.bytes[a.pos] << 8) | a.bytes[a.pos + 1];
  const length = (a.bytes[a.pos + 2] << 8) | a.bytes[a.pos + 3];
  a.group(`KeyShareEntry (${groupName(group)})`, 4 + length, () => {
    a.u16("group", groupName);
    a.vector("key_exchange", 2, (e) => a.leaf("public key", e - a.pos, (b) => `${b.length} bytes`));
  });
}
