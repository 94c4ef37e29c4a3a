/**
 * Human-readable diagnostics on stderr, in the spirit of the seed's
 * `SSL-STATE:` lines and `openssl s_client -msg -debug -state -showcerts`.
 *
 * @module
 */

import type { ConnectionInfo, TraceEvent } from "../ssl/engine.ts";
import { derToPem, describeCertificate } from "../pki/x509.ts";

/** Which kinds of tracing the user asked for. */
export interface TraceFlags {
  /** State changes (`-state`). */
  state?: boolean;
  /** Handshake messages and records (`-msg`). */
  msg?: boolean;
  /** Hex dumps of the encrypted bytes on the socket (`-debug`). */
  debug?: boolean;
  /** The peer's certificate chain (`-showcerts`). */
  showcerts?: boolean;
}

/** Peer-chosen text (SNI, ALPN) with control characters escaped, so it cannot forge log lines. */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

const hex2 = (n: number) => n.toString(16).padStart(2, "0");
const hex4 = (n: number) => n.toString(16).padStart(4, "0");

/**
 * One trace event as a line, or undefined when the flags leave it out.
 */
export function formatTrace(event: TraceEvent, flags: TraceFlags): string | undefined {
  switch (event.kind) {
    case "state":
      return flags.state ? `SSL-STATE: ${event.text}` : undefined;
    case "message":
      if (!flags.msg) return undefined;
      return `${event.direction === "out" ? ">>>" : "<<<"} ${event.name} [length ${hex4(event.length)}]${
        event.detail ? ` ${event.detail}` : ""
      }`;
    case "record":
      if (!flags.msg) return undefined;
      return `${event.direction === "out" ? ">>>" : "<<<"} record ${event.contentType} version 0x${
        hex4(event.version)
      } [length ${hex4(event.length)}]`;
  }
}

/**
 * A hex dump like `openssl -debug`: offset, 16 bytes, printable text.
 */
export function hexdump(title: string, bytes: Uint8Array): string {
  const lines = [`${title} (${bytes.length} bytes => ${bytes.length} (0x${bytes.length.toString(16).toUpperCase()}))`];
  for (let off = 0; off < bytes.length; off += 16) {
    const row = bytes.subarray(off, off + 16);
    const hex = Array.from(row, (b, i) => hex2(b) + (i === 7 ? "-" : " ")).join("").padEnd(48);
    const text = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
    lines.push(`${hex4(off)} - ${hex}  ${text}`);
  }
  return lines.join("\n");
}

/**
 * The line printed after a handshake: protocol, cipher and friends.
 */
export function describeSession(info: ConnectionInfo): string {
  const parts = [`${info.protocol}`, `cipher ${info.cipher}`];
  if (info.group) parts.push(`group ${info.group}`);
  if (info.signatureScheme) parts.push(`peer signature ${info.signatureScheme}`);
  if (info.alpn) parts.push(`ALPN ${printable(info.alpn)}`);
  if (info.serverName) parts.push(`SNI ${printable(info.serverName)}`);
  if (info.peerCertificates.length > 0) {
    const subject = describeCertificate(info.peerCertificates[0]).split("\n")[0];
    parts.push(`peer ${subject}`);
  }
  return parts.join(", ");
}

/**
 * The peer's chain for `--showcerts`: each certificate described and in PEM.
 */
export function describeChain(chain: Uint8Array[]): string {
  if (chain.length === 0) return "---\nno peer certificate\n---";
  const out = ["---", "Certificate chain"];
  chain.forEach((der, i) => {
    out.push(` ${i} ${describeCertificate(der).replace(/\n/g, "\n   ")}`);
    out.push(derToPem(der).trimEnd());
  });
  out.push("---");
  return out.join("\n");
}

/**
 * The end-of-connection line: bytes each way, duration, throughput.
 */
export function describeTransfer(bytesIn: number, bytesOut: number, durationMs: number): string {
  const seconds = durationMs / 1000;
  const rate = seconds > 0 ? (bytesIn + bytesOut) / 1e6 / seconds : 0;
  return `${bytesIn} bytes in, ${bytesOut} bytes out, ${seconds.toFixed(3)} s, ${rate.toFixed(2)} MB/s`;
}

/**
 * The trace callback for {@link Ssl} given the user's flags: every line to
 * stderr, or undefined when no tracing was asked for.
 */
export function traceToStderr(flags: TraceFlags): ((event: TraceEvent) => void) | undefined {
  if (!flags.state && !flags.msg) return undefined;
  return (event) => {
    const line = formatTrace(event, flags);
    if (line !== undefined) console.error(line);
  };
}

/**
 * The socket observer for `--debug`: a hex dump of each read and write.
 */
export function dumpToStderr(flags: TraceFlags): ((direction: "in" | "out", bytes: Uint8Array) => void) | undefined {
  if (!flags.debug) return undefined;
  return (direction, bytes) =>
    console.error(hexdump(direction === "in" ? "read from socket" : "write to socket", bytes));
}
