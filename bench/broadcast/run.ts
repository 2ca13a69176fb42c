/**
 * Fan-out throughput: one publisher, 100 and 1,000 subscribers on one topic, 64-byte binary
 * messages; deliveries per second of wsflow's topics (`examples/broadcast.ts`, the
 * PUBSUB-CONTRACT target) against each runtime's reference, side by side in one run, and the
 * same through Redis with two processes. Run it with `npm run bench:broadcast`
 * (`node --import tsx bench/broadcast/run.ts`).
 *
 * | wsflow on | compared with                                   |
 * | --------- | ----------------------------------------------- |
 * | Node      | `ws` with a loop over a `Set`                   |
 * | Bun       | `Bun.serve` with `ws.subscribe` / `ws.publish`  |
 * | Deno      | `Deno.upgradeWebSocket` with a loop over a `Set` |
 *
 * Method. `gcc -O2` builds `loadgen.c` into `bench/broadcast/.build/`. Each server runs alone,
 * pinned to CPU 0 (`taskset -c 0`); the loadgen, pinned to CPU 1, connects the subscribers to
 * /broadcast, then a publisher, and keeps the publisher at most `BENCH_WINDOW` (default 256)
 * messages ahead of the average subscriber, so that no server is asked to hold an ever longer
 * queue; it counts the frames every subscriber receives for `BENCH_SECONDS` (default 3) after
 * `BENCH_WARMUP` (default 1) seconds, and reads the server's CPU time (all threads, /proc) over
 * that interval: `srv cpu`, and deliveries per server CPU-second (`per cpu-s`), the steadier
 * figure on a shared machine. The publisher is excluded from its own messages everywhere. The
 * loadgen's own CPU time is printed too: near 100% means the loadgen, not the server, is the
 * limit (it reads and counts every delivered byte on one core).
 *
 * Through Redis: a redis-server on a free port (pinned to CPU 1, with the loadgen) and two
 * processes of the example with `REDIS_URL` (both on CPU 0); subscribers alternate between them,
 * the publisher is on the first. `srv cpu` is the two processes together.
 *
 * `BENCH_ONLY` (comma-separated case ids) runs a subset; `BENCH_SUBSCRIBERS` (default
 * `100,1000`) the fan-outs.
 *
 * @module
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..", "..");
const BUILD = join(HERE, ".build");
const BIN = join(ROOT, "node_modules", ".bin");
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 1);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 256);
const SIZE = 64;
const FANOUTS = (process.env.BENCH_SUBSCRIBERS ?? "100,1000").split(",").map(Number);
const ONLY = process.env.BENCH_ONLY?.split(",");

interface Case {
  id: string;
  label: string;
  /** Commands of the server processes (one, or two through Redis). */
  commands: { command: string; args: string[] }[];
  redis?: boolean;
}

const example = join(ROOT, "examples", "broadcast.ts");
// Node runs TypeScript through tsx's loader in the same process (the `tsx` binary would start a
// second process, whose CPU time the loadgen would not see).
const node = (file: string): { command: string; args: string[] } => ({
  command: process.execPath,
  args: ["--import", "tsx", file],
});
const CASES: Case[] = [
  {
    id: "wsflow-node",
    label: "wsflow (Node)",
    commands: [node(example)],
  },
  {
    id: "ws",
    label: "ws + loop (Node)",
    commands: [node(join(HERE, "servers", "ws.ts"))],
  },
  {
    id: "wsflow-bun",
    label: "wsflow (Bun)",
    commands: [{ command: join(BIN, "bun"), args: [example] }],
  },
  {
    id: "bun",
    label: "Bun.serve publish",
    commands: [{ command: join(BIN, "bun"), args: [join(HERE, "servers", "bun.ts")] }],
  },
  {
    id: "wsflow-deno",
    label: "wsflow (Deno)",
    commands: [{ command: join(BIN, "deno"), args: ["run", "-A", example] }],
  },
  {
    id: "deno",
    label: "Deno + loop",
    commands: [{
      command: join(BIN, "deno"),
      args: ["run", "-A", join(HERE, "servers", "deno.ts")],
    }],
  },
  ...(["node", "bun", "deno"] as const).map((runtime): Case => {
    const one = runtime === "node"
      ? node(example)
      : runtime === "bun"
      ? { command: join(BIN, "bun"), args: [example] }
      : { command: join(BIN, "deno"), args: ["run", "-A", example] };
    return {
      id: `redis-${runtime}`,
      label: `wsflow (${runtime[0]!.toUpperCase()}${runtime.slice(1)}), 2 processes + Redis`,
      commands: [one, one],
      redis: true,
    };
  }),
];

const children = new Set<ChildProcess>();
function killAll(): void {
  for (const child of children) child.kill("SIGKILL");
}
process.on("exit", killAll);
process.on("SIGINT", () => process.exit(130));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts a process pinned to `cpu`; resolves with it and the port of its LISTENING line. */
function start(
  cpu: number,
  command: string,
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn("taskset", ["-c", String(cpu), command, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${command} did not start:\n${output}`)),
      30_000,
    );
    const onData = (text: Buffer): void => {
      output += text.toString();
      const match = ready.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolve({ child, port: Number(match[1] ?? 0) });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (text: Buffer) => {
      output += text.toString();
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited (${code}):\n${output}`));
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGKILL");
  await exited;
  children.delete(child);
}

interface Result {
  perSecond: number;
  serverCpu: number;
  loadgenCpu: number;
  seconds: number;
}

async function measure(c: Case, subscribers: number): Promise<Result> {
  let redis: ChildProcess | undefined;
  const env: Record<string, string> = { PORT: "0" };
  if (c.redis) {
    const port = await freePort();
    const started = await start(
      1,
      "redis-server",
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
      ],
      {},
      /Ready to accept connections()/,
    );
    redis = started.child;
    env.REDIS_URL = `redis://127.0.0.1:${port}/0`;
  }
  const servers = [];
  try {
    for (const { command, args } of c.commands) {
      servers.push(await start(0, command, args, env, /LISTENING (?:ws:\/\/[^:]+:)?(\d+)/));
    }
    const result = spawnSync("taskset", [
      "-c",
      "1",
      join(BUILD, "loadgen"),
      "127.0.0.1",
      "/broadcast",
      String(subscribers),
      String(SIZE),
      String(SECONDS),
      String(WARMUP),
      String(WINDOW),
      servers.map((s) => s.port).join(","),
      servers.map((s) => s.child.pid).join(","),
    ], { encoding: "utf8", timeout: (SECONDS + WARMUP + 60) * 1000 });
    if (result.status !== 0) throw new Error(`loadgen failed: ${result.stderr}${result.stdout}`);
    return JSON.parse(result.stdout.trim().split("\n").pop()!) as Result;
  } finally {
    for (const server of servers) await stop(server.child);
    if (redis !== undefined) await stop(redis);
  }
}

function build(): void {
  mkdirSync(BUILD, { recursive: true });
  const gcc = spawnSync("gcc", ["-O2", "-o", join(BUILD, "loadgen"), join(HERE, "loadgen.c")], {
    encoding: "utf8",
  });
  if (gcc.status !== 0) throw new Error(`gcc failed:\n${gcc.stderr}`);
}

function fmt(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : `${(n / 1e3).toFixed(0)}k`;
}

build();
console.log(
  `bench:broadcast — ${SIZE} B binary messages, one publisher, ${SECONDS} s after ${WARMUP} s ` +
    `warm-up, window ${WINDOW}; servers on CPU 0, loadgen on CPU 1; load average at start: ${
      loadavg().map((l) => l.toFixed(2)).join(" ")
    }`,
);
const table: Record<string, Record<number, Result>> = {};
for (const subscribers of FANOUTS) {
  for (const c of CASES) {
    if (ONLY !== undefined && !ONLY.includes(c.id)) continue;
    try {
      const result = await measure(c, subscribers);
      (table[c.id] ??= {})[subscribers] = result;
      console.log(
        `${c.label.padEnd(44)} ${String(subscribers).padStart(5)} subs: ${
          fmt(result.perSecond).padStart(7)
        } deliveries/s, srv cpu ${
          (result.serverCpu / result.seconds * 100).toFixed(0)
        }%, loadgen cpu ${(result.loadgenCpu / result.seconds * 100).toFixed(0)}%, ${
          fmt(result.perSecond * result.seconds / Math.max(result.serverCpu, 1e-9))
        } per cpu-s`,
      );
    } catch (error) {
      console.log(`${c.label.padEnd(44)} ${subscribers} subs: failed: ${(error as Error).message}`);
    }
  }
}

const ratio = (a: string, b: string, n: number, cpu: boolean): string => {
  const x = table[a]?.[n];
  const y = table[b]?.[n];
  if (x === undefined || y === undefined) return "n/a";
  const value = cpu
    ? (x.perSecond * x.seconds / x.serverCpu) / (y.perSecond * y.seconds / y.serverCpu)
    : x.perSecond / y.perSecond;
  return `${value.toFixed(2)}×`;
};
console.log("\nRatios (deliveries/s; per server CPU-second in brackets):");
for (const n of FANOUTS) {
  console.log(
    `${n} subs: Node wsflow/ws ${ratio("wsflow-node", "ws", n, false)} (${
      ratio("wsflow-node", "ws", n, true)
    }), Deno wsflow/Deno ${ratio("wsflow-deno", "deno", n, false)} (${
      ratio("wsflow-deno", "deno", n, true)
    }), Bun wsflow/Bun.serve ${ratio("wsflow-bun", "bun", n, false)} (${
      ratio("wsflow-bun", "bun", n, true)
    }); through Redis/local: Node ${ratio("redis-node", "wsflow-node", n, false)}, Bun ${
      ratio("redis-bun", "wsflow-bun", n, false)
    }, Deno ${ratio("redis-deno", "wsflow-deno", n, false)}`,
  );
}
killAll();
