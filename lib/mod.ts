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

export { MemoryBio } from "./memory_bio.ts";
export { Ssl, type SslOptions, type SslStatus } from "./ssl.ts";
export type {
  ConnectionInfo,
  EngineFactory,
  EngineSink,
  ProtocolVersion,
  Role,
  TlsConfig,
  TlsEngine,
  TraceEvent,
} from "./engine.ts";
export { Alert, alertName, TlsError } from "./alerts.ts";
export { createForgeEngine } from "./forge_engine.ts";
export {
  createTls13Engine,
  parseClientHelloVersions,
  type Tls13Engine,
  tls13EngineFactory,
  type Tls13Options,
} from "./tls13/mod.ts";
export { versionRouter } from "./version_router.ts";
export { type CertificateSpec, issueCertificate, type Issued, type KeyType } from "./certgen.ts";
export { pump, PumpError, type PumpOptions, type PumpResult, writeAll } from "./pump.ts";
export { CANCELLED, ChunkSource } from "./chunk_source.ts";
export {
  CertificateError,
  derToPem,
  describeCertificate,
  keyMatchesCertificate,
  pemToDer,
  verifyChain,
  type VerifyOptions,
} from "./x509.ts";
