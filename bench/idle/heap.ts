/**
 * Where one idle connection's bytes go, per runtime: `node --import tsx bench/idle/heap.ts`,
 * `bun bench/idle/heap.ts` (add `ws` or `bun` as an argument to measure the reference server).
 *
 * Serves the echo handler of bench/echo/servers/wsflow.ts in this process, opens
 * `HEAP_CONNECTIONS` (default 500) idle connections from the C client of bench:idle (another
 * process, so no client object is counted), and diffs the heap before and after: on Node a
 * V8 heap snapshot (`node:v8`), counted by constructor (closures by function name, promises,
 * and the bytes each kind holds); on Bun JavaScriptCore's `heapStats()` object counts. Prints
 * the kinds that grew, per connection. Run bench:idle first (it builds the client).
 *
 * @module
 */
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const N = Number(process.env.HEAP_CONNECTIONS ?? 500);
const which = process.argv[2] ?? "wsflow";
const isBun = "Bun" in globalThis;

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
  const { serve } = isBun
    ? await import("../../src/adapters/bun.ts")
    : await import("../../src/adapters/node.ts");
  const server = await serve(async (ws) => {
    for await (const message of ws) await ws.send(message);
  }, { hostname: "127.0.0.1", port: 0, maxConnectionsPerAddress: 1 << 20, heartbeatInterval: 0 });
  return server.addr.port;
}

type Counts = Map<string, { count: number; bytes: number }>;

async function snapshot(): Promise<Counts> {
  for (let i = 0; i < 3; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const counts: Counts = new Map();
  if (isBun) {
    const { heapStats } = await import("bun:jsc");
    for (const [name, count] of Object.entries(heapStats().objectTypeCounts)) {
      counts.set(name, { count, bytes: 0 });
    }
    return counts;
  }
  const { getHeapSnapshot } = await import("node:v8");
  let text = "";
  for await (const chunk of getHeapSnapshot()) text += chunk;
  const snap = JSON.parse(text);
  const fields: string[] = snap.snapshot.meta.node_fields;
  const types: string[] = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const [iType, iName, iSize] = ["type", "name", "self_size"].map((f) => fields.indexOf(f));
  const nodes: number[] = snap.nodes;
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + iType!]!]!;
    let name: string = snap.strings[nodes[i + iName!]!];
    if (type === "closure") name = `closure ${name || "(anonymous)"}`;
    else if (type === "object") {
      // objects by constructor name, as they are
    } else if (type === "string" || type === "concatenated string" || type === "sliced string") {
      name = "(string)";
    } else name = `(${type}) ${type === "code" || type === "hidden" ? "" : name}`.slice(0, 60);
    const entry = counts.get(name) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += nodes[i + iSize!]!;
    counts.set(name, entry);
  }
  return counts;
}

const port = await startServer();
const before = await snapshot();
const client = spawn(join(ROOT, "bench", "idle", ".build", "idle_clients"), [
  ...["-p", String(port), "-n", String(N)],
], { stdio: ["pipe", "pipe", "inherit"] });
await new Promise<void>((resolve, reject) => {
  client.stdout!.on("data", (d: Buffer) => {
    if (d.toString().includes("READY")) resolve();
    else reject(new Error(d.toString()));
  });
});
await new Promise((resolve) => setTimeout(resolve, 500));
const after = await snapshot();
const rows = [...after].map(([name, a]) => {
  const b = before.get(name) ?? { count: 0, bytes: 0 };
  return { name, count: (a.count - b.count) / N, bytes: (a.bytes - b.bytes) / N };
}).filter((r) => r.count >= 0.5 || r.bytes >= 16);
rows.sort((x, y) => (y.bytes - x.bytes) || (y.count - x.count));
const total = rows.reduce((s, r) => s + r.bytes, 0);
const closures = rows.filter((r) => r.name.startsWith("closure ")).reduce((s, r) => s + r.count, 0);
const promises = rows.find((r) => r.name === "Promise")?.count ?? 0;
console.log(
  `${which} on ${isBun ? "Bun" : "Node"}: ${N} idle connections; per connection: ` +
    (isBun ? "" : `${(total / 1024).toFixed(1)} KiB of JS heap, `) +
    `${closures.toFixed(1)} closures, ${promises.toFixed(1)} promises`,
);
for (const r of rows.slice(0, Number(process.env.HEAP_ROWS ?? 40))) {
  console.log(
    `${r.count.toFixed(1).padStart(7)} ${
      isBun ? "" : `${r.bytes.toFixed(0).padStart(7)} B `
    }${r.name}`,
  );
}
client.kill("SIGKILL");
process.exit(0);
