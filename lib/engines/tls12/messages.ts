/**
 * The handshake messages only TLS 1.2 has, or has in a different shape
 * (RFC 5246 §7.4, RFC 8422 §5): Certificate without contexts,
 * CertificateRequest with certificate types, ServerKeyExchange and
 * ClientKeyExchange for ECDHE. Hello messages and extensions come from the
 * shared codec (lib/protocol/messages.ts).
 *
 * @module
 */

import { Alert, TlsError } from "../../ssl/alerts.ts";
import { Reader, Writer } from "../../protocol/bytes.ts";

/** ECCurveType.named_curve (RFC 8422 §5.4). */
const NAMED_CURVE = 3;

/**
 * Certificate body: a list of DER certificates, leaf first (RFC 5246 §7.4.2).
 */
export function encodeCertificate12(chain: readonly Uint8Array[]): Uint8Array {
  const w = new Writer(2048);
  w.block24(() => chain.forEach((c) => w.block24(() => w.bytes(c))));
  return w.finish();
}

/**
 * Parses a Certificate body; certificates are copied out.
 */
export function parseCertificate12(body: Uint8Array): Uint8Array[] {
  const r = new Reader(body);
  const list = new Reader(r.bytes(r.u24()));
  r.expectEnd("Certificate");
  const out: Uint8Array[] = [];
  while (!list.atEnd) {
    const cert = list.vec24();
    if (cert.length === 0) throw new TlsError(Alert.decode_error, "empty certificate entry");
    out.push(cert.slice());
  }
  return out;
}

/** ServerECDHParams plus its signature (RFC 8422 §5.4). */
export interface ServerKeyExchange {
  group: number;
  publicKey: Uint8Array;
  scheme: number;
  signature: Uint8Array;
  /** The encoded ServerECDHParams, which the signature covers. */
  params: Uint8Array;
}

/**
 * ServerECDHParams: named curve and public point (RFC 8422 §5.4).
 */
export function encodeEcdhParams(group: number, publicKey: Uint8Array): Uint8Array {
  const w = new Writer(publicKey.length + 4);
  w.u8(NAMED_CURVE).u16(group).block8(() => w.bytes(publicKey));
  return w.finish();
}

/**
 * ServerKeyExchange body: params, then the signature scheme and signature.
 */
export function encodeServerKeyExchange(params: Uint8Array, scheme: number, signature: Uint8Array): Uint8Array {
  const w = new Writer(params.length + signature.length + 4);
  w.bytes(params).u16(scheme).block16(() => w.bytes(signature));
  return w.finish();
}

/**
 * Parses an ECDHE ServerKeyExchange body.
 */
export function parseServerKeyExchange(body: Uint8Array): ServerKeyExchange {
  const r = new Reader(body);
  if (r.u8() !== NAMED_CURVE) throw new TlsError(Alert.illegal_parameter, "ServerKeyExchange without a named curve");
  const group = r.u16();
  const publicKey = r.vec8().slice();
  if (publicKey.length === 0) throw new TlsError(Alert.decode_error, "empty ECDHE public key");
  const params = body.slice(0, body.length - r.left);
  const scheme = r.u16();
  const signature = r.vec16().slice();
  r.expectEnd("ServerKeyExchange");
  return { group, publicKey, scheme, signature, params };
}

/**
 * ClientKeyExchange body for ECDHE: the client's public point (RFC 8422 §5.7).
 */
export function encodeClientKeyExchange(publicKey: Uint8Array): Uint8Array {
  const w = new Writer(publicKey.length + 1);
  return w.block8(() => w.bytes(publicKey)).finish();
}

/**
 * Parses a ClientKeyExchange body for ECDHE.
 */
export function parseClientKeyExchange(body: Uint8Array): Uint8Array {
  const r = new Reader(body);
  const point = r.vec8();
  r.expectEnd("ClientKeyExchange");
  if (point.length === 0) throw new TlsError(Alert.decode_error, "empty ECDHE public key");
  return point;
}

/** CertificateRequest (RFC 5246 §7.4.4). */
export interface CertificateRequest12 {
  certificateTypes: number[];
  schemes: number[];
}

/**
 * CertificateRequest body; no certificate_authorities are named.
 */
export function encodeCertificateRequest12(cr: CertificateRequest12): Uint8Array {
  const w = new Writer(64);
  w.block8(() => cr.certificateTypes.forEach((t) => w.u8(t)));
  w.block16(() => cr.schemes.forEach((s) => w.u16(s)));
  w.u16(0);
  return w.finish();
}

/**
 * Parses a CertificateRequest body (certificate_authorities are read and ignored).
 */
export function parseCertificateRequest12(body: Uint8Array): CertificateRequest12 {
  const r = new Reader(body);
  const certificateTypes = [...r.vec8()];
  const list = r.sub16();
  if (list.left === 0 || list.left % 2) throw new TlsError(Alert.decode_error, "bad supported_signature_algorithms");
  const schemes: number[] = [];
  while (!list.atEnd) schemes.push(list.u16());
  r.vec16();
  r.expectEnd("CertificateRequest");
  if (certificateTypes.length === 0) throw new TlsError(Alert.decode_error, "CertificateRequest without types");
  return { certificateTypes, schemes };
}
