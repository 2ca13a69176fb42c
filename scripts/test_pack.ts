/**
 * Tests the npm package as a user gets it: `npm pack` (which builds `dist/` through `prepack`),
 * checks the tarball's file list, installs the tarball into a scratch package, type-checks a
 * TypeScript consumer against the shipped `.d.ts` files, and runs a plain JavaScript consumer
 * importing "wsflow" under Node and under Bun. Exits non-zero on any failure
 * and then keeps the scratch directory for a look.
 *
 * ```sh
 * npm run test:pack        # = node --import tsx scripts/test_pack.ts
 * ```
 *
 * Needs no network: the tarball is local and wsflow has no runtime dependencies.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url).href);
// The pinned bun and tsc from node_modules, even when this runs outside `npm run`.
const ENV = {
  ...process.env,
  PATH: `${join(ROOT, "node_modules", ".bin")}${delimiter}${process.env.PATH ?? ""}`,
};

/** Files the tarball must hold. */
const REQUIRED = [
  "package.json",
  "LICENSE",
  "dist/mod.js",
  "dist/mod.d.ts",
  "dist/testing.js",
  "dist/testing.d.ts",
  "dist/otel.js",
  "dist/otel.d.ts",
  "dist/src/adapters/node_ws.js",
  "dist/src/adapters/node_ws.d.ts",
  "dist/src/integrations/graphql_ws.js",
  "dist/src/integrations/graphql_ws.d.ts",
];

/** Why a path must not be in the tarball, or null if it may be. */
function unwanted(path: string): string | null {
  if (/^(tests|bench|examples|scripts|node_modules)\//.test(path)) return "not part of the package";
  if (/(^|\/)tests?\//.test(path) || /\.test\.[cm]?[jt]s$/.test(path)) return "a test file";
  if (/\.[cm]?ts$/.test(path) && !/\.d\.[cm]?ts$/.test(path)) return "TypeScript source";
  if (/^src\//.test(path) || path === "mod.ts") return "TypeScript source";
  return null;
}

function run(command: string, args: readonly string[], cwd: string): string {
  console.log(`test_pack: $ ${command} ${args.join(" ")}`);
  const result = spawnSync(command, args, {
    cwd,
    env: ENV,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  if (result.error !== undefined) throw new Error(`Cannot run ${command}: ${result.error.message}`);
  if (result.status !== 0) {
    process.stdout.write(result.stdout);
    throw new Error(`${command} ${args.join(" ")} exited with ${result.status ?? result.signal}`);
  }
  return result.stdout;
}

interface PackResult {
  filename: string;
  files: { path: string }[];
}

/** `npm pack --json` prints the lifecycle scripts' output first, then the JSON array. */
function parsePackJson(stdout: string): PackResult {
  const start = stdout.search(/^\[/m);
  if (start === -1) throw new Error(`Cannot find npm pack's JSON in its output:\n${stdout}`);
  const parsed = JSON.parse(stdout.slice(start)) as PackResult[];
  const first = parsed[0];
  if (first === undefined) throw new Error("npm pack reported no package");
  return first;
}

/**
 * A user of the npm package: plain JavaScript importing "wsflow" by name, run under Node and under
 * Bun. A failed assertion throws, which exits non-zero. (A string rather than a file, because
 * `deno check scripts` would try to resolve "wsflow" in it.)
 */
const JS_CONSUMER = `import assert from "node:assert/strict";
import process from "node:process";
import * as wsflow from "wsflow";
import {
  applyMask,
  FrameDecoderStream,
  FrameParser,
  Opcode,
  ProtocolError,
  serializeFrame,
  WebSocketError,
} from "wsflow";
import { WebSocket as WsSocket, WebSocketServer } from "wsflow/ws";
import { GRAPHQL_TRANSPORT_WS_PROTOCOL, graphqlWsRoute } from "wsflow/graphql";

const runtime = process.versions.bun === undefined
  ? "node " + process.version
  : "bun " + process.versions.bun;
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
const text = (bytes) => new TextDecoder().decode(bytes);

// Named exports only.
assert.equal("default" in wsflow, false, "wsflow has a default export");

assert.equal(Opcode.Text, 1);
assert.equal(Opcode.Close, 8);

const error = new ProtocolError("x");
assert.equal(error.closeCode, 1002);
assert.ok(error instanceof WebSocketError);
assert.ok(error instanceof Error);
assert.equal(error.name, "ProtocolError");

// rfc6455#section-5.7: the masked "Hello" from a client.
const data = new Uint8Array([0x7f, 0x9f, 0x4d, 0x51, 0x58]);
applyMask(data, new Uint8Array([0x37, 0xfa, 0x21, 0x3d]));
assert.equal(text(data), "Hello");

// rfc6455#section-5.7: a single-frame unmasked text message.
const hello = { fin: true, rsv1: false, rsv2: false, rsv3: false, opcode: Opcode.Text };
const unmasked = serializeFrame({ ...hello, payload: new TextEncoder().encode("Hello") });
assert.equal(hex(unmasked), "81 05 48 65 6c 6c 6f");

// rfc6455#section-5.7: the masked "Hello", fed to a server one byte at a time.
const masked = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
const frames = [];
const server = new FrameParser({ role: "server" });
for (const byte of masked) server.push(new Uint8Array([byte]), (frame) => frames.push(frame));
assert.equal(frames.length, 1);
assert.equal(frames[0].fin, true);
assert.equal(frames[0].opcode, Opcode.Text);
assert.equal(text(frames[0].payload), "Hello");

// rfc6455#section-5.1: a server fails an unmasked frame with 1002.
assert.throws(
  () => new FrameParser({ role: "server" }).push(unmasked, () => {}),
  (e) => e instanceof ProtocolError && e.closeCode === 1002,
);

// rfc6455#section-5.7: the fragmented unmasked "Hello", through the web-streams decoder.
const fragments = new Uint8Array([0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f]);
const decoded = [];
const input = new ReadableStream({
  start(controller) {
    controller.enqueue(fragments.slice(0, 4));
    controller.enqueue(fragments.slice(4));
    controller.close();
  },
});
const reader = input.pipeThrough(new FrameDecoderStream({ role: "client" })).getReader();
for (let r = await reader.read(); !r.done; r = await reader.read()) decoded.push(r.value);
assert.deepEqual(
  decoded.map((f) => [f.fin, f.opcode, text(f.payload)]),
  [[false, Opcode.Text, "Hel"], [true, Opcode.Continuation, "lo"]],
);

// The ws-compatible layer and the graphql-ws route load without ws, graphql or graphql-ws.
assert.equal(WsSocket.OPEN, 1);
assert.throws(() => new WebSocketServer({}), TypeError);
assert.deepEqual(
  graphqlWsRoute({ opened: () => () => Promise.resolve() }).protocols,
  [GRAPHQL_TRANSPORT_WS_PROTOCOL],
);

console.log("pack consumer (" + runtime + "): " + Object.keys(wsflow).length + " exports, all OK");
`;

const TYPES_CONSUMER = `import {
  applyMask,
  type Frame,
  FrameParser,
  Opcode,
  ProtocolError,
  type WebSocketError,
} from "wsflow";

const text: 1 = Opcode.Text;
const error: WebSocketError = new ProtocolError("x");
const code: number = error.closeCode;
const data: Uint8Array = new Uint8Array(5);
const unmasked: void = applyMask(data, new Uint8Array(4));
const frames: Frame[] = [];
new FrameParser({ role: "client" }).push(data, (frame: Frame) => frames.push(frame));
console.log(text, code, unmasked, frames);
`;

const TYPES_TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    lib: ["ES2022", "DOM"],
    types: [],
    strict: true,
    noEmit: true,
    skipLibCheck: false,
  },
  files: ["consumer.ts"],
};

const work = mkdtempSync(join(tmpdir(), "wsflow-pack-"));
try {
  const pack = parsePackJson(run("npm", ["pack", "--json", "--pack-destination", work], ROOT));
  const paths = pack.files.map((f) => f.path);
  const problems = [
    ...REQUIRED.filter((p) => !paths.includes(p)).map((p) => `${p}: missing from the tarball`),
    ...paths.flatMap((p) => {
      const why = unwanted(p);
      return why === null ? [] : [`${p}: in the tarball, but ${why}`];
    }),
  ];
  if (problems.length > 0) {
    throw new Error(`Bad tarball ${pack.filename}:\n  ${problems.join("\n  ")}`);
  }
  console.log(
    `test_pack: ${pack.filename} holds ${paths.length} files, including ${REQUIRED.join(", ")}`,
  );

  const consumer = join(work, "consumer");
  mkdirSync(consumer);
  writeFileSync(
    join(consumer, "package.json"),
    JSON.stringify({ name: "wsflow-pack-consumer", private: true, type: "module" }, null, 2),
  );
  run("npm", [
    "install",
    "--no-audit",
    "--no-fund",
    "--no-package-lock",
    join(work, pack.filename),
  ], consumer);

  writeFileSync(join(consumer, "consumer.ts"), TYPES_CONSUMER);
  writeFileSync(join(consumer, "tsconfig.json"), JSON.stringify(TYPES_TSCONFIG, null, 2));
  run("tsc", ["-p", "tsconfig.json"], consumer);
  console.log("test_pack: a NodeNext TypeScript consumer type-checks against dist/*.d.ts");

  writeFileSync(join(consumer, "consumer.mjs"), JS_CONSUMER);
  process.stdout.write(run("node", ["consumer.mjs"], consumer));
  process.stdout.write(run("bun", ["consumer.mjs"], consumer));

  rmSync(work, { recursive: true, force: true });
  console.log("test_pack: OK");
} catch (error) {
  console.error(`test_pack: FAILED: ${error instanceof Error ? error.message : String(error)}`);
  console.error(`test_pack: scratch files kept in ${work}`);
  process.exitCode = 1;
}
