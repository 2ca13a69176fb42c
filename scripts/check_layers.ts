/**
 * Checks the layer rules of STYLE.md, import cycles included, on the entry files (`mod.ts`,
 * `testing.ts`, `otel.ts`) and every `.ts` file under `src/` and its sub-folders, printing each
 * violation as `file:line: message`. Exits 1 on any violation.
 *
 * ```sh
 * deno run --allow-read scripts/check_layers.ts     # what `npm run check` runs
 * node --import tsx scripts/check_layers.ts         # or: bun scripts/check_layers.ts
 * ```
 *
 * The rules themselves are in `scripts/layer_rules.ts`.
 *
 * @module
 */

import { existsSync, readdirSync, readFileSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { checkLayers, type Place, placeOf } from "./layer_rules.ts";

// Resolved from this file, so the check does not depend on the working directory.
// (File paths as strings: Deno's URL type and @types/node's do not match under `deno check`.)
const ROOT = fileURLToPath(new URL("../", import.meta.url).href);

function listTs(dir: string): string[] {
  if (!existsSync(ROOT + dir)) return [];
  const found: string[] = [];
  for (const entry of readdirSync(ROOT + dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) found.push(...listTs(path));
    else if (entry.isFile() && entry.name.endsWith(".ts")) found.push(path);
  }
  return found;
}

const ENTRIES = ["mod.ts", "testing.ts", "otel.ts"];

const paths = [...ENTRIES.filter((e) => existsSync(ROOT + e)), ...listTs("src")].sort();
const files = new Map(paths.map((path) => [path, readFileSync(ROOT + path, "utf8")]));
const violations = checkLayers(files);

if (violations.length > 0) {
  for (const v of violations) console.error(`${v.file}:${v.line}: ${v.message}`);
  console.error(`check_layers: ${violations.length} violation(s) in ${paths.length} files`);
  process.exitCode = 1;
} else {
  // Layer 3 counted by part, so the summary shows how far the move into folders has got.
  const label = (place: Place | null): string =>
    place === null
      ? "none"
      : place.kind === "composition"
      ? (place.area === "top" ? "src/*.ts" : place.area)
      : place.kind === "entry"
      ? place.entry
      : place.kind;
  const counts = new Map<string, number>();
  for (const path of paths) {
    const kind = label(placeOf(path));
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  const summary = [...counts].map(([kind, count]) => `${kind} ${count}`).join(", ");
  console.log(
    `check_layers: OK, ${paths.length} files follow the layer rules, no import cycles (${summary})`,
  );
}
