/**
 * HTML for annotated bytes: a hex dump whose bytes carry the name of the
 * field they belong to (shown on hover, highlighted on click), and the
 * field tree beside it. Every piece of text is escaped: field values can be
 * peer-chosen strings.
 *
 * @module
 */

import type { Field } from "./fields.ts";

/**
 * Escapes text for HTML content and quoted attribute values.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`).replace(
    // deno-lint-ignore no-control-regex -- control characters are what this makes visible
    /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}

/** Bytes as lowercase hex, optionally with a space between bytes. */
export function hex(bytes: Uint8Array, sep = ""): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(sep);
}

/** Printable ASCII as itself, anything else as `\xNN` (then escape for HTML). */
export function printable(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) {
    out += b === 0x0a ? "\n" : b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return out;
}

interface Flat {
  id: string;
  path: string;
  field: Field;
  depth: number;
}

function flatten(fields: Field[], prefix: string): Flat[] {
  const out: Flat[] = [];
  const walk = (list: Field[], path: string, depth: number) => {
    for (const f of list) {
      const here = path ? `${path} › ${f.name}` : f.name;
      out.push({ id: `${prefix}-${out.length}`, path: here, field: f, depth });
      walk(f.children, here, depth + 1);
    }
  };
  walk(fields, "", 0);
  return out;
}

/** Shortens a field value for a tooltip. */
function brief(value: string | undefined): string {
  if (value === undefined) return "";
  const line = value.split("\n")[0];
  return ` = ${line.length > 80 ? `${line.slice(0, 77)}...` : line}`;
}

/**
 * A hex dump with every byte labelled by its innermost field, and the field
 * tree; `limit` bytes at most are drawn.
 */
export function annotatedBytes(bytes: Uint8Array, fields: Field[], prefix: string, limit: number): string {
  const flat = flatten(fields, prefix);
  const shown = Math.min(bytes.length, limit);
  const owner: (Flat | undefined)[] = new Array(shown);
  for (const f of flat) {
    for (let i = f.field.start; i < Math.min(f.field.end, shown); i++) owner[i] = f;
  }
  // Neighbouring leaves get different colours.
  const colour = new Map<string, number>();
  let next = 0;
  for (const f of flat) if (!f.field.children.length) colour.set(f.id, next++ % 6);
  const lines: string[] = [];
  for (let row = 0; row < shown; row += 16) {
    let line = `<span class="off">${row.toString(16).padStart(4, "0")}</span> `;
    let i = row;
    const rowEnd = Math.min(row + 16, shown);
    while (i < rowEnd) {
      const o = owner[i];
      let j = i + 1;
      while (j < rowEnd && owner[j] === o) j++;
      const text = hex(bytes.subarray(i, j), " ");
      line += o
        ? `<span class="b c${colour.get(o.id) ?? 0}" data-f="${o.id}" title="${
          escapeHtml(o.path + brief(o.field.value))
        }">${text}</span> `
        : `<span class="b">${text}</span> `;
      i = j;
    }
    lines.push(line.trimEnd());
  }
  const more = bytes.length > shown ? `<div class="more">… ${bytes.length - shown} more bytes not shown</div>` : "";
  return `<div class="bytes"><pre class="hex">${lines.join("\n")}</pre>${more}${fieldTree(flat)}</div>`;
}

function fieldTree(flat: Flat[]): string {
  let html = "";
  let depth = -1;
  for (const f of flat) {
    while (depth < f.depth) {
      html += `<ul class="${depth < 0 ? "fields" : "sub"}">`;
      depth++;
    }
    while (depth > f.depth) {
      html += "</ul>";
      depth--;
    }
    const { name, start, end, value } = f.field;
    const v = value === undefined ? "" : `<span class="fv">${escapeHtml(value)}</span>`;
    html += `<li data-f="${f.id}"><span class="fn">${escapeHtml(name)}</span> <span class="fr">${start}–${end - 1} (${
      end - start
    } B)</span> ${v}</li>`;
  }
  while (depth-- >= 0) html += "</ul>";
  return html;
}
