/**
 * TLS through memory BIOs: the public API.
 *
 * @example
 * ```ts
 * import { createTls13Engine, Ssl } from "./lib/mod.ts";
 * const ssl = new Ssl(createTls13Engine, { role: "client", serverName: "localhost", caCertificates: [caPem] });
 * ```
 *
 * @module
 */

export { MemoryBio } from "./ssl/memory_bio.ts";
export { Ssl, type SslOptions, type SslStatus } from "./ssl/ssl.ts";
export type {
  ConnectionInfo,
  EngineFactory,
  EngineSink,
  ProtocolVersion,
  Role,
  TlsConfig,
  TlsEngine,
  TraceEvent,
} from "./ssl/engine.ts";
export { Alert, alertName, TlsError } from "./ssl/alerts.ts";
export { createForgeEngine } from "./engines/forge/forge_engine.ts";
export {
  createTls13Engine,
  parseClientHelloVersions,
  type Tls13Engine,
  tls13EngineFactory,
  type Tls13Options,
} from "./engines/tls13/mod.ts";
export { versionRouter } from "./engines/version_router.ts";
export { type CertificateSpec, issueCertificate, type Issued, type KeyType } from "./pki/certgen.ts";
export { pump, PumpError, type PumpOptions, type PumpResult, writeAll } from "./app/pump.ts";
export { CANCELLED, ChunkSource } from "./app/chunk_source.ts";
export {
  CertificateError,
  derToPem,
  describeCertificate,
  keyMatchesCertificate,
  pemToDer,
  verifyChain,
  type VerifyOptions,
} from "./pki/x509.ts";
