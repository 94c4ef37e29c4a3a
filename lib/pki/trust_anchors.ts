/**
 * The trusted certificates (the CA file), parsed once and indexed by
 * subject, so a connection only parses what its peer sends.
 *
 * @example
 * ```ts
 * const anchors = TrustAnchors.fromPem([await Deno.readTextFile("certs/ca.crt")]);
 * anchors.issuersOf(leaf); // the trusted certificates named as its issuer
 * ```
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

/** A set of trust anchors. */
export class TrustAnchors {
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
   * @example
   * ```ts
   * TrustAnchors.fromDer(pemToDer(caPem));
   * ```
   */
  static fromDer(ders: Uint8Array[]): TrustAnchors {
    return new TrustAnchors(ders);
  }

  /**
   * Anchors from PEM texts, parsed once per distinct text and then reused.
   *
   * @example
   * ```ts
   * TrustAnchors.fromPem(config.caCertificates ?? []);
   * ```
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

  /** Trusted certificates whose subject is the certificate's issuer name. */
  issuersOf(cert: Certificate): readonly Certificate[] {
    return this.#bySubject.get(key(cert.issuer)) ?? [];
  }

  /** Whether exactly this certificate is trusted (a pinned certificate). */
  includes(cert: Certificate): boolean {
    return this.#byDer.has(key(cert.der));
  }
}
