/**
 * The import rules of STYLE.md ("Layers"), as a pure function over file contents, so a test can
 * feed it in-memory fixtures. `scripts/check_layers.ts` is the command-line front end.
 *
 * | Place | May import |
 * | --- | --- |
 * | layer 0 `src/protocol/` | layer 0 |
 * | layer 1 `src/streams/` | layers 0-1 |
 * | layer 2 `src/router/` | layers 0 and 2, and `import type` from layer 1 |
 * | layer 3 `src/server/` | layers 0-2, `src/server/` and `src/*.ts` |
 * | layer 3 `src/client/` | layers 0-2, `src/client/` and `src/*.ts` |
 * | layer 3 `src/pubsub/` | layers 0-2, `src/pubsub/` and `src/*.ts`; `import type` from
 *   `src/server/` |
 * | layer 3 `src/integrations/` | layers 0-2, `src/integrations/` and `src/*.ts`: other
 *   libraries' protocols (graphql-ws) as routes, each its own entry point |
 * | layer 3 `src/testing/` | layers 0-3 |
 * | layer 3 `src/*.ts` | layers 0-3 except `src/testing/` |
 * | layer 4 `src/adapters/` | layers 0-3 except `src/testing/`, and the shared adapter files
 *   (`listener.ts`, `zlib_*.ts`, any name that is no runtime's, which may import `node:zlib`,
 *   `node:tls` and `node:crypto`, provided by all three); a runtime adapter (`deno.ts`,
 *   `bun.ts`, `node.ts`, and its family `deno_*.ts`, `bun_*.ts`, `node_*.ts`) never imports
 *   another runtime's family, and uses its own runtime only |
 * | layer 4 `src/otel/` (an integration) | layers 0-3 except `src/testing/`, `src/otel/`, and
 *   its one package, `@opentelemetry/api` (an optional peer dependency); never an adapter |
 * | `mod.ts` (entry `.`) | layers 0-3 except `src/testing/`, never `src/adapters/` |
 * | `testing.ts` (entry `./testing`) | layers 0-3, never `src/adapters/` |
 * | `otel.ts` (entry `./otel`) | `src/otel/` only |
 *
 * Layer 3 is composition. `src/server/` and `src/client/` are siblings: neither imports the
 * other, what both need goes down into layers 0-2. `src/testing/` is test support (in-memory
 * pairs, fake clocks) for users' tests: only it and `testing.ts` import it, so production code
 * never carries it. The files still directly in `src/` are composition not yet sorted into a
 * folder: every part of layer 3 may import them, and they may import every part but
 * `src/testing/`.
 *
 * A folder's sub-folders belong to its layer (`src/server/http/head.ts` is in `src/server/`;
 * `src/adapters/node/tls.ts` is in Node's family). Any other folder under `src/` is reported,
 * with where its files belong. Nothing imports an entry file (`mod.ts`, `testing.ts`,
 * `otel.ts`).
 *
 * An integration maps wsflow's runtime-free hooks onto a well-kept library that the user brings
 * (an optional peer dependency), behind its own entry point: nothing else imports it, so the
 * core keeps zero dependencies and a user who does not import the entry point needs no package.
 *
 * Layers 0-1 also name no `Deno`, `Bun`, `process` or `Buffer`. Relative imports name the `.ts`
 * file. Anything not relative (`node:…`, `bun`, npm packages) is a runtime import or a dependency,
 * and only the matching runtime adapter may have one.
 *
 * No import cycles, in any layer: a cycle of imports that are still there at run time (static
 * and `import("…")` alike) is a violation, and so is a cycle that closes only through
 * `import type`. The type-only one cannot break module loading, but the files still depend on
 * each other, so neither can be read, tested or moved alone; today's tree has none, so the check
 * costs nothing and keeps it that way. Each elementary cycle is reported once, from its first
 * file in path order, naming every file in import order.
 *
 * Sources are tokenized, not parsed: comments, strings, template literals and regular expressions
 * are told apart from code, which is what keeps a `process` in a comment or an error message from
 * counting. This file imports nothing, so it runs unchanged on Deno, Bun and Node.
 *
 * @module
 */

/** One broken rule, printed as `file:line: message`. */
export interface Violation {
  /** Repository-relative path with `/` separators, e.g. `src/protocol/frame.ts`. */
  file: string;
  /** 1-based line of the offending token. */
  line: number;
  /** What is wrong, then after a colon the rule. */
  message: string;
}

/** The JavaScript runtimes that have an adapter. */
export type Runtime = "deno" | "bun" | "node";

/**
 * The parts of layer 3, composition: a folder, or `top` for a file directly in `src/` that has
 * not moved into one yet.
 */
export type Area = "server" | "client" | "pubsub" | "integrations" | "testing" | "top";

/** Where a file sits in the layer table. */
export type Place =
  | { kind: "protocol" }
  | { kind: "streams" }
  | { kind: "router" }
  | { kind: "composition"; area: Area }
  | { kind: "adapter"; runtime: Runtime | null }
  | { kind: "integration"; name: Integration }
  | { kind: "entry"; entry: Entry };

/** The entry files at the repository root. */
export type Entry = "mod.ts" | "testing.ts" | "otel.ts";

/** The integrations: each a folder under `src/` with the one package it may import. */
export type Integration = "otel";

const INTEGRATION_PACKAGES: Readonly<Record<Integration, readonly string[]>> = {
  otel: ["@opentelemetry/api"],
};

const ENTRIES: readonly Entry[] = ["mod.ts", "testing.ts", "otel.ts"];

/** One import or re-export found in a source file. */
export interface ImportRef {
  /** The module specifier as written. */
  specifier: string;
  /** 1-based line of the specifier. */
  line: number;
  /** `import type` / `export type`, or `import("…").Name` in a type. Erased at run time. */
  typeOnly: boolean;
  /** `import("…")` rather than a declaration. */
  dynamic: boolean;
}

const RUNTIMES: readonly Runtime[] = ["deno", "bun", "node"];

/**
 * The place of a repository-relative path, or `null` for a file in no layer (which is itself a
 * violation when it is under `src/`).
 *
 * @example
 * ```ts
 * console.log(placeOf("src/server/http/head.ts")); // { kind: "composition", area: "server" }
 * console.log(placeOf("src/adapters/node_http.ts")); // { kind: "adapter", runtime: "node" }
 * ```
 */
export function placeOf(path: string): Place | null {
  if ((ENTRIES as readonly string[]).includes(path)) return { kind: "entry", entry: path as Entry };
  const parts = path.split("/");
  if (parts[0] !== "src" || parts.length < 2) return null;
  if (parts.length === 2) return { kind: "composition", area: "top" };
  switch (parts[1]) {
    case "protocol":
      return { kind: "protocol" };
    case "streams":
      return { kind: "streams" };
    case "router":
      return { kind: "router" };
    case "server":
    case "client":
    case "pubsub":
    case "integrations":
    case "testing":
      return { kind: "composition", area: parts[1] };
    case "otel":
      return { kind: "integration", name: "otel" };
    case "adapters": {
      // The first name below adapters/ says whose it is: `node.ts`, `node_http.ts` and
      // `node/…` belong to Node alike (same runtime, same rules); any other name is shared.
      const stem = parts[2]!.replace(/\.ts$/, "");
      const runtime = RUNTIMES.find((r) => stem === r || stem.startsWith(`${r}_`)) ?? null;
      return { kind: "adapter", runtime };
    }
    default:
      return null;
  }
}

function describePlace(place: Place): string {
  switch (place.kind) {
    case "protocol":
      return "layer 0 (src/protocol/)";
    case "streams":
      return "layer 1 (src/streams/)";
    case "router":
      return "layer 2 (src/router/)";
    case "composition":
      return place.area === "top" ? "layer 3 (src/*.ts)" : `layer 3 (src/${place.area}/)`;
    case "adapter":
      return place.runtime === null
        ? "layer 4 (src/adapters/, shared file)"
        : `layer 4 (src/adapters/${place.runtime}.ts)`;
    case "integration":
      return `layer 4 (src/${place.name}/, an integration)`;
    case "entry":
      return place.entry;
  }
}

function allowedText(place: Place): string {
  switch (place.kind) {
    case "protocol":
      return "may import only src/protocol/";
    case "streams":
      return "may import only src/protocol/ and src/streams/";
    case "router":
      return "may import only src/protocol/ and src/router/, and `import type` from src/streams/";
    case "composition":
      switch (place.area) {
        case "server":
          return "may import only layers 0-2, src/server/ and src/*.ts (src/client/ is its " +
            "sibling: what both need goes into layers 0-2)";
        case "client":
          return "may import only layers 0-2, src/client/ and src/*.ts (src/server/ is its " +
            "sibling: what both need goes into layers 0-2)";
        case "pubsub":
          return "may import only layers 0-2, src/pubsub/ and src/*.ts, and `import type` " +
            "from src/server/";
        case "integrations":
          return "may import only layers 0-2, src/integrations/ and src/*.ts";
        case "testing":
          return "may import only layers 0-3";
        case "top":
          return "may import only layers 0-3 (src/protocol/, src/streams/, src/router/, " +
            "src/server/, src/client/, src/pubsub/, src/integrations/, src/*.ts), not " +
            "src/testing/";
      }
      break;
    case "adapter":
      return place.runtime === null
        ? "may import only layers 0-3 and shared adapter files (runtime adapters only by import())"
        : "may import only layers 0-3, shared adapter files and its own runtime's files, " +
          "never another runtime's adapter";
    case "integration":
      return "may import only layers 0-3 and its own folder, never src/adapters/ or src/testing/";
    case "entry":
      switch (place.entry) {
        case "mod.ts":
          return "re-exports only the runtime-free layers 0-3, never src/adapters/ (nor " +
            "src/testing/: that is testing.ts's)";
        case "testing.ts":
          return "re-exports only layers 0-3, never src/adapters/";
        case "otel.ts":
          return "re-exports only src/otel/";
      }
  }
}

function isTesting(place: Place): boolean {
  return place.kind === "composition" && place.area === "testing";
}

/** Whether `from` may import `to`; `typeOnly` and `dynamic` describe the import. */
function mayImport(from: Place, to: Place, ref: ImportRef): boolean {
  if (to.kind === "entry") return false;
  switch (from.kind) {
    case "protocol":
      return to.kind === "protocol";
    case "streams":
      return to.kind === "protocol" || to.kind === "streams";
    case "router":
      return to.kind === "protocol" || to.kind === "router" ||
        (to.kind === "streams" && ref.typeOnly);
    case "integration":
      if (to.kind === "integration") return to.name === from.name;
      return to.kind !== "adapter" && !isTesting(to);
    case "composition":
      if (to.kind === "adapter" || to.kind === "integration") return false;
      if (to.kind !== "composition") return true;
      return mayCompose(from.area, to.area, ref);
    case "entry":
      if (from.entry === "otel.ts") return to.kind === "integration" && to.name === "otel";
      return to.kind !== "adapter" && to.kind !== "integration" &&
        (from.entry === "testing.ts" || !isTesting(to));
    case "adapter":
      if (isTesting(to) || to.kind === "integration") return false;
      if (to.kind !== "adapter") return true;
      if (to.runtime === null) return true;
      // Files of one runtime's family (`node.ts`, `node_http.ts`) run on the same runtime.
      if (from.runtime !== null && from.runtime === to.runtime) return true;
      // A shared file (say, one that picks the adapter for the running runtime) may load a
      // runtime adapter lazily; nothing may load one eagerly, or every runtime would load it.
      return from.runtime === null && ref.dynamic;
  }
}

/** Within layer 3: whether a file of `from` may import one of `to`. */
function mayCompose(from: Area, to: Area, ref: ImportRef): boolean {
  if (from === to || from === "testing") return true;
  switch (to) {
    case "top":
      return true; // not yet sorted into a folder: every part of layer 3 may still use it
    case "testing":
      return false; // test support stays out of production code
    case "server":
      // Topics hang off a server's connections and name its types, but never run its code.
      return from === "top" || (from === "pubsub" && ref.typeOnly);
    case "client":
    case "pubsub":
    case "integrations":
      return from === "top";
  }
}

// Runtime modules that Deno, Bun and Node all provide alike, which shared adapter files may use:
// node:zlib backs the permessage-deflate engine (src/adapters/zlib_deflate.ts) on all three;
// node:tls's rootCertificates are the default roots a CA can be added to
// (src/adapters/root_certificates.ts), which Bun.connect has no way of its own to do.
const SHARED_RUNTIME_MODULES: ReadonlySet<string> = new Set([
  "node:zlib",
  "node:tls",
]);

/**
 * Non-relative specifiers a place may import: a runtime adapter its own runtime's, a shared
 * adapter file only the modules every runtime provides.
 */
function mayImportBare(from: Place, specifier: string): boolean {
  if (from.kind === "integration") return INTEGRATION_PACKAGES[from.name].includes(specifier);
  if (from.kind !== "adapter") return false;
  if (from.runtime === null) return SHARED_RUNTIME_MODULES.has(specifier);
  if (from.runtime === "node") return specifier.startsWith("node:");
  if (from.runtime === "bun") return specifier === "bun" || specifier.startsWith("bun:");
  return false;
}

/** Global names each place must not use, with the reason. */
function forbiddenNames(place: Place): { names: ReadonlySet<string>; why: string } | null {
  switch (place.kind) {
    case "protocol":
    case "streams":
      return {
        names: new Set(["Deno", "Bun", "process", "Buffer"]),
        why: "layers 0-1 use web standards only",
      };
    case "integration":
      return {
        names: new Set(["Deno", "Bun", "process", "Buffer"]),
        why: "an integration is runtime-free, like the core it maps",
      };
    case "adapter":
      switch (place.runtime) {
        case "deno":
          return {
            names: new Set(["Bun", "process", "Buffer"]),
            why: "an adapter uses its own runtime only",
          };
        case "bun":
          return { names: new Set(["Deno"]), why: "an adapter uses its own runtime only" };
        case "node":
          return { names: new Set(["Deno", "Bun"]), why: "an adapter uses its own runtime only" };
        default:
          return null;
      }
    default:
      return null;
  }
}

/**
 * Checks every rule on `files` (repository-relative path → source), import cycles included.
 * Paths outside `src/` other than the entry files `mod.ts`, `testing.ts` and `otel.ts` are ignored. Relative
 * imports are resolved against the map, so pass every file of `src/` for the "no such file" and
 * cycle checks to be meaningful.
 *
 * @example A protocol file that reaches up into streams
 * ```ts
 * const files = new Map([
 *   ["src/protocol/frame.ts", 'import { x } from "../streams/connection.ts";'],
 *   ["src/streams/connection.ts", "export const x = 1;"],
 * ]);
 * console.log(checkLayers(files)[0]?.line); // 1
 * ```
 */
export function checkLayers(files: ReadonlyMap<string, string>): Violation[] {
  const violations: Violation[] = [];
  const graph: ImportGraph = new Map();
  for (const [file, source] of files) {
    const place = placeOf(file);
    if (place === null && !file.startsWith("src/")) continue;
    const tokens = tokenize(source);
    const lines = lineStarts(source);
    const refs = findImports(tokens, lines);
    addEdges(graph, file, refs, files);
    if (place === null) {
      violations.push({ file, line: 1, message: noLayerMessage(file) });
      continue;
    }
    for (const ref of refs) {
      const message = checkImport(file, place, ref, files);
      if (message !== null) violations.push({ file, line: ref.line, message });
    }
    const forbidden = forbiddenNames(place);
    if (forbidden !== null) {
      for (const token of findGlobalNames(tokens, forbidden.names)) {
        violations.push({
          file,
          line: lineOf(lines, token.pos),
          message: `Cannot name \`${token.value}\` in ${describePlace(place)}: ${forbidden.why}`,
        });
      }
    }
  }
  violations.push(...cycleViolations(graph));
  return violations.sort((a, b) => a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line);
}

function noLayerMessage(file: string): string {
  const folder = file.split("/").slice(0, 2).join("/");
  return `Folder ${folder}/ is in no layer: put RFC 6455 rules (no I/O) in src/protocol/, ` +
    "streams, timers and backpressure in src/streams/, routing in src/router/, the wiring of a " +
    "server, a client, pub/sub, another library's protocol or test support in src/server/, " +
    "src/client/, src/pubsub/, src/integrations/ or src/testing/, and code that touches a runtime in src/adapters/ (or add the folder to " +
    "scripts/layer_rules.ts and STYLE.md)";
}

function checkImport(
  file: string,
  place: Place,
  ref: ImportRef,
  files: ReadonlyMap<string, string>,
): string | null {
  const spec = ref.specifier;
  const where = describePlace(place);
  if (!spec.startsWith("./") && !spec.startsWith("../")) {
    if (mayImportBare(place, spec)) return null;
    if (spec.startsWith("node:") && (place.kind === "protocol" || place.kind === "streams")) {
      return `Cannot import "${spec}" in ${where}: layers 0-1 use web standards only`;
    }
    if (place.kind === "integration") {
      return `Cannot import "${spec}" in ${where}: an integration imports only its own package ` +
        `(${INTEGRATION_PACKAGES[place.name].join(", ")})`;
    }
    return `Cannot import "${spec}" in ${where}: only a runtime adapter imports modules outside ` +
      "the repository, and only its own runtime's (wsflow has no runtime dependencies; an " +
      "integration's package is imported only in its folder under src/)";
  }
  if (!spec.endsWith(".ts")) {
    return `Cannot import "${spec}": a relative import names the .ts file (explicit extensions)`;
  }
  const target = resolve(file, spec);
  if (target === null) return `Cannot import "${spec}": it points outside the repository`;
  const targetPlace = placeOf(target);
  if (targetPlace === null) {
    if (target.startsWith("src/")) return null; // that file gets its own "in no layer" report
    return `Cannot import "${spec}" in ${where}: it is outside src/ and the entry files`;
  }
  if (!files.has(target)) return `Cannot import "${spec}": no such file (${target})`;
  if (mayImport(place, targetPlace, ref)) return null;
  if (targetPlace.kind === "entry") {
    return `Cannot import "${spec}" in ${where}: ${targetPlace.entry} is an entry point, it ` +
      "only re-exports and nothing imports it";
  }
  if (place.kind === "router" && targetPlace.kind === "streams") {
    return `Cannot import "${spec}" at run time in ${where}: ` +
      "src/streams/ may be used here only through `import type`";
  }
  if (
    place.kind === "composition" && place.area === "pubsub" &&
    targetPlace.kind === "composition" && targetPlace.area === "server"
  ) {
    return `Cannot import "${spec}" at run time in ${where}: ` +
      "src/server/ may be used here only through `import type`";
  }
  if (targetPlace.kind === "integration" && place.kind !== "integration") {
    return `Cannot import "${spec}" in ${where}: src/${targetPlace.name}/ is an integration, ` +
      `which only its entry point (${targetPlace.name}.ts) imports`;
  }
  if (isTesting(targetPlace)) {
    return `Cannot import "${spec}" in ${where}: src/testing/ is test support, which only ` +
      "src/testing/ and testing.ts import";
  }
  return `Cannot import "${spec}" in ${where}: it ${allowedText(place)}`;
}

/** Resolves `./x.ts` / `../x.ts` against the directory of `from`; `null` if it leaves the root. */
function resolve(from: string, specifier: string): string | null {
  const parts = from.split("/").slice(0, -1);
  for (const segment of specifier.split("/")) {
    if (segment === "." || segment === "") continue;
    if (segment === "..") {
      if (parts.length === 0) return null;
      parts.pop();
    } else {
      parts.push(segment);
    }
  }
  return parts.join("/");
}

// ---------------------------------------------------------------------------------------------
// Import cycles

/** How one file imports another: the first import's line, and whether any survives run time. */
interface Edge {
  /** Line of the first import that survives run time, or of the first import if none does. */
  line: number;
  /** Some import of the pair is a value import (static or `import("…")`), not `import type`. */
  value: boolean;
}

/** Importing file → imported file → how. */
type ImportGraph = Map<string, Map<string, Edge>>;

// Past this many, the list is noise: break these first and the rest shows on the next run.
const MAX_CYCLES = 50;

function addEdges(
  graph: ImportGraph,
  file: string,
  refs: readonly ImportRef[],
  files: ReadonlyMap<string, string>,
): void {
  let edges = graph.get(file);
  if (edges === undefined) graph.set(file, edges = new Map());
  for (const ref of refs) {
    if (!ref.specifier.startsWith("./") && !ref.specifier.startsWith("../")) continue;
    const target = resolve(file, ref.specifier);
    if (target === null || !files.has(target)) continue; // reported as a broken import
    const edge = edges.get(target);
    if (edge === undefined) edges.set(target, { line: ref.line, value: !ref.typeOnly });
    else if (!edge.value && !ref.typeOnly) edges.set(target, { line: ref.line, value: true });
  }
}

/**
 * One violation per elementary cycle of `graph`, at the import that leaves the cycle's first
 * file (in path order). A cycle through `import type` only is reported as such.
 */
function cycleViolations(graph: ImportGraph): Violation[] {
  const cycles = elementaryCycles(graph, MAX_CYCLES + 1);
  const violations: Violation[] = [];
  for (const cycle of cycles.slice(0, MAX_CYCLES)) {
    const steps = cycle.map((file, i) => {
      const next = cycle[(i + 1) % cycle.length]!;
      return { file, next, edge: graph.get(file)!.get(next)! };
    });
    const path = [...cycle, cycle[0]].join(" -> ");
    const typeSteps = steps.filter((s) => !s.edge.value);
    const message = typeSteps.length === 0
      ? `Import cycle ${path}: no file may depend on itself through others; move what they ` +
        "share into a file that they both import"
      : `Type-only import cycle ${path} (${
        typeSteps.map((s) => `${s.file} -> ${s.next}`).join(", ")
      } only \`import type\`): erased at run time, but the files still depend on each other; ` +
        "move the shared types into a file that they both import";
    violations.push({ file: cycle[0]!, line: steps[0]!.edge.line, message });
  }
  const more = cycles[MAX_CYCLES];
  if (more !== undefined) {
    violations.push({
      file: more[0]!,
      line: 1,
      message: `More import cycles than the ${MAX_CYCLES} listed: break those first`,
    });
  }
  return violations;
}

/**
 * The elementary cycles of `graph` (at most `limit`), each as its files in import order starting
 * from its first file in path order, found with Johnson's algorithm ("Finding all the elementary
 * circuits of a directed graph", 1975): time linear in the size of the graph per cycle found, so
 * a tangle of many files cannot make the check hang.
 */
function elementaryCycles(graph: ImportGraph, limit: number): string[][] {
  const nodes = [...graph.keys()].sort();
  const order = new Map(nodes.map((file, i) => [file, i]));
  const successors = new Map<string, string[]>();
  const predecessors = new Map<string, string[]>(nodes.map((file) => [file, []]));
  for (const file of nodes) {
    const next = [...graph.get(file)!.keys()].filter((t) => order.has(t)).sort();
    successors.set(file, next);
    for (const t of next) predecessors.get(t)!.push(file);
  }
  // Files reachable from `start` through files that do not come before it.
  const reach = (start: string, step: Map<string, string[]>, min: number): Set<string> => {
    const seen = new Set([start]);
    const queue = [start];
    for (let q = queue.pop(); q !== undefined; q = queue.pop()) {
      for (const t of step.get(q)!) {
        if (order.get(t)! >= min && !seen.has(t)) {
          seen.add(t);
          queue.push(t);
        }
      }
    }
    return seen;
  };

  const cycles: string[][] = [];
  for (const [i, start] of nodes.entries()) {
    if (cycles.length >= limit) break;
    // Every cycle whose first file is `start` runs inside start's strongly connected part of
    // the graph without the files before it.
    const backward = reach(start, predecessors, i);
    const part = new Set([...reach(start, successors, i)].filter((f) => backward.has(f)));
    const blocked = new Set<string>();
    const blockedBy = new Map<string, Set<string>>();
    const stack: string[] = [];
    const unblock = (file: string): void => {
      blocked.delete(file);
      const waiting = blockedBy.get(file);
      if (waiting === undefined) return;
      blockedBy.delete(file);
      for (const w of waiting) if (blocked.has(w)) unblock(w);
    };
    const circuit = (file: string): boolean => {
      let found = false;
      stack.push(file);
      blocked.add(file);
      for (const next of successors.get(file)!) {
        if (!part.has(next) || cycles.length >= limit) continue;
        if (next === start) {
          cycles.push([...stack]);
          found = true;
        } else if (!blocked.has(next) && circuit(next)) {
          found = true;
        }
      }
      if (found) {
        unblock(file);
      } else {
        for (const next of successors.get(file)!) {
          if (!part.has(next)) continue;
          let waiting = blockedBy.get(next);
          if (waiting === undefined) blockedBy.set(next, waiting = new Set());
          waiting.add(file);
        }
      }
      stack.pop();
      return found;
    };
    circuit(start);
  }
  return cycles;
}

// ---------------------------------------------------------------------------------------------
// Tokens

/** A token of the source; comments and whitespace are dropped. */
export interface Token {
  /** What the token is. */
  kind: "name" | "punct" | "string" | "template" | "regex" | "number";
  /** For a string, the text between the quotes; otherwise the token's text. */
  value: string;
  /** Offset of the token in the source. */
  pos: number;
}

// After these keywords a `/` starts a regular expression, not a division.
const KEYWORDS_BEFORE_EXPRESSION = new Set([
  "return",
  "typeof",
  "instanceof",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "case",
  "do",
  "else",
  "yield",
  "await",
]);

function isNameStart(c: string): boolean {
  return /[A-Za-z_$#]/.test(c) || c.charCodeAt(0) > 0x7f;
}

function isNamePart(c: string): boolean {
  return /[\w$]/.test(c) || c.charCodeAt(0) > 0x7f;
}

/**
 * Splits TypeScript source into tokens, skipping comments. Good enough for finding imports and
 * global names; not a full lexer (a `/` after `)` is always taken for a division, for example).
 */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  // One entry per open `{`: "brace", or "template" for a `${` inside a template literal.
  const braces: ("brace" | "template")[] = [];
  const n = source.length;
  let i = 0;
  if (source.startsWith("#!")) { // a shebang line
    const end = source.indexOf("\n");
    i = end === -1 ? n : end;
  }

  const regexAllowed = (): boolean => {
    const prev = tokens[tokens.length - 1];
    if (prev === undefined) return true;
    if (prev.kind === "name") return KEYWORDS_BEFORE_EXPRESSION.has(prev.value);
    if (prev.kind === "punct") return prev.value !== ")" && prev.value !== "]";
    return false;
  };

  // Scans a template literal from just after its opening "`" or a closing "}" of `${…}`.
  const scanTemplate = (start: number): void => {
    let j = i;
    while (j < n) {
      const c = source[j];
      if (c === "\\") {
        j += 2;
      } else if (c === "`") {
        tokens.push({ kind: "template", value: source.slice(start, j + 1), pos: start });
        i = j + 1;
        return;
      } else if (c === "$" && source[j + 1] === "{") {
        tokens.push({ kind: "template", value: source.slice(start, j + 2), pos: start });
        braces.push("template");
        i = j + 2;
        return;
      } else {
        j++;
      }
    }
    tokens.push({ kind: "template", value: source.slice(start), pos: start });
    i = n;
  };

  while (i < n) {
    const c = source[i]!;
    const next = source[i + 1];
    if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\uFEFF") {
      i++;
    } else if (c === "/" && next === "/") {
      const end = source.indexOf("\n", i);
      i = end === -1 ? n : end;
    } else if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      i = end === -1 ? n : end + 2;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < n && source[j] !== c && source[j] !== "\n") j += source[j] === "\\" ? 2 : 1;
      tokens.push({ kind: "string", value: source.slice(i + 1, j), pos: i });
      i = j + 1;
    } else if (c === "`") {
      const start = i;
      i++;
      scanTemplate(start);
    } else if (c === "/" && regexAllowed()) {
      let j = i + 1;
      let inClass = false;
      while (j < n && source[j] !== "\n") {
        const d = source[j];
        if (d === "\\") j++;
        else if (d === "[") inClass = true;
        else if (d === "]") inClass = false;
        else if (d === "/" && !inClass) break;
        j++;
      }
      j++;
      while (j < n && isNamePart(source[j]!)) j++;
      tokens.push({ kind: "regex", value: source.slice(i, j), pos: i });
      i = j;
    } else if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(next ?? ""))) {
      let j = i + 1;
      while (j < n && /[\w.]/.test(source[j]!)) j++;
      tokens.push({ kind: "number", value: source.slice(i, j), pos: i });
      i = j;
    } else if (isNameStart(c)) {
      let j = i + 1;
      while (j < n && isNamePart(source[j]!)) j++;
      tokens.push({ kind: "name", value: source.slice(i, j), pos: i });
      i = j;
    } else if (c === "{") {
      braces.push("brace");
      tokens.push({ kind: "punct", value: c, pos: i });
      i++;
    } else if (c === "}") {
      if (braces.pop() === "template") {
        const start = i;
        i++;
        scanTemplate(start);
      } else {
        tokens.push({ kind: "punct", value: c, pos: i });
        i++;
      }
    } else if (c === "?" && next === "." && !/[0-9]/.test(source[i + 2] ?? "")) {
      tokens.push({ kind: "punct", value: "?.", pos: i });
      i += 2;
    } else if (c === "." && next === "." && source[i + 2] === ".") {
      tokens.push({ kind: "punct", value: "...", pos: i });
      i += 3;
    } else {
      tokens.push({ kind: "punct", value: c, pos: i });
      i++;
    }
  }
  return tokens;
}

function lineStarts(source: string): number[] {
  const starts = [0];
  for (let i = 0; i < source.length; i++) if (source[i] === "\n") starts.push(i + 1);
  return starts;
}

function lineOf(starts: readonly number[], pos: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= pos) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

const PROMISE_METHODS = new Set(["then", "catch", "finally"]);

/** Every `import`/`export … from` declaration and `import("…")` in `source`. */
export function scanImports(source: string): ImportRef[] {
  return findImports(tokenize(source), lineStarts(source));
}

function findImports(tokens: readonly Token[], lines: readonly number[]): ImportRef[] {
  const refs: ImportRef[] = [];
  const at = (k: number): Token | undefined => tokens[k];
  const is = (k: number, value: string): boolean => {
    const t = tokens[k];
    return t !== undefined && (t.kind === "punct" || t.kind === "name") && t.value === value;
  };
  const push = (t: Token, typeOnly: boolean, dynamic: boolean): void => {
    refs.push({ specifier: t.value, line: lineOf(lines, t.pos), typeOnly, dynamic });
  };

  // Finds the string after `from` in a declaration that starts at `k`; stops at `;`.
  const fromClause = (k: number): Token | undefined => {
    let depth = 0;
    for (let j = k; j < tokens.length; j++) {
      const t = tokens[j]!;
      if (t.kind === "punct") {
        if (t.value === "{") depth++;
        else if (t.value === "}") depth--;
        else if (t.value === ";" && depth === 0) return undefined;
      } else if (t.kind === "name" && t.value === "from" && depth === 0) {
        const s = at(j + 1);
        if (s?.kind === "string") return s;
      } else if (t.kind === "string" && depth === 0) {
        return undefined;
      }
    }
    return undefined;
  };

  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.kind !== "name" || (t.value !== "import" && t.value !== "export")) continue;
    if (is(k - 1, ".") || is(k - 1, "?.") || is(k + 1, ":")) continue; // a property name
    const next = at(k + 1);
    if (next === undefined) continue;
    if (t.value === "import") {
      if (is(k + 1, ".")) continue; // import.meta
      if (is(k + 1, "(")) {
        const s = at(k + 2);
        if (s?.kind !== "string" || !(is(k + 3, ")") || is(k + 3, ","))) continue; // computed
        // In a type (`typeof import("x")`, `import("x").Name`) it is erased; at run time the
        // only members of the promise one can follow it with are then/catch/finally.
        const member = is(k + 4, ".") ? at(k + 5) : undefined;
        const inType = is(k - 1, "typeof") ||
          (member?.kind === "name" && !PROMISE_METHODS.has(member.value));
        push(s, inType, true);
        continue;
      }
      if (next.kind === "string") {
        push(next, false, false); // import "x";
        continue;
      }
      // `import type X from`, but not `import type from "x"` nor `import type, {…} from "x"`.
      const typeOnly = is(k + 1, "type") && !is(k + 2, "from") && !is(k + 2, ",");
      const s = fromClause(k + 1);
      if (s !== undefined) push(s, typeOnly, false);
    } else {
      const typeOnly = is(k + 1, "type");
      const start = typeOnly ? k + 2 : k + 1;
      if (!is(start, "{") && !is(start, "*")) continue; // export const/function/class/…
      const s = fromClause(start);
      if (s !== undefined) push(s, typeOnly, false);
    }
  }
  return refs;
}

const GLOBAL_OBJECTS = new Set(["globalThis", "window", "self", "global"]);

/**
 * Uses of the global `names`: skips member names (`x.process`) unless the object is the global
 * object, object keys and parameters (`{ process: … }`, `(process: T)`), and method names
 * (`process(…)`), none of which touch the runtime's global.
 */
function findGlobalNames(tokens: readonly Token[], names: ReadonlySet<string>): Token[] {
  const found: Token[] = [];
  const punct = (k: number): string | undefined => {
    const t = tokens[k];
    return t?.kind === "punct" ? t.value : undefined;
  };
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.kind !== "name" || !names.has(t.value)) continue;
    const before = punct(k - 1);
    const after = punct(k + 1);
    if (before === "." || before === "?.") {
      const object = tokens[k - 2];
      if (object?.kind !== "name" || !GLOBAL_OBJECTS.has(object.value)) continue;
    } else if ((before === "{" || before === "," || before === "(") && after === ":") {
      continue;
    } else if (after === "(" && t.value !== "Buffer") {
      continue; // a method or function named like the global; the global itself is no function
    }
    found.push(t);
  }
  return found;
}
