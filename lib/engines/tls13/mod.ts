/**
 * A TLS 1.3 engine (RFC 8446), client and server, behind the project's
 * sans-IO {@link TlsEngine} interface.
 *
 * @example
 * ```ts
 * import { createTls13Engine } from "./mod.ts";
 * import { Ssl } from "../../ssl/ssl.ts";
 * const ssl = new Ssl(createTls13Engine, { role: "client", serverName: "localhost", caCertificates: [caPem] });
 * ```
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
 * @example
 * ```ts
 * const factory = tls13EngineFactory({ cipherSuites: ["TLS_CHACHA20_POLY1305_SHA256"] });
 * const ssl = new Ssl(factory, config);
 * ```
 */
export function tls13EngineFactory(options: Tls13Options): EngineFactory {
  return (config, sink): TlsEngine => createTls13Engine(config, sink, options);
}
