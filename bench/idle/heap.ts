/**
 * Where one idle connection's bytes go, per runtime: `node --import tsx bench/idle/heap.ts`,
 * `bun bench/idle/heap.ts`, `deno run -A bench/idle/heap.ts` (add `ws`, `bun` or `deno` as an
 * argument to measure the reference server, or `hooks` for wsflow serving the echo as message
 * hooks rather than a `for await` handler).
 *
 * Serves the echo handler of bench/echo/servers/wsflow.ts in this process, opens
 * `HEAP_CONNECTIONS` (default 500) idle connections from the C client of bench:idle (another
 * process, so no client object is counted), and diffs the heap before and after: on Node and
 * Deno two V8 heap snapshots (written to files and read once both are taken, so the counting
 * itself is not counted), counted by constructor (closures by function name, promises, and the
 * bytes each kind holds); on Bun JavaScriptCore's `heapStats()` object counts. Prints the kinds
 * that grew, per connection. A first round of as many connections is opened and closed before
 * the first snapshot, so that what is made once (compiled code, hidden classes, interned
 * strings) is not counted per connection. The client is built with gcc on first use.
 *
 * - `HEAP_HEARTBEAT=1`: wsflow with its default heartbeat (30 s) rather than none, as the
 *   benchmark servers run.
 * - `HEAP_DETAIL=1`: on V8 each kind is split by what holds it (`<- Holder.edge`), and
 *   closures by where their function is defined (`@file:line:column`); on Bun kinds are counted
 *   from JavaScriptCore's heap snapshot, by class name, with the bytes of their cells.
 * - `HEAP_ROWS` (default 40): how many kinds to print.
 * - `HEAP_MESSAGE` (bytes, default 0): each connection first has one binary message of that
 *   size echoed, so the counts are of connections that have been used and gone quiet.
 *
 * @module
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const N = Number(process.env.HEAP_CONNECTIONS ?? 500);
const DETAIL = process.env.HEAP_DETAIL === "1";
const MESSAGE = Number(process.env.HEAP_MESSAGE ?? 0);
const which = process.argv[2] ?? "wsflow";
const isBun = "Bun" in globalThis;
const isDeno = "Deno" in globalThis;
const runtime = isBun ? "Bun" : isDeno ? "Deno" : "Node";

async function startServer(): Promise<number> {
  if (which === "ws") {
    const { WebSocketServer } = await import("ws");
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
    wss.on("connection", (ws) => ws.on("message", (data, binary) => ws.send(data, { binary })));
    await new Promise((resolve) => wss.on("listening", resolve));
    return (wss.address() as { port: number }).port;
  }
  if (which === "bun") {
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (request, server) =>
        server.upgrade(request) ? undefined : new Response("", { status: 426 }),
      websocket: { message: (ws, message) => void ws.send(message) },
    });
    return server.port!;
  }
  if (which === "deno") {
    const deno = (globalThis as unknown as { Deno: DenoServe }).Deno;
    const server = deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
      const { socket, response } = deno.upgradeWebSocket(request);
      socket.binaryType = "arraybuffer";
      socket.onmessage = (event) => socket.send(event.data);
      return response;
    });
    return server.addr.port;
  }
  const { serve } = isBun
    ? await import("../../src/adapters/bun.ts")
    : isDeno
    ? await import("../../src/adapters/deno.ts")
    : await import("../../src/adapters/node.ts");
  const server = await serve(
    which === "hooks" ? { message: (ws, message) => ws.send(message) } : async (ws) => {
      for await (const message of ws) await ws.send(message);
    },
    {
      hostname: "127.0.0.1",
      port: 0,
      maxConnectionsPerAddress: 1 << 20,
      ...(process.env.HEAP_HEARTBEAT === "1" ? {} : { heartbeatInterval: 0 }),
    },
  );
  return server.addr.port;
}

interface DenoServe {
  serve(
    options: { hostname: string; port: number; onListen(): void },
    handler: (request: Request) => Response,
  ): { addr: { port: number } };
  upgradeWebSocket(request: Request): { socket: WebSocket; response: Response };
}

type Counts = Map<string, { count: number; bytes: number }>;
const HEAP_SIZE = "(heap size)";
/** Counts on Bun; on V8, the file a snapshot was written to. */
type Taken = Counts | string;

const dir = isBun ? "" : mkdtempSync(join(tmpdir(), "wsflow-heap-"));
let taken = 0;

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    // V8 collects before it takes a snapshot; JavaScriptCore's counts include garbage.
    if (isBun) Bun.gc(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function snapshot(): Promise<Taken> {
  await settle();
  if (isBun) {
    const { heapStats } = await import("bun:jsc");
    const stats = heapStats();
    const counts: Counts = new Map();
    if (DETAIL) {
      // JavaScriptCore's snapshot: every cell's size, by class name (nodes of 4 numbers: id,
      // size, class name index, flags).
      const snap = Bun.generateHeapSnapshot() as unknown as {
        nodes: number[];
        nodeClassNames: string[];
      };
      for (let n = 0; n < snap.nodes.length; n += 4) {
        const name = snap.nodeClassNames[snap.nodes[n + 2]!]!;
        const entry = counts.get(name) ?? { count: 0, bytes: 0 };
        entry.count++;
        entry.bytes += snap.nodes[n + 1]!;
        counts.set(name, entry);
      }
    } else {
      for (const [name, count] of Object.entries(stats.objectTypeCounts)) {
        counts.set(name, { count, bytes: 0 });
      }
    }
    // The heap's size in bytes (JavaScriptCore's cells, size classes and block slack included).
    counts.set(HEAP_SIZE, { count: 0, bytes: stats.heapSize });
    return counts;
  }
  const { writeHeapSnapshot } = await import("node:v8");
  return writeHeapSnapshot(join(dir, `${taken++}.heapsnapshot`));
}

/** Script names by V8 script id, for `HEAP_DETAIL`'s closure locations (Node's inspector). */
async function scriptNames(): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  if (!DETAIL || isBun) return names;
  try {
    const { Session } = await import("node:inspector");
    const session = new Session();
    session.connect();
    session.on("Debugger.scriptParsed", (message) => {
      const { scriptId, url } = message.params as { scriptId: string; url: string };
      names.set(Number(scriptId), basename(url));
    });
    await new Promise((resolve) => session.post("Debugger.enable", resolve));
    session.post("Debugger.disable");
  } catch {
    // no inspector here: ids only
  }
  return names;
}

// deno-lint-ignore no-explicit-any
type Snapshot = any;

function count(file: string, scripts: Map<number, string>): Counts {
  const snap: Snapshot = JSON.parse(readFileSync(file, "utf8"));
  const meta = snap.snapshot.meta;
  const fields: string[] = meta.node_fields;
  const types: string[] = meta.node_types[0];
  const width = fields.length;
  const [iType, iName, iSize] = ["type", "name", "self_size"].map((f) => fields.indexOf(f));
  const nodes: number[] = snap.nodes;
  const strings: string[] = snap.strings;
  const kind = (n: number): string => {
    const type = types[nodes[n * width + iType!]!]!;
    const name: string = strings[nodes[n * width + iName!]!]!;
    if (type === "closure") return `closure ${name || "(anonymous)"}`;
    if (type === "object") return name; // objects by constructor name, as they are
    if (type === "string" || type === "concatenated string" || type === "sliced string") {
      return "(string)";
    }
    return `(${type}) ${type === "code" || type === "hidden" ? "" : name}`.slice(0, 60);
  };
  const where = DETAIL ? retainers(snap, kind, scripts) : undefined;
  const counts: Counts = new Map();
  for (let n = 0; n < nodes.length / width; n++) {
    let name = kind(n);
    if (where !== undefined) name += where(n);
    const entry = counts.get(name) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += nodes[n * width + iSize!]!;
    counts.set(name, entry);
  }
  return counts;
}

/** What holds each node (its first strong retainer), and where each closure is defined. */
function retainers(
  snap: Snapshot,
  kind: (n: number) => string,
  scripts: Map<number, string>,
): (n: number) => string {
  const meta = snap.snapshot.meta;
  const nodeFields: string[] = meta.node_fields;
  const edgeFields: string[] = meta.edge_fields;
  const edgeTypes: string[] = meta.edge_types[0];
  const nw = nodeFields.length;
  const ew = edgeFields.length;
  const nodes: number[] = snap.nodes;
  const edges: number[] = snap.edges;
  const strings: string[] = snap.strings;
  const iEdgeCount = nodeFields.indexOf("edge_count");
  const [eType, eName, eTo] = ["type", "name_or_index", "to_node"].map((f) =>
    edgeFields.indexOf(f)
  );
  const total = nodes.length / nw;
  const holder = new Int32Array(total).fill(-1);
  const holderEdge: string[] = new Array(total);
  let e = 0;
  for (let n = 0; n < total; n++) {
    const edgeCount = nodes[n * nw + iEdgeCount]!;
    for (let k = 0; k < edgeCount; k++, e += ew) {
      const type = edgeTypes[edges[e + eType!]!]!;
      if (type === "weak" || type === "shortcut") continue;
      const to = edges[e + eTo!]! / nw;
      if (holder[to] !== -1) continue;
      holder[to] = n;
      const raw = edges[e + eName!]!;
      holderEdge[to] = type === "element" || type === "hidden" ? `[${raw}]` : strings[raw]!;
    }
  }
  const locations: number[] = snap.locations ?? [];
  const lw = meta.location_fields?.length ?? 4;
  const at = new Map<number, string>();
  for (let l = 0; l < locations.length; l += lw) {
    const script = scripts.get(locations[l + 1]!) ?? locations[l + 1];
    at.set(locations[l]! / nw, `@${script}:${locations[l + 2]! + 1}:${locations[l + 3]! + 1}`);
  }
  return (n) => {
    const h = holder[n]!;
    const held = h === -1 ? "?" : `${kind(h)}${at.get(h) ?? ""}`;
    return `${at.get(n) ?? ""} <- ${held}.${holderEdge[n]}`;
  };
}

/** The C client of bench:idle, built with gcc into bench/idle/.build unless it is there. */
function idleClients(): string {
  const build = join(ROOT, "bench", "idle", ".build");
  const binary = join(build, "idle_clients");
  const source = join(ROOT, "bench", "idle", "idle_clients.c");
  if (existsSync(binary) && statSync(binary).mtimeMs >= statSync(source).mtimeMs) return binary;
  mkdirSync(build, { recursive: true });
  const built = spawnSync("gcc", ["-O2", "-Wall", "-o", binary, source], { stdio: "inherit" });
  if (built.status !== 0) throw new Error("gcc failed to build idle_clients.c");
  return binary;
}

function openClients(port: number): Promise<ReturnType<typeof spawn>> {
  const client = spawn(idleClients(), [
    ...["-p", String(port), "-n", String(N), "-m", String(MESSAGE)],
  ], { stdio: ["pipe", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    client.stdout!.on("data", (d: Uint8Array) => {
      const text = new TextDecoder().decode(d);
      if (text.includes("READY")) resolve(client);
      else reject(new Error(text));
    });
  });
}

const port = await startServer();
// A first round, closed again: code, shapes and strings made once are made now.
const warmup = await openClients(port);
warmup.stdin!.end();
await new Promise((resolve) => warmup.on("exit", resolve));
await new Promise((resolve) => setTimeout(resolve, 1_000));
const before = await snapshot();
const client = await openClients(port);
await new Promise((resolve) => setTimeout(resolve, 500));
const after = await snapshot();
client.kill("SIGKILL");

const scripts = await scriptNames();
const countsOf = (t: Taken): Counts => typeof t === "string" ? count(t, scripts) : t;
const [b, a] = [countsOf(before), countsOf(after)];
if (dir !== "") rmSync(dir, { recursive: true, force: true });
const heapGrowth = ((a.get(HEAP_SIZE)?.bytes ?? 0) - (b.get(HEAP_SIZE)?.bytes ?? 0)) / N;
a.delete(HEAP_SIZE);
const rows = [...a].map(([name, now]) => {
  const then = b.get(name) ?? { count: 0, bytes: 0 };
  return { name, count: (now.count - then.count) / N, bytes: (now.bytes - then.bytes) / N };
}).filter((r) => r.count >= 0.5 || r.bytes >= 16);
rows.sort((x, y) => (y.bytes - x.bytes) || (y.count - x.count));
const total = rows.reduce((s, r) => s + r.bytes, 0);
// JavaScriptCore counts every function object as `Function`.
const closures = rows.filter((r) => r.name.startsWith("closure ") || r.name === "Function")
  .reduce((s, r) => s + r.count, 0);
const promises = rows.filter((r) =>
  r.name === "Promise" || r.name.startsWith("Promise@") ||
  r.name.startsWith("Promise <-")
).reduce((s, r) => s + r.count, 0);
console.log(
  `${which} on ${runtime}: ${N} idle connections; per connection: ` +
    `${((isBun ? heapGrowth : total) / 1024).toFixed(1)} KiB of JS heap, ` +
    `${closures.toFixed(1)} closures, ${promises.toFixed(1)} promises`,
);
for (const r of rows.slice(0, Number(process.env.HEAP_ROWS ?? 40))) {
  console.log(
    `${r.count.toFixed(1).padStart(7)} ${
      isBun && !DETAIL ? "" : `${r.bytes.toFixed(0).padStart(7)} B `
    }${r.name}`,
  );
}
process.exit(0);
