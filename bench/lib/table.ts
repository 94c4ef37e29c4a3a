/**
 * Markdown tables and number formats for the report. Cells are padded so
 * the table also reads well in a terminal.
 *
 * @module
 */

/** Column alignment: left or right (numbers). */
export type Align = "l" | "r";

/**
 * A markdown table; `align` defaults to left for every column.
 *
 * @example
 * ```ts
 * markdownTable(["engine", "MB/s"], [["forge", "4.1"]], ["l", "r"]);
 * // | engine | MB/s |
 * // | ------ | ---: |
 * // | forge  |  4.1 |
 * ```
 */
export function markdownTable(headers: string[], rows: string[][], align: Align[] = []): string {
  for (const row of rows) {
    if (row.length !== headers.length) {
      throw new RangeError(`table row has ${row.length} cells, header has ${headers.length}`);
    }
  }
  const escape = (cell: string) => cell.replaceAll("|", "\\|").replaceAll("\n", " ");
  const cells = [headers, ...rows].map((row) => row.map(escape));
  const widths = headers.map((_, c) => Math.max(3, ...cells.map((row) => row[c].length)));
  const pad = (text: string, c: number) => align[c] === "r" ? text.padStart(widths[c]) : text.padEnd(widths[c]);
  const line = (row: string[]) => `| ${row.map(pad).join(" | ")} |`;
  const rule = `| ${widths.map((w, c) => align[c] === "r" ? "-".repeat(w - 1) + ":" : "-".repeat(w)).join(" | ")} |`;
  return [line(cells[0]), rule, ...cells.slice(1).map(line)].join("\n");
}

/**
 * A rate or count with sensible precision: 3 significant digits up to 100,
 * whole numbers above; `n/a` for a missing value.
 *
 * @example
 * ```ts
 * formatNumber(4.1234); // "4.12"
 * formatNumber(1234.5); // "1235"
 * formatNumber(undefined); // "n/a"
 * ```
 */
export function formatNumber(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return "n/a";
  if (Math.abs(n) >= 100) return Math.round(n).toString();
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/**
 * A ratio as `0.42×`; `n/a` when missing.
 *
 * @example
 * ```ts
 * formatRatio(0.4213); // "0.42×"
 * ```
 */
export function formatRatio(r: number | undefined): string {
  if (r === undefined || !Number.isFinite(r)) return "n/a";
  return `${r >= 10 ? r.toFixed(1) : r >= 0.01 ? r.toFixed(2) : r.toFixed(4)}×`;
}

/**
 * KiB (as /proc reports them) as MiB with one decimal; `n/a` when missing.
 *
 * @example
 * ```ts
 * formatKiB(51200); // "50.0 MiB"
 * ```
 */
export function formatKiB(kib: number | undefined): string {
  if (kib === undefined || !Number.isFinite(kib)) return "n/a";
  return `${(kib / 1024).toFixed(1)} MiB`;
}
