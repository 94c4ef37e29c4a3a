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

import { parseArgs } from "node:util";
import { forge } from "../lib/forge.ts";
import { fail, runMain } from "../lib/cli.ts";

const USAGE = `usage: deno task gen-certs [--dir DIR] [--days N] [--force]

Writes a CA, a server certificate (localhost, 127.0.0.1, ::1) and a client
certificate, all RSA 2048, into DIR (default: certs).

  --dir DIR    where to write (default: certs)
  --days N     validity in days (default: 365)
  --force      overwrite existing files
  -h, --help   this help`;

const pki = forge.pki;

interface Issued {
  cert: forge.pki.Certificate;
  keys: forge.pki.rsa.KeyPair;
}

function serial(): string {
  // Positive 16-byte serial: clear the top bit.
  const bytes = forge.random.getBytesSync(16);
  const hex = forge.util.bytesToHex(bytes);
  return (parseInt(hex[0], 16) & 0x7).toString(16) + hex.slice(1);
}

function makeCertificate(
  subjectCN: string,
  days: number,
  extensions: object[],
  issuer?: Issued,
): Issued {
  const keys = pki.rsa.generateKeyPair({ bits: 2048, e: 0x10001 });
  const cert = pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  const now = new Date();
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = new Date(now.getTime() + days * 86_400_000);
  const subject = [
    { name: "commonName", value: subjectCN },
    { name: "organizationName", value: "ssl-nonblock-deno" },
  ];
  cert.setSubject(subject);
  cert.setIssuer(issuer ? issuer.cert.subject.attributes : subject);
  cert.setExtensions([
    ...extensions,
    { name: "subjectKeyIdentifier" },
    ...(issuer
      ? [{ name: "authorityKeyIdentifier", keyIdentifier: issuer.cert.generateSubjectKeyIdentifier().getBytes() }]
      : []),
  ]);
  cert.sign(issuer ? issuer.keys.privateKey : keys.privateKey, forge.md.sha256.create());
  return { cert, keys };
}

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
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      dir: { type: "string", default: "certs" },
      days: { type: "string", default: "365" },
      force: { type: "boolean", default: false },
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

  const ca = makeCertificate("ssl-nonblock-deno test CA", days, [
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
  ]);
  const server = makeCertificate("localhost", days, [
    { name: "basicConstraints", cA: false, critical: true },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", serverAuth: true },
    {
      name: "subjectAltName",
      altNames: [
        { type: 2, value: "localhost" },
        { type: 7, ip: "127.0.0.1" },
        { type: 7, ip: "::1" },
      ],
    },
  ], ca);
  const client = makeCertificate("ssl-nonblock-deno client", days, [
    { name: "basicConstraints", cA: false, critical: true },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", clientAuth: true },
  ], ca);

  for (const [name, issued] of [["ca", ca], ["server", server], ["client", client]] as const) {
    await writeSecret(`${dir}/${name}.key`, pki.privateKeyToPem(issued.keys.privateKey));
    await Deno.writeTextFile(`${dir}/${name}.crt`, pki.certificateToPem(issued.cert));
    console.error(`wrote ${dir}/${name}.crt and ${dir}/${name}.key (mode 0600)`);
  }
}

if (import.meta.main) runMain(main);
