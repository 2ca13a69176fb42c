// Examples are what users copy: they import only what a user can import (mod.ts and the
// runtime entry points), so a copied example needs nothing but its specifiers changed.
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { REPO_ROOT } from "../../scripts/test_programs.ts";
import { scanImports } from "../../scripts/layer_rules.ts";

/** Public entry points, as paths from the repository root (package.json "exports"). */
const ENTRY_POINTS: readonly string[] = Object.values(
  JSON.parse(readFileSync(join(REPO_ROOT, "deno.json"), "utf8")).exports as Record<string, string>,
).map((path) => path.replace(/^\.\//, ""));

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return filesUnder(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

/** Imports of `file` that point into the repository but at no public entry point. */
function internalImports(file: string): string[] {
  const source = readFileSync(file, "utf8");
  return scanImports(source)
    .map((ref) => ref.specifier)
    .filter((specifier) => specifier.startsWith("."))
    .map((specifier) => relative(REPO_ROOT, resolve(dirname(file), specifier)))
    .filter((target) => !target.startsWith("examples/") && !ENTRY_POINTS.includes(target));
}

describe("examples import only public entry points", () => {
  it("the entry points are mod.ts and the runtime adapters", () => {
    expect(ENTRY_POINTS).toContain("mod.ts");
    expect(ENTRY_POINTS).toContain("src/adapters/node.ts");
  });

  for (const file of filesUnder(join(REPO_ROOT, "examples"))) {
    it(relative(REPO_ROOT, file), () => {
      expect(internalImports(file)).toEqual([]);
    });
  }

  it("the check sees an internal import (a probe of the rule itself)", () => {
    const probe = join(REPO_ROOT, "examples", "probe.ts");
    const source = 'import { Router } from "../src/router/router.ts";';
    const found = scanImports(source).map((ref) =>
      relative(REPO_ROOT, resolve(dirname(probe), ref.specifier))
    );
    expect(found.filter((target) => !ENTRY_POINTS.includes(target))).toEqual([
      "src/router/router.ts",
    ]);
  });
});
