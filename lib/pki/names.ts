/**
 * Server identity (RFC 9525): the host a client asked for against the
 * subjectAltName of the server's certificate. DNS names compare
 * case-insensitively with a trailing dot ignored, internationalised names as
 * A-labels; a wildcard is a whole leftmost label standing for exactly one
 * label; IP addresses match only iPAddress entries; the subject's CN is
 * never used (RFC 9525 §6.3, RFC 6125 §6.4.4).
 *
 * @module
 */

import { domainToASCII } from "node:url";
import type { Certificate } from "./certificate.ts";
import { sameBytes } from "./der.ts";

/**
 * Whether a host is written as an IP address (never sent as SNI, RFC 6066
 * §3; matched against IP entries of the subjectAltName).
 */
export function isIpLiteral(host: string): boolean {
  return /^[0-9.]+$/.test(host) || host.includes(":");
}

function parseIpv4(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = parts.map((p) => (/^(0|[1-9][0-9]{0,2})$/.test(p) ? Number(p) : 256));
  return bytes.every((b) => b < 256) ? bytes : undefined;
}

/**
 * An IPv4 address in dotted-quad form or an IPv6 address (RFC 4291 §2.2,
 * `::` and a trailing dotted quad allowed) as 4 or 16 bytes; anything else
 * (`127.1`, leading zeros, a zone) is not an address.
 */
export function parseIp(text: string): Uint8Array | undefined {
  if (!text.includes(":")) {
    const v4 = parseIpv4(text);
    return v4 ? new Uint8Array(v4) : undefined;
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (half: string) => (half === "" ? [] : half.split(":"));
  const head = groups(halves[0]), tail = halves.length === 2 ? groups(halves[1]) : [];
  const words: number[][] = [head, tail].map((list) =>
    list.flatMap((g, i) => {
      if (i === list.length - 1 && g.includes(".")) {
        const v4 = parseIpv4(g);
        return v4 ? [v4[0] << 8 | v4[1], v4[2] << 8 | v4[3]] : [-1];
      }
      return /^[0-9a-fA-F]{1,4}$/.test(g) ? [parseInt(g, 16)] : [-1];
    })
  );
  if (head.length && head[head.length - 1].includes(".") && halves.length === 2) return undefined;
  const count = words[0].length + words[1].length;
  if (words.some((w) => w.includes(-1)) || (halves.length === 2 ? count > 7 : count !== 8)) return undefined;
  const all = [...words[0], ...new Array(8 - count).fill(0), ...words[1]];
  return new Uint8Array(all.flatMap((w) => [w >> 8, w & 0xff]));
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Whether a (lower-case) DNS name is letters, digits and hyphens in labels
 * of 1–63 characters (RFC 1034 §3.5, RFC 5890 A-labels included); with
 * `wildcard`, the leftmost label may be `*`.
 */
export function isDnsName(name: string, wildcard = false): boolean {
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split(".");
  return labels.every((l, i) => LABEL.test(l) || (wildcard && i === 0 && l === "*" && labels.length > 1));
}

/** The reference identity a client checks (RFC 9525 §6.2). */
export type ReferenceIdentity = { kind: "dns"; name: string } | { kind: "ip"; address: Uint8Array };

/**
 * The host as the client checks it: `[…]` and a trailing dot removed, DNS
 * names in lower case and A-labels; undefined when it is neither a valid
 * DNS name nor an IP address.
 */
export function referenceIdentity(host: string): ReferenceIdentity | undefined {
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  if (isIpLiteral(bare)) {
    const address = parseIp(bare);
    return address ? { kind: "ip", address } : undefined;
  }
  const dotless = bare.endsWith(".") ? bare.slice(0, -1) : bare;
  // deno-lint-ignore no-control-regex
  const ascii = /^[\x00-\x7f]*$/.test(dotless) ? dotless.toLowerCase() : domainToASCII(dotless);
  return isDnsName(ascii) ? { kind: "dns", name: ascii } : undefined;
}

/**
 * A presented dNSName against a reference DNS name (both lower case):
 * equal, or a `*` leftmost label standing for one non-empty label of a name
 * with at least two more labels (so `*.test` matches nothing).
 */
export function dnsNameMatches(presented: string, reference: string): boolean {
  const pattern = presented.toLowerCase().replace(/\.$/, "");
  if (!isDnsName(pattern, true)) return false;
  if (!pattern.startsWith("*.")) return pattern === reference;
  const rest = pattern.slice(2);
  const dot = reference.indexOf(".");
  return rest.includes(".") && dot > 0 && reference.slice(dot + 1) === rest;
}

/**
 * Whether the certificate's subjectAltName names the host (a DNS name or an
 * IP address). Without a subjectAltName nothing matches: the CN is not a
 * host name.
 */
export function certificateMatchesHost(cert: Certificate, host: string): boolean {
  const ref = referenceIdentity(host);
  const san = cert.subjectAltName;
  if (!ref || !san) return false;
  if (ref.kind === "ip") return san.ip.some((ip) => sameBytes(ip, ref.address));
  return san.dns.some((name) => dnsNameMatches(name, ref.name));
}
