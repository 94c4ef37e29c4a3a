/**
 * Field names inside handshake message bodies (RFC 8446 §4): hellos,
 * EncryptedExtensions, Certificate (each certificate summarised),
 * CertificateRequest, CertificateVerify, Finished, NewSessionTicket,
 * KeyUpdate. Messages of other versions show as one body field.
 *
 * @module
 */

import { SIGNATURE_SCHEME_NAMES, suiteById } from "../protocol/constants.ts";
import { describeCertificate } from "../pki/x509.ts";
import type { Annotator } from "./fields.ts";
import { extensionList, type HelloKind } from "./extension_fields.ts";

const hex4 = (v: number) => `0x${v.toString(16).padStart(4, "0")}`;
const VERSION_NAMES: Record<number, string> = {
  0x0301: "TLS 1.0",
  0x0302: "TLS 1.1",
  0x0303: "TLS 1.2",
  0x0304: "TLS 1.3",
};

/** A protocol version code point with its name. */
export function versionName(v: number): string {
  return `${VERSION_NAMES[v] ?? "unknown"} (${hex4(v)})`;
}

/** A cipher suite code point with its name, when we know it. */
export function suiteName(v: number): string {
  return `${suiteById(v)?.name ?? "cipher suite"} (${hex4(v)})`;
}

/** A signature scheme code point with its name. */
export function schemeName(v: number): string {
  return `${SIGNATURE_SCHEME_NAMES[v] ?? "signature scheme"} (${hex4(v)})`;
}

/**
 * Labels a handshake message body; `name` is the message's name
 * (`HelloRetryRequest` for a ServerHello with the special random).
 */
export function messageBody(a: Annotator, name: string, end: number): void {
  switch (name) {
    case "ClientHello":
      return clientHello(a, end);
    case "ServerHello":
    case "HelloRetryRequest":
      return serverHello(a, name);
    case "EncryptedExtensions":
      return extensionList(a, "EncryptedExtensions");
    case "Certificate":
      return certificate(a, end);
    case "CertificateRequest":
      a.vector("certificate_request_context", 1, (e) => a.leaf("context", e - a.pos));
      return extensionList(a, "CertificateRequest");
    case "CertificateVerify":
      a.u16("algorithm", schemeName);
      a.vector("signature", 2, (e) => a.leaf("signature bytes", e - a.pos, (b) => `${b.length} bytes`));
      return;
    case "Finished":
      a.leaf("verify_data", end - a.pos, (b) => `HMAC over the transcript, ${b.length} bytes`);
      return;
    case "NewSessionTicket":
      a.u32("ticket_lifetime", (v) => `${v} s`);
      a.u32("ticket_age_add");
      a.vector("ticket_nonce", 1, (e) => a.leaf("nonce", e - a.pos));
      a.vector("ticket", 2, (e) => a.leaf("ticket bytes", e - a.pos, (b) => `${b.length} bytes`));
      return extensionList(a, "NewSessionTicket");
    case "KeyUpdate":
      a.u8(
        "request_update",
        (v) => v === 1 ? "update_requested (1)" : v === 0 ? "update_not_requested (0)" : String(v),
      );
      return;
    default:
      a.leaf(`${name} body`, end - a.pos, (b) => `${b.length} bytes`);
  }
}

function random(a: Annotator, name: string): void {
  a.leaf("random", 32, () => name === "HelloRetryRequest" ? 'SHA-256("HelloRetryRequest"): marks a retry' : "32 bytes");
}

function clientHello(a: Annotator, end: number): void {
  a.u16("legacy_version", versionName);
  random(a, "ClientHello");
  a.vector("legacy_session_id", 1, (e) => {
    if (e > a.pos) a.leaf("session id", e - a.pos, (b) => `${b.length} bytes (middlebox compatibility)`);
  });
  a.vector("cipher_suites", 2, (e) => a.until(e, () => void a.u16("cipher suite", suiteName)));
  a.vector(
    "legacy_compression_methods",
    1,
    (e) => a.until(e, () => void a.u8("method", (v) => v ? String(v) : "null (0)")),
  );
  if (a.pos < end) extensionList(a, "ClientHello");
}

function serverHello(a: Annotator, kind: HelloKind): void {
  a.u16("legacy_version", versionName);
  random(a, kind);
  a.vector("legacy_session_id_echo", 1, (e) => {
    if (e > a.pos) a.leaf("session id", e - a.pos);
  });
  a.u16("cipher_suite", suiteName);
  a.u8("legacy_compression_method");
  extensionList(a, kind);
}

/**
 * Certificate: TLS 1.3 (RFC 8446 §4.4.2) has a request context and an
 * extension block per entry; earlier versions (RFC 5246 §7.4.2) a bare list
 * of certificates. The version comes from the connection when known, else
 * from the layout (a bare list's length prefix covers the whole body).
 */
function certificate(a: Annotator, end: number): void {
  const bareList = a.version !== undefined ? a.version < 0x0304 : readU24(a, a.pos) === end - a.pos - 3;
  if (bareList) {
    let n = 0;
    a.vector("certificate_list", 3, (e) =>
      a.until(e, () => {
        a.vector(`ASN.1Cert (${certificateLabel(n++)})`, 3, (ce) => der(a, ce));
      }));
    return;
  }
  a.vector("certificate_request_context", 1, (e) => {
    if (e > a.pos) a.leaf("context", e - a.pos);
  });
  let n = 0;
  a.vector("certificate_list", 3, (e) =>
    a.until(e, () => {
      a.group(`CertificateEntry (${certificateLabel(n++)})`, entryLength(a), () => {
        a.vector("cert_data", 3, (ce) => der(a, ce));
        extensionList(a, "CertificateEntry");
      });
    }));
}

const certificateLabel = (n: number) => n === 0 ? "end-entity certificate" : `certificate ${n + 1}`;

function der(a: Annotator, end: number): void {
  a.leaf("X.509 certificate (DER)", end - a.pos, (bytes) => {
    try {
      return describeCertificate(bytes.slice());
    } catch {
      return "(cannot be decoded)";
    }
  });
}

function readU24(a: Annotator, p: number): number {
  if (p + 3 > a.limit) return -1;
  return (a.bytes[p] << 16) | (a.bytes[p + 1] << 8) | a.bytes[p + 2];
}

/**
 * Length of a CertificateEntry starting at the reader's position: at least
 * one byte, so a list of entries always moves on.
 */
function entryLength(a: Annotator): number {
  const b = a.bytes, p = a.pos, left = a.limit - p;
  const cert = readU24(a, p);
  const at = p + 3 + cert;
  if (cert < 0 || at + 2 > a.limit) return Math.max(1, left);
  return 3 + cert + 2 + ((b[at] << 8) | b[at + 1]);
}
