/**
 * Echo throughput of wsflow against each runtime's own WebSocket server, all driven by one load
 * generator written in C. Run it with `npm run bench:echo` (`node --import tsx bench/echo/run.ts`).
 *
 * | wsflow on | compared with                       |
 * | --------- | ----------------------------------- |
 * | Node      | `ws` WebSocketServer                |
 * | Bun       | `Bun.serve` websocket               |
 * | Deno      | `Deno.serve` + `Deno.upgradeWebSocket` |
 *
 * Method. `gcc -O2` builds `loadgen.c` and `tcp_echo.c` into `bench/echo/.build/`. Each server
 * (`servers/*.ts`) runs as its own process, one at a time, pinned to CPU 0 (`taskset -c 0`), and
 * prints `LISTENING <port>`. For every message size the loadgen, pinned to CPU 1, opens
 * `BENCH_CONNS` connections (default 32), does the opening handshake, keeps a window of masked
 * binary messages in flight on each (64 for 16 B, 32 for 1 KiB, 8 for 64 KiB, 2 for 1 MiB) and
 * counts echoed messages for `BENCH_SECONDS` (default 2) after `BENCH_WARMUP` (default 1)
 * seconds. MB/s counts echoed payload bytes, one direction, 10^6 bytes per MB. Everything runs
 * `BENCH_ROUNDS` times (default 2, every other round in reverse order) and each case keeps its
 * best round. `BENCH_ONLY` (comma-separated server ids) runs a subset.
 *
 * The loadgen also reads the server's CPU time (all its threads, from /proc) over the measured
 * interval: `srv cpu`, and from it messages per second of server CPU time (`msg/cpu-s`). On a
 * machine with other work on it, where the pinned processes do not get their whole core, that
 * is the steadier comparison.
 *
 * The loadgen is shown not to be the bottleneck by pointing it at a raw TCP echo server in C
 * (`tcp_echo.c`, at the start and at the end of the run). The frames come back verbatim, still
 * masked, and the loadgen parses them just the same; that rate is the ceiling. A `node:net`
 * `socket.pipe(socket)` echo is measured too, as what Node's socket layer alone costs.
 *
 * Every server is killed at the end, also on failure or Ctrl-C.
 *
 * @module
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, realpathSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

// ---------------------------------------------------------------------------------------------
// Settings

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..", "..");
const BUILD = join(HERE, ".build");
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 1);
const CONNS = Number(process.env.BENCH_CONNS ?? 32);
const ROUNDS = Math.max(1, Math.min(5, Number(process.env.BENCH_ROUNDS ?? 2)));
const ONLY = (process.env.BENCH_ONLY ?? "").split(",").map((s) => s.trim()).filter(Boolean);
const SERVER_CPU = "0";
const LOADGEN_CPU = "1";
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 3_000;
const SETTLE_MS = 300;

const KiB = 1024;
const MiB = 1024 * 1024;
/** Message sizes and the window of messages kept in flight per connection. */
const CASES: readonly { size: number; window: number }[] = [
  { size: 16, window: 64 },
  { size: KiB, window: 32 },
  { size: 64 * KiB, window: 8 },
  { size: MiB, window: 2 },
];

type Runtime = "Node" | "Bun" | "Deno" | "C";
type Role = "wsflow" | "reference" | "ceiling" | "info";

interface ServerSpec {
  id: string;
  name: string;
  runtime: Runtime;
  role: Role;
  mode: "ws" | "raw";
  command: string[];
}

interface Result {
  server: ServerSpec;
  size: number;
  msgsPerS: number;
  mbPerS: number;
  loadgenCpu: number;
  loadgenUser: number;
  serverCpu: number;
  idleConns: number;
  error: string | undefined;
}

// ---------------------------------------------------------------------------------------------
// Child processes: each in its own process group, all killed on the way out

const live = new Set<ChildProcess>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function killAll(): void {
  for (const child of live) killGroup(child, "SIGKILL");
  live.clear();
}

process.on("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    console.error(`\nbench:echo: ${signal}, stopping every server`);
    killAll();
    process.exit(130);
  });
}

function start(command: readonly string[], cpu: string): ChildProcess {
  const child = spawn("taskset", ["-c", cpu, ...command], {
    cwd: ROOT,
    detached: true, // its own process group, so a runtime's helpers die with it
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  child.on("exit", () => live.delete(child));
  child.on("error", () => live.delete(child));
  return child;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.once("error", () => resolve());
  });
}

const stopping = new WeakSet<ChildProcess>();

async function stop(child: ChildProcess): Promise<void> {
  stopping.add(child);
  killGroup(child, "SIGTERM");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), STOP_TIMEOUT_MS);
  });
  const done = await Promise.race([exited(child).then(() => true), timeout]);
  clearTimeout(timer);
  if (!done) {
    killGroup(child, "SIGKILL");
    await exited(child);
  }
  live.delete(child);
}

function tail(text: string): string {
  const lines = text.trim().split("\n");
  return lines.slice(-6).join("\n");
}

/** Starts a server on CPU 0 and waits for `LISTENING <port>`. */
async function startServer(spec: ServerSpec): Promise<{ child: ChildProcess; port: number }> {
  const child = start(spec.command, SERVER_CPU);
  let out = "";
  let err = "";
  child.stderr?.on("data", (data: Buffer) => {
    err = (err + data.toString()).slice(-8192);
  });
  child.on("exit", (code, signal) => {
    if (!stopping.has(child)) {
      console.error(`  ${spec.name} (${spec.runtime}) exited (${code ?? signal})\n${tail(err)}`);
    }
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`no LISTENING line within ${START_TIMEOUT_MS} ms\n${tail(err)}`));
    }, START_TIMEOUT_MS);
    child.stdout?.on("data", (data: Buffer) => {
      out = (out + data.toString()).slice(-8192);
      const match = /LISTENING (\d+)/.exec(out);
      if (match !== null) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code ?? signal}) before listening\n${tail(err)}`));
    });
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  return { child, port };
}

// ---------------------------------------------------------------------------------------------
// One measurement

async function measure(
  spec: ServerSpec,
  server: ChildProcess,
  port: number,
  size: number,
  window: number,
): Promise<Result> {
  const result: Result = {
    server: spec,
    size,
    msgsPerS: 0,
    mbPerS: 0,
    loadgenCpu: NaN,
    loadgenUser: NaN,
    serverCpu: NaN,
    idleConns: 0,
    error: undefined,
  };
  if (server.exitCode !== null || server.signalCode !== null) {
    result.error = "server not running";
    return result;
  }
  const loadgen = start([
    join(BUILD, "loadgen"),
    ...["-m", spec.mode, "-H", "127.0.0.1", "-p", String(port), "-c", String(CONNS)],
    ...["-s", String(size), "-w", String(window), "-t", String(SECONDS), "-u", String(WARMUP)],
    ...["-P", String(server.pid ?? 0)],
  ], LOADGEN_CPU);
  let out = "";
  let err = "";
  loadgen.stdout?.on("data", (data: Buffer) => out += data.toString());
  loadgen.stderr?.on("data", (data: Buffer) => err += data.toString());
  const killTimer = setTimeout(() => {
    err += "loadgen timed out\n";
    killGroup(loadgen, "SIGKILL");
  }, (WARMUP + SECONDS + 30) * 1000);
  await exited(loadgen);
  clearTimeout(killTimer);
  live.delete(loadgen);
  const match = new RegExp(
    "RESULT msgs=(\\d+) secs=([\\d.]+) msgs_per_s=(\\d+) mb_per_s=([\\d.]+) " +
      "cpu=([\\d.]+) usr=([\\d.]+) srv_cpu=([-\\d.]+) idle_conns=(\\d+)",
  ).exec(out);
  if (match === null || loadgen.exitCode !== 0) {
    result.error = tail(err) || `loadgen exited with ${loadgen.exitCode ?? loadgen.signalCode}`;
    return result;
  }
  result.msgsPerS = Number(match[3]);
  result.mbPerS = Number(match[4]);
  result.loadgenCpu = Number(match[5]);
  result.loadgenUser = Number(match[6]);
  const serverCpu = Number(match[7]);
  result.serverCpu = serverCpu >= 0 ? serverCpu : NaN;
  result.idleConns = Number(match[8]);
  return result;
}

async function runServer(spec: ServerSpec): Promise<Result[]> {
  const results: Result[] = [];
  let started: { child: ChildProcess; port: number };
  try {
    started = await startServer(spec);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`  ${spec.name} (${spec.runtime}) did not start: ${message}`);
    return CASES.map(({ size }) => ({
      server: spec,
      size,
      msgsPerS: 0,
      mbPerS: 0,
      loadgenCpu: NaN,
      loadgenUser: NaN,
      serverCpu: NaN,
      idleConns: 0,
      error: "did not start",
    }));
  }
  try {
    for (const { size, window } of CASES) {
      const result = await measure(spec, started.child, started.port, size, window);
      results.push(result);
      const line = result.error === undefined
        ? `${fmtRate(result.msgsPerS).padStart(11)} msg/s ${
          result.mbPerS.toFixed(1).padStart(8)
        } ` +
          `MB/s  srv cpu ${fmtCpu(result.serverCpu).padStart(4)}  lg cpu ` +
          fmtCpu(result.loadgenCpu).padStart(4)
        : `FAILED: ${result.error}`;
      console.error(
        `  ${pad(spec.name, 22)} ${pad(spec.runtime, 5)} ${pad(sizeName(size), 7)} ${line}`,
      );
      await sleep(SETTLE_MS);
    }
  } finally {
    await stop(started.child);
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// Report

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function pad(text: string, width: number): string {
  return text.padEnd(width);
}

function sizeName(size: number): string {
  return size >= MiB ? `${size / MiB} MiB` : size >= KiB ? `${size / KiB} KiB` : `${size} B`;
}

function fmtRate(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

function fmtCpu(value: number): string {
  return Number.isFinite(value) ? `${Math.round(value)}%` : "-";
}

function best(results: readonly Result[], id: string, size: number): Result | undefined {
  let top: Result | undefined;
  for (const r of results) {
    if (r.server.id !== id || r.size !== size || r.error !== undefined) continue;
    if (top === undefined || r.msgsPerS > top.msgsPerS) top = r;
  }
  return top;
}

const REFERENCE_OF: Record<Runtime, string | undefined> = {
  Node: "ws",
  Bun: "bun-serve",
  Deno: "deno-upgrade",
  C: undefined,
};

/** Messages per second of server CPU time: what the server does with each unit of its core. */
function perCpu(r: Result): number {
  return Number.isFinite(r.serverCpu) && r.serverCpu > 0 ? r.msgsPerS / (r.serverCpu / 100) : NaN;
}

function ratio(value: number, reference: number): string {
  return Number.isFinite(value) && Number.isFinite(reference) && reference > 0
    ? `${(value / reference).toFixed(2)}x`
    : "-";
}

function report(specs: readonly ServerSpec[], results: readonly Result[]): void {
  const wsIds = specs.filter((s) => s.mode === "ws").map((s) => s.id);
  const header = [
    "server",
    "runtime",
    "size",
    "messages/s",
    "MB/s",
    "ratio",
    "srv cpu",
    "msg/cpu-s",
    "ratio/cpu",
    "lg cpu",
    "note",
  ];
  const rows: string[][] = [];
  const seen = new Set<string>();
  for (const spec of specs) {
    if (seen.has(spec.id)) continue;
    seen.add(spec.id);
    for (const { size } of CASES) {
      const r = best(results, spec.id, size);
      if (r === undefined) {
        const failed = results.find((x) => x.server.id === spec.id && x.size === size);
        const why = (failed?.error ?? "").split("\n")[0] ?? "";
        rows.push([spec.name, spec.runtime, sizeName(size), "FAILED", "", "", "", "", "", "", why]);
        continue;
      }
      let wallRatio = "";
      let cpuRatio = "";
      if (spec.role === "wsflow" || spec.role === "reference") {
        const refId = REFERENCE_OF[spec.runtime];
        const ref = refId === undefined ? undefined : best(results, refId, size);
        wallRatio = ratio(r.msgsPerS, ref?.msgsPerS ?? NaN);
        cpuRatio = ratio(perCpu(r), ref === undefined ? NaN : perCpu(ref));
      } else {
        const top = Math.max(0, ...wsIds.map((id) => best(results, id, size)?.msgsPerS ?? 0));
        wallRatio = top === 0 ? "-" : `${(r.msgsPerS / top).toFixed(1)}x top ws`;
      }
      rows.push([
        spec.name,
        spec.runtime,
        sizeName(size),
        fmtRate(r.msgsPerS),
        r.mbPerS.toFixed(1),
        wallRatio,
        fmtCpu(r.serverCpu),
        Number.isFinite(perCpu(r)) ? fmtRate(perCpu(r)) : "-",
        cpuRatio,
        fmtCpu(r.loadgenCpu),
        r.idleConns > 0 ? `${r.idleConns} conns starved` : "",
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const numeric = (i: number): boolean => i >= 3 && i <= 9;
  const line = (cells: readonly string[]): string =>
    "| " +
    cells.map((c, i) => (numeric(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(" | ") +
    " |";
  console.log();
  console.log(line(header));
  console.log(
    "| " +
      widths.map((w, i) => (numeric(i) ? "-".repeat(w - 1) + ":" : "-".repeat(w))).join(" | ") +
      " |",
  );
  for (const row of rows) console.log(line(row));
  console.log();
  console.log(
    [
      "messages/s, MB/s: echoed messages (payload bytes, one direction, 10^6 B per MB) per second.",
      "ratio: against the runtime's reference server at the same size (ws on Node, Bun.serve on",
      "  Bun, Deno.upgradeWebSocket on Deno); raw rows: against the fastest WebSocket server.",
      "srv cpu: the server's CPU time (all threads, pinned to one core) over the measured interval;",
      "  msg/cpu-s: messages per second of that CPU time, ratio/cpu: the same against the",
      "  reference. On a busy machine this is the steadier comparison. lg cpu: the loadgen's.",
    ].join("\n"),
  );

  // Headroom: the ceiling against the fastest servers, and the loadgen's CPU against theirs.
  console.log();
  console.log(
    "Loadgen headroom: the raw TCP ceiling against the fastest server; srv/lg: the least\n" +
      "server CPU per loadgen CPU over the runs (both handle the same messages); lg usr: the\n" +
      "most loadgen user-space CPU (the rest of its time is the kernel's TCP path).",
  );
  for (const { size } of CASES) {
    const ceiling = best(results, "tcp-echo", size);
    const rows = wsIds.map((id) => best(results, id, size)).filter((r) => r !== undefined);
    if (ceiling === undefined || rows.length === 0) {
      console.log(`  ${pad(sizeName(size), 7)} not measured`);
      continue;
    }
    const fastest = (rs: readonly Result[]): Result | undefined =>
      rs.reduce<Result | undefined>(
        (m, r) => (m === undefined || r.msgsPerS > m.msgsPerS ? r : m),
        undefined,
      );
    const top = fastest(rows)!;
    const topWsflow = fastest(rows.filter((r) => r.server.role === "wsflow"));
    const leastShare = (rs: readonly Result[]): number =>
      Math.min(...rs.map((r) => r.serverCpu / r.loadgenCpu).filter(Number.isFinite));
    const maxUser = Math.max(...rows.map((r) => r.loadgenUser).filter(Number.isFinite));
    const factor = ceiling.msgsPerS / top.msgsPerS;
    const parts = [
      `${pad(sizeName(size), 7)} ceiling ${fmtRate(ceiling.msgsPerS)} msg/s`,
      `${factor.toFixed(1)}x ${top.server.name} (${top.server.runtime})`,
    ];
    if (topWsflow !== undefined && topWsflow !== top) {
      parts.push(
        `${
          (ceiling.msgsPerS / topWsflow.msgsPerS).toFixed(1)
        }x wsflow (${topWsflow.server.runtime})`,
      );
    }
    parts.push(
      `srv/lg ${leastShare(rows).toFixed(1)} (wsflow ${
        leastShare(rows.filter((r) => r.server.role === "wsflow")).toFixed(1)
      })`,
      `lg usr <= ${maxUser.toFixed(0)}%`,
    );
    console.log("  " + parts.join(", ") + (factor >= 2 ? "" : "  <-- ceiling under 2x"));
  }
}

// ---------------------------------------------------------------------------------------------
// Main

function binary(name: string): string {
  try {
    return realpathSync(join(ROOT, "node_modules", ".bin", name));
  } catch {
    return name; // from PATH
  }
}

function build(): void {
  mkdirSync(BUILD, { recursive: true });
  for (const name of ["loadgen", "tcp_echo"]) {
    const result = spawnSync("gcc", [
      "-O2",
      "-Wall",
      "-o",
      join(BUILD, name),
      join(HERE, `${name}.c`),
    ], {
      stdio: "inherit",
    });
    if (result.status !== 0) throw new Error(`gcc failed to build ${name}.c`);
  }
}

async function main(): Promise<void> {
  if (availableParallelism() < 2) throw new Error("bench:echo needs 2 CPUs (server and loadgen)");
  if (spawnSync("taskset", ["-c", "0", "true"]).status !== 0) {
    throw new Error("bench:echo needs taskset (util-linux)");
  }
  build();
  const node = process.execPath;
  const bun = binary("bun");
  const deno = binary("deno");
  const server = (file: string): string => join("bench", "echo", "servers", file);
  const ceiling: ServerSpec = {
    id: "tcp-echo",
    name: "raw TCP echo (C)",
    runtime: "C",
    role: "ceiling",
    mode: "raw",
    command: [join(BUILD, "tcp_echo")],
  };
  const all: ServerSpec[] = [
    ceiling,
    {
      id: "wsflow-node",
      name: "wsflow",
      runtime: "Node",
      role: "wsflow",
      mode: "ws",
      command: [node, "--import", "tsx", server("wsflow.ts")],
    },
    {
      id: "ws",
      name: "ws WebSocketServer",
      runtime: "Node",
      role: "reference",
      mode: "ws",
      command: [node, "--import", "tsx", server("ws.ts")],
    },
    {
      id: "wsflow-bun",
      name: "wsflow",
      runtime: "Bun",
      role: "wsflow",
      mode: "ws",
      command: [bun, server("wsflow.ts")],
    },
    {
      id: "bun-serve",
      name: "Bun.serve websocket",
      runtime: "Bun",
      role: "reference",
      mode: "ws",
      command: [bun, server("bun.ts")],
    },
    {
      id: "wsflow-deno",
      name: "wsflow",
      runtime: "Deno",
      role: "wsflow",
      mode: "ws",
      command: [deno, "run", "--allow-net", server("wsflow.ts")],
    },
    {
      id: "deno-upgrade",
      name: "Deno.upgradeWebSocket",
      runtime: "Deno",
      role: "reference",
      mode: "ws",
      command: [deno, "run", "--allow-net", server("deno.ts")],
    },
    {
      id: "node-net",
      name: "node:net pipe (raw)",
      runtime: "Node",
      role: "info",
      mode: "raw",
      command: [node, "--import", "tsx", server("node_net.ts")],
    },
    ceiling, // again at the end: the ceiling must hold over the whole run
  ];
  const specs = ONLY.length === 0 ? all : all.filter((s) => ONLY.includes(s.id));
  const [load1] = loadavg();
  console.error(
    `bench:echo: ${CONNS} connections, ${WARMUP} s warm-up + ${SECONDS} s per case, ` +
      `${ROUNDS} round(s); servers on CPU ${SERVER_CPU}, loadgen on CPU ${LOADGEN_CPU}`,
  );
  if ((load1 ?? 0) > 0.5) {
    console.error(
      `bench:echo: warning: load average ${load1?.toFixed(2)} - other work on this machine ` +
        "competes with the pinned processes and skews the numbers",
    );
  }
  const results: Result[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    if (ROUNDS > 1) console.error(`round ${round} of ${ROUNDS}`);
    // Every other round runs the servers in reverse order, so a drift in the machine's load
    // does not always favour the same ones.
    const order = round % 2 === 1 ? specs : [...specs].reverse();
    for (const spec of order) results.push(...(await runServer(spec)));
  }
  writeFileSync(
    join(BUILD, "results.json"),
    JSON.stringify(results.map((r) => ({ ...r, server: r.server.id })), null, 2),
  );
  report(specs, results);
}

try {
  await main();
} catch (error) {
  console.error(`bench:echo: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  killAll();
}
