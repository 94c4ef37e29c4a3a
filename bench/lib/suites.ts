/**
 * Pinning one cipher suite, per engine. The engine interface has no
 * cipher-suite setting, so each engine that can be pinned gets its own way
 * here; engines not listed are measured with the suite they negotiate.
 *
 * - forge: the suite list forge's `createConnection` receives is narrowed
 *   while the engine is built (a forge server takes the client's first
 *   suite it knows, so pinning the client decides).
 * - tls13: the engine's own `cipherSuites` option, and `groups` for one row
 *   per key exchange group; tls12: its `cipherSuites` option. Loaded only
 *   when that engine is registered, so this file does not depend on it
 *   otherwise.
 *
 * @module
 */

import { forge } from "../../lib/pki/forge.ts";
import type { EngineFactory } from "../../lib/ssl/engine.ts";

/** How to pin a suite for one engine. */
export interface SuitePins {
  /** IANA names of the suites the engine can negotiate. */
  suites: string[];
  /** How the pin works, for the report's notes. */
  method: string;
  /** An engine factory whose connections offer only `suite`. */
  factory(suite: string): EngineFactory;
  /** Key exchange groups the engine can be pinned to, each measured with the first suite (TLS 1.3 only). */
  groups?: string[];
  /** An engine factory whose connections offer only `group`, with the first suite. */
  groupFactory?(group: string): EngineFactory;
}

interface ForgeTls {
  CipherSuites: Record<string, unknown>;
  createConnection: (options: Record<string, unknown>) => unknown;
}

function forgePins(base: EngineFactory): SuitePins {
  const tls = forge.tls as unknown as ForgeTls;
  return {
    suites: Object.keys(tls.CipherSuites),
    method: "by narrowing the suite list forge's createConnection receives",
    factory(suite) {
      const chosen = tls.CipherSuites[suite];
      if (!chosen) throw new RangeError(`forge has no cipher suite ${suite}`);
      return (config, sink) => {
        // forge reads the list once, inside createConnection, while the engine is built.
        const original = tls.createConnection;
        tls.createConnection = (options) => original({ ...options, cipherSuites: [chosen] });
        try {
          return base(config, sink);
        } finally {
          tls.createConnection = original;
        }
      };
    },
  };
}

async function tls13Pins(): Promise<SuitePins> {
  const tls13 = await import("../../lib/engines/tls13/mod.ts");
  return {
    suites: tls13.CIPHER_SUITES.map((s) => s.name),
    method: "with the engine's cipherSuites option (tls13EngineFactory)",
    // The same options as lib/app/options.ts registers, plus the suite.
    factory: (suite) => tls13.tls13EngineFactory({ cipherSuites: [suite] }),
    // The price of each key exchange, the post-quantum hybrid included.
    groups: [...tls13.DEFAULT_GROUPS],
    groupFactory: (group) =>
      tls13.tls13EngineFactory({ cipherSuites: [tls13.DEFAULT_SUITE_ORDER[0]], groups: [group] }),
  };
}

async function tls12Pins(): Promise<SuitePins> {
  const tls12 = await import("../../lib/engines/tls12/mod.ts");
  return {
    // The bench's certificate is RSA (gen-certs' default), so the ECDHE_RSA suites.
    suites: tls12.TLS12_SUITES.filter((s) => s.auth === "rsa").map((s) => s.name),
    method: "with the engine's cipherSuites option (tls12EngineFactory), RSA certificate",
    factory: (suite) => tls12.tls12EngineFactory({ cipherSuites: [suite] }),
  };
}

/**
 * Suite pinning for the engine registered as `name`, or undefined when
 * there is no way to pin its suites.
 *
 * @example
 * ```ts
 * const pins = await suitePins("forge", ENGINES.forge);
 * const factory = pins?.factory("TLS_RSA_WITH_AES_256_CBC_SHA") ?? ENGINES.forge;
 * ```
 */
export async function suitePins(name: string, base: EngineFactory): Promise<SuitePins | undefined> {
  switch (name) {
    case "forge":
      return forgePins(base);
    case "tls13":
      return await tls13Pins();
    case "tls12":
      return await tls12Pins();
    default:
      return undefined;
  }
}
