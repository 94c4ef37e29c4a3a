/**
 * The one error certificate verification throws: a short machine-readable
 * reason, the TLS alert to send (RFC 8446 §6.2), and one line for people.
 *
 * @example
 * ```ts
 * try { verifyChain(chain, opts); } catch (e) {
 *   if (e instanceof CertificateError) console.error(e.reason, e.message);
 * }
 * ```
 *
 * @module
 */

/** Why a certificate chain was refused. `alert` is the TLS alert to send. */
export class CertificateError extends Error {
  readonly alert: number;
  readonly reason: string;
  constructor(reason: string, alert: number, message: string) {
    super(message);
    this.name = "CertificateError";
    this.reason = reason;
    this.alert = alert;
  }
}
