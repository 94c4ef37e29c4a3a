/**
 * `--trace-html`: an illustrated, byte-by-byte page of one connection, made
 * from the trace events the TLS object emits (records, messages, plaintext,
 * key schedule, failure). The page is one self-contained HTML file.
 *
 * @module
 */

import type { Role, TraceEvent } from "../ssl/engine.ts";
import { TraceCollector } from "./collector.ts";
import { type PageContext, renderPage } from "./page.ts";

export type { PageContext } from "./page.ts";
export { escapeHtml } from "./hex_view.ts";

/** Collects one connection's events and writes its page. */
export class TracePage {
  readonly collector: TraceCollector;

  constructor(role: Role) {
    this.collector = new TraceCollector(role);
  }

  /** The trace callback to give {@link Ssl} (with `traceSecrets: true`). */
  readonly trace = (event: TraceEvent): void => this.collector.add(event);

  /** The page as HTML. */
  render(ctx: PageContext): string {
    return renderPage(this.collector, ctx);
  }

  /**
   * Writes the page, mode 0600 (it holds secrets): created so, and an
   * existing file is made private before anything is written to it.
   */
  async write(path: string, ctx: PageContext): Promise<void> {
    const file = await Deno.open(path, { write: true, create: true, truncate: true, mode: 0o600 });
    try {
      await Deno.chmod(path, 0o600);
      const bytes = new TextEncoder().encode(this.render(ctx));
      for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
    } finally {
      file.close();
    }
  }
}
