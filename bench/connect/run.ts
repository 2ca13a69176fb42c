/**
 * Connection rate: opening handshakes per second of wsflow against each runtime's own
 * WebSocket server, driven by one load generator written in C. Run it with
 * `npm run bench:connect` (`node --import tsx bench/connect/run.ts`).
 *
 * | wsflow on | compared with                          |
 * | --------- | -------------------------------------- |
 * | Node      | `ws` WebSocketServer                   |
 * | Bun       | `Bun.serve` websocket                  |
 * | Deno      | `Deno.serve` + `Deno.upgradeWebSocket` |
 *
 * Method. `gcc -O2` builds `loadgen.c` into `bench/connect/.build/`. Each server (the echo
 * servers of bench/echo/servers) runs as its own process, one at a time, pinned to CPU 0
 * (`taskset -c 0`), and prints `LISTENING <port>`. The loadgen, pinned to CPU 1, keeps
 * `BENCH_CONNS` (default 32) attempts in flight, each one: TCP connect, the opening handshake
 * with a fresh key, the 101, a close frame, and the server's TCP close; then the next. It counts
 * complete cycles over `BENCH_SECONDS` (default 3) after `BENCH_WARMUP` (default 1) seconds, and
 * reads the server's CPU time (all threads, /proc) over the same interval. Every server runs
 * `BENCH_ROUNDS` times (default 2, every other round in reverse order) and keeps its best round;
 * with two rounds or more a wsflow row also shows its per-CPU-second ratio within each round,
 * median and range (`ratio/cpu by round`).
 * `BENCH_ONLY` (comma-separated ids: wsflow-node, wsflow-node-hooks, ws, wsflow-bun,
 * wsflow-bun-hooks, bun-serve, wsflow-deno, wsflow-deno-hooks, deno-upgrade) runs a subset; the
 * `-hooks` servers serve the same echo as message hooks rather than a `for await` handler.
 *
 * The table gives cycles per second and per second of server CPU time (`cycles/cpu-s`), each
 * with its ratio against the runtime's reference server. On a shared machine, where the pinned
 * server does not get its whole core, the CPU-normalised ratio is the steadier one. A server
 * that answers anything but 101, or fails a connection, shows it in the last column.
 *
 * @module
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, realpathSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { addHookedServers } from "../echo/hooked_servers.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..", "..");
const BUILD = join(HERE, ".build");
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 1);
const CONNS = Number(process.env.BENCH_CONNS ?? 32);
const ROUNDS = Math.max(1, Math.min(5, Number(process.env.BENCH_ROUNDS ?? 2)));
const ONLY = (process.env.BENCH_ONLY ?? "").split(",").map((s) => s.trim()).filter(Boolean);

type Runtime = "Node" | "Bun" | "Deno";

interface Spec {
  id: string;
  name: string;
  runtime: Runtime;
  reference: boolean;
  command: string[];
}

interface Result {
  spec: Spec;
  /** Which round of `BENCH_ROUNDS` measured it, from 1. */
  round: number;
  rate: number;
  serverCpu: number;
  loadgenCpu: number;
  problems: string;
}

const live = new Set<ChildProcess>();

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // already gone
  }
}

process.on("exit", () => {
  for (const child of live) killGroup(child);
});
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => process.exit(130));
}

function start(command: readonly string[], cpu: string): ChildProcess {
  const child = spawn("taskset", ["-c", cpu, ...command], {
    cwd: ROOT,
    detached: true, // its own process group, so a runtime's helpers die with it
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  child.on("exit", () => live.delete(child));
  return child;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

function listening(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`no LISTENING line: ${out}`)), 30_000);
    child.stderr!.on("data", (data: Buffer) => out += data.toString());
    child.stdout!.on("data", (data: Buffer) => {
      out += data.toString();
      const match = /LISTENING (\d+)/.exec(out);
      if (match !== null) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once("exit", (code) => reject(new Error(`exited (${code}): ${out}`)));
  });
}

async function measure(spec: Spec): Promise<Omit<Result, "round">> {
  const server = start(spec.command, "0");
  try {
    const port = await listening(server);
    const loadgen = start([
      join(BUILD, "loadgen"),
      ...["-p", String(port), "-c", String(CONNS), "-t", String(SECONDS)],
      ...["-u", String(WARMUP), "-P", String(server.pid ?? 0), "-a", "8"],
    ], "1");
    let out = "";
    let err = "";
    loadgen.stdout!.on("data", (data: Buffer) => out += data.toString());
    loadgen.stderr!.on("data", (data: Buffer) => err += data.toString());
    await exited(loadgen);
    const match =
      /cycles_per_s=(\d+) cpu=([\d.]+) srv_cpu=([-\d.]+) refused=(\d+) timeouts=(\d+) errors=(\d+)/
        .exec(out);
    if (match === null) throw new Error(err.trim() || "no RESULT line");
    const [refused, timeouts, errors] = [match[4], match[5], match[6]].map(Number);
    const problems = [
      refused! > 0 ? `${refused} refused` : "",
      timeouts! > 0 ? `${timeouts} timed out` : "",
      errors! > 0 ? `${errors} errors` : "",
    ].filter(Boolean).join(", ");
    return {
      spec,
      rate: Number(match[1]),
      loadgenCpu: Number(match[2]),
      serverCpu: Number(match[3]),
      problems: problems + (err.trim() === "" ? "" : ` ${err.trim().split("\n")[0]}`),
    };
  } finally {
    killGroup(server);
    await exited(server);
  }
}

function perCpu(r: Result): number {
  return r.serverCpu > 0 ? r.rate / (r.serverCpu / 100) : NaN;
}

function binary(name: string): string {
  try {
    return realpathSync(join(ROOT, "node_modules", ".bin", name));
  } catch {
    return name;
  }
}

async function main(): Promise<void> {
  mkdirSync(BUILD, { recursive: true });
  const built = spawnSync("gcc", [
    "-O2",
    "-Wall",
    "-o",
    join(BUILD, "loadgen"),
    join(HERE, "loadgen.c"),
  ], { stdio: "inherit" });
  if (built.status !== 0) throw new Error("gcc failed to build loadgen.c");
  const node = process.execPath;
  const bun = binary("bun");
  const deno = binary("deno");
  const server = (file: string): string => join("bench", "echo", "servers", file);
  const all: Spec[] = [
    {
      id: "wsflow-node",
      name: "wsflow",
      runtime: "Node",
      reference: false,
      command: [node, "--import", "tsx", server("wsflow.ts")],
    },
    {
      id: "ws",
      name: "ws WebSocketServer",
      runtime: "Node",
      reference: true,
      command: [node, "--import", "tsx", server("ws.ts")],
    },
    {
      id: "wsflow-bun",
      name: "wsflow",
      runtime: "Bun",
      reference: false,
      command: [bun, server("wsflow.ts")],
    },
    {
      id: "bun-serve",
      name: "Bun.serve websocket",
      runtime: "Bun",
      reference: true,
      command: [bun, server("bun.ts")],
    },
    {
      id: "wsflow-deno",
      name: "wsflow",
      runtime: "Deno",
      reference: false,
      command: [deno, "run", "--allow-net", "--allow-env", "--allow-read", server("wsflow.ts")],
    },
    {
      id: "deno-upgrade",
      name: "Deno.upgradeWebSocket",
      runtime: "Deno",
      reference: true,
      command: [deno, "run", "--allow-net", server("deno.ts")],
    },
  ];
  // The same server with the echo as message hooks, after each runtime's wsflow.
  addHookedServers(all);
  const specs = ONLY.length === 0 ? all : all.filter((s) => ONLY.includes(s.id));
  const load = loadavg().map((l) => l.toFixed(2)).join(" ");
  console.error(
    `bench:connect: ${CONNS} handshakes in flight, ${WARMUP} s warm-up + ${SECONDS} s, ` +
      `${ROUNDS} round(s); load average ${load}`,
  );
  const results: Result[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 === 1 ? specs : [...specs].reverse();
    for (const spec of order) {
      try {
        const result = { ...(await measure(spec)), round };
        results.push(result);
        console.error(
          `  ${spec.name} (${spec.runtime}): ${result.rate} cycles/s, server cpu ` +
            `${result.serverCpu}% ${result.problems}`,
        );
      } catch (error) {
        console.error(`  ${spec.name} (${spec.runtime}): failed: ${(error as Error).message}`);
      }
    }
  }
  const best = (id: string): Result | undefined =>
    results.filter((r) => r.spec.id === id).reduce<Result | undefined>(
      (top, r) => (top === undefined || r.rate > top.rate ? r : top),
      undefined,
    );
  console.log(
    `\nbench:connect: open, handshake, close; ${CONNS} at a time; best of ${ROUNDS} ` +
      `(load average at the end ${loadavg().map((l) => l.toFixed(2)).join(" ")})\n`,
  );
  console.log(
    "| server                | runtime | cycles/s | ratio | srv cpu | cycles/cpu-s | ratio/cpu | ratio/cpu by round | lg cpu | note |",
  );
  console.log(
    "|-----------------------|---------|---------:|------:|--------:|-------------:|----------:|-------------------:|-------:|------|",
  );
  // The per-CPU-second ratio within each round (a server and its reference measured a minute
  // apart at most): median (range). Best rounds may come from different minutes of a machine
  // whose speed drifts.
  const byRound = (id: string, refId: string): string => {
    const ratios: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const a = results.find((r) => r.spec.id === id && r.round === round);
      const b = results.find((r) => r.spec.id === refId && r.round === round);
      if (a === undefined || b === undefined) continue;
      const ratio = perCpu(a) / perCpu(b);
      if (Number.isFinite(ratio)) ratios.push(ratio);
    }
    if (ratios.length < 2) return "-";
    ratios.sort((x, y) => x - y);
    const mid = ratios.length >> 1;
    const median = ratios.length % 2 === 1 ? ratios[mid]! : (ratios[mid - 1]! + ratios[mid]!) / 2;
    return `${median.toFixed(2)}x (${ratios[0]!.toFixed(2)}-${ratios.at(-1)!.toFixed(2)})`;
  };
  for (const spec of specs) {
    const r = best(spec.id);
    if (r === undefined) {
      console.log(`| ${spec.name.padEnd(21)} | ${spec.runtime.padEnd(7)} | FAILED | | | | | | |`);
      continue;
    }
    const refId = specs.find((s) => s.runtime === spec.runtime && s.reference)?.id ?? "";
    const ref = results.length === 0 ? undefined : best(refId);
    const rounds = spec.reference ? "" : byRound(spec.id, refId);
    const ratio = (a: number, b: number | undefined): string =>
      b !== undefined && Number.isFinite(a) && Number.isFinite(b) && b > 0
        ? `${(a / b).toFixed(2)}x`
        : "-";
    console.log(
      `| ${spec.name.padEnd(21)} | ${spec.runtime.padEnd(7)} | ${String(r.rate).padStart(8)} | ${
        ratio(r.rate, ref?.rate).padStart(5)
      } | ${`${Math.round(r.serverCpu)}%`.padStart(7)} | ${
        String(Math.round(perCpu(r))).padStart(12)
      } | ${ratio(perCpu(r), ref === undefined ? undefined : perCpu(ref)).padStart(9)} | ${
        rounds.padStart(18)
      } | ${`${Math.round(r.loadgenCpu)}%`.padStart(6)} | ${r.problems} |`,
    );
  }
  console.log(
    "\nratio: against the runtime's reference server (ws, Bun.serve, Deno.upgradeWebSocket);\n" +
      "cycles/cpu-s: cycles per second of the server's CPU time, the steadier figure on a\n" +
      "shared machine; ratio/cpu by round: that ratio within each round, median (range), the\n" +
      "figure to trust when the machine's speed drifts; lg cpu: the loadgen's own CPU.",
  );
}

try {
  await main();
} catch (error) {
  console.error(`bench:connect: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  for (const child of live) killGroup(child);
}
