/**
 * Path building (RFC 4158): from the peer's certificate up to a trust
 * anchor, through whatever the peer sent — in any order, with extra or
 * unrelated certificates, several candidate issuers for one name. Depth
 * first, trust anchors tried before intermediates (shortest path first);
 * each candidate path is handed to path validation, and the search goes on
 * when it fails. Loops are cut (a certificate, or a subject and key, may
 * appear once per path), and depth and signature checks are bounded, so a
 * hostile peer cannot make us work without limit.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { Alert } from "../ssl/alerts.ts";
import { verifySignature } from "./algorithms.ts";
import { type Certificate, publicKeyOf, subjectText } from "./certificate.ts";
import { sameBytes } from "./der.ts";
import { CertificateError } from "./errors.ts";
import type { TrustAnchors } from "./trust_anchors.ts";

/** At most this many intermediates between the peer certificate and the anchor. */
export const MAX_INTERMEDIATES = 8;
/** At most this many signatures are checked while building (a hostile chain cannot cost more). */
export const MAX_SIGNATURE_CHECKS = 64;

/**
 * Signatures already found good, by certificate and issuer key: a peer that
 * reconnects sends the same chain, and checking a signature is the costly
 * part of verification. The answer depends only on these bytes, so it
 * cannot go stale; everything else (validity, constraints) is checked anew.
 */
const goodSignatures = new Set<string>();
const SIGNATURE_CACHE_LIMIT = 256;
const latin1 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString("latin1");

const sameKeyAndName = (a: Certificate, b: Certificate) => sameBytes(a.subject, b.subject) && sameBytes(a.spki, b.spki);

/**
 * Finds a path from `leaf` to one of `anchors` that `validate` accepts and
 * returns it (anchor first). Throws the first validation error of a path
 * that reached an anchor, else a refused signature algorithm, else
 * unknown_ca.
 */
export function buildPath(
  leaf: Certificate,
  intermediates: readonly Certificate[],
  anchors: TrustAnchors,
  validate: (path: Certificate[]) => CertificateError | undefined,
): Certificate[] {
  let checks = 0;
  let firstError: CertificateError | undefined;
  let refusedAlgorithm: CertificateError | undefined;
  let highest = [leaf]; // the longest chain reached, for the message

  const signed = (child: Certificate, issuer: Certificate): boolean => {
    if (++checks > MAX_SIGNATURE_CHECKS) return false;
    const cacheKey = latin1(child.der) + latin1(issuer.spki);
    if (goodSignatures.has(cacheKey)) return true;
    let result: ReturnType<typeof verifySignature>;
    try {
      result = verifySignature(child, publicKeyOf(issuer));
    } catch {
      return false; // an issuer key node:crypto cannot read
    }
    if (result === "ok") {
      if (goodSignatures.size >= SIGNATURE_CACHE_LIMIT) goodSignatures.delete(goodSignatures.values().next().value!);
      goodSignatures.add(cacheKey);
    }
    if (typeof result === "object") {
      refusedAlgorithm ??= new CertificateError(
        "weak_signature",
        Alert.unsupported_certificate,
        `${child === leaf ? "peer" : "intermediate"} certificate (${subjectText(child)}) ${result.refused}`,
      );
      return false;
    }
    return result === "ok";
  };

  const extend = (chain: Certificate[]): Certificate[] | undefined => {
    const current = chain[chain.length - 1];
    if (chain.length > highest.length) highest = chain;
    for (const anchor of anchors.issuersOf(current)) {
      // A trusted certificate that is not a CA may be pinned (matched exactly) but may not vouch for others.
      if (anchor.basicConstraints?.ca !== true || !signed(current, anchor)) continue;
      const path = [anchor, ...chain.toReversed()];
      const error = validate(path);
      if (!error) return path;
      firstError ??= error;
    }
    if (chain.length > MAX_INTERMEDIATES) return undefined;
    for (const candidate of intermediates) {
      if (!sameBytes(candidate.subject, current.issuer)) continue;
      if (chain.some((c) => c === candidate || sameKeyAndName(c, candidate))) continue; // a loop
      if (!signed(current, candidate)) continue;
      const path = extend([...chain, candidate]);
      if (path) return path;
    }
    return undefined;
  };

  const path = extend([leaf]);
  if (path) return path;
  throw firstError ?? refusedAlgorithm ?? new CertificateError(
    "unknown_ca",
    Alert.unknown_ca,
    `peer certificate is not signed by a trusted CA (issuer: ${subjectText(highest[highest.length - 1], "issuer")})`,
  );
}
