/**
 * The one place node-forge is imported, with its type definitions, so every
 * other module says `import { forge } from "./forge.ts"` and can use
 * `forge.pki.Certificate` as a type too.
 *
 * @example
 * ```ts
 * import { forge } from "./forge.ts";
 * const md = forge.md.sha256.create();
 * ```
 *
 * @module
 */

// @ts-types="@types/node-forge"
import forge from "node-forge";

export { forge };
