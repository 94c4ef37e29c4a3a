/**
 * A TLS 1.3 engine (RFC 8446), client and server, behind the project's
 * sans-IO {@link TlsEngine} interface. `lib/mod.ts` re-exports what a user
 * needs; the rest is here for tests and benchmarks.
 *
 * @module
 */

import type { EngineFactory, TlsEngine } from "../../ssl/engine.ts";
import type { Tls13Options } from "./context.ts";
import { createTls13Engine } from "./connection.ts";

export { createTls13Engine, type Tls13Engine } from "./connection.ts";
export { DEFAULT_SUITE_ORDER, GROUP_BY_NAME, type Tls13Options } from "./context.ts";
export { type ClientHelloProbe, parseClientHelloVersions } from "../../protocol/probe.ts";
export type {
  AeadAlgorithm,
  AeadCipher,
  CompletedKeyShare,
  CryptoProvider,
  HashAlgorithm,
  HashContext,
  KeyShare,
  SigningKey,
} from "../../crypto/provider.ts";
export { keyShareFromPrivateKey, NodeCryptoProvider } from "../../crypto/node_provider.ts";
export { DEFAULT_GROUPS } from "./group_policy.ts";
export { CIPHER_SUITES, type CipherSuiteInfo, Group, SignatureScheme } from "../../protocol/constants.ts";
export type { Extension } from "../../protocol/messages.ts";

/**
 * An {@link EngineFactory} with fixed TLS 1.3 options (cipher suites,
 * groups, crypto provider).
 *
 * @example A server that speaks AES-256-GCM only
 * ```ts
 * import { createTls13Engine, issueCertificate, Ssl, tls13EngineFactory } from "@ssl-nonblock/tls";
 * import assert from "node:assert/strict";
 *
 * const ca = issueCertificate({ commonName: "Example CA", keyType: "ecdsa", isCA: true });
 * const leaf = issueCertificate({ commonName: "localhost", keyType: "ecdsa", issuer: ca, dnsNames: ["localhost"] });
 * const strict = tls13EngineFactory({ cipherSuites: ["TLS_AES_256_GCM_SHA384"] });
 * const server = new Ssl(strict, { role: "server", certificateChain: leaf.certPem, privateKey: leaf.keyPem });
 * const client = new Ssl(createTls13Engine, { role: "client", serverName: "localhost", caCertificates: [ca.certPem] });
 * client.handshake();
 * while (client.wbio.pending > 0 || server.wbio.pending > 0) {
 *   server.rbio.write(client.wbio.read());
 *   server.handshake();
 *   client.rbio.write(server.wbio.read());
 *   client.handshake();
 * }
 * assert.equal(client.info?.cipher, "TLS_AES_256_GCM_SHA384");
 * ```
 *
 * @param options The options every connection gets.
 * @returns A factory for {@link Ssl}.
 */
export function tls13EngineFactory(options: Tls13Options): EngineFactory {
  return (config, sink): TlsEngine => createTls13Engine(config, sink, options);
}
