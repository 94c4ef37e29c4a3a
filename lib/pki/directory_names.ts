/**
 * Directory names compared as RFC 5280 §7.1 asks: each attribute value of
 * a directory string type is prepared as RFC 4518 does for caseIgnoreMatch
 * — whatever the string type, compatibility-normalised, case folded,
 * leading and trailing spaces dropped, inner runs of spaces made one — so a
 * directoryName constraint cannot be dodged by writing the same name in
 * another case, spacing or string type (OpenSSL compares a canonical form
 * too). Values of other types compare byte for byte.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { children, DerError, DerReader, oidText, readOne, Tag } from "./der.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

function codeUnits(bytes: Uint8Array, width: 2 | 4): string {
  if (bytes.length % width !== 0) throw new DerError("string of a wrong length");
  let out = "";
  for (let i = 0; i < bytes.length; i += width) {
    const code = width === 2
      ? bytes[i] << 8 | bytes[i + 1]
      : (bytes[i] << 24 | bytes[i + 1] << 16 | bytes[i + 2] << 8 | bytes[i + 3]) >>> 0;
    if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) throw new DerError("string with a bad character");
    out += String.fromCodePoint(code);
  }
  return out;
}

const DIRECTORY_STRINGS: Record<number, (b: Uint8Array) => string> = {
  [Tag.UTF8String]: (b) => {
    try {
      return utf8.decode(b);
    } catch {
      throw new DerError("UTF8String that is not UTF-8");
    }
  },
  [Tag.PrintableString]: (b) => String.fromCharCode(...b),
  [Tag.IA5String]: (b) => String.fromCharCode(...b),
  [Tag.T61String]: (b) => String.fromCharCode(...b),
  [Tag.BMPString]: (b) => codeUnits(b, 2),
  [Tag.UniversalString]: (b) => codeUnits(b, 4),
};

/**
 * A comparison key for one RDN (its SET DER): equal keys for names that
 * RFC 5280 §7.1 calls equal. Throws DerError for an RDN it cannot read.
 */
export function rdnKey(rdn: Uint8Array): string {
  const attributes = children(readOne(rdn, Tag.SET)).map((atv) => {
    if (atv.tag !== Tag.SEQUENCE) throw new DerError("bad AttributeTypeAndValue");
    const r = new DerReader(atv.value);
    const type = oidText(r.read(Tag.OID).value);
    const value = r.read();
    r.end();
    const text = DIRECTORY_STRINGS[value.tag]?.(value.value);
    const prepared = text === undefined
      ? `#${Buffer.from(value.bytes).toString("hex")}`
      : `"${text.normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim()}`;
    return JSON.stringify([type, prepared]);
  });
  if (attributes.length === 0) throw new DerError("empty RDN");
  return attributes.sort().join(",");
}
