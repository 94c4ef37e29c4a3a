/**
 * Path validation (RFC 5280 §6.1) of one candidate path, trust anchor
 * first, peer certificate last. Signatures were checked while the path was
 * built; this walks the path top-down with the state §6.1.2 describes
 * (`max_path_length`, the accumulated name constraints) and refuses the
 * first certificate that breaks a rule.
 *
 * The trust anchor's own constraints (basicConstraints, pathLenConstraint,
 * keyUsage, nameConstraints, extendedKeyUsage) are applied too, as RFC 5937
 * allows and OpenSSL and rustls-webpki do: a private root that limits itself
 * is taken at its word.
 *
 * @module
 */

import { Alert } from "../ssl/alerts.ts";
import { keyProblem } from "./algorithms.ts";
import { type Certificate, EKU, subjectText } from "./certificate.ts";
import { sameBytes } from "./der.ts";
import { CertificateError } from "./errors.ts";
import { checkNameConstraints, type NameConstraints } from "./name_constraints.ts";

/** What the path must be good for. */
export interface PathPolicy {
  /** The peer's role: its leaf (and any intermediate with an EKU) needs serverAuth or clientAuth. */
  purpose: "server" | "client";
  /** Validation time, ms since the epoch. */
  now: number;
}

/** How a certificate is named in messages, by its place in the path. */
export type Place = "peer" | "intermediate" | "CA";

const EMPTY_NAME = 2; // an empty SEQUENCE: 30 00

const refuse = (reason: string, alert: number, message: string) => new CertificateError(reason, alert, message);

/**
 * The checks that depend on a certificate alone (and the clock): critical
 * extensions, key strength, validity, consistent CA markings, names.
 * Returns the refusal, or undefined.
 */
export function checkCertificate(cert: Certificate, place: Place, now: number): CertificateError | undefined {
  const who = `${place} certificate (${subjectText(cert)})`;
  if (cert.unknownCritical.length > 0) {
    return refuse(
      "unsupported_critical_extension",
      Alert.unsupported_certificate,
      `${who} has a critical extension we do not support (${
        cert.unknownCritical.join(", ")
      }); RFC 5280 §4.2 requires refusing it`,
    );
  }
  const weak = keyProblem(cert);
  if (weak) return refuse("weak_key", Alert.unsupported_certificate, `${who} has a key we do not accept: ${weak}`);
  if (now < cert.notBefore) {
    return refuse(
      "not_yet_valid",
      Alert.certificate_expired, // "has expired or is not currently valid" (RFC 8446 §6.2)
      `${place} certificate is not yet valid (valid from ${new Date(cert.notBefore).toISOString()})`,
    );
  }
  if (now > cert.notAfter) {
    return refuse(
      "expired",
      Alert.certificate_expired,
      `${place} certificate has expired (valid until ${new Date(cert.notAfter).toISOString()})`,
    );
  }
  const ca = cert.basicConstraints?.ca === true;
  if (!ca && (cert.keyUsage?.has("keyCertSign") || cert.basicConstraints?.pathLen !== undefined)) {
    return refuse("bad_ca_markings", Alert.bad_certificate, `${who} allows certificate signing but is not a CA`);
  }
  if (ca && cert.basicConstraints?.pathLen !== undefined && cert.keyUsage && !cert.keyUsage.has("keyCertSign")) {
    return refuse("bad_ca_markings", Alert.bad_certificate, `${who} has a path length but no keyCertSign key usage`);
  }
  if (!ca && cert.nameConstraints) {
    return refuse("bad_ca_markings", Alert.bad_certificate, `${who} has name constraints but is not a CA`);
  }
  if (place !== "CA" && cert.issuer.length === EMPTY_NAME) {
    return refuse("empty_name", Alert.bad_certificate, `${who} has an empty issuer name`);
  }
  if (cert.subject.length === EMPTY_NAME && (ca || !cert.subjectAltNameCritical)) {
    // §4.1.2.6: a CA needs a subject; an empty subject needs a critical subjectAltName.
    return refuse("empty_name", Alert.bad_certificate, `${who} has an empty subject name`);
  }
  if (place !== "CA" && !sameBytes(cert.signatureAlgorithm, cert.outerSignatureAlgorithm)) {
    return refuse("bad_encoding", Alert.bad_certificate, `${who} names two different signature algorithms`);
  }
  return undefined;
}

/** Whether an extendedKeyUsage (if any) allows the purpose; a leaf must name it, a CA may say "any". */
export function ekuAllows(cert: Certificate, purpose: "server" | "client", leaf: boolean): boolean {
  const eku = cert.extKeyUsage;
  if (!eku) return true;
  return eku.has(purpose === "server" ? EKU.serverAuth : EKU.clientAuth) || (!leaf && eku.has(EKU.any));
}

function checkIssuer(cert: Certificate, place: Place, policy: PathPolicy): CertificateError | undefined {
  const who = `${place} certificate (${subjectText(cert)})`;
  if (cert.basicConstraints?.ca !== true) {
    return refuse("not_a_ca", Alert.bad_certificate, `${who} is not a CA (basicConstraints cA is not set)`);
  }
  if (cert.keyUsage && !cert.keyUsage.has("keyCertSign")) {
    return refuse("bad_key_usage", Alert.bad_certificate, `${who} key usage does not allow keyCertSign`);
  }
  if (!ekuAllows(cert, policy.purpose, false)) {
    const eku = policy.purpose === "server" ? "serverAuth" : "clientAuth";
    return refuse("bad_key_usage", Alert.unsupported_certificate, `${who} extended key usage does not include ${eku}`);
  }
  return undefined;
}

/**
 * Validates a path (trust anchor first, peer certificate last). The peer
 * certificate's own checks (validity, key usage, host name) are the
 * caller's; here it is checked against the CAs above it.
 */
export function validatePath(path: Certificate[], policy: PathPolicy): CertificateError | undefined {
  const last = path.length - 1;
  let maxPathLength = Infinity;
  const constraints: NameConstraints[] = [];
  const budget = { used: 0 };
  for (let i = 0; i <= last; i++) {
    const cert = path[i];
    const place: Place = i === 0 ? "CA" : i === last ? "peer" : "intermediate";
    if (i < last) {
      const error = checkCertificate(cert, place, policy.now) ?? checkIssuer(cert, place, policy);
      if (error) return error;
    }
    // §6.1.3 (b)(c): a self-issued intermediate is exempt; the peer certificate never is.
    if (i > 0 && (i === last || !cert.selfIssued)) {
      const violation = checkNameConstraints(cert, constraints, budget);
      if (violation) {
        return refuse(
          "name_constraints",
          Alert.bad_certificate,
          `${place} certificate (${subjectText(cert)}) violates its CA's name constraints: ${violation}`,
        );
      }
    }
    if (i === last) break;
    // §6.1.4 (l)(m): each non-self-issued intermediate uses up one of the allowed path length.
    if (i > 0 && !cert.selfIssued) {
      if (maxPathLength <= 0) {
        return refuse(
          "path_length",
          Alert.bad_certificate,
          `intermediate certificate (${subjectText(cert)}) exceeds the path length its CA allows`,
        );
      }
      maxPathLength--;
    }
    const pathLen = cert.basicConstraints?.pathLen;
    if (pathLen !== undefined) maxPathLength = Math.min(maxPathLength, pathLen);
    if (cert.nameConstraints) constraints.push(cert.nameConstraints);
  }
  return undefined;
}
