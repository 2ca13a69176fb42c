import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { checkLayers, placeOf, scanImports, type Violation } from "../../scripts/layer_rules.ts";

// A small tree that follows every rule; each test adds or replaces files.
const CLEAN: Record<string, string> = {
  "mod.ts": [
    'export { Opcode } from "./src/protocol/opcode.ts";',
    'export type { Frame } from "./src/protocol/frame.ts";',
    'export * from "./src/streams/connection.ts";',
    'export { Router } from "./src/router/router.ts";',
    'export { serve } from "./src/serve.ts";',
    'export { serveStream } from "./src/server/serve_stream.ts";',
    'export { connectUrl } from "./src/client/connect_url.ts";',
    'export { Topics } from "./src/pubsub/topics.ts";',
  ].join("\n"),
  "testing.ts": [
    'export { pair } from "./src/testing/pair.ts";',
    'export { Opcode } from "./src/protocol/opcode.ts";',
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
  "src/server/serve_stream.ts": [
    'import { Router } from "../router/router.ts";',
    'import { Connection } from "../streams/connection.ts";',
    'import { connect } from "../connect.ts";',
    'import { readHead } from "./http/head.ts";',
  ].join("\n"),
  "src/server/http/head.ts": 'import { Opcode } from "../../protocol/opcode.ts";',
  "src/client/connect_url.ts": [
    'import { Opcode } from "../protocol/opcode.ts";',
    'import { serve } from "../serve.ts";',
  ].join("\n"),
  "src/pubsub/topics.ts": [
    'import type { serveStream } from "../server/serve_stream.ts";',
    'import { Connection } from "../streams/connection.ts";',
  ].join("\n"),
  "src/testing/pair.ts": [
    'import { serveStream } from "../server/serve_stream.ts";',
    'import { connectUrl } from "../client/connect_url.ts";',
    'import { Topics } from "../pubsub/topics.ts";',
    'import { readHead } from "../server/http/head.ts";',
    'import { serve } from "../serve.ts";',
    'import { Router } from "../router/router.ts";',
  ].join("\n"),
  "otel.ts": 'export { metrics } from "./src/otel/metrics.ts";',
  "src/otel/metrics.ts": [
    'import { metrics as api } from "@opentelemetry/api";',
    'import type { ConnectionObserver } from "../streams/connection.ts";',
    'import type { serveStream } from "../server/serve_stream.ts";',
    'import { Opcode } from "../protocol/opcode.ts";',
    'import { length } from "./length.ts";',
    "export const metrics = api;",
  ].join("\n"),
  "src/otel/length.ts": "export const length = 1;",
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
    'import { serveStream } from "../server/serve_stream.ts";',
    'import { connectUrl } from "../client/connect_url.ts";',
  ].join("\n"),
};

/** Every violation of CLEAN with `changes` applied, as `file:line: message`. */
function checkAll(changes: Record<string, string>): string[] {
  const files = new Map(Object.entries({ ...CLEAN, ...changes }));
  return checkLayers(files).map((v: Violation) => `${v.file}:${v.line}: ${v.message}`);
}

// An upward import often closes a cycle too (router imports streams by type, so streams
// importing router is both). The layer tests look at the layer rules; "import cycles" looks at
// cycles.
function check(changes: Record<string, string>): string[] {
  return checkAll(changes).filter((line) => !/: (Type-only import|Import) cycle /.test(line));
}

function cycles(changes: Record<string, string>): string[] {
  return checkAll(changes).filter((line) => /: (Type-only import|Import) cycle /.test(line));
}

function locations(changes: Record<string, string>): string[] {
  return check(changes).map((line) => line.split(": ")[0]!);
}

describe("checkLayers", () => {
  it("accepts a tree that follows every rule", () => {
    expect(checkAll({})).toEqual([]);
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
      "runtime-free layers 0-3, never src/adapters/ (nor src/testing/: that is testing.ts's)",
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

  it("a folder under src/ in no layer is rejected, saying where its files belong", () => {
    expect(check({ "src/extras/thing.ts": "export const x = 1;" })).toEqual([
      "src/extras/thing.ts:1: Folder src/extras/ is in no layer: put RFC 6455 rules (no I/O) in " +
      "src/protocol/, streams, timers and backpressure in src/streams/, routing in src/router/, " +
      "the wiring of a server, a client, pub/sub, another library's protocol or test support in " +
      "src/server/, src/client/, src/pubsub/, src/integrations/ or src/testing/, and code that " +
      "touches a runtime in src/adapters/ (or add the folder to scripts/layer_rules.ts and " +
      "STYLE.md)",
    ]);
  });

  it("files outside src/ and mod.ts are ignored", () => {
    expect(check({ "tests/x.test.ts": 'import { Buffer } from "node:buffer";' })).toEqual([]);
  });

  it("layer 3: src/server/ and src/client/ are siblings; neither imports the other", () => {
    const found = check({
      "src/server/serve_stream.ts": [
        'import { Router } from "../router/router.ts";',
        'import { connectUrl } from "../client/connect_url.ts";',
        'import type { connectUrl as C } from "../client/connect_url.ts";',
      ].join("\n"),
      "src/client/connect_url.ts": [
        'import { Opcode } from "../protocol/opcode.ts";',
        'import type { serveStream } from "../server/serve_stream.ts";',
      ].join("\n"),
    });
    expect(found).toEqual([
      'src/client/connect_url.ts:2: Cannot import "../server/serve_stream.ts" in layer 3 ' +
      "(src/client/): it may import only layers 0-2, src/client/ and src/*.ts (src/server/ is " +
      "its sibling: what both need goes into layers 0-2)",
      'src/server/serve_stream.ts:2: Cannot import "../client/connect_url.ts" in layer 3 ' +
      "(src/server/): it may import only layers 0-2, src/server/ and src/*.ts (src/client/ is " +
      "its sibling: what both need goes into layers 0-2)",
      'src/server/serve_stream.ts:3: Cannot import "../client/connect_url.ts" in layer 3 ' +
      "(src/server/): it may import only layers 0-2, src/server/ and src/*.ts (src/client/ is " +
      "its sibling: what both need goes into layers 0-2)",
    ]);
  });

  it("layer 3: src/pubsub/ uses src/server/ through `import type` only, and not src/client/", () => {
    const found = check({
      "src/pubsub/topics.ts": [
        'import type { serveStream } from "../server/serve_stream.ts";',
        'import { serveStream as s } from "../server/serve_stream.ts";',
        'import { connectUrl } from "../client/connect_url.ts";',
        'import { serve } from "../serve.ts";',
      ].join("\n"),
      "src/server/serve_stream.ts": 'import { Topics } from "../pubsub/topics.ts";',
    });
    expect(found.map((line) => line.split(": ")[0])).toEqual([
      "src/pubsub/topics.ts:2",
      "src/pubsub/topics.ts:3",
      "src/server/serve_stream.ts:1",
    ]);
    expect(found[0]).toContain("src/server/ may be used here only through `import type`");
  });

  it("layer 3: src/integrations/ uses layers 0-2 and src/*.ts, no other part of layer 3", () => {
    expect(check({
      "src/integrations/graphql_ws.ts": [
        'import type { Connection } from "../streams/connection.ts";',
        'import type { RouteOptions } from "../router/router.ts";',
        'import { serve } from "../serve.ts";',
        'import { helper } from "./helper.ts";',
      ].join("\n"),
      "src/integrations/helper.ts": 'import { Opcode } from "../protocol/opcode.ts";',
      "src/serve.ts": 'import { graphqlRoute } from "./integrations/graphql_ws.ts";',
      "src/adapters/node.ts": 'import { graphqlRoute } from "../integrations/graphql_ws.ts";',
    })).toEqual([]);
    const found = check({
      "src/integrations/graphql_ws.ts": [
        'import type { serveStream } from "../server/serve_stream.ts";',
        'import { connectUrl } from "../client/connect_url.ts";',
        'import { serve } from "../adapters/node.ts";',
      ].join("\n"),
      "src/server/serve_stream.ts": 'import { graphqlRoute } from "../integrations/graphql_ws.ts";',
    });
    expect(found.map((line) => line.split(": ")[0])).toEqual([
      "src/integrations/graphql_ws.ts:1",
      "src/integrations/graphql_ws.ts:2",
      "src/integrations/graphql_ws.ts:3",
      "src/server/serve_stream.ts:1",
    ]);
    expect(found[0]).toContain(
      "in layer 3 (src/integrations/): it may import only layers 0-2, src/integrations/ and " +
        "src/*.ts",
    );
  });

  it("layer 3: src/testing/ imports all of layers 0-3; only it and testing.ts import it", () => {
    expect(check({
      "src/testing/pair.ts": [
        'import { serveStream } from "../server/serve_stream.ts";',
        'import { connectUrl } from "../client/connect_url.ts";',
        'import { Topics } from "../pubsub/topics.ts";',
        'import { Connection } from "../streams/connection.ts";',
        'import { clock } from "./clock.ts";',
      ].join("\n"),
      "src/testing/clock.ts": 'import { Opcode } from "../protocol/opcode.ts";',
    })).toEqual([]);
    const found = check({
      "src/testing/pair.ts": 'import { serve } from "../adapters/deno.ts";',
      "src/server/serve_stream.ts": 'import { pair } from "../testing/pair.ts";',
      "src/serve.ts": 'import type { pair } from "./testing/pair.ts";',
      "src/adapters/node.ts": 'import { pair } from "../testing/pair.ts";',
      "mod.ts": 'export { pair } from "./src/testing/pair.ts";',
    });
    expect(found.map((line) => line.split(": ")[0])).toEqual([
      "mod.ts:1",
      "src/adapters/node.ts:1",
      "src/serve.ts:1",
      "src/server/serve_stream.ts:1",
      "src/testing/pair.ts:1",
    ]);
    expect(found[1]).toBe(
      'src/adapters/node.ts:1: Cannot import "../testing/pair.ts" in layer 4 ' +
        "(src/adapters/node.ts): src/testing/ is test support, which only src/testing/ and " +
        "testing.ts import",
    );
  });

  it("testing.ts re-exports layers 0-3 and src/testing/, never adapters; nothing imports it", () => {
    expect(check({
      "testing.ts": [
        'export { pair } from "./src/testing/pair.ts";',
        'export { serve } from "./src/adapters/node.ts";',
      ].join("\n"),
      "src/testing/pair.ts": 'import { x } from "../../testing.ts";',
    })).toEqual([
      'src/testing/pair.ts:1: Cannot import "../../testing.ts" in layer 3 (src/testing/): ' +
      "testing.ts is an entry point, it only re-exports and nothing imports it",
      'testing.ts:2: Cannot import "./src/adapters/node.ts" in testing.ts: it re-exports only ' +
      "layers 0-3, never src/adapters/",
    ]);
  });

  it("src/otel/ is an integration: layers 0-3 and its one package; only otel.ts imports it", () => {
    expect(placeOf("src/otel/metrics.ts")).toEqual({ kind: "integration", name: "otel" });
    expect(placeOf("otel.ts")).toEqual({ kind: "entry", entry: "otel.ts" });
    expect(check({
      "src/otel/length.ts": [
        'import { x } from "prom-client";',
        'import { serve } from "../adapters/node.ts";',
        'import { pair } from "../testing/pair.ts";',
        "export const length = process.pid;",
      ].join("\n"),
      "otel.ts": [
        'export { metrics } from "./src/otel/metrics.ts";',
        'export { Opcode } from "./src/protocol/opcode.ts";',
      ].join("\n"),
      "src/server/http/head.ts": 'import type { metrics } from "../../otel/metrics.ts";',
      "src/adapters/deno.ts": 'import { metrics } from "../otel/metrics.ts";',
      "src/testing/pair.ts": 'import { metrics } from "../otel/metrics.ts";',
    })).toEqual([
      'otel.ts:2: Cannot import "./src/protocol/opcode.ts" in otel.ts: it re-exports only ' +
      "src/otel/",
      'src/adapters/deno.ts:1: Cannot import "../otel/metrics.ts" in layer 4 ' +
      "(src/adapters/deno.ts): src/otel/ is an integration, which only its entry point " +
      "(otel.ts) imports",
      'src/otel/length.ts:1: Cannot import "prom-client" in layer 4 (src/otel/, an ' +
      "integration): an integration imports only its own package (@opentelemetry/api)",
      'src/otel/length.ts:2: Cannot import "../adapters/node.ts" in layer 4 (src/otel/, an ' +
      "integration): it may import only layers 0-3 and its own folder, never src/adapters/ or " +
      "src/testing/",
      'src/otel/length.ts:3: Cannot import "../testing/pair.ts" in layer 4 (src/otel/, an ' +
      "integration): src/testing/ is test support, which only src/testing/ and testing.ts " +
      "import",
      "src/otel/length.ts:4: Cannot name `process` in layer 4 (src/otel/, an integration): an " +
      "integration is runtime-free, like the core it maps",
      'src/server/http/head.ts:1: Cannot import "../../otel/metrics.ts" in layer 3 ' +
      "(src/server/): src/otel/ is an integration, which only its entry point (otel.ts) imports",
      'src/testing/pair.ts:1: Cannot import "../otel/metrics.ts" in layer 3 (src/testing/): ' +
      "src/otel/ is an integration, which only its entry point (otel.ts) imports",
    ]);
    // mod.ts keeps the core free of the integration's package.
    expect(locations({ "mod.ts": 'export { metrics } from "./src/otel/metrics.ts";' })).toEqual([
      "mod.ts:1",
    ]);
  });

  it("no layer imports upward: one case per boundary", () => {
    const cases: [string, string, string][] = [
      ["src/protocol/opcode.ts", "../streams/connection.ts", "layer 0 (src/protocol/)"],
      ["src/streams/connection.ts", "../server/serve_stream.ts", "layer 1 (src/streams/)"],
      ["src/router/route_pattern.ts", "../server/serve_stream.ts", "layer 2 (src/router/)"],
      ["src/router/route_pattern.ts", "../connect.ts", "layer 2 (src/router/)"],
      ["src/server/http/head.ts", "../../adapters/node.ts", "layer 3 (src/server/)"],
      ["src/client/connect_url.ts", "../adapters/listener.ts", "layer 3 (src/client/)"],
      ["src/pubsub/topics.ts", "../adapters/bun.ts", "layer 3 (src/pubsub/)"],
      ["src/testing/pair.ts", "../adapters/deno.ts", "layer 3 (src/testing/)"],
      ["mod.ts", "./src/adapters/node.ts", "mod.ts"],
    ];
    for (const [file, target, where] of cases) {
      const found = check({ [file]: `import type { X } from "${target}";` });
      expect(found, `${file} -> ${target}`).toHaveLength(1);
      expect(found[0]).toMatch(new RegExp(`^${file}:1: Cannot import "${target}" in `));
      expect(found[0]).toContain(` in ${where}: it `);
    }
  });

  it("a file in a sub-folder has its folder's place and rules", () => {
    expect(placeOf("src/server/http/head.ts")).toEqual({ kind: "composition", area: "server" });
    expect(placeOf("src/protocol/deflate/window.ts")).toEqual({ kind: "protocol" });
    expect(placeOf("src/streams/a/b/c.ts")).toEqual({ kind: "streams" });
    expect(placeOf("src/router/match/glob.ts")).toEqual({ kind: "router" });
    expect(placeOf("src/testing/fakes/clock.ts")).toEqual({ kind: "composition", area: "testing" });
    expect(placeOf("src/adapters/node/tls.ts")).toEqual({ kind: "adapter", runtime: "node" });
    expect(placeOf("src/adapters/zlib/pool.ts")).toEqual({ kind: "adapter", runtime: null });
    expect(placeOf("src/serve.ts")).toEqual({ kind: "composition", area: "top" });
    expect(placeOf("src/extras/thing.ts")).toBeNull();
    expect(placeOf("testing.ts")).toEqual({ kind: "entry", entry: "testing.ts" });

    expect(
      check({
        "src/protocol/deflate/window.ts": [
          'import { Opcode } from "../opcode.ts";',
          'import { Connection } from "../../streams/connection.ts";',
          "const b = Buffer.alloc(1);",
        ].join("\n"),
        "src/server/http/head.ts": [
          'import { Opcode } from "../../protocol/opcode.ts";',
          'import { serveStream } from "../serve_stream.ts";',
          'import { connectUrl } from "../../client/connect_url.ts";',
        ].join("\n"),
        "src/adapters/node/tls.ts": [
          'import { connect } from "node:tls";',
          'import { listen } from "../bun.ts";',
          "console.log(Deno.pid);",
        ].join("\n"),
      }).map((line) => line.split(": ").slice(0, 2).join(": ")),
    ).toEqual([
      'src/adapters/node/tls.ts:2: Cannot import "../bun.ts" in layer 4 (src/adapters/node.ts)',
      "src/adapters/node/tls.ts:3: Cannot name `Deno` in layer 4 (src/adapters/node.ts)",
      'src/protocol/deflate/window.ts:2: Cannot import "../../streams/connection.ts" in layer 0 ' +
      "(src/protocol/)",
      "src/protocol/deflate/window.ts:3: Cannot name `Buffer` in layer 0 (src/protocol/)",
      'src/server/http/head.ts:3: Cannot import "../../client/connect_url.ts" in layer 3 ' +
      "(src/server/)",
    ]);
  });
});

describe("import cycles", () => {
  it("rejects a cycle, naming its files in import order from the first in path order", () => {
    // The cycle this check was written for: node.ts re-exported node_http.ts, which imported
    // node.ts's socket bridge back.
    expect(cycles({
      "src/adapters/node.ts": [
        'import { createServer } from "node:net";',
        'export { handleUpgrade } from "./node_http.ts";',
      ].join("\n"),
      "src/adapters/node_http.ts": 'import { socketToByteStream } from "./node.ts";',
    })).toEqual([
      "src/adapters/node.ts:2: Import cycle src/adapters/node.ts -> src/adapters/node_http.ts " +
      "-> src/adapters/node.ts: no file may depend on itself through others; move what they " +
      "share into a file that they both import",
    ]);
    // The fix: the shared part in a third file that both import.
    expect(checkAll({
      "src/adapters/node.ts": [
        'import { socketToByteStream } from "./node_socket.ts";',
        'export { handleUpgrade } from "./node_http.ts";',
      ].join("\n"),
      "src/adapters/node_http.ts": 'import { socketToByteStream } from "./node_socket.ts";',
      "src/adapters/node_socket.ts": 'import { createServer } from "node:net";',
    })).toEqual([]);
  });

  it("reports a longer cycle once, whichever file it is entered from", () => {
    expect(cycles({
      "src/streams/connection.ts": [
        'import { Opcode } from "../protocol/opcode.ts";',
        'import { queue } from "./c_queue.ts";',
      ].join("\n"),
      "src/streams/c_queue.ts": 'import { timers } from "./b_timers.ts";',
      "src/streams/b_timers.ts": '\nimport { Connection } from "./connection.ts";',
    })).toEqual([
      "src/streams/b_timers.ts:2: Import cycle src/streams/b_timers.ts -> " +
      "src/streams/connection.ts -> src/streams/c_queue.ts -> src/streams/b_timers.ts: no file " +
      "may depend on itself through others; move what they share into a file that they both " +
      "import",
    ]);
  });

  it("reports every cycle, in sub-folders and through import() too, and a file importing itself", () => {
    const found = cycles({
      "src/server/a.ts": 'import { b } from "./http/b.ts";\nimport { c } from "./c.ts";',
      "src/server/http/b.ts": 'export const load = () => import("../a.ts");',
      "src/server/c.ts": 'import { a } from "./a.ts";',
      "src/protocol/opcode.ts": 'import { Opcode } from "./opcode.ts";',
    });
    expect(found.map((line) => line.split(": ").slice(0, 2).join(": "))).toEqual([
      "src/protocol/opcode.ts:1: Import cycle src/protocol/opcode.ts -> src/protocol/opcode.ts",
      "src/server/a.ts:1: Import cycle src/server/a.ts -> src/server/http/b.ts -> src/server/a.ts",
      "src/server/a.ts:2: Import cycle src/server/a.ts -> src/server/c.ts -> src/server/a.ts",
    ]);
  });

  it("reports a cycle closed only by `import type` as type-only, naming the erased steps", () => {
    expect(cycles({
      "src/streams/connection.ts": [
        'import type { Budget } from "./memory_budget.ts";',
        'import { Budget as B } from "./memory_budget.ts";',
      ].join("\n"),
      "src/streams/memory_budget.ts": 'import type { Connection } from "./connection.ts";',
    })).toEqual([
      "src/streams/connection.ts:2: Type-only import cycle src/streams/connection.ts -> " +
      "src/streams/memory_budget.ts -> src/streams/connection.ts (src/streams/memory_budget.ts " +
      "-> src/streams/connection.ts only `import type`): erased at run time, but the files " +
      "still depend on each other; move the shared types into a file that they both import",
    ]);
  });

  it("stops listing after 50 cycles, so a tangle cannot hang the check", () => {
    // 12 files that all import each other hold billions of elementary cycles.
    const names = Array.from({ length: 12 }, (_, i) => `src/router/f${i}.ts`);
    const tangle = Object.fromEntries(names.map((name) => [
      name,
      names.map((other) => `import { x } from "./${other.slice(11)}";`).join("\n"),
    ]));
    const found = cycles(tangle);
    expect(found).toHaveLength(50);
    expect(checkAll(tangle)).toContain(
      "src/router/f0.ts:1: More import cycles than the 50 listed: break those first",
    );
  });
});

describe("the repository", () => {
  // Read from disk, like scripts/check_layers.ts, so that the rules and the tree cannot drift
  // apart (the tree must pass the very rules the tests above pin).
  const root = fileURLToPath(new URL("../../", import.meta.url).href);
  const read = (): Map<string, string> => {
    const files = new Map<string, string>();
    const walk = (dir: string): void => {
      for (const entry of readdirSync(root + dir, { withFileTypes: true })) {
        const path = `${dir}/${entry.name}`;
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith(".ts")) files.set(path, readFileSync(root + path, "utf8"));
      }
    };
    walk("src");
    for (const entry of ["mod.ts", "testing.ts", "otel.ts"]) {
      try {
        files.set(entry, readFileSync(root + entry, "utf8"));
      } catch {
        // testing.ts arrives with the testing entry point
      }
    }
    return files;
  };

  it("follows every rule and has no import cycle", () => {
    const files = read();
    expect(files.has("mod.ts") && files.has("src/adapters/node_socket.ts")).toBe(true);
    expect(checkLayers(files)).toEqual([]);
  });

  it("would fail with node_http.ts importing node.ts again", () => {
    const files = read();
    const http = files.get("src/adapters/node_http.ts")!;
    files.set("src/adapters/node_http.ts", http.replace('"./node_socket.ts"', '"./node.ts"'));
    expect(checkLayers(files).map((v) => v.message)).toEqual([
      expect.stringMatching(
        /^Import cycle src\/adapters\/node\.ts -> src\/adapters\/node_http\.ts -> src\/adapters\/node\.ts: /,
      ),
    ]);
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
