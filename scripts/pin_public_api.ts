/**
 * Prints the public surface of every entry point (deno.json "exports") in the form that
 * `tests/public_api.test.ts` pins. Run it after a deliberate API change and paste its output
 * over the `PINNED` table there:
 *
 * ```sh
 * node --import tsx scripts/pin_public_api.ts
 * ```
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { exportedNames } from "../tests/_helpers/exported_names.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url).href);
const exports = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")).exports as Record<
  string,
  string
>;
const lines = ["const PINNED: Record<string, readonly string[]> = {"];
for (const [entry, file] of Object.entries(exports)) {
  const names = exportedNames(readFileSync(join(ROOT, file), "utf8"));
  lines.push(`  ${JSON.stringify(entry)}: [`);
  for (const name of names) lines.push(`    ${JSON.stringify(name)},`);
  lines.push("  ],");
}
lines.push("};");
console.log(lines.join("\n"));
