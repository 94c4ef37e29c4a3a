/**
 * TLS through memory BIOs, in the shape of OpenSSL's `SSL` with
 * `SSL_set_bio()`: an {@link Ssl} never touches a socket. The program
 * writes the peer's encrypted bytes into {@link Ssl.rbio}, sends what
 * appears in {@link Ssl.wbio}, and exchanges plaintext through
 * {@link Ssl.read} and {@link Ssl.write}.
 *
 * Engines: {@link createTls13Engine} (TLS 1.3, RFC 8446, the default),
 * {@link createForgeEngine} (TLS 1.0/1.1 through node-forge) and
 * {@link versionRouter}, which picks one per client. Around them:
 * certificate verification ({@link verifyChain}) and issuing
 * ({@link issueCertificate}), and {@link pump}, which runs one connection
 * between a `Deno.Conn` and local input and output.
 *
 * @example A client and a server in memory: the "network" is a loop
 * ```ts
 * import { createTls13Engine, issueCertificate, Ssl } from "@ssl-nonblock/tls";
 * import assert from "node:assert/strict";
 *
 * const ca = issueCertificate({ commonName: "Example CA", keyType: "ecdsa", isCA: true });
 * const leaf = issueCertificate({ commonName: "localhost", keyType: "ecdsa", issuer: ca, dnsNames: ["localhost"] });
 *
 * const client = new Ssl(createTls13Engine, { role: "client", serverName: "localhost", caCertificates: [ca.certPem] });
 * const server = new Ssl(createTls13Engine, { role: "server", certificateChain: leaf.certPem, privateKey: leaf.keyPem });
 *
 * // The program owns the I/O: move encrypted bytes until neither side has anything to say.
 * client.handshake(); // the ClientHello goes into client.wbio
 * while (client.wbio.pending > 0 || server.wbio.pending > 0) {
 *   server.rbio.write(client.wbio.read());
 *   server.handshake();
 *   client.rbio.write(server.wbio.read());
 *   client.handshake();
 * }
 * assert.equal(client.info?.protocol, "TLSv1.3");
 *
 * client.write(new TextEncoder().encode("hello"));
 * server.rbio.write(client.wbio.read());
 * assert.equal(new TextDecoder().decode(server.read()), "hello");
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
// The engine, and the types its options and crypto seam are written in.
export {
  type AeadAlgorithm,
  type AeadCipher,
  type ClientHelloProbe,
  type CompletedKeyShare,
  createTls13Engine,
  type CryptoProvider,
  type Extension,
  type HashAlgorithm,
  type HashContext,
  type KeyShare,
  parseClientHelloVersions,
  type SigningKey,
  type Tls13Engine,
  tls13EngineFactory,
  type Tls13Options,
} from "./engines/tls13/mod.ts";
export type { KeyType as SigningKeyType } from "./crypto/provider.ts";
export { versionRouter } from "./engines/version_router.ts";
export {
  type CertificateSpec,
  issueCertificate,
  type Issued,
  type KeyPair,
  type KeyType,
  type NameSubtrees,
} from "./pki/certgen.ts";
export { pump, PumpError, type PumpLimits, type PumpOptions, type PumpResult, writeAll } from "./app/pump.ts";
export { type ByteReader, CANCELLED, ChunkSource } from "./app/chunk_source.ts";
export {
  CertificateError,
  derToPem,
  describeCertificate,
  keyMatchesCertificate,
  pemToDer,
  TrustAnchors,
  verifyChain,
  type VerifyOptions,
} from "./pki/x509.ts";
