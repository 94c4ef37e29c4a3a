/**
 * A TLS 1.2 engine (RFC 5246) with the modern profile: ECDHE, AEAD suites,
 * extended master secret, no renegotiation, no resumption; behind the
 * project's sans-IO {@link TlsEngine} interface.
 *
 * @module
 */

import type { EngineFactory, EngineSink, TlsConfig, TlsEngine } from "../../ssl/engine.ts";
import { createTls12Connection } from "./connection.ts";
import type { Tls12Options } from "./context.ts";
import { ExpectClientHello } from "./server_handshake.ts";
import { ExpectServerHello, sendClientHello } from "./client_handshake.ts";
import type { ClientHello } from "../../protocol/messages.ts";

export { TLS12_GROUP_NAMES, type Tls12Options } from "./context.ts";
export { TLS12_SUITES, type Tls12Suite } from "./suites.ts";

/**
 * Builds a TLS 1.2 engine for one connection; matches {@link EngineFactory}.
 */
export function createTls12Engine(config: TlsConfig, sink: EngineSink, options: Tls12Options = {}): TlsEngine {
  return createTls12Connection(
    config,
    sink,
    options,
    config.role === "server" ? (ctx) => new ExpectClientHello(ctx) : sendClientHello,
  );
}

/**
 * An {@link EngineFactory} with fixed TLS 1.2 options.
 */
export function tls12EngineFactory(options: Tls12Options): EngineFactory {
  return (config, sink) => createTls12Engine(config, sink, options);
}

/**
 * A TLS 1.2 client engine that takes over after a ClientHello offering
 * TLS 1.3 and TLS 1.2 was answered with TLS 1.2: the hello (as sent, header
 * included) starts the transcript, and the ServerHello is checked for the
 * RFC 8446 §4.1.3 downgrade sentinel.
 */
export function continueTls12Client(
  config: TlsConfig,
  sink: EngineSink,
  helloRaw: Uint8Array,
  hello: ClientHello,
  options: Tls12Options = {},
): TlsEngine {
  return createTls12Connection(config, sink, options, (ctx) => {
    ctx.transcript.add(helloRaw);
    return new ExpectServerHello(ctx, hello, true);
  });
}
