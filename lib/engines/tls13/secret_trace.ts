/**
 * The trace events that carry secrets or decrypted bytes (key schedule,
 * traffic keys, record plaintext), for `--trace-html`. They exist only when
 * the tracer asked for them ({@link EngineSink.traceSecrets}): otherwise
 * {@link SecretTracer.for} returns undefined and nothing is computed.
 *
 * @module
 */

import type { EngineSink, TraceEvent } from "../../ssl/engine.ts";
import { type CipherSuiteInfo, CONTENT_TYPE_NAMES, ContentType, MAX_PLAINTEXT } from "../../protocol/constants.ts";
import type { SecretTrace, TrafficKeys } from "./key_schedule.ts";
import type { InboundRecord } from "./record.ts";

/** Every TLS 1.3 AEAD has a 16-byte tag. */
const AEAD_TAG = 16;

/**
 * Emits the secret-bearing events of one connection.
 */
export class SecretTracer {
  readonly #trace: (event: TraceEvent) => void;

  private constructor(trace: (event: TraceEvent) => void) {
    this.#trace = trace;
  }

  /** A tracer when the sink asked for secrets, else undefined. */
  static for(sink: EngineSink): SecretTracer | undefined {
    return sink.trace && sink.traceSecrets ? new SecretTracer(sink.trace) : undefined;
  }

  /** One key schedule step (RFC 8446 §7.1). */
  readonly schedule: SecretTrace = (name, value, derivation, transcriptHash) =>
    this.#trace({ kind: "secret", name, value: value.slice(), derivation, transcriptHash });

  /** New traffic keys for one direction (RFC 8446 §7.3). */
  keys(direction: "read" | "write", suite: CipherSuiteInfo, secret: Uint8Array, k: TrafficKeys): void {
    this.#trace({ kind: "keys", direction, cipher: suite.name, secret, key: k.key, iv: k.iv });
  }

  /** A protected record we received, once decrypted. */
  opened(rec: InboundRecord): void {
    const padding = rec.length - AEAD_TAG - 1 - rec.fragment.length;
    this.#plaintext("in", rec.type, rec.fragment.slice(), rec.length, padding);
  }

  /** Data about to be sealed into protected records of at most 2^14 bytes each (no padding). */
  sealing(type: number, data: Uint8Array): void {
    for (let at = 0; at < data.length || at === 0; at += MAX_PLAINTEXT) {
      const content = data.slice(at, at + MAX_PLAINTEXT);
      this.#plaintext("out", type, content, content.length + 1 + AEAD_TAG, 0);
    }
  }

  #plaintext(direction: "in" | "out", type: number, content: Uint8Array, outerLength: number, padding: number): void {
    this.#trace({
      kind: "plaintext",
      direction,
      outerType: CONTENT_TYPE_NAMES[ContentType.application_data],
      outerLength,
      contentType: CONTENT_TYPE_NAMES[type] ?? `type ${type}`,
      content,
      padding,
    });
  }
}
