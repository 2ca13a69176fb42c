/**
 * `npm run bench:idle`: memory per idle WebSocket connection, for the wsflow echo server on
 * each runtime against `ws` (Node), `Bun.serve` (Bun) and `Deno.upgradeWebSocket` (Deno).
 *
 * Each server (the same scripts as bench:echo, in bench/echo/servers) runs as its own process.
 * This process opens CONNECTIONS sockets to it, completes every opening handshake, lets the
 * server settle, and reads the server's resident memory (VmRSS from /proc) before and after:
 * the difference divided by the number of connections is the cost of one idle connection,
 * including everything the runtime keeps per socket. Each server is measured `BENCH_ROUNDS`
 * times (default 3, every other round in reverse order); the table gives the median and the
 * range. Linux only.
 *
 * Then the same again with connections that have each had one message echoed first
 * (`BENCH_MESSAGE` bytes, default 1024; 0 skips this table): what a connection that has been
 * used and gone quiet keeps, such as output buffers held for reuse. `BENCH_RUNTIMES` (e.g.
 * `Node,Deno`) measures only those runtimes' servers.
 *
 * Scale run (Node: wsflow and `ws`). Then each Node server is started again with its file
 * limit raised in its own process (`ulimit -n`, up to the hard limit this process may grant),
 * and `BENCH_SCALE_CONNECTIONS` (default 100,000) idle connections are opened in four steps by
 * `idle_clients.c` (built with gcc into bench/idle/.build), several client processes each
 * under its own file limit, their ends spread over loopback source addresses 127.0.0.x so
 * the ephemeral ports do not run out. After every step the server's RSS growth is printed in
 * total and per connection: the cost stays linear if the per-connection figure holds. Where
 * the hard file limit is under the target (a container that may not raise it) the run opens
 * as many as the limit allows and says so. `BENCH_SCALE=0` skips it; `BENCH_SCALE_ONLY=1` runs
 * only it.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, realpathSync } from "node:fs";
import { openIdleMany, rss } from "../../tests/_helpers/idle_sockets.ts";
import { killOnExit, startServer } from "./server_process.ts";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10_000);
const MESSAGE = Number(process.env.BENCH_MESSAGE ?? 1024);
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
  {
    name: "wsflow (hooks)",
    runtime: "Node",
    reference: false,
    command: [node, "--import", "tsx", server("wsflow.ts"), "--hooks"],
  },
  { name: "wsflow", runtime: "Bun", reference: false, command: [bun, server("wsflow.ts")] },
  {
    name: "wsflow (hooks)",
    runtime: "Bun",
    reference: false,
    command: [bun, server("wsflow.ts"), "--hooks"],
  },
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
    command: [deno, "run", "--allow-net", "--allow-env", "--allow-read", server("wsflow.ts")],
  },
  {
    name: "wsflow (hooks)",
    runtime: "Deno",
    reference: false,
    command: [
      deno,
      "run",
      "--allow-net",
      "--allow-env",
      "--allow-read",
      server("wsflow.ts"),
      "--hooks",
    ],
  },
  {
    name: "Deno.upgradeWebSocket",
    runtime: "Deno",
    reference: true,
    command: [deno, "run", "--allow-net", server("deno.ts")],
  },
];

function start(command: string[]): Promise<{ child: ChildProcess; port: number }> {
  return startServer(command, ROOT);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface Result {
  case: Case;
  perConnection: number;
  baseline: number;
}

async function measure(entry: Case, message: number): Promise<Result> {
  const { child, port } = await start(entry.command);
  try {
    await sleep(SETTLE_MS);
    const baseline = rss(child.pid!);
    const sockets = await openIdleMany(port, CONNECTIONS, 250, message);
    await sleep(SETTLE_MS);
    const loaded = rss(child.pid!);
    for (const socket of sockets) socket.destroy();
    return { case: entry, perConnection: (loaded - baseline) / CONNECTIONS, baseline };
  } finally {
    child.kill("SIGKILL");
  }
}

// Each server is measured ROUNDS times (every other round in reverse order) and keeps the
// median: one reading moves by up to about 10% from run to run on a shared machine, with when
// the runtime's collector last grew or compacted its heap.
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
// BENCH_RUNTIMES (comma-separated: Node, Bun, Deno) measures only those runtimes' servers.
const RUNTIMES = (process.env.BENCH_RUNTIMES ?? "").split(",").map((s) => s.trim()).filter(
  Boolean,
);
const cases = process.env.BENCH_SCALE_ONLY === "1"
  ? []
  : CASES.filter((entry) => RUNTIMES.length === 0 || RUNTIMES.includes(entry.runtime));

/** Measures every case ROUNDS times and prints the table; `message` as in `openIdleMany`. */
async function table(message: number, title: string): Promise<void> {
  const measured = new Map<Case, Result[]>();
  for (let round = 1; round <= ROUNDS; round++) {
    for (const entry of round % 2 === 1 ? cases : [...cases].reverse()) {
      try {
        const result = await measure(entry, message);
        measured.set(entry, [...(measured.get(entry) ?? []), result]);
        console.error(
          `  round ${round}${
            message > 0 ? ` (after a ${message}-byte message)` : ""
          }: ${entry.name} (${entry.runtime}): ${(result.perConnection / 1024).toFixed(1)} KiB`,
        );
      } catch (error) {
        console.error(`  ${entry.name} (${entry.runtime}): failed: ${(error as Error).message}`);
      }
    }
  }
  const results: (Result & { low: number; high: number })[] = [];
  for (const entry of cases) {
    const rounds = [...(measured.get(entry) ?? [])].sort((a, b) =>
      a.perConnection - b.perConnection
    );
    if (rounds.length === 0) continue;
    results.push({
      ...rounds[(rounds.length - 1) >> 1]!,
      low: rounds[0]!.perConnection,
      high: rounds[rounds.length - 1]!.perConnection,
    });
  }
  console.log(
    `\nbench:idle: ${CONNECTIONS} idle connections per server${title}; server RSS growth / ` +
      `connections; median of ${ROUNDS} round(s)\n`,
  );
  console.log(
    "| server                | runtime | KiB per connection | range KiB | base RSS MiB | ratio |",
  );
  console.log(
    "|-----------------------|---------|--------------------|-----------|--------------|-------|",
  );
  for (const result of results) {
    const reference = results.find((r) =>
      r.case.runtime === result.case.runtime && r.case.reference
    );
    const ratio = reference === undefined ? "" : (result.perConnection / reference.perConnection);
    const range = `${(result.low / 1024).toFixed(1)}-${(result.high / 1024).toFixed(1)}`;
    console.log(
      `| ${result.case.name.padEnd(21)} | ${result.case.runtime.padEnd(7)} | ${
        (result.perConnection / 1024).toFixed(1).padStart(18)
      } | ${range.padStart(9)} | ${(result.baseline / 1024 / 1024).toFixed(0).padStart(12)} | ${
        typeof ratio === "number" ? `${ratio.toFixed(2)}x`.padStart(5) : ""
      } |`,
    );
  }
  console.log(
    "\nratio: memory per connection against the runtime's reference server (lower is better).",
  );
}

if (cases.length > 0) {
  await table(0, "");
  if (MESSAGE > 0) await table(MESSAGE, `, each after one ${MESSAGE}-byte message echoed`);
}

// ---------------------------------------------------------------------------------------------
// Scale: up to 100,000 idle connections on Node

const SCALE = Number(process.env.BENCH_SCALE_CONNECTIONS ?? 100_000);
const BUILD = join(ROOT, "bench", "idle", ".build");
const PORTS_PER_ADDRESS = 20_000; // under Linux's default 28,232 ephemeral ports

function hardFileLimit(): number {
  const out = spawnSync("sh", ["-c", "ulimit -Hn"], { encoding: "utf8" }).stdout.trim();
  return out === "unlimited" ? 1 << 20 : Number(out);
}

/** `command` under `sh`, with the file limit raised to `limit` first (soft and hard). */
function withFileLimit(limit: number, command: readonly string[]): string[] {
  return ["sh", "-c", `ulimit -n ${limit} && exec "$@"`, "sh", ...command];
}

/** One idle_clients process: resolves with it once its `count` handshakes are done. */
function openClients(
  port: number,
  count: number,
  firstAddress: number,
  limit: number,
): Promise<ChildProcess> {
  const addresses = Math.max(1, Math.ceil(count / PORTS_PER_ADDRESS));
  const command = withFileLimit(limit, [
    join(BUILD, "idle_clients"),
    ...["-p", String(port), "-n", String(count), "-a", String(addresses)],
    ...["-o", String(firstAddress)],
  ]);
  const child = spawn(command[0]!, command.slice(1), { stdio: ["pipe", "pipe", "inherit"] });
  killOnExit(child);
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (text: string) => {
      out += text;
      if (/READY/.test(out)) resolve(child);
      else if (/FAILED/.test(out)) reject(new Error(out.trim()));
    });
    child.on("exit", (code) => reject(new Error(`idle_clients exited (${code}): ${out}`)));
  });
}

interface Step {
  connections: number;
  growth: number;
}

async function scale(entry: Case, target: number, limit: number): Promise<Step[]> {
  const { child, port } = await start(withFileLimit(limit, entry.command));
  const clients: ChildProcess[] = [];
  const steps: Step[] = [];
  try {
    await sleep(SETTLE_MS);
    const baseline = rss(child.pid!);
    const perProcess = Math.max(1, limit - 100);
    const stepSize = Math.ceil(target / 4);
    let opened = 0;
    let address = 0;
    while (opened < target) {
      let stepLeft = Math.min(stepSize, target - opened);
      while (stepLeft > 0) {
        const count = Math.min(stepLeft, perProcess);
        clients.push(await openClients(port, count, address, limit));
        address += Math.ceil(count / PORTS_PER_ADDRESS);
        opened += count;
        stepLeft -= count;
      }
      await sleep(SETTLE_MS);
      const step = { connections: opened, growth: rss(child.pid!) - baseline };
      steps.push(step);
      console.error(
        `  ${entry.name} (${entry.runtime}) ${opened}: ${(step.growth / MiB).toFixed(0)} MiB, ` +
          `${(step.growth / opened / 1024).toFixed(1)} KiB per connection`,
      );
    }
    return steps;
  } finally {
    for (const client of clients) client.kill("SIGKILL");
    child.kill("SIGKILL");
  }
}

const MiB = 1024 * 1024;
if (process.env.BENCH_SCALE !== "0" && SCALE > 0) {
  mkdirSync(BUILD, { recursive: true });
  const built = spawnSync("gcc", [
    "-O2",
    "-Wall",
    "-o",
    join(BUILD, "idle_clients"),
    join(ROOT, "bench", "idle", "idle_clients.c"),
  ], { stdio: "inherit" });
  if (built.status !== 0) throw new Error("gcc failed to build idle_clients.c");
  const hard = hardFileLimit();
  const limit = Math.min(hard, SCALE + 1_000);
  const target = Math.min(SCALE, limit - 200);
  console.log(
    `\nbench:idle scale: ${target.toLocaleString("en-US")} idle connections on Node` +
      (target < SCALE
        ? ` (asked for ${SCALE.toLocaleString("en-US")}: the hard file limit here is ` +
          `${hard}, and a process may not raise it)`
        : "") +
      "; server RSS growth\n",
  );
  const rows: string[] = [];
  for (const entry of CASES.filter((c) => c.runtime === "Node")) {
    try {
      const steps = await scale(entry, target, limit);
      let previous: Step = { connections: 0, growth: 0 };
      for (const step of steps) {
        // The step's own cost per connection: flat if memory grows linearly.
        const marginal = (step.growth - previous.growth) /
          (step.connections - previous.connections);
        previous = step;
        rows.push(
          `| ${entry.name.padEnd(21)} | ${
            step.connections.toLocaleString("en-US").padStart(11)
          } | ${(step.growth / MiB).toFixed(0).padStart(9)} | ${
            (step.growth / step.connections / 1024).toFixed(1).padStart(18)
          } | ${(marginal / 1024).toFixed(1).padStart(15)} |`,
        );
      }
    } catch (error) {
      console.error(`  ${entry.name} (${entry.runtime}): failed: ${(error as Error).message}`);
    }
  }
  console.log(
    "| server                | connections | total MiB | KiB per connection | KiB, this step |",
  );
  console.log(
    "|-----------------------|-------------|-----------|--------------------|----------------|",
  );
  for (const row of rows) console.log(row);
}
