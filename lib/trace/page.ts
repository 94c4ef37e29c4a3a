/**
 * The page itself: banner, summary, the seed's memory-BIO diagram with the
 * bytes that crossed each arrow, the timeline of flights, every record
 * annotated (ciphertext and plaintext), the key schedule, the application
 * data, and the failure where it happened.
 *
 * @module
 */

import type { ConnectionInfo } from "../ssl/engine.ts";
import { describeCertificate } from "../pki/x509.ts";
import type { FailureView, Flight, FoldedRecords, RecordView, TraceCollector } from "./collector.ts";
import { APP_DATA_SHOWN } from "./collector.ts";
import { type AnnotateOptions, FieldBudget, plaintextFields, recordFields } from "./fields.ts";
import { annotatedBytes, escapeHtml as esc, printable } from "./hex_view.ts";
import { SCRIPT, STYLE } from "./assets.ts";
import { keySchedule } from "./schedule_view.ts";

/** Application-data bytes drawn in a record's hex view. */
const APP_HEX_SHOWN = 256;
/** Any record's bytes drawn at most. */
const RECORD_HEX_SHOWN = 8192;
/** Fields named on one page at most, whatever the peer sent. */
const PAGE_FIELDS = 50_000;
const VERSION_CODES: Record<string, number> = {
  "TLSv1": 0x0301,
  "TLSv1.1": 0x0302,
  "TLSv1.2": 0x0303,
  "TLSv1.3": 0x0304,
};

/** What the program knows besides the events. */
export interface PageContext {
  /** e.g. `client connected to 127.0.0.1:4433`. */
  title: string;
  /** Negotiated parameters, when the handshake completed. */
  info?: ConnectionInfo;
}

const n = (v: number) => v.toLocaleString("en-US");

/**
 * The whole page as one string.
 */
export function renderPage(c: TraceCollector, ctx: PageContext): string {
  const body = [
    `<h1>TLS connection: ${esc(ctx.title)}</h1>`,
    `<div class="banner" id="secrets-banner"><b>This page contains secrets.</b> It holds this connection's traffic keys and key schedule and the start of its application data: anyone who has it can decrypt a capture of the connection. Keep it private (it was written with mode 0600) and delete it when done.</div>`,
    summary(c, ctx),
    diagram(c),
    timeline(c),
    records(c, { version: ctx.info && VERSION_CODES[ctx.info.protocol], budget: new FieldBudget(PAGE_FIELDS) }),
    keySchedule(c),
    appData(c),
    leftOut(),
  ].join("\n");
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>TLS trace: ${esc(ctx.title)}</title>
<style>${STYLE}</style></head>
<body><main>
${body}
</main><div id="field-info">Hover over the bytes to name them; click to pin.</div>
<script>${SCRIPT}</script></body></html>
`;
}

const peerName = (c: TraceCollector) => c.role === "client" ? "server" : "client";
/** "client → server" for our direction `out` from the client. */
export function arrow(c: TraceCollector, direction: "in" | "out"): string {
  return direction === "out" ? `${c.role} → ${peerName(c)}` : `${peerName(c)} → ${c.role}`;
}

function summary(c: TraceCollector, ctx: PageContext): string {
  const rows: [string, string][] = [
    ["this side", c.role],
    ["started", c.startedAt.toISOString()],
  ];
  const i = ctx.info;
  if (i) {
    rows.push(["protocol", i.protocol], ["cipher suite", i.cipher]);
    if (i.group) rows.push(["key exchange", i.group]);
    if (i.signatureScheme) rows.push(["peer signature", i.signatureScheme]);
    if (i.alpn) rows.push(["ALPN", JSON.stringify(i.alpn)]);
    if (i.serverName) rows.push(["SNI", JSON.stringify(i.serverName)]);
    if (i.peerCertificates.length) {
      rows.push([`${peerName(c)} certificate`, describeCertificate(i.peerCertificates[0]).split("\n")[0]]);
    }
  }
  const outcome = c.failure
    ? `<span class="failed">failed: alert ${esc(c.failure.alert)}</span>`
    : i
    ? `<span class="ok">handshake complete</span>`
    : `<span class="failed">ended before the handshake completed</span>`;
  rows.push(["outcome", ""]);
  return `<h2 id="summary">Summary</h2><dl class="summary">${
    rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${k === "outcome" ? outcome : esc(v)}</dd>`).join("")
  }</dl>`;
}

function diagram(c: TraceCollector): string {
  const inWire = c.wire.in.bytes, outWire = c.wire.out.bytes;
  const a = (count: number, call: string, dir: "→" | "←", id: string) =>
    `<div class="arrow" id="${id}"><div class="n" data-bytes="${count}">${n(count)} bytes</div><div class="line">${
      dir === "→" ? "———————→" : "←———————"
    }</div><div class="call">${esc(call)}</div></div>`;
  return `<h2 id="diagram">Bytes through the memory BIOs</h2>
<p class="note">The program moves encrypted bytes between the socket and two memory buffers; the TLS object only ever sees memory (${
    n(c.wire.in.records)
  } records in, ${n(c.wire.out.records)} out).</p>
<div class="diagram">
<div class="box">socket</div>${
    a(inWire, "read() → BIO_write(rbio)", "→", "arrow-socket-rbio")
  }<div class="box">rbio</div>${
    a(inWire, "SSL reads rbio", "→", "arrow-rbio-tls")
  }<div class="box tls">TLS<br>(Ssl)</div>${
    a(c.data.in.bytes, "SSL_read()", "→", "arrow-tls-stdout")
  }<div class="box">stdout</div>
<div class="box">socket</div>${
    a(outWire, "BIO_read(wbio) → write()", "←", "arrow-wbio-socket")
  }<div class="box">wbio</div>${a(outWire, "SSL writes wbio", "←", "arrow-tls-wbio")}${
    a(c.data.out.bytes, "SSL_write()", "←", "arrow-stdin-tls")
  }<div class="box">stdin</div>
</div>`;
}

function messageList(f: Flight): string {
  if (!f.messages.length) return "";
  return f.messages.map((m) => `${esc(m.name)}${m.detail ? ` (${esc(m.detail)})` : ""}`).join(", ");
}

function timeline(c: TraceCollector): string {
  const rows: string[] = [];
  let number = 0;
  c.flights.forEach((f, i) => {
    const msgs = messageList(f);
    rows.push(
      f.bulk
        ? `<tr class="flight bulk"><th colspan="5">Application data, both ways (records not shown one by one)</th></tr>`
        : `<tr class="flight"><th colspan="5">Flight ${++number}: ${esc(arrow(c, f.direction))}${
          msgs ? ` — <span class="msgs">${msgs}</span>` : ""
        }</th></tr>`,
    );
    for (const item of f.items) rows.push(item.kind === "record" ? recordRow(c, item) : foldedRow(c, item));
    if (c.failure && c.failure.afterFlight === i) rows.push(failureRow(c.failure));
  });
  if (c.failure && c.failure.afterFlight < 0) rows.push(failureRow(c.failure));
  return `<h2 id="timeline">Timeline</h2>
<table class="timeline"><thead><tr><th>#</th><th>time</th><th>direction</th><th>content type</th><th>length</th></tr></thead>
<tbody>${rows.join("\n")}</tbody></table>`;
}

function typeText(r: RecordView): string {
  return r.plaintext ? `${r.contentType} → ${r.plaintext.contentType}` : r.contentType;
}

function recordRow(c: TraceCollector, r: RecordView): string {
  return `<tr class="rec"><td><a href="#record-${r.number}">${r.number}</a></td><td>${
    r.time.toFixed(1)
  } ms</td><td class="${r.direction}">${esc(arrow(c, r.direction))}</td><td>${esc(typeText(r))}</td><td>${
    n(r.length)
  }</td></tr>`;
}

function foldedRow(c: TraceCollector, f: FoldedRecords): string {
  return `<tr class="folded"><td>…</td><td>${f.firstTime.toFixed(1)}–${
    f.lastTime.toFixed(1)
  } ms</td><td class="${f.direction}">${esc(arrow(c, f.direction))}</td><td>${
    n(f.count)
  } more application_data records</td><td>${n(f.wireBytes)} bytes on the wire</td></tr>`;
}

function failureRow(f: FailureView): string {
  return `<tr class="fail"><td>✗</td><td>${f.time.toFixed(1)} ms</td><td colspan="3">${esc(failureText(f))}</td></tr>`;
}

function failureText(f: FailureView): string {
  const who = f.received ? "the peer sent alert" : f.sent ? "we sent alert" : "alert (not sent)";
  const where = f.lastMessage
    ? ` after ${f.lastMessage.direction === "in" ? "receiving" : "sending"} ${f.lastMessage.name}`
    : "";
  return `Handshake failed${where}: ${who} ${f.alert} — ${f.reason}`;
}

function records(c: TraceCollector, options: AnnotateOptions): string {
  const out: string[] = [
    `<h2 id="records">Every record, byte by byte</h2><p class="note">Hover over a byte to see its field; click to pin it. Protected records are shown as sent and, decrypted with this connection's keys, as the inner plaintext (content, real content type, padding).</p>`,
  ];
  c.flights.forEach((f, i) => {
    for (const item of f.items) {
      if (item.kind === "record") out.push(recordArticle(c, item, options));
      else {out.push(
          `<p class="note">… ${n(item.count)} more application_data records ${esc(arrow(c, item.direction))} (${
            n(item.wireBytes)
          } bytes) not shown.</p>`,
        );}
    }
    if (c.failure && c.failure.afterFlight === i) out.push(failureBox(c.failure));
  });
  if (c.failure && c.failure.afterFlight < 0) out.push(failureBox(c.failure));
  if (options.budget?.spent) {
    out.push(`<p class="note">Fields are named up to ${n(PAGE_FIELDS)} per page; later bytes are shown unnamed.</p>`);
  }
  return out.join("\n");
}

function failureBox(f: FailureView): string {
  return `<div class="error" id="failure">✗ ${esc(failureText(f))}</div>`;
}

function recordArticle(c: TraceCollector, r: RecordView, options: AnnotateOptions): string {
  const head = `<h3>Record ${r.number} <span class="dir-${r.direction}">${
    esc(arrow(c, r.direction))
  }</span> <span class="tag">${esc(typeText(r))}</span><span class="tag">${n(r.length)} bytes</span><span class="tag">${
    r.time.toFixed(1)
  } ms</span></h3>`;
  if (!r.bytes) {
    return `<article class="record" id="record-${r.number}">${head}<p class="note">bytes not recorded</p></article>`;
  }
  const isApp = (r.plaintext?.contentType ?? r.contentType) === "application_data";
  const limit = isApp ? APP_HEX_SHOWN : RECORD_HEX_SHOWN;
  const wire = annotatedBytes(
    r.bytes,
    recordFields(r.bytes, r.plaintext !== undefined, options),
    `r${r.number}`,
    limit,
  );
  let plain = "";
  if (r.plaintext) {
    const p = plaintextFields(r.plaintext.content, r.plaintext.contentType, r.plaintext.padding, options);
    plain = `<div class="plain"><h3>Decrypted: inner plaintext <span class="tag">${
      esc(r.plaintext.contentType)
    }</span>${r.plaintext.padding ? `<span class="tag">${r.plaintext.padding} bytes of padding</span>` : ""}</h3>${
      annotatedBytes(p.bytes, p.fields, `p${r.number}`, limit)
    }</div>`;
  } else if (r.contentType === "application_data") {
    plain = `<p class="note">Not decrypted here: no keys were traced for this record.</p>`;
  }
  return `<article class="record ${r.direction}" id="record-${r.number}">${head}<div class="wire">${wire}</div>${plain}</article>`;
}

function appData(c: TraceCollector): string {
  const part = (direction: "in" | "out") => {
    const d = c.data[direction];
    const label = direction === "in"
      ? `received from the ${peerName(c)} (to stdout)`
      : `sent to the ${peerName(c)} (from stdin)`;
    const head = d.head.length
      ? `<pre class="data" id="data-${direction}">${esc(printable(d.head))}${
        d.bytes > d.head.length ? `\n… ${n(d.bytes - d.head.length)} more bytes not shown` : ""
      }</pre>`
      : "";
    return `<h3>${esc(label)}: ${n(d.bytes)} bytes in ${n(d.chunks)} chunks</h3>${head}`;
  };
  return `<h2 id="appdata">Application data</h2><p class="note">Only the first ${APP_DATA_SHOWN} bytes each way are shown, non-printable bytes as \\xNN.</p>${
    part("in")
  }${part("out")}`;
}

function leftOut(): string {
  return `<h2 id="left-out">Not shown</h2><p class="note">Application data past the first bytes and records; the (EC)DHE private keys and our signing key (never traced); Finished keys; bytes before this program saw the connection. Everything is as this side saw it, timed by this program's clock.</p>`;
}
