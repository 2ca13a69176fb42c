/**
 * Where a Node server's idle connections' memory goes, by V8 heap space:
 * `node --import tsx bench/idle/spaces.ts` (Node only; V8's statistics).
 *
 * For wsflow (`for await` and hooks) and `ws`, each in its own process with
 * `bench/idle/space_stats.ts` preloaded: reads the server's heap spaces, opens
 * `SPACES_CONNECTIONS` (default 10,000) idle connections as `npm run bench:idle` does, reads them
 * again, and prints per connection: the RSS growth (what bench:idle measures), the young
 * generation's growth (physical), and the old generation's bytes in use as they are and after a
 * full collection (what the connections keep). The young generation grows towards its full size
 * under any allocation, whatever the server: a per-process cost that the connections divide,
 * not one each of them keeps.
 *
 * @module
 */
import type { ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { openIdleMany } from "../../tests/_helpers/idle_sockets.ts";
import { startServer } from "./server_process.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CONNECTIONS = Number(process.env.SPACES_CONNECTIONS ?? 10_000);
const SETTLE_MS = 2_000;

interface Reading {
  before: Record<string, { physical: number; used: number }>;
  after: Record<string, { physical: number; used: number }>;
}

const SERVERS: readonly (readonly [name: string, args: readonly string[]])[] = [
  ["wsflow", ["bench/echo/servers/wsflow.ts"]],
  ["wsflow (hooks)", ["bench/echo/servers/wsflow.ts", "--hooks"]],
  ["ws WebSocketServer", ["bench/echo/servers/ws.ts"]],
];

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Starts a server with the statistics preloaded; resolves with it and its port. */
function start(args: readonly string[]): Promise<{ child: ChildProcess; port: number }> {
  const preload = join(ROOT, "bench/idle/space_stats.ts");
  return startServer(
    [process.execPath, "--expose-gc", "--import", "tsx", "--import", preload, ...args],
    ROOT,
  );
}

/** Asks the server for its spaces (SIGUSR2) and waits for the line it prints. */
function readSpaces(child: ChildProcess): Promise<Reading> {
  return new Promise((resolve, reject) => {
    let err = "";
    const timer = setTimeout(() => reject(new Error("no SPACES line")), 30_000);
    const onData = (text: string): void => {
      err += text;
      const match = /SPACES (.*)\n/.exec(err);
      if (match === null) return;
      clearTimeout(timer);
      child.stderr!.off("data", onData);
      resolve(JSON.parse(match[1]!) as Reading);
    };
    child.stderr!.on("data", onData);
    child.kill("SIGUSR2");
  });
}

function perConnection(bytes: number): string {
  return `${(bytes / CONNECTIONS / 1024).toFixed(2)} KiB`;
}

const rows: string[] = [];
for (const [name, args] of SERVERS) {
  const { child, port } = await start(args);
  try {
    await sleep(SETTLE_MS);
    const base = await readSpaces(child);
    const sockets = await openIdleMany(port, CONNECTIONS);
    await sleep(SETTLE_MS);
    const loaded = await readSpaces(child);
    for (const socket of sockets) socket.destroy();
    const growth = (reading: keyof Reading, space: string, field: "physical" | "used"): number =>
      loaded[reading][space]![field] - base[reading][space]![field];
    rows.push(
      `| ${name.padEnd(18)} | ${
        perConnection(growth("before", "rss", "physical")).padStart(9)
      } | ` +
        `${perConnection(growth("before", "new_space", "physical")).padStart(9)} | ` +
        `${perConnection(growth("before", "old_space", "used")).padStart(9)} | ` +
        `${perConnection(growth("after", "old_space", "used")).padStart(12)} |`,
    );
  } finally {
    child.kill("SIGKILL");
  }
}

console.log(
  `\nbench/idle/spaces.ts: ${CONNECTIONS} idle connections per server (Node ${process.version}); ` +
    "growth per connection\n",
);
console.log("| server             |       RSS | young gen | old, used | old, full GC |");
console.log("|--------------------|-----------|-----------|-----------|--------------|");
for (const row of rows) console.log(row);
console.log(
  "\nyoung gen: the young generation's physical size (a per-process cost the connections divide);" +
    "\nold, full GC: the old generation's bytes in use after a full collection, what the" +
    "\nconnections keep.",
);
