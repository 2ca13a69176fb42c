import { describe, expect, it } from "vitest";
import { checkLayers, scanImports, type Violation } from "../../scripts/layer_rules.ts";

// A small tree that follows every rule; each test adds or replaces files.
const CLEAN: Record<string, string> = {
  "mod.ts": [
    'export { Opcode } from "./src/protocol/opcode.ts";',
    'export type { Frame } from "./src/protocol/frame.ts";',
    'export * from "./src/streams/connection.ts";',
    'export { Router } from "./src/router/router.ts";',
    'export { serve } from "./src/serve.ts";',
  ].join("\n"),
  "src/protocol/opcode.ts": "export const Opcode = { Text: 1 } as const;",
  "src/protocol/frame.ts": 'import type { Opcode } from "./opcode.ts";\nexport type Frame = {};',
  "src/streams/connection.ts": 'import { Opcode } from "../protocol/opcode.ts";\nexport {};',
  "src/router/router.ts": [
    'import type { Connection } from "../streams/connection.ts";',
    'import { Opcode } from "../protocol/opcode.ts";',
    'import { match } from "./route_pattern.ts";',
    'export type Handler = (c: import("../streams/connection.ts").Connection) => void;',
  ].join("\n"),
  "src/router/route_pattern.ts": "export function match(): boolean { return true; }",
  "src/serve.ts": [
    'import { Router } from "./router/router.ts";',
    'import { connect } from "./connect.ts";',
    'import { Opcode } from "./protocol/opcode.ts";',
  ].join("\n"),
  "src/connect.ts": 'import { Connection } from "./streams/connection.ts";',
  "src/adapters/listener.ts": [
    'import { serve } from "../serve.ts";',
    'export const load = () => import("./deno.ts");',
  ].join("\n"),
  "src/adapters/deno.ts": 'import { serve } from "../serve.ts";\nDeno.serve(() => serve());',
  "src/adapters/bun.ts": [
    'import type { Socket } from "bun";',
    'import { serve } from "../serve.ts";',
    'import { listen } from "./listener.ts";',
    "Bun.listen({}); process.exitCode = 0;",
  ].join("\n"),
  "src/adapters/node.ts": [
    'import { createServer } from "node:net";',
    'import { Buffer } from "node:buffer";',
    'import { serve } from "../serve.ts";',
  ].join("\n"),
};

function check(changes: Record<string, string>): string[] {
  const files = new Map(Object.entries({ ...CLEAN, ...changes }));
  return checkLayers(files).map((v: Violation) => `${v.file}:${v.line}: ${v.message}`);
}

function locations(changes: Record<string, string>): string[] {
  return check(changes).map((line) => line.split(": ")[0]!);
}

describe("checkLayers", () => {
  it("accepts a tree that follows every rule", () => {
    expect(check({})).toEqual([]);
  });

  it("layer 0 imports only layer 0", () => {
    const found = check({
      "src/protocol/frame.ts": [
        'import type { Opcode } from "./opcode.ts";',
        'import { Connection } from "../streams/connection.ts";',
        'import type { Router } from "../router/router.ts";',
      ].join("\n"),
    });
    expect(found).toEqual([
      'src/protocol/frame.ts:2: Cannot import "../streams/connection.ts" in layer 0 ' +
      "(src/protocol/): it may import only src/protocol/",
      'src/protocol/frame.ts:3: Cannot import "../router/router.ts" in layer 0 ' +
      "(src/protocol/): it may import only src/protocol/",
    ]);
  });

  it("layer 1 imports layers 0-1 only", () => {
    expect(locations({
      "src/streams/connection.ts": 'import { Router } from "../router/router.ts";',
    })).toEqual(["src/streams/connection.ts:1"]);
  });

  it("layer 2 uses layer 1 only through `import type`", () => {
    const found = check({
      "src/router/router.ts": [
        'import type { Connection } from "../streams/connection.ts";',
        'import { Connection as C } from "../streams/connection.ts";',
        // With verbatimModuleSyntax this import stays at run time (as `import {}`), so it counts.
        'import { type Connection as D } from "../streams/connection.ts";',
        'export type { Connection } from "../streams/connection.ts";',
        'export { Connection as E } from "../streams/connection.ts";',
        'const lazy = import("../streams/connection.ts").then((m) => m);',
      ].join("\n"),
    });
    expect(found.map((line) => line.split(": ")[0])).toEqual([
      "src/router/router.ts:2",
      "src/router/router.ts:3",
      "src/router/router.ts:5",
      "src/router/router.ts:6",
    ]);
    expect(found[0]).toContain("only through `import type`");
  });

  it("layer 3 does not import adapters", () => {
    expect(locations({
      "src/serve.ts": 'import { Router } from "./router/router.ts";\nimport "./adapters/deno.ts";',
    })).toEqual(["src/serve.ts:2"]);
  });

  it("an adapter imports no other adapter, only shared adapter files", () => {
    expect(locations({
      "src/adapters/bun.ts": [
        'import { listen } from "./listener.ts";',
        'import { serve } from "./node.ts";',
        'const deno = await import("./deno.ts");',
      ].join("\n"),
    })).toEqual(["src/adapters/bun.ts:2", "src/adapters/bun.ts:3"]);
  });

  it("a runtime's family file (node_http.ts) is that runtime's adapter: its imports, its rules", () => {
    expect(check({
      "src/adapters/node_http.ts": [
        'import type { IncomingMessage } from "node:http";',
        'import { socketToByteStream } from "./node.ts";',
        'import { handleStream } from "../serve.ts";',
        "const b = Buffer.from([1]);",
      ].join("\n"),
    })).toEqual([]);
    expect(locations({
      "src/adapters/node_http.ts": [
        'import { listen } from "./bun.ts";',
        'import { Socket } from "bun";',
        "console.log(Deno.pid);",
      ].join("\n"),
      "src/adapters/bun.ts": 'import { x } from "./node_http.ts";',
    })).toEqual([
      "src/adapters/bun.ts:1",
      "src/adapters/node_http.ts:1",
      "src/adapters/node_http.ts:2",
      "src/adapters/node_http.ts:3",
    ]);
  });

  it("a shared adapter file loads runtime adapters only lazily", () => {
    expect(locations({
      "src/adapters/listener.ts": 'import { x } from "./node.ts";\nawait import("./bun.ts");',
    })).toEqual(["src/adapters/listener.ts:1"]);
  });

  it("an adapter uses its own runtime only", () => {
    expect(locations({
      "src/adapters/deno.ts": [
        'import { createServer } from "node:net";',
        "Deno.serve(() => {});",
        "const b = Buffer.from([1]);",
        'if (typeof Bun !== "undefined") {}',
      ].join("\n"),
      "src/adapters/node.ts": 'import { Socket } from "bun";\nconsole.log(Deno.pid);',
    })).toEqual([
      "src/adapters/deno.ts:1",
      "src/adapters/deno.ts:3",
      "src/adapters/deno.ts:4",
      "src/adapters/node.ts:1",
      "src/adapters/node.ts:2",
    ]);
  });

  it("mod.ts does not import src/adapters", () => {
    const found = check({
      "mod.ts": 'export { Opcode } from "./src/protocol/opcode.ts";\n' +
        'export { listen } from "./src/adapters/deno.ts";',
    });
    expect(found).toEqual([
      'mod.ts:2: Cannot import "./src/adapters/deno.ts" in mod.ts: it re-exports only the ' +
      "runtime-free layers 0-3, never src/adapters/",
    ]);
  });

  it("nothing in src/ imports mod.ts", () => {
    expect(locations({ "src/serve.ts": 'import { Opcode } from "../mod.ts";' }))
      .toEqual(["src/serve.ts:1"]);
  });

  it("layers 0-1 name no Deno, Bun, process or Buffer and import no node: module", () => {
    const found = check({
      "src/protocol/opcode.ts": [
        'import { randomBytes } from "node:crypto";',
        "const a = Deno.env;",
        "const b = Bun.version;",
        "const c = process.env;",
        "const d = Buffer.alloc(1);",
        "const e = globalThis.process?.versions;",
        "const f = `pid ${process.pid}`;",
        "const g: typeof Deno | undefined = undefined;",
      ].join("\n"),
      "src/streams/connection.ts": "export function write(x: Buffer): void {}",
    });
    expect(found.map((line) => line.split(": ")[0])).toEqual([
      "src/protocol/opcode.ts:1",
      "src/protocol/opcode.ts:2",
      "src/protocol/opcode.ts:3",
      "src/protocol/opcode.ts:4",
      "src/protocol/opcode.ts:5",
      "src/protocol/opcode.ts:6",
      "src/protocol/opcode.ts:7",
      "src/protocol/opcode.ts:8",
      "src/streams/connection.ts:1",
    ]);
    expect(found[0]).toContain("layers 0-1 use web standards only");
    expect(found[3]).toBe(
      "src/protocol/opcode.ts:4: Cannot name `process` in layer 0 (src/protocol/): " +
        "layers 0-1 use web standards only",
    );
  });

  it("names in comments, strings, templates and regular expressions do not count", () => {
    expect(check({
      "src/protocol/opcode.ts": [
        "// Unlike Buffer, process and Deno.serve, this is portable.",
        "/**",
        " * Works on Bun.serve and node:net sockets without using process.",
        " */",
        'const message = "Cannot process frame: Buffer is not used here (Deno.)";',
        "const text = `process ${1 + 1} Bun.`;",
        "const re = /process|Buffer/;",
        "const quote = /[\"'`]/; // a regex with quotes does not open a string",
        "class Parser { process(chunk: Uint8Array): void {} #Buffer = 1; }",
        "const options = { process: true, Buffer: 2 };",
        "new Parser().process(new Uint8Array(0));",
        "const s = new SharedArrayBuffer(8); const ab = new ArrayBuffer(8);",
        "export const Opcode = { Text: 1 } as const;",
      ].join("\n"),
    })).toEqual([]);
  });

  it("relative imports name the .ts file", () => {
    const found = check({
      "src/protocol/frame.ts": [
        'import type { Opcode } from "./opcode";',
        'import { Opcode as O } from "./opcode.js";',
        'import { x } from "./missing.ts";',
      ].join("\n"),
    });
    expect(found).toEqual([
      'src/protocol/frame.ts:1: Cannot import "./opcode": ' +
      "a relative import names the .ts file (explicit extensions)",
      'src/protocol/frame.ts:2: Cannot import "./opcode.js": ' +
      "a relative import names the .ts file (explicit extensions)",
      'src/protocol/frame.ts:3: Cannot import "./missing.ts": ' +
      "no such file (src/protocol/missing.ts)",
    ]);
  });

  it("a file in no layer is reported", () => {
    expect(check({ "src/extras/thing.ts": "export const x = 1;" })).toEqual([
      "src/extras/thing.ts:1: File is in no layer: move it into " +
      "src/{protocol,streams,router,testing,adapters}/ or src/, or add its folder to " +
      "scripts/layer_rules.ts and STYLE.md",
    ]);
  });

  it("src/testing/ is layer 3 and testing.ts an entry point like mod.ts", () => {
    expect(check({
      "testing.ts": 'export { pair } from "./src/testing/pair.ts";',
      "src/testing/pair.ts": [
        'import { Connection } from "../streams/connection.ts";',
        'import { Router } from "../router/router.ts";',
        'import { serve } from "../serve.ts";',
      ].join("\n"),
    })).toEqual([]);
    expect(locations({
      "testing.ts": 'export { serve } from "./src/adapters/deno.ts";',
      "src/testing/pair.ts": 'import { serve } from "../adapters/deno.ts";',
    })).toEqual(["src/testing/pair.ts:1", "testing.ts:1"]);
  });

  it("files outside src/ and mod.ts are ignored", () => {
    expect(check({ "tests/x.test.ts": 'import { Buffer } from "node:buffer";' })).toEqual([]);
  });
});

describe("scanImports", () => {
  it("finds every import form with its line", () => {
    const source = [
      "#!/usr/bin/env -S deno run",
      "import {",
      "  a,",
      "  type B,",
      '} from "./a.ts";',
      'import "./side_effect.ts";',
      'import type from "./default_named_type.ts";',
      'import type * as ns from "./ns.ts";',
      'export * as all from "./all.ts";',
      'export type { C } from "./c.ts";',
      "export const notAnImport = 1;",
      'const later = await import("./later.ts", { with: {} });',
      'type T = typeof import("./t.ts");',
      'const url = import.meta.url; const o = { import: "./no.ts" };',
    ].join("\n");
    expect(scanImports(source)).toEqual([
      { specifier: "./a.ts", line: 5, typeOnly: false, dynamic: false },
      { specifier: "./side_effect.ts", line: 6, typeOnly: false, dynamic: false },
      { specifier: "./default_named_type.ts", line: 7, typeOnly: false, dynamic: false },
      { specifier: "./ns.ts", line: 8, typeOnly: true, dynamic: false },
      { specifier: "./all.ts", line: 9, typeOnly: false, dynamic: false },
      { specifier: "./c.ts", line: 10, typeOnly: true, dynamic: false },
      { specifier: "./later.ts", line: 12, typeOnly: false, dynamic: true },
      { specifier: "./t.ts", line: 13, typeOnly: true, dynamic: true },
    ]);
  });
});
