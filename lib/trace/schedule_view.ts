/**
 * The key schedule section: each secret in the order it was derived, laid
 * out like the RFC 8446 §7.1 figure (inputs, the Extract chain, the traffic
 * secrets hanging off it), then the traffic keys and IVs each direction
 * used (§7.3). A TLS 1.2 engine's PRF steps show the same way.
 *
 * @module
 */

import type { KeysStep, SecretStep, TraceCollector } from "./collector.ts";
import { escapeHtml as esc, hex } from "./hex_view.ts";

function stepClass(name: string): { cls: string; indent: number } {
  if (/shared secret|pre_master|PSK/i.test(name)) return { cls: "step input", indent: 2 };
  if (name === "derived") return { cls: "step", indent: 1 };
  if (/traffic|exporter|resumption|key_block/.test(name)) return { cls: "step traffic", indent: 3 };
  return { cls: "step", indent: 0 };
}

function step(s: SecretStep): string {
  const { cls, indent } = stepClass(s.name);
  const hash = s.transcriptHash ? `<div class="how">transcript hash: <code>${hex(s.transcriptHash)}</code></div>` : "";
  return `<div class="${cls}" style="--indent:${indent * 28}px" data-secret="${esc(s.name)}"><div><span class="name">${
    esc(s.name)
  }</span> = <span class="how">${esc(s.derivation)}</span></div>${hash}<div class="val mono">${
    hex(s.value)
  }</div></div>`;
}

/** Names a traffic secret by the schedule step that produced it. */
function secretName(steps: readonly SecretStep[], secret: Uint8Array): string {
  const h = hex(secret);
  return steps.find((s) => hex(s.value) === h)?.name ?? "next traffic secret (KeyUpdate, RFC 8446 §7.2)";
}

function keysRow(c: TraceCollector, k: KeysStep): string {
  const sender = k.direction === "write" ? c.role : c.role === "client" ? "server" : "client";
  return `<tr><td>${esc(k.direction)} (${sender}'s records)</td><td>${esc(secretName(c.secrets, k.secret))}</td><td>${
    esc(k.cipher)
  }</td><td><span class="name">${sender}_write_key</span><br><code>${
    hex(k.key)
  }</code></td><td><span class="name">${sender}_write_iv</span><br><code>${hex(k.iv)}</code></td></tr>`;
}

/**
 * The key schedule section.
 */
export function keySchedule(c: TraceCollector): string {
  const intro = `<h2 id="key-schedule">Key schedule</h2>`;
  if (!c.secrets.length && !c.keys.length) {
    return `${intro}<p class="note">No key schedule was traced (the handshake stopped before keys were derived, or this engine does not trace its secrets).</p>`;
  }
  return `${intro}<p class="note">Each secret in the order this side derived it (RFC 8446 §7.1: HKDF-Extract down the left, Derive-Secret branching right).</p>
<div class="schedule">${c.secrets.map(step).join("\n")}</div>
<h3>Traffic keys and IVs (RFC 8446 §7.3)</h3>
<table class="keys"><thead><tr><th>direction</th><th>from secret</th><th>cipher</th><th>key</th><th>iv</th></tr></thead>
<tbody>${c.keys.map((k) => keysRow(c, k)).join("\n")}</tbody></table>`;
}
