/**
 * Certificate handling shared by every engine, in one import: PEM, chain
 * verification (RFC 5280 path building and validation, RFC 9525 host
 * names), descriptions for `--showcerts`.
 *
 * Each concept has its own module: `der.ts` (strict DER reader),
 * `certificate.ts` (decoding), `algorithms.ts` (accepted keys and
 * signatures), `names.ts` (host names), `name_constraints.ts`,
 * `trust_anchors.ts`, `path_building.ts`, `path_validation.ts`, `verify.ts`
 * (the entry point), `describe.ts`, `pem.ts`.
 *
 * @module
 */

export { derToPem, pemToDer } from "./pem.ts";
export { CertificateError } from "./errors.ts";
export { isIpLiteral } from "./names.ts";
export { TrustAnchors } from "./trust_anchors.ts";
export { peerVerifyOptions, verifyChain, type VerifyOptions } from "./verify.ts";
export { describeCertificate, keyMatchesCertificate } from "./describe.ts";
