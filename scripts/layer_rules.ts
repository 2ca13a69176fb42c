/**
 * The import rules of STYLE.md ("Layers"), as a pure function over file contents, so a test can
 * feed it in-memory fixtures. `scripts/check_layers.ts` is the command-line front end.
 *
 * | Place | May import |
 * | --- | --- |
 * | layer 0 `src/protocol/` | layer 0 |
 * | layer 1 `src/streams/` | layers 0-1 |
 * | layer 2 `src/router/` | layers 0 and 2, and `import type` from layer 1 |
 * | layer 3 `src/*.ts`, `src/testing/` | layers 0-3 |
 * | layer 4 `src/adapters/*.ts` | layers 0-3 and the shared adapter files; a runtime adapter
 *   (`deno.ts`, `bun.ts`, `node.ts`, and its family `deno_*.ts`, `bun_*.ts`, `node_*.ts`) never
 *   imports another runtime's adapter, and uses its own runtime only |
 * | `mod.ts`, `testing.ts` | layers 0-3, never `src/adapters/` |
 *
 * Layers 0-1 also name no `Deno`, `Bun`, `process` or `Buffer`. Relative imports name the `.ts`
 * file. Anything not relative (`node:…`, `bun`, npm packages) is a runtime import or a dependency,
 * and only the matching runtime adapter may have one.
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

/** Where a file sits in the layer table. */
export type Place =
  | { kind: "protocol" }
  | { kind: "streams" }
  | { kind: "router" }
  | { kind: "top" }
  | { kind: "adapter"; runtime: Runtime | null }
  | { kind: "mod" };

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
 */
export function placeOf(path: string): Place | null {
  // Runtime-free entry points: the main one and the test helpers.
  if (path === "mod.ts" || path === "testing.ts") return { kind: "mod" };
  const parts = path.split("/");
  if (parts[0] !== "src") return null;
  if (parts.length === 2) return { kind: "top" };
  if (parts.length !== 3) return null;
  const [, folder, file = ""] = parts;
  switch (folder) {
    case "protocol":
      return { kind: "protocol" };
    case "streams":
      return { kind: "streams" };
    case "router":
      return { kind: "router" };
    case "testing":
      // Test helpers compose connections over in-memory streams: layer 3, like serve.ts.
      return { kind: "top" };
    case "adapters": {
      const stem = file.replace(/\.ts$/, "");
      // `node_http.ts` belongs to Node as much as `node.ts` does: same runtime, same rules.
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
    case "top":
      return "layer 3 (src/*.ts)";
    case "adapter":
      return place.runtime === null
        ? "layer 4 (src/adapters/, shared file)"
        : `layer 4 (src/adapters/${place.runtime}.ts)`;
    case "mod":
      return "mod.ts";
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
    case "top":
      return "may import only layers 0-3 (src/protocol/, src/streams/, src/router/, src/*.ts)";
    case "adapter":
      return place.runtime === null
        ? "may import only layers 0-3 and shared adapter files (runtime adapters only by import())"
        : "may import only layers 0-3, shared adapter files and its own runtime's files, " +
          "never another runtime's adapter";
    case "mod":
      return "re-exports only the runtime-free layers 0-3, never src/adapters/";
  }
}

/** Whether `from` may import `to`; `typeOnly` and `dynamic` describe the import. */
function mayImport(from: Place, to: Place, ref: ImportRef): boolean {
  if (to.kind === "mod") return false;
  switch (from.kind) {
    case "protocol":
      return to.kind === "protocol";
    case "streams":
      return to.kind === "protocol" || to.kind === "streams";
    case "router":
      return to.kind === "protocol" || to.kind === "router" ||
        (to.kind === "streams" && ref.typeOnly);
    case "top":
    case "mod":
      return to.kind !== "adapter";
    case "adapter":
      if (to.kind !== "adapter") return true;
      if (to.runtime === null) return true;
      // Files of one runtime's family (`node.ts`, `node_http.ts`) run on the same runtime.
      if (from.runtime !== null && from.runtime === to.runtime) return true;
      // A shared file (say, one that picks the adapter for the running runtime) may load a
      // runtime adapter lazily; nothing may load one eagerly, or every runtime would load it.
      return from.runtime === null && ref.dynamic;
  }
}

// Runtime modules that Deno, Bun and Node all provide alike, which shared adapter files may use:
// node:zlib backs the permessage-deflate engine (src/adapters/zlib_deflate.ts) on all three.
const SHARED_RUNTIME_MODULES: ReadonlySet<string> = new Set(["node:zlib"]);

/**
 * Non-relative specifiers a place may import: a runtime adapter its own runtime's, a shared
 * adapter file only the modules every runtime provides.
 */
function mayImportBare(from: Place, specifier: string): boolean {
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
 * Checks every rule on `files` (repository-relative path → source). Paths outside `src/` other
 * than `mod.ts` are ignored. Relative imports are resolved against the map, so pass every file of
 * `src/` for the "no such file" check to be meaningful.
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
  for (const [file, source] of files) {
    const place = placeOf(file);
    if (place === null) {
      if (file.startsWith("src/")) {
        violations.push({
          file,
          line: 1,
          message:
            "File is in no layer: move it into src/{protocol,streams,router,testing,adapters}/ or " +
            "src/, or add its folder to scripts/layer_rules.ts and STYLE.md",
        });
      }
      continue;
    }
    const tokens = tokenize(source);
    const lines = lineStarts(source);
    for (const ref of findImports(tokens, lines)) {
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
  return violations.sort((a, b) => a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line);
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
    return `Cannot import "${spec}" in ${where}: only a runtime adapter imports modules outside ` +
      "the repository, and only its own runtime's (wsflow has no runtime dependencies)";
  }
  if (!spec.endsWith(".ts")) {
    return `Cannot import "${spec}": a relative import names the .ts file (explicit extensions)`;
  }
  const target = resolve(file, spec);
  if (target === null) return `Cannot import "${spec}": it points outside the repository`;
  const targetPlace = placeOf(target);
  if (targetPlace === null) {
    if (target.startsWith("src/")) return null; // that file gets its own "in no layer" report
    return `Cannot import "${spec}" in ${where}: it is outside src/ and mod.ts`;
  }
  if (!files.has(target)) return `Cannot import "${spec}": no such file (${target})`;
  if (mayImport(place, targetPlace, ref)) return null;
  if (targetPlace.kind === "mod") {
    return `Cannot import "${spec}" in ${where}: mod.ts only re-exports, nothing imports it`;
  }
  if (place.kind === "router" && targetPlace.kind === "streams") {
    return `Cannot import "${spec}" at run time in ${where}: ` +
      "src/streams/ may be used here only through `import type`";
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
