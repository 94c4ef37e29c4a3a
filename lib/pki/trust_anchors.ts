/**
 * The trusted certificates (the CA file), parsed once and indexed by
 * subject, so a connection only parses what its peer sends.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { Alert } from "../ssl/alerts.ts";
import { type Certificate, CertificateParseError, parseCertificate } from "./certificate.ts";
import { CertificateError } from "./errors.ts";
import { pemToDer } from "./pem.ts";

const key = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1");

/** Parsed stores by PEM text: programs pass the same CA file for every connection. */
const byPem = new Map<string, TrustAnchors>();
const CACHE_LIMIT = 16;

/**
 * A set of trust anchors, for {@link VerifyOptions.trustAnchors}: parsed
 * once, reused for every connection.
 *
 * @example
 * ```ts
 * import { issueCertificate, pemToDer, TrustAnchors, verifyChain } from "@ssl-nonblock/tls";
 *
 * const ca = issueCertificate({ commonName: "Example CA", keyType: "ecdsa", isCA: true });
 * const anchors = TrustAnchors.fromPem([ca.certPem]);
 * for (const name of ["a.example", "b.example"]) {
 *   const leaf = issueCertificate({ commonName: name, keyType: "ecdsa", issuer: ca, dnsNames: [name] });
 *   verifyChain(pemToDer(leaf.certPem), { trustAnchors: anchors, hostname: name, purpose: "server" });
 * }
 * ```
 */
export class TrustAnchors {
  /** @ignore The parsed certificates (the verifier's own representation). */
  readonly certificates: readonly Certificate[];
  #bySubject = new Map<string, Certificate[]>();
  #byDer = new Set<string>();
  /** Set when a trusted certificate could not be parsed: every verification fails with it. */
  readonly error?: CertificateError;

  private constructor(ders: Uint8Array[]) {
    const certs: Certificate[] = [];
    for (const der of ders) {
      try {
        certs.push(parseCertificate(der));
      } catch (e) {
        if (!(e instanceof CertificateParseError)) throw e;
        this.error = new CertificateError(
          "unparsable",
          Alert.bad_certificate,
          `trusted certificate could not be parsed (${e.message})`,
        );
      }
    }
    this.certificates = certs;
    for (const cert of certs) {
      const k = key(cert.subject);
      this.#bySubject.set(k, [...(this.#bySubject.get(k) ?? []), cert]);
      this.#byDer.add(key(cert.der));
    }
  }

  /**
   * Anchors from DER certificates (parsed now).
   *
   * @param ders Trusted certificates, DER.
   * @returns The anchors.
   */
  static fromDer(ders: Uint8Array[]): TrustAnchors {
    return new TrustAnchors(ders);
  }

  /**
   * Anchors from PEM texts, parsed once per distinct text and then reused.
   *
   * @param pems PEM texts, one or more certificates each.
   * @returns The anchors.
   */
  static fromPem(pems: readonly string[]): TrustAnchors {
    const text = pems.join("\n");
    let anchors = byPem.get(text);
    if (!anchors) {
      anchors = new TrustAnchors(pems.flatMap((p) => pemToDer(p)));
      if (byPem.size >= CACHE_LIMIT) byPem.delete(byPem.keys().next().value!);
      byPem.set(text, anchors);
    }
    return anchors;
  }

  /** @ignore Trusted certificates whose subject is the certificate's issuer name. */
  issuersOf(cert: Certificate): readonly Certificate[] {
    return this.#bySubject.get(key(cert.issuer)) ?? [];
  }

  /** @ignore Whether exactly this certificate is trusted (a pinned certificate). */
  includes(cert: Certificate): boolean {
    return this.#byDer.has(key(cert.der));
  }
}
