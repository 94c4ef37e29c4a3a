/**
 * The TLS 1.3 authentication messages (RFC 8446 §4.3.2, §4.4) and
 * NewSessionTicket (§4.6.1), each encoder beside its decoder.
 *
 * @module
 */

import { Alert, TlsError } from "../ssl/alerts.ts";
import { Reader, Writer } from "./bytes.ts";
import { ExtensionType } from "./constants.ts";
import { type Extension, parseU16List, readExtensions, writeExtensions } from "./extensions.ts";

/** One CertificateEntry (RFC 8446 §4.4.2). */
export interface CertificateEntry {
  /** The DER certificate, copied out (it outlives the message buffer). */
  certificate: Uint8Array;
  extensions: Extension[];
}

/** Certificate message (RFC 8446 §4.4.2). */
export interface CertificateMessage {
  context: Uint8Array;
  /** The DER certificates, leaf first. */
  certificates: Uint8Array[];
  /** The same certificates with their per-entry extensions. */
  entries: CertificateEntry[];
}

/**
 * Certificate body with no per-certificate extensions.
 *
 * @example
 * ```ts
 * const leafDer = new Uint8Array([0x30, 0x00]), intermediateDer = new Uint8Array([0x30, 0x00]);
 * const body = encodeCertificate(new Uint8Array(0), [leafDer, intermediateDer]);
 * ```
 */
export function encodeCertificate(context: Uint8Array, chain: readonly Uint8Array[]): Uint8Array {
  const w = new Writer(2048);
  w.block8(() => w.bytes(context));
  w.block24(() => {
    for (const c of chain) {
      w.block24(() => w.bytes(c));
      w.u16(0);
    }
  });
  return w.finish();
}

/**
 * Parses a Certificate body; certificates are copied out (they outlive the buffer).
 *
 * @example
 * ```ts
 * const body = encodeCertificate(new Uint8Array(0), [new Uint8Array([0x30, 0x00])]);
 * const { certificates } = parseCertificate(body); // one DER certificate
 * ```
 */
export function parseCertificate(body: Uint8Array): CertificateMessage {
  const r = new Reader(body);
  const context = r.vec8().slice();
  const listLen = r.u24();
  const list = new Reader(r.bytes(listLen));
  r.expectEnd("Certificate");
  const entries: CertificateEntry[] = [];
  while (!list.atEnd) {
    const cert = list.vec24();
    if (cert.length === 0) throw new TlsError(Alert.decode_error, "empty certificate entry");
    entries.push({ certificate: cert.slice(), extensions: readExtensions(list) });
  }
  return { context, certificates: entries.map((e) => e.certificate), entries };
}

/** CertificateRequest (RFC 8446 §4.3.2). */
export interface CertificateRequest {
  context: Uint8Array;
  /** Every extension as it came on the wire, in order. */
  extensions: Extension[];
}

/** A decoded CertificateRequest: its known extensions as typed fields. */
export interface DecodedCertificateRequest extends CertificateRequest {
  signatureAlgorithms?: number[];
  signatureAlgorithmsCert?: number[];
}

/**
 * CertificateRequest body.
 *
 * @example
 * ```ts
 * import { encodeU16List } from "./extensions.ts";
 *
 * const sigAlgs = { type: 13, data: encodeU16List([0x0804, 0x0403]) }; // signature_algorithms
 * const body = encodeCertificateRequest({ context: new Uint8Array(0), extensions: [sigAlgs] });
 * ```
 */
export function encodeCertificateRequest(cr: CertificateRequest): Uint8Array {
  const w = new Writer(128);
  w.block8(() => w.bytes(cr.context));
  writeExtensions(w, cr.extensions);
  return w.finish();
}

/**
 * Parses a CertificateRequest body and decodes its signature algorithm lists.
 *
 * @example
 * ```ts
 * import { encodeU16List } from "./extensions.ts";
 *
 * const sigAlgs = { type: 13, data: encodeU16List([0x0804, 0x0403]) };
 * const body = encodeCertificateRequest({ context: new Uint8Array(0), extensions: [sigAlgs] });
 * const { signatureAlgorithms } = parseCertificateRequest(body); // [0x0804, 0x0403]
 * ```
 */
export function parseCertificateRequest(body: Uint8Array): DecodedCertificateRequest {
  const r = new Reader(body);
  const context = r.vec8().slice();
  const extensions = readExtensions(r);
  r.expectEnd("CertificateRequest");
  const cr: DecodedCertificateRequest = { context, extensions };
  for (const { type, data } of extensions) {
    if (type === ExtensionType.signature_algorithms) cr.signatureAlgorithms = parseU16List(data);
    if (type === ExtensionType.signature_algorithms_cert) cr.signatureAlgorithmsCert = parseU16List(data);
  }
  return cr;
}

/** CertificateVerify (RFC 8446 §4.4.3). */
export interface CertificateVerify {
  scheme: number;
  signature: Uint8Array;
}

/**
 * CertificateVerify body: scheme and signature.
 *
 * @example
 * ```ts
 * const body = encodeCertificateVerify(0x0804, new Uint8Array(256)); // rsa_pss_rsae_sha256
 * ```
 */
export function encodeCertificateVerify(scheme: number, signature: Uint8Array): Uint8Array {
  const w = new Writer(signature.length + 4);
  w.u16(scheme).block16(() => w.bytes(signature));
  return w.finish();
}

/**
 * Parses a CertificateVerify body.
 *
 * @example
 * ```ts
 * const body = encodeCertificateVerify(0x0804, new Uint8Array(256));
 * const { scheme, signature } = parseCertificateVerify(body); // 0x0804, 256 bytes
 * ```
 */
export function parseCertificateVerify(body: Uint8Array): CertificateVerify {
  const r = new Reader(body);
  const scheme = r.u16();
  const signature = r.vec16();
  r.expectEnd("CertificateVerify");
  return { scheme, signature };
}

const CV_PREFIX = new Uint8Array(64).fill(0x20);
const CV_SERVER = new TextEncoder().encode("TLS 1.3, server CertificateVerify\0");
const CV_CLIENT = new TextEncoder().encode("TLS 1.3, client CertificateVerify\0");

/**
 * The content a CertificateVerify signs (RFC 8446 §4.4.3).
 *
 * @example
 * ```ts
 * const transcriptHash = new Uint8Array(32);
 * const content = certificateVerifyContent("server", transcriptHash); // 64 spaces, context string, 0, hash
 * ```
 */
export function certificateVerifyContent(role: "client" | "server", transcriptHash: Uint8Array): Uint8Array {
  const ctx = role === "server" ? CV_SERVER : CV_CLIENT;
  const out = new Uint8Array(64 + ctx.length + transcriptHash.length);
  out.set(CV_PREFIX);
  out.set(ctx, 64);
  out.set(transcriptHash, 64 + ctx.length);
  return out;
}

/** NewSessionTicket (RFC 8446 §4.6.1). */
export interface NewSessionTicket {
  lifetime: number;
  ageAdd: number;
  nonce: Uint8Array;
  ticket: Uint8Array;
  extensions: Extension[];
  /** early_data: how much early data the ticket allows. */
  maxEarlyDataSize?: number;
}

/**
 * Parses a NewSessionTicket body (the engine does not resume, but a
 * malformed ticket is still a decode_error).
 *
 * @example
 * ```ts
 * const body = new Uint8Array([0, 0, 0x1c, 0x20, 0, 0, 0, 0, 0, 0, 1, 7, 0, 0]); // 7200 s, ticket [7]
 * const { lifetime, ticket } = parseNewSessionTicket(body); // 7200, [7]
 * ```
 */
export function parseNewSessionTicket(body: Uint8Array): NewSessionTicket {
  const r = new Reader(body);
  const lifetime = r.u32();
  const ageAdd = r.u32();
  const nonce = r.vec8();
  const ticket = r.vec16();
  if (ticket.length === 0) throw new TlsError(Alert.decode_error, "empty session ticket");
  const extensions = readExtensions(r);
  r.expectEnd("NewSessionTicket");
  const early = extensions.find((e) => e.type === ExtensionType.early_data);
  const maxEarlyDataSize = early && parseMaxEarlyDataSize(early.data);
  return { lifetime, ageAdd, nonce, ticket, extensions, maxEarlyDataSize };
}

/** early_data of a NewSessionTicket: max_early_data_size, a uint32 (RFC 8446 §4.2.10). */
function parseMaxEarlyDataSize(data: Uint8Array): number {
  const r = new Reader(data);
  const size = r.u32();
  r.expectEnd("early_data");
  return size;
}
