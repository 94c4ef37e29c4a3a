/**
 * What the programs load before they run: the TLS 1.2/1.3 path must not pay
 * for node-forge (TLS 1.0/1.1 and certificate issuing) or for the
 * --trace-html page code. Each is reached through a dynamic import() at the
 * point where an option chooses it; a static import anywhere on the way
 * would load it into every run.
 */

import assert from "node:assert/strict";
import { DENO, ROOT } from "./helpers.ts";

interface InfoDependency {
  code?: { specifier: string };
  isDynamic?: boolean;
}
interface InfoModule {
  specifier: string;
  dependencies?: InfoDependency[];
}

/** Every module `program` evaluates at start-up: its static import graph, from `deno info --json`. */
async function staticGraph(program: string): Promise<Set<string>> {
  const out = await new Deno.Command(DENO, { args: ["info", "--json", program], cwd: ROOT, stdout: "piped" }).output();
  assert.ok(out.success, `deno info ${program} failed`);
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    roots: string[];
    modules: InfoModule[];
    redirects: Record<string, string>;
  };
  const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const visit = (specifier: string) => {
    const resolved = info.redirects[specifier] ?? specifier;
    if (seen.has(resolved)) return;
    seen.add(resolved);
    for (const dep of bySpecifier.get(resolved)?.dependencies ?? []) {
      if (dep.code && !dep.isDynamic) visit(dep.code.specifier);
    }
  };
  info.roots.forEach(visit);
  return seen;
}

/** Modules in `graph` that only some options need. */
function optionalModules(graph: Set<string>): string[] {
  return [...graph].filter((s) =>
    s.includes("node-forge") || s.includes("/lib/trace/") || s.endsWith("/lib/pki/forge.ts") ||
    s.endsWith("/lib/pki/certgen.ts") || s.includes("/lib/engines/forge/")
  );
}

for (const program of ["server.ts", "client.ts"]) {
  Deno.test(`start-up: ${program} loads node-forge and the --trace-html page code only when an option asks`, async () => {
    const graph = await staticGraph(program);
    assert.ok([...graph].some((s) => s.endsWith("/lib/engines/tls13/mod.ts")), "the graph was read");
    assert.deepEqual(optionalModules(graph), []);
  });
}

Deno.test("start-up: lib/mod.ts still exports the forge engine and certificate issuing, loaded with it", async () => {
  const optional = optionalModules(await staticGraph("lib/mod.ts"));
  assert.ok(optional.some((s) => s.includes("node-forge")));
  assert.ok(optional.some((s) => s.endsWith("/lib/engines/forge/forge_engine.ts")));
});
