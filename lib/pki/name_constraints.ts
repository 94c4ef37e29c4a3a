/**
 * Name constraints (RFC 5280 §4.2.1.10, §6.1.3 (b)(c), §6.1.4 (g)): a CA
 * limits the names any certificate below it may carry. DNS names, IP
 * addresses and directory names are enforced, permitted and excluded
 * subtrees alike; a constraint on another name form (e-mail, URI, otherName)
 * refuses any certificate that carries a name of that form, as §4.2.1.10
 * allows ("either process the constraint or reject the certificate").
 *
 * @module
 */

import type { Certificate } from "./certificate.ts";
import { children, context, DerError, DerReader, generalNameForm, readOne, Tag, type Tlv } from "./der.ts";
import { rdnKey } from "./directory_names.ts";
import { isDnsName } from "./names.ts";

/** One side (permitted or excluded) of a nameConstraints extension. */
export interface Subtrees {
  /** DNS name subtrees, lower case ("" = every name). */
  dns: string[];
  /** Address and mask, each 4 or 16 bytes. */
  ip: { address: Uint8Array; mask: Uint8Array }[];
  /** Name (RDN sequence) prefixes: each RDN as its comparison key ({@link rdnKey}). */
  directory: string[][];
  /** Other forms, by context tag number: enforced by refusing names of that form. */
  otherForms: Set<number>;
}

/** A decoded nameConstraints extension. */
export interface NameConstraints {
  permitted?: Subtrees;
  excluded?: Subtrees;
}

/** Refusal reasons {@link checkNameConstraints} returns. */
export type NameConstraintViolation = string;

function contiguousMask(mask: Uint8Array): boolean {
  let ended = false;
  for (const byte of mask) {
    for (let bit = 7; bit >= 0; bit--) {
      const set = (byte >> bit) & 1;
      if (set && ended) return false;
      if (!set) ended = true;
    }
  }
  return true;
}

function subtrees(tlv: Tlv): Subtrees {
  const out: Subtrees = { dns: [], ip: [], directory: [], otherForms: new Set() };
  const list = children(tlv);
  if (list.length === 0) throw new DerError("empty GeneralSubtrees"); // SIZE (1..MAX)
  for (const subtree of list) {
    if (subtree.tag !== Tag.SEQUENCE) throw new DerError("bad GeneralSubtree");
    const r = new DerReader(subtree.value);
    const base = r.read();
    generalNameForm(base.tag);
    // minimum and maximum MUST be absent (default 0) in this profile (§4.2.1.10).
    if (!r.done) throw new DerError("name constraint with minimum or maximum");
    if (base.tag === context(2, false)) {
      const name = String.fromCharCode(...base.value).toLowerCase();
      if (name !== "" && !isDnsName(name)) throw new DerError(`malformed DNS name constraint "${name}"`);
      out.dns.push(name);
    } else if (base.tag === context(7, false)) {
      const half = base.value.length / 2;
      if (half !== 4 && half !== 16) throw new DerError("IP name constraint is not 8 or 32 bytes");
      const mask = base.value.subarray(half);
      if (!contiguousMask(mask)) throw new DerError("IP name constraint mask is not contiguous");
      out.ip.push({ address: base.value.subarray(0, half), mask });
    } else if (base.tag === context(4, true)) {
      out.directory.push(children(readOne(base.value, Tag.SEQUENCE)).map((rdn) => rdnKey(rdn.bytes)));
    } else {
      out.otherForms.add(base.tag & 0x1f);
    }
  }
  return out;
}

/**
 * Decodes the nameConstraints extension value.
 */
export function parseNameConstraints(tlv: Tlv): NameConstraints {
  const r = new DerReader(tlv.value);
  const permitted = r.optional(context(0, true));
  const excluded = r.optional(context(1, true));
  r.end();
  if (!permitted && !excluded) throw new DerError("nameConstraints with neither subtree"); // §4.2.1.10
  return { permitted: permitted && subtrees(permitted), excluded: excluded && subtrees(excluded) };
}

/**
 * Whether a DNS name lies in a subtree: it is the subtree's name or ends
 * with `.` and that name (label boundaries only). A wildcard name is taken
 * literally, so `*.example.test` is inside `example.test` but not inside
 * `www.example.test`.
 */
export function dnsWithin(name: string, base: string): boolean {
  return base === "" || name === base || name.endsWith("." + base);
}

/** A wildcard name may stand for a name inside an excluded subtree one label below it. */
function dnsMayReach(name: string, base: string): boolean {
  if (dnsWithin(name, base)) return true;
  if (!name.startsWith("*.")) return false;
  const rest = name.slice(2), dot = base.indexOf(".");
  return dot > 0 && base.slice(dot + 1) === rest;
}

function ipWithin(address: Uint8Array, subtree: { address: Uint8Array; mask: Uint8Array }): boolean {
  if (address.length !== subtree.address.length) return false;
  return address.every((b, i) => (b & subtree.mask[i]) === (subtree.address[i] & subtree.mask[i]));
}

/**
 * An address as IP subtrees see it: an IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d, RFC 4291 §2.5.5.2) is also the IPv4 address it carries,
 * so an excluded IPv4 range cannot be reached by writing its hosts in IPv6.
 */
function ipForms(ip: Uint8Array): Uint8Array[] {
  const mapped = ip.length === 16 && ip.subarray(0, 10).every((b) => b === 0) && ip[10] === 0xff && ip[11] === 0xff;
  return mapped ? [ip, ip.subarray(12)] : [ip];
}

function directoryWithin(rdns: string[], base: string[]): boolean {
  return base.length <= rdns.length && base.every((rdn, i) => rdn === rdns[i]);
}

/** The names of a certificate, as name constraints see them. */
interface Names {
  dns: string[];
  ip: Uint8Array[];
  /** Each directory name as its RDN keys; undefined when one could not be read. */
  directory?: string[][];
  otherForms: Set<number>;
}

function directoryNamesOf(cert: Certificate): string[][] | undefined {
  const names = (cert.subjectAltName?.directory ?? []).map((dn) => children(readOne(dn, Tag.SEQUENCE)));
  try {
    const keys = names.map((rdns) => rdns.map((rdn) => rdnKey(rdn.bytes)));
    if (cert.subjectRdns.length > 0) keys.push(cert.subjectRdns.map(rdnKey));
    return keys;
  } catch (e) {
    if (e instanceof DerError) return undefined;
    throw e;
  }
}

function namesOf(cert: Certificate): Names {
  const san = cert.subjectAltName;
  return {
    dns: (san?.dns ?? []).map((n) => n.toLowerCase()),
    ip: san?.ip ?? [],
    directory: directoryNamesOf(cert),
    otherForms: san?.otherForms ?? new Set(),
  };
}

/** Above this many name-against-subtree comparisons a chain is refused (limbo pathological::nc-dos). */
export const MAX_NAME_CONSTRAINT_CHECKS = 4096;

/**
 * Checks a certificate's names against the constraints of every CA above
 * it. Returns why it violates them, or undefined. `budget` counts
 * comparisons across the chain.
 */
export function checkNameConstraints(
  cert: Certificate,
  constraints: NameConstraints[],
  budget: { used: number },
): NameConstraintViolation | undefined {
  if (constraints.length === 0) return undefined;
  const names = namesOf(cert);
  const count = names.dns.length + names.ip.length + (names.directory?.length ?? 1);
  for (const { permitted, excluded } of constraints) {
    for (const side of [permitted, excluded]) {
      if (!side) continue;
      budget.used += count * (side.dns.length + side.ip.length + side.directory.length);
      if (budget.used > MAX_NAME_CONSTRAINT_CHECKS) return "its name constraints take too many comparisons";
      for (const form of side.otherForms) {
        if (names.otherForms.has(form)) return `it carries a name of a constrained form we do not check ([${form}])`;
      }
    }
    if (names.dns.some((n) => !isDnsName(n, true)) && (permitted?.dns.length || excluded?.dns.length)) {
      return "a DNS name in its subjectAltName is malformed";
    }
    for (const name of names.dns) {
      if (permitted?.dns.length && !permitted.dns.some((b) => dnsWithin(name, b))) {
        return `DNS name ${name} is outside the permitted subtrees`;
      }
      if (excluded?.dns.some((b) => dnsMayReach(name, b))) return `DNS name ${name} is in an excluded subtree`;
    }
    for (const ip of names.ip) {
      // iPAddress is one name form: an IPv6 address is outside IPv4-only permitted subtrees,
      // except an IPv4-mapped one, which reaches the IPv4 host it carries.
      const forms = ipForms(ip);
      const v4 = forms.find((f) => f.length === 4);
      const text = v4 ? `IP address ${v4.join(".")}` : "an IPv6 address";
      if (permitted?.ip.length && !forms.some((f) => permitted.ip.some((s) => ipWithin(f, s)))) {
        return `${text} is outside the permitted subtrees`;
      }
      if (forms.some((f) => excluded?.ip.some((s) => ipWithin(f, s)))) return `${text} is in an excluded subtree`;
    }
    if (!names.directory && (permitted?.directory.length || excluded?.directory.length)) {
      return "its directory name could not be read";
    }
    for (const dn of names.directory ?? []) {
      if (permitted?.directory.length && !permitted.directory.some((b) => directoryWithin(dn, b))) {
        return "its directory name is outside the permitted subtrees";
      }
      if (excluded?.directory.some((b) => directoryWithin(dn, b))) {
        return "its directory name is in an excluded subtree";
      }
    }
  }
  return undefined;
}
