/**
 * Runs `deno check` on `mod.ts testing.ts otel.ts src tests examples bench scripts`, passing only those
 * that exist and hold `.ts` files. `deno check` fails on a missing path, and git keeps no empty
 * folders, so a fresh clone may lack `bench/` or `examples/` until they have files. `deno check mod.ts` alone
 * would not do: it skips files reached only by dynamic import (the adapters).
 *
 * ```sh
 * # as in `npm run check`:
 * deno run --allow-read --allow-env --allow-run=deno scripts/deno_check.ts --quiet
 * ```
 *
 * Finds `deno` on PATH; npm scripts put `node_modules/.bin` first, so that is the pinned one.
 * Extra arguments go to `deno check`.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";

const TARGETS = ["mod.ts", "testing.ts", "otel.ts", "src", "tests", "examples", "bench", "scripts"];
const ROOT = fileURLToPath(new URL("../", import.meta.url).href);

function holdsTs(dir: string): boolean {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith(".ts")) return true;
    if (entry.isDirectory() && holdsTs(`${dir}/${entry.name}`)) return true;
  }
  return false;
}

const targets = TARGETS.filter((target) => {
  const path = ROOT + target;
  if (!existsSync(path)) return false;
  return statSync(path).isDirectory() ? holdsTs(path) : true;
});
const skipped = TARGETS.filter((target) => !targets.includes(target));
if (skipped.length > 0) console.log(`deno_check: skipping ${skipped.join(", ")} (no .ts files)`);

const args = ["check", ...process.argv.slice(2), ...targets];
const result = spawnSync("deno", args, { cwd: ROOT, stdio: "inherit" });
if (result.error !== undefined) {
  console.error(`deno_check: cannot run deno: ${result.error.message}`);
  process.exitCode = 1;
} else {
  process.exitCode = result.status ?? 1;
}
