/** `deno task gen-certs`: what it writes, with which modes, and when it refuses. */
import assert from "node:assert/strict";
import { DENO, Proc, ROOT } from "./helpers.ts";
import { pemToDer, verifyChain } from "../lib/pki/x509.ts";

async function genCerts(dir: string, ...extra: string[]): Promise<Proc> {
  const p = new Proc(DENO, [
    "run",
    `--allow-read=${dir}`,
    `--allow-write=${dir}`,
    "certs/gen_certs.ts",
    "--dir",
    dir,
    ...extra,
  ], {
    cwd: ROOT,
    stdin: "null",
  });
  await p.exit();
  return p;
}

/** `openssl x509 -text` of a certificate file. */
async function opensslText(file: string): Promise<string> {
  const out = await new Deno.Command("openssl", { args: ["x509", "-in", file, "-noout", "-text"], stdout: "piped" })
    .output();
  return new TextDecoder().decode(out.stdout);
}

/** Whether OpenSSL verifies `dir`/server.crt for TLS servers against `dir`/ca.crt. */
async function opensslVerifiesServer(dir: string): Promise<boolean> {
  const check = await new Deno.Command("openssl", {
    args: ["verify", "-CAfile", `${dir}/ca.crt`, "-purpose", "sslserver", `${dir}/server.crt`],
    stdout: "null",
    stderr: "null",
  }).output();
  return check.success;
}

Deno.test("gen-certs writes a CA, a server and a client certificate; keys are private (0600)", async () => {
  const dir = await Deno.makeTempDir();
  const p = await genCerts(dir);
  assert.equal((await p.child.status).code, 0, p.stderr);
  for (const name of ["ca", "server", "client"]) {
    assert.equal((await Deno.stat(`${dir}/${name}.key`)).mode! & 0o777, 0o600);
    assert.match(await Deno.readTextFile(`${dir}/${name}.crt`), /^-----BEGIN CERTIFICATE-----/);
  }
  const anchors = pemToDer(await Deno.readTextFile(`${dir}/ca.crt`));
  const server = pemToDer(await Deno.readTextFile(`${dir}/server.crt`));
  for (const host of ["localhost", "127.0.0.1", "::1"]) {
    verifyChain(server, { trustAnchors: anchors, hostname: host, purpose: "server" });
  }
  verifyChain(pemToDer(await Deno.readTextFile(`${dir}/client.crt`)), { trustAnchors: anchors, purpose: "client" });
  // OpenSSL agrees.
  assert.equal(await opensslVerifiesServer(dir), true);
});

Deno.test("gen-certs refuses to overwrite without --force, and --force keeps keys private", async () => {
  const dir = await Deno.makeTempDir();
  await genCerts(dir);
  const before = await Deno.readTextFile(`${dir}/ca.crt`);
  const again = await genCerts(dir);
  assert.equal((await again.child.status).code, 1);
  assert.match(again.stderr.trim(), /^gen_certs: .*ca\.crt.* already exist; use --force to overwrite$/);
  assert.equal(await Deno.readTextFile(`${dir}/ca.crt`), before);

  await Deno.chmod(`${dir}/server.key`, 0o644);
  const forced = await genCerts(dir, "--force");
  assert.equal((await forced.child.status).code, 0, forced.stderr);
  assert.notEqual(await Deno.readTextFile(`${dir}/ca.crt`), before);
  assert.equal((await Deno.stat(`${dir}/server.key`)).mode! & 0o777, 0o600);
});

Deno.test("gen-certs rejects a bad --days in one line", async () => {
  const dir = await Deno.makeTempDir();
  const p = await genCerts(dir, "--days", "soon");
  assert.equal((await p.child.status).code, 2);
  assert.match(p.stderr.trim(), /^gen_certs: --days must be a whole number/);
});

Deno.test("gen-certs --key-type ecdsa writes P-256 certificates that OpenSSL accepts", async () => {
  const dir = await Deno.makeTempDir();
  const p = await genCerts(dir, "--key-type", "ecdsa");
  assert.equal((await p.child.status).code, 0, p.stderr);
  assert.match(await opensslText(`${dir}/server.crt`), /id-ecPublicKey[\s\S]*ecdsa-with-SHA256/);
  assert.equal(await opensslVerifiesServer(dir), true);
});

Deno.test("gen-certs --key-type ed25519 writes Ed25519 certificates (RFC 8410) that OpenSSL accepts", async () => {
  const dir = await Deno.makeTempDir();
  const p = await genCerts(dir, "--key-type", "ed25519");
  assert.equal((await p.child.status).code, 0, p.stderr);
  const out = await opensslText(`${dir}/server.crt`);
  assert.match(out, /Signature Algorithm: ED25519[\s\S]*Public Key Algorithm: ED25519/);
  // RFC 8410 §5: an Ed25519 key may sign, never encipher.
  assert.match(out, /Key Usage: critical\s+Digital Signature\n/);
  assert.equal((await Deno.stat(`${dir}/server.key`)).mode! & 0o777, 0o600);
  assert.equal(await opensslVerifiesServer(dir), true);
  const bad = await genCerts(await Deno.makeTempDir(), "--key-type", "dsa");
  assert.equal((await bad.child.status).code, 2);
  assert.match(bad.stderr.trim(), /^gen_certs: --key-type must be rsa, ecdsa or ed25519, got 'dsa' \(try --help\)$/);
});
