/**
 * `deno task gen-certs [--dir certs] [--days 365] [--force]`
 *
 * Writes, with node-forge (no openssl needed):
 * - `ca.crt`/`ca.key`: a self-signed CA (CA:true, keyCertSign);
 * - `server.crt`/`server.key`: a leaf signed by the CA (CA:false,
 *   SAN localhost, 127.0.0.1, ::1, serverAuth);
 * - `client.crt`/`client.key`: a leaf signed by the CA for mutual TLS
 *   (clientAuth).
 * Private keys are written with mode 0600. Existing files are kept unless
 * `--force` is given.
 *
 * @module
 */

import { issueCertificate } from "../lib/pki/certgen.ts";
import { fail, parseArguments, runMain } from "../lib/app/cli.ts";

const USAGE = `usage: deno task gen-certs [--dir DIR] [--days N] [--key-type rsa|ecdsa|ed25519] [--force]

Writes a CA, a server certificate (localhost, 127.0.0.1, ::1) and a client
certificate into DIR (default: certs).

  --dir DIR          where to write (default: certs)
  --days N           validity in days (default: 365)
  --key-type TYPE    rsa (RSA 2048, default), ecdsa (P-256) or ed25519, for all three
  --force            overwrite existing files
  -h, --help         this help`;

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

async function writeSecret(path: string, text: string): Promise<void> {
  // Remove first so the 0600 mode applies even when --force replaces a file.
  await Deno.remove(path).catch(() => {});
  await Deno.writeTextFile(path, text, { mode: 0o600, createNew: true });
  await Deno.chmod(path, 0o600);
}

async function main(): Promise<void> {
  const { values } = parseArguments({
    args: Deno.args,
    options: {
      dir: { type: "string", default: "certs" },
      days: { type: "string", default: "365" },
      force: { type: "boolean", default: false },
      "key-type": { type: "string", default: "rsa" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const days = Number(values.days);
  if (!Number.isInteger(days) || days < 1 || days > 36500) {
    fail(`--days must be a whole number from 1 to 36500, got '${values.days}'`);
  }
  const keyType = values["key-type"];
  if (keyType !== "rsa" && keyType !== "ecdsa" && keyType !== "ed25519") {
    fail(`--key-type must be rsa, ecdsa or ed25519, got '${keyType}'`);
  }
  const dir = values.dir!;
  const names = ["ca", "server", "client"].flatMap((n) => [`${dir}/${n}.crt`, `${dir}/${n}.key`]);
  if (!values.force) {
    const present = [];
    for (const n of names) if (await exists(n)) present.push(n);
    if (present.length > 0) {
      fail(`${present.join(", ")} already exist; use --force to overwrite`, 1);
    }
  }
  await Deno.mkdir(dir, { recursive: true });

  // keyEncipherment is for RSA keys only (RFC 5480 §3, RFC 8410 §5).
  const leafKeyUsage = keyType === "rsa" ? ["digitalSignature", "keyEncipherment"] : ["digitalSignature"];
  const ca = issueCertificate({
    commonName: "ssl-nonblock-deno test CA",
    keyType,
    days,
    isCA: true,
    keyUsage: ["keyCertSign", "cRLSign"],
  });
  const server = issueCertificate({
    commonName: "localhost",
    keyType,
    issuer: ca,
    days,
    keyUsage: leafKeyUsage,
    extKeyUsage: ["serverAuth"],
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1", "::1"],
  });
  const client = issueCertificate({
    commonName: "ssl-nonblock-deno client",
    keyType,
    issuer: ca,
    days,
    keyUsage: leafKeyUsage,
    extKeyUsage: ["clientAuth"],
  });

  for (const [name, issued] of [["ca", ca], ["server", server], ["client", client]] as const) {
    await writeSecret(`${dir}/${name}.key`, issued.keyPem);
    await Deno.writeTextFile(`${dir}/${name}.crt`, issued.certPem);
    console.error(`wrote ${dir}/${name}.crt and ${dir}/${name}.key (mode 0600)`);
  }
}

if (import.meta.main) runMain(main);
