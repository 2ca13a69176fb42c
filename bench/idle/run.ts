/**
 * `npm run bench:idle`: memory per idle WebSocket connection, for the wsflow echo server on
 * each runtime against `ws` (Node), `Bun.serve` (Bun) and `Deno.upgradeWebSocket` (Deno).
 *
 * Each server (the same scripts as bench:echo, in bench/echo/servers) runs as its own process.
 * This process opens CONNECTIONS sockets to it, completes every opening handshake, lets the
 * server settle, and reads the server's resident memory (VmRSS from /proc) before and after:
 * the difference divided by the number of connections is the cost of one idle connection,
 * including everything the runtime keeps per socket. Linux only.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { realpathSync } from "node:fs";
import { openIdleMany, rss } from "../../tests/_helpers/idle_sockets.ts";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10_000);
const SETTLE_MS = 2_000;

function binary(name: string): string {
  try {
    return realpathSync(join(ROOT, "node_modules", ".bin", name));
  } catch {
    return name;
  }
}

function server(file: string): string {
  return join(ROOT, "bench", "echo", "servers", file);
}

interface Case {
  name: string;
  runtime: "Node" | "Bun" | "Deno";
  reference: boolean;
  command: string[];
}

const node = process.execPath;
const bun = binary("bun");
const deno = binary("deno");
const CASES: Case[] = [
  {
    name: "wsflow",
    runtime: "Node",
    reference: false,
    command: [node, "--import", "tsx", server("wsflow.ts")],
  },
  {
    name: "ws WebSocketServer",
    runtime: "Node",
    reference: true,
    command: [node, "--import", "tsx", server("ws.ts")],
  },
  { name: "wsflow", runtime: "Bun", reference: false, command: [bun, server("wsflow.ts")] },
  {
    name: "Bun.serve websocket",
    runtime: "Bun",
    reference: true,
    command: [bun, server("bun.ts")],
  },
  {
    name: "wsflow",
    runtime: "Deno",
    reference: false,
    command: [deno, "run", "--allow-net", server("wsflow.ts")],
  },
  {
    name: "Deno.upgradeWebSocket",
    runtime: "Deno",
    reference: true,
    command: [deno, "run", "--allow-net", server("deno.ts")],
  },
];

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

function start(command: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(command[0]!, command.slice(1), {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  child.on("exit", () => live.delete(child));
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`no LISTENING line: ${out}`)), 30_000);
    child.stdout!.setEncoding("utf8");
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (text: string) => out += text);
    child.stdout!.on("data", (text: string) => {
      out += text;
      const match = /LISTENING (\d+)/.exec(out);
      if (match !== null) {
        clearTimeout(timer);
        resolve({ child, port: Number(match[1]) });
      }
    });
    child.on("exit", (code) => reject(new Error(`server exited (${code}): ${out}`)));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface Result {
  case: Case;
  perConnection: number;
  baseline: number;
}

async function measure(entry: Case): Promise<Result> {
  const { child, port } = await start(entry.command);
  try {
    await sleep(SETTLE_MS);
    const baseline = rss(child.pid!);
    const sockets = await openIdleMany(port, CONNECTIONS);
    await sleep(SETTLE_MS);
    const loaded = rss(child.pid!);
    for (const socket of sockets) socket.destroy();
    return { case: entry, perConnection: (loaded - baseline) / CONNECTIONS, baseline };
  } finally {
    child.kill("SIGKILL");
  }
}

const results: Result[] = [];
for (const entry of CASES) {
  try {
    const result = await measure(entry);
    results.push(result);
    console.error(
      `  ${entry.name} (${entry.runtime}): ${(result.perConnection / 1024).toFixed(1)} KiB`,
    );
  } catch (error) {
    console.error(`  ${entry.name} (${entry.runtime}): failed: ${(error as Error).message}`);
  }
}

console.log(
  `\nbench:idle: ${CONNECTIONS} idle connections per server; server RSS growth / connections\n`,
);
console.log("| server                | runtime | KiB per connection | base RSS MiB | ratio |");
console.log("|-----------------------|---------|--------------------|--------------|-------|");
for (const result of results) {
  const reference = results.find((r) => r.case.runtime === result.case.runtime && r.case.reference);
  const ratio = reference === undefined ? "" : (result.perConnection / reference.perConnection);
  console.log(
    `| ${result.case.name.padEnd(21)} | ${result.case.runtime.padEnd(7)} | ${
      (result.perConnection / 1024).toFixed(1).padStart(18)
    } | ${(result.baseline / 1024 / 1024).toFixed(0).padStart(12)} | ${
      typeof ratio === "number" ? `${ratio.toFixed(2)}x`.padStart(5) : ""
    } |`,
  );
}
console.log(
  "\nratio: memory per connection against the runtime's reference server (lower is better).",
);
