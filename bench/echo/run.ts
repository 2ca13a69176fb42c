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
 * best round; with two rounds or more, a wsflow row also shows its ratio within each round,
 * median and range (`ratio by round`), the figure to trust on a machine whose speed drifts. `BENCH_ONLY` (comma-separated server ids) runs a subset, `BENCH_SIZES`
 * (comma-separated byte counts) only those sizes. `BENCH_HOOKS=1` adds wsflow serving the same
 * echo as message hooks (`wsflow-node-hooks`, `wsflow-bun-hooks`, `wsflow-deno-hooks`; these
 * ids in `BENCH_ONLY` run them too).
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
 * Compressed section (permessage-deflate, RFC 7692). After the plain table the run measures
 * the servers again with compression negotiated, on a compressible JSON-like message (an array
 * of user records, see `fill_json` in loadgen.c) of 1 KiB (window 32), 16 KiB (16) and 64 KiB
 * (8). The loadgen (`-z`) offers `permessage-deflate; client_no_context_takeover;
 * client_max_window_bits`, compresses the message once at startup (zlib level 6, sync flush,
 * `00 00 ff ff` removed; valid for every message since it promised no client context) and sends
 * it with RSV1 each time. It counts echoes with RSV1 set or clear, and once per connection it
 * inflates a compressed echo and checks that it is the message sent. The servers:
 *
 * - wsflow (every runtime): `perMessageDeflate: { serverNoContextTakeover: true, threshold:
 *   1024 }` (its default, spelled out by `--deflate`), the adapter's node:zlib engine at its
 *   defaults: level 6, memLevel 8, 16 KiB chunks, 10 zlib operations at once per process.
 * - `ws` (Node): `perMessageDeflate: { threshold: 1024, serverNoContextTakeover: true }`, the
 *   rest ws's defaults: level 6, memLevel 8, 15-bit windows, `concurrencyLimit` 10. Like
 *   wsflow it answers with server_no_context_takeover and echoes client_no_context_takeover.
 * - `Bun.serve` (Bun): `perMessageDeflate: true`, one compressor and one decompressor shared by
 *   all sockets and reset after every message (so no server context either), and
 *   `ws.send(message, message.length >= 1024)`, since Bun compresses only when asked.
 * - `Deno.serve` + `Deno.upgradeWebSocket`: no permessage-deflate (it never accepts the
 *   offer), so it is left out and wsflow on Deno has no reference in this table.
 *
 * Each server's Sec-WebSocket-Extensions answer is printed under the table. wsflow and ws run
 * zlib through node:zlib's asynchronous streams: on the thread pool on Node and Bun (pinned to
 * the server's CPU like the rest of the process; `srv cpu` counts all threads), on the main
 * thread on Deno. Bun.serve compresses in native code on its one thread. MB/s counts payload
 * (uncompressed) bytes, wire MB/s the echoed bytes as they came, compressed (frame headers not
 * counted). The C echo ceiling is measured with the same compressed frames, in the first round
 * only. `BENCH_COMPRESSED_ONLY=1` runs only this section (about 2 minutes with the defaults),
 * `BENCH_COMPRESSED=0` skips it. The loadgen links zlib (`-lz`); without its headers (Debian:
 * `apt-get install zlib1g-dev`) the build stops with that hint.
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
import { addHookedServers } from "./hooked_servers.ts";

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
const COMPRESSED_ONLY = process.env.BENCH_COMPRESSED_ONLY === "1";
const COMPRESSED = process.env.BENCH_COMPRESSED !== "0";
const SERVER_CPU = "0";
const LOADGEN_CPU = "1";
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 3_000;
const SETTLE_MS = 300;

const KiB = 1024;
const MiB = 1024 * 1024;
/** Message sizes and the window of messages kept in flight per connection. */
interface Case {
  size: number;
  window: number;
}

// BENCH_SIZES (comma-separated byte counts) runs a subset, e.g. BENCH_SIZES=65536,1048576.
const SIZES = (process.env.BENCH_SIZES ?? "").split(",").filter(Boolean).map(Number);
const CASES: readonly Case[] = [
  { size: 16, window: 64 },
  { size: KiB, window: 32 },
  { size: 64 * KiB, window: 8 },
  { size: MiB, window: 2 },
].filter((c) => SIZES.length === 0 || SIZES.includes(c.size));
/** The compressed section's message sizes and windows. */
const COMPRESSED_CASES: readonly Case[] = [
  { size: KiB, window: 32 },
  { size: 16 * KiB, window: 16 },
  { size: 64 * KiB, window: 8 },
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
  /**
   * Arguments that switch the server to permessage-deflate, for the compressed section; absent:
   * the server is not in that section.
   */
  deflateArgs?: readonly string[];
}

/** One table: a set of servers over a set of message sizes, compressed or not. */
interface Section {
  title: string;
  compressed: boolean;
  cases: readonly Case[];
  specs: readonly ServerSpec[];
}

interface Result {
  server: ServerSpec;
  /** Which round of `BENCH_ROUNDS` measured it, from 1. */
  round?: number;
  size: number;
  msgsPerS: number;
  mbPerS: number;
  loadgenCpu: number;
  loadgenUser: number;
  serverCpu: number;
  idleConns: number;
  error: string | undefined;
  /** The compressed section's figures (see loadgen.c); NaN or "" outside it. */
  compressed: boolean;
  wireMbPerS: number;
  wireBytes: number;
  sentBytes: number;
  rsv1Msgs: number;
  plainMsgs: number;
  verifiedConns: number;
  extensions: string;
}

function emptyResult(
  server: ServerSpec,
  size: number,
  compressed: boolean,
  error: string | undefined,
): Result {
  return {
    server,
    size,
    msgsPerS: 0,
    mbPerS: 0,
    loadgenCpu: NaN,
    loadgenUser: NaN,
    serverCpu: NaN,
    idleConns: 0,
    error,
    compressed,
    wireMbPerS: NaN,
    wireBytes: NaN,
    sentBytes: NaN,
    rsv1Msgs: NaN,
    plainMsgs: NaN,
    verifiedConns: NaN,
    extensions: "",
  };
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
async function startServer(
  spec: ServerSpec,
  compressed: boolean,
): Promise<{ child: ChildProcess; port: number }> {
  const command = compressed ? [...spec.command, ...(spec.deflateArgs ?? [])] : spec.command;
  const child = start(command, SERVER_CPU);
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
  compressed: boolean,
): Promise<Result> {
  const result = emptyResult(spec, size, compressed, undefined);
  if (server.exitCode !== null || server.signalCode !== null) {
    result.error = "server not running";
    return result;
  }
  const loadgen = start([
    join(BUILD, "loadgen"),
    ...["-m", spec.mode, "-H", "127.0.0.1", "-p", String(port), "-c", String(CONNS)],
    ...["-s", String(size), "-w", String(window), "-t", String(SECONDS), "-u", String(WARMUP)],
    ...["-P", String(server.pid ?? 0)],
    ...(compressed ? ["-z"] : []),
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
  if (compressed) {
    const extra = new RegExp(
      "wire_mb_per_s=([\\d.]+) wire_bytes=(\\d+) sent_bytes=(\\d+) rsv1_msgs=(\\d+) " +
        "plain_msgs=(\\d+) verified_conns=(\\d+)",
    ).exec(out);
    if (extra === null) {
      result.error = "no compression figures in the loadgen's RESULT line";
      return result;
    }
    result.wireMbPerS = Number(extra[1]);
    result.wireBytes = Number(extra[2]);
    result.sentBytes = Number(extra[3]);
    result.rsv1Msgs = Number(extra[4]);
    result.plainMsgs = Number(extra[5]);
    result.verifiedConns = Number(extra[6]);
    result.extensions = /^EXTENSIONS (.*)$/m.exec(out)?.[1] ?? "";
  }
  return result;
}

async function runServer(spec: ServerSpec, section: Section): Promise<Result[]> {
  const results: Result[] = [];
  const { cases, compressed } = section;
  let started: { child: ChildProcess; port: number };
  try {
    started = await startServer(spec, compressed);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`  ${spec.name} (${spec.runtime}) did not start: ${message}`);
    return cases.map(({ size }) => emptyResult(spec, size, compressed, "did not start"));
  }
  try {
    for (const { size, window } of cases) {
      const result = await measure(spec, started.child, started.port, size, window, compressed);
      results.push(result);
      const wire = compressed ? ` (wire ${result.wireMbPerS.toFixed(1).padStart(6)})` : "";
      const line = result.error === undefined
        ? `${fmtRate(result.msgsPerS).padStart(11)} msg/s ${
          result.mbPerS.toFixed(1).padStart(8)
        } ` +
          `MB/s${wire}  srv cpu ${fmtCpu(result.serverCpu).padStart(4)}  lg cpu ` +
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

/**
 * The ratio of `id` to `refId` within each round (the two measured minutes apart at most, where
 * best rounds may come from different minutes of a machine whose speed drifts): its median and
 * range, e.g. `0.93x (0.81-1.02)`; "-" with fewer than two rounds.
 */
function ratioByRound(results: readonly Result[], id: string, refId: string, size: number): string {
  const ratios: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const find = (which: string): Result | undefined =>
      results.find((r) =>
        r.server.id === which && r.size === size && r.round === round && r.error === undefined
      );
    const a = find(id);
    const b = find(refId);
    if (a !== undefined && b !== undefined && b.msgsPerS > 0) ratios.push(a.msgsPerS / b.msgsPerS);
  }
  if (ratios.length < 2) return "-";
  ratios.sort((x, y) => x - y);
  const mid = ratios.length >> 1;
  const median = ratios.length % 2 === 1 ? ratios[mid]! : (ratios[mid - 1]! + ratios[mid]!) / 2;
  return `${median.toFixed(2)}x (${ratios[0]!.toFixed(2)}-${ratios.at(-1)!.toFixed(2)})`;
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

function printTable(header: readonly string[], rows: readonly string[][], numeric: Set<number>) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string =>
    "| " +
    cells.map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(
      " | ",
    ) +
    " |";
  console.log();
  console.log(line(header));
  console.log(
    "| " +
      widths.map((w, i) => (numeric.has(i) ? "-".repeat(w - 1) + ":" : "-".repeat(w))).join(
        " | ",
      ) +
      " |",
  );
  for (const row of rows) console.log(line(row));
  console.log();
}

/** Echoed bytes per message as they came over the wire (compressed or not). */
function wirePerMsg(r: Result): number {
  const msgs = r.rsv1Msgs + r.plainMsgs;
  return msgs > 0 ? r.wireBytes / msgs : NaN;
}

function report(section: Section, results: readonly Result[]): void {
  const { specs, cases, compressed } = section;
  const wsIds = specs.filter((s) => s.mode === "ws").map((s) => s.id);
  const header = [
    "server",
    "runtime",
    "size",
    "messages/s",
    "MB/s",
    ...(compressed ? ["wire MB/s", "wire B/msg"] : []),
    "ratio",
    "srv cpu",
    "msg/cpu-s",
    "ratio/cpu",
    "ratio by round",
    "lg cpu",
    "note",
  ];
  const numeric = new Set(header.map((_, i) => i).filter((i) => i >= 3 && i < header.length - 1));
  const rows: string[][] = [];
  const seen = new Set<string>();
  for (const spec of specs) {
    if (seen.has(spec.id)) continue;
    seen.add(spec.id);
    for (const { size } of cases) {
      const r = best(results, spec.id, size);
      if (r === undefined) {
        const failed = results.find((x) => x.server.id === spec.id && x.size === size);
        const why = (failed?.error ?? "").split("\n")[0] ?? "";
        const row = [spec.name, spec.runtime, sizeName(size), "FAILED"];
        while (row.length < header.length - 1) row.push("");
        rows.push([...row, why]);
        continue;
      }
      let wallRatio = "";
      let cpuRatio = "";
      let roundRatio = "";
      if (spec.role === "wsflow" || spec.role === "reference") {
        const refId = REFERENCE_OF[spec.runtime];
        const ref = refId === undefined ? undefined : best(results, refId, size);
        wallRatio = ratio(r.msgsPerS, ref?.msgsPerS ?? NaN);
        cpuRatio = ratio(perCpu(r), ref === undefined ? NaN : perCpu(ref));
        if (spec.role === "wsflow" && refId !== undefined) {
          roundRatio = ratioByRound(results, spec.id, refId, size);
        }
      } else {
        const top = Math.max(0, ...wsIds.map((id) => best(results, id, size)?.msgsPerS ?? 0));
        wallRatio = top === 0 ? "-" : `${(r.msgsPerS / top).toFixed(1)}x top ws`;
      }
      const notes: string[] = [];
      if (r.idleConns > 0) notes.push(`${r.idleConns} conns starved`);
      if (compressed && r.plainMsgs > 0) notes.push(`${fmtRate(r.plainMsgs)} echoes uncompressed`);
      if (compressed && spec.mode === "ws" && r.verifiedConns < CONNS) {
        notes.push(`${r.verifiedConns}/${CONNS} conns checked`);
      }
      rows.push([
        spec.name,
        spec.runtime,
        sizeName(size),
        fmtRate(r.msgsPerS),
        r.mbPerS.toFixed(1),
        ...(compressed ? [r.wireMbPerS.toFixed(1), fmtRate(wirePerMsg(r))] : []),
        wallRatio,
        fmtCpu(r.serverCpu),
        Number.isFinite(perCpu(r)) ? fmtRate(perCpu(r)) : "-",
        cpuRatio,
        roundRatio,
        fmtCpu(r.loadgenCpu),
        notes.join(", "),
      ]);
    }
  }
  console.log(`\n${section.title}`);
  printTable(header, rows, numeric);
  const legend = [
    "messages/s, MB/s: echoed messages (payload bytes, one direction, 10^6 B per MB) per second.",
  ];
  if (compressed) {
    legend.push(
      "  MB/s counts the uncompressed payload; wire MB/s the echoed payload as it came over the",
      "  wire, compressed (frame headers not counted); wire B/msg: the same per message.",
    );
  }
  legend.push(
    "ratio: against the runtime's reference server at the same size (ws on Node, Bun.serve on",
    "  Bun, Deno.upgradeWebSocket on Deno); raw rows: against the fastest WebSocket server.",
    "srv cpu: the server's CPU time (all threads, pinned to one core) over the measured interval;",
    "  msg/cpu-s: messages per second of that CPU time, ratio/cpu: the same against the",
    "  reference. On a busy machine this is the steadier comparison. lg cpu: the loadgen's.",
    "ratio by round: the ratio within each round (wsflow and its reference measured a minute",
    "  apart at most), median (range); the best rounds of the columns before may come from",
    "  different minutes of a machine whose speed drifts.",
  );
  console.log(legend.join("\n"));
  if (compressed) {
    console.log();
    console.log(
      [
        "permessage-deflate: the loadgen offers `permessage-deflate; client_no_context_takeover;",
        "client_max_window_bits`, sends one precompressed JSON-like message (zlib level 6) with",
        "RSV1, and on every connection inflates one compressed echo and checks it. Servers:",
        "  wsflow     perMessageDeflate { serverNoContextTakeover: true, threshold: 1024 } (the",
        "             default); node:zlib level 6, memLevel 8, 10 zlib operations at once",
        "  ws         perMessageDeflate { threshold: 1024, serverNoContextTakeover: true }; ws's",
        "             defaults otherwise: level 6, memLevel 8, concurrencyLimit 10",
        "  Bun.serve  perMessageDeflate: true (shared compressor and decompressor, reset after",
        "             every message); send(message, message.length >= 1024)",
        "  Deno.upgradeWebSocket does not support permessage-deflate: wsflow on Deno has no",
        "             reference in this table.",
      ].join("\n"),
    );
    const answers = new Map<string, string>();
    for (const r of results) {
      if (r.extensions !== "" && !answers.has(r.server.id)) {
        answers.set(
          r.server.id,
          `${r.server.name} (${r.server.runtime})`.padEnd(28) + r.extensions,
        );
      }
    }
    if (answers.size > 0) {
      console.log("Sec-WebSocket-Extensions answers:");
      for (const line of answers.values()) console.log(`  ${line}`);
    }
    const sent = results.find((r) => r.server.mode === "ws" && Number.isFinite(r.sentBytes));
    if (sent !== undefined) {
      const sizes = cases.map(({ size }) => {
        const r = results.find((x) => x.size === size && Number.isFinite(x.sentBytes));
        return r === undefined ? "" : `${sizeName(size)} -> ${r.sentBytes} B`;
      });
      console.log(`Loadgen's compressed message: ${sizes.filter(Boolean).join(", ")}`);
    }
  }

  // Headroom: the ceiling against the fastest servers, and the loadgen's CPU against theirs.
  console.log();
  console.log(
    "Loadgen headroom: the raw TCP ceiling against the fastest server; srv/lg: the least\n" +
      "server CPU per loadgen CPU over the runs (both handle the same messages); lg usr: the\n" +
      "most loadgen user-space CPU (the rest of its time is the kernel's TCP path).",
  );
  for (const { size } of cases) {
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

/** Whether gcc finds zlib's header (the loadgen links zlib for permessage-deflate). */
function haveZlibHeaders(): boolean {
  const probe = spawnSync("gcc", ["-E", "-x", "c", "-o", "/dev/null", "-"], {
    input: "#include <zlib.h>\n",
    stdio: ["pipe", "ignore", "ignore"],
  });
  return probe.status === 0;
}

function build(): void {
  mkdirSync(BUILD, { recursive: true });
  if (!haveZlibHeaders()) {
    throw new Error(
      "the loadgen needs zlib's headers (zlib.h) for permessage-deflate; install them, e.g. " +
        "`sudo apt-get install zlib1g-dev` (Debian, Ubuntu), `sudo dnf install zlib-devel` " +
        "(Fedora), `apk add zlib-dev` (Alpine)",
    );
  }
  for (const [name, libs] of [["loadgen", ["-lz"]], ["tcp_echo", []]] as const) {
    const result = spawnSync("gcc", [
      "-O2",
      "-Wall",
      "-o",
      join(BUILD, name),
      join(HERE, `${name}.c`),
      ...libs,
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
    deflateArgs: [], // echoes the compressed frames verbatim like any others
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
      deflateArgs: ["--deflate"],
    },
    {
      id: "ws",
      name: "ws WebSocketServer",
      runtime: "Node",
      role: "reference",
      mode: "ws",
      command: [node, "--import", "tsx", server("ws.ts")],
      deflateArgs: ["--deflate"],
    },
    {
      id: "wsflow-bun",
      name: "wsflow",
      runtime: "Bun",
      role: "wsflow",
      mode: "ws",
      command: [bun, server("wsflow.ts")],
      deflateArgs: ["--deflate"],
    },
    {
      id: "bun-serve",
      name: "Bun.serve websocket",
      runtime: "Bun",
      role: "reference",
      mode: "ws",
      command: [bun, server("bun.ts")],
      deflateArgs: ["--deflate"],
    },
    {
      id: "wsflow-deno",
      name: "wsflow",
      runtime: "Deno",
      role: "wsflow",
      mode: "ws",
      // --allow-env and --allow-read: BENCH_METRICS, and the OpenTelemetry SDK it loads.
      command: [deno, "run", "--allow-net", "--allow-env", "--allow-read", server("wsflow.ts")],
      deflateArgs: ["--deflate"],
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
  // The same echo as message hooks rather than a `for await` loop, after each runtime's wsflow.
  if (process.env.BENCH_HOOKS === "1" || ONLY.some((id) => id.endsWith("-hooks"))) {
    addHookedServers(all);
  }
  const specs = ONLY.length === 0 ? all : all.filter((s) => ONLY.includes(s.id));
  const sections: Section[] = [];
  if (!COMPRESSED_ONLY) {
    sections.push({
      title: "Uncompressed (no extension offered)",
      compressed: false,
      cases: CASES,
      specs,
    });
  }
  if (COMPRESSED || COMPRESSED_ONLY) {
    // The ceiling once, at the start: compressed frames are small and the servers slow, so the
    // headroom is wide (see the headroom lines).
    const deflating = specs.filter((s) => s.deflateArgs !== undefined);
    sections.push({
      title: "Compressed (permessage-deflate, JSON-like messages)",
      compressed: true,
      cases: COMPRESSED_CASES,
      specs: deflating.filter((s, i) => s.id !== "tcp-echo" || deflating.indexOf(s) === i),
    });
  }
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
  const sectionResults: { section: Section; results: Result[] }[] = [];
  for (const section of sections) {
    console.error(section.title);
    const results: Result[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      if (ROUNDS > 1) console.error(`round ${round} of ${ROUNDS}`);
      // Every other round runs the servers in reverse order, so a drift in the machine's load
      // does not always favour the same ones.
      let order = round % 2 === 1 ? [...section.specs] : [...section.specs].reverse();
      // The compressed section measures its ceiling in the first round only.
      if (section.compressed && round > 1) order = order.filter((s) => s.role !== "ceiling");
      for (const spec of order) {
        for (const r of await runServer(spec, section)) results.push({ ...r, round });
      }
    }
    sectionResults.push({ section, results });
  }
  writeFileSync(
    join(BUILD, "results.json"),
    JSON.stringify(
      sectionResults.flatMap(({ results }) => results).map((r) => ({ ...r, server: r.server.id })),
      null,
      2,
    ),
  );
  for (const { section, results } of sectionResults) report(section, results);
}

try {
  await main();
} catch (error) {
  console.error(`bench:echo: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  killAll();
}
