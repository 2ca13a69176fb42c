/**
 * Profiles one echo server of `npm run bench:echo` under the same load, and summarizes the CPU
 * profile: where the server's time goes, by function (self time) and by file.
 *
 * ```sh
 * node --import tsx bench/echo/profile.ts [--deflate] <server> [size] [seconds]
 * node --import tsx bench/echo/profile.ts --summary <file.cpuprofile> [top] [last-seconds]
 * ```
 *
 * `<server>` is one of `wsflow-node`, `ws`, `wsflow-bun`, `bun-serve`, `wsflow-deno`,
 * `deno-upgrade`, or a wsflow one with `-hooks` (the echo served as message hooks); `size` is
 * the message size in bytes (default 1024), `seconds` how long the
 * load runs after a 1 s warm-up (default 4). The server runs with its runtime's `--cpu-prof`
 * (Node, Bun and Deno all write `.cpuprofile` files) pinned to CPU 0, the loadgen on CPU 1 with
 * the benchmark's window for that size; the server is then stopped with SIGTERM, on which it
 * exits normally so the profile gets written. Profiles go to `bench/echo/.build/profiles/`.
 *
 * `--deflate` profiles the compressed case of the benchmark instead: the server starts with
 * `--deflate` and the loadgen with `-z` (permessage-deflate on a JSON-like message; see run.ts),
 * the windows being those of the compressed section. The profile then goes to
 * `profiles/<server>-<size>-deflate/`. Work zlib does on the runtime's thread pool is not in
 * a JavaScript CPU profile: the `(program)` and `(garbage collector)` rows and the idle share
 * show the main thread only, so compare the total with the benchmark's `srv cpu`.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { serverProfile, withProfiledServer } from "./profiled_server.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..", "..");
const BUILD = join(HERE, ".build");

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas?: number[];
}

// ---------------------------------------------------------------------------------------------
// Summary

function shortUrl(url: string): string {
  if (url === "") return "";
  const path = url.startsWith("file://") ? fileURLToPath(url) : url;
  return path.startsWith("/") ? relative(ROOT, path) : path;
}

/** Summarizes a profile; with `lastSeconds`, only the samples of its last seconds. */
function summarize(file: string, top: number, lastSeconds = Infinity): void {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) byId.set(node.id, node);
  // Self time per sample: its time delta when there are deltas, else an even share.
  const deltas = profile.timeDeltas;
  const even = (profile.endTime - profile.startTime) / Math.max(1, profile.samples.length);
  const selfUs = new Map<number, number>();
  const from = profile.endTime - lastSeconds * 1e6;
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    at += deltas === undefined ? even : (deltas[i] ?? 0);
    if (at < from) continue;
    // timeDeltas[i] is the time before sample i; the time after it is the next delta.
    const us = deltas === undefined ? even : Math.max(0, deltas[i + 1] ?? even);
    selfUs.set(id, (selfUs.get(id) ?? 0) + us);
  }
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parentOf.set(child, node.id);
  }
  const label = (frame: ProfileNode["callFrame"]): string => {
    const where = shortUrl(frame.url);
    return `${frame.functionName || "(anonymous)"}${
      where === "" ? "" : `  ${where}:${frame.lineNumber + 1}`
    }`;
  };
  let total = 0;
  let idle = 0;
  const byFunction = new Map<string, number>();
  const callers = new Map<string, Map<string, number>>();
  const byFile = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined) continue;
    total += us;
    if (frame.functionName === "(idle)") {
      idle += us;
      continue;
    }
    const where = shortUrl(frame.url);
    const name = label(frame);
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    const parent = byId.get(parentOf.get(id) ?? -1)?.callFrame;
    const caller = parent === undefined ? "(root)" : label(parent);
    const counts = callers.get(name) ?? new Map<string, number>();
    counts.set(caller, (counts.get(caller) ?? 0) + us);
    callers.set(name, counts);
    const fileKey = where === "" ? frame.functionName || "(native)" : where;
    byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + us);
  }
  const busy = total - idle;
  const pct = (us: number): string => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
  console.log(`\n${relative(ROOT, file)}`);
  console.log(
    `  ${Number.isFinite(lastSeconds) ? `last ${lastSeconds} s: ` : ""}sampled ` +
      `${(total / 1e6).toFixed(2)} s, idle ${((100 * idle) / total).toFixed(1)}%; ` +
      "shares below are of the non-idle time",
  );
  console.log(`\n  top ${top} functions by self time`);
  for (const [name, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`  ${pct(us)}  ${name}`);
  }
  console.log("\n  callers of the top 8 (share of that function's self time)");
  for (const [name, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 8)) {
    const list = [...(callers.get(name) ?? [])].sort((a, b) => b[1] - a[1]).slice(0, 3);
    console.log(`  ${name}`);
    for (const [caller, cus] of list) {
      console.log(`      ${((100 * cus) / us).toFixed(0).padStart(3)}%  <- ${caller}`);
    }
  }
  console.log("\n  self time by file");
  for (const [name, us] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
    console.log(`  ${pct(us)}  ${name}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Profiling run

const WINDOWS: Record<number, number> = { 16: 64, 1024: 32, 65536: 8, 1048576: 2 };
/** The compressed section's windows (run.ts COMPRESSED_CASES). */
const DEFLATE_WINDOWS: Record<number, number> = { 1024: 32, 16384: 16, 65536: 8 };

async function profileServer(
  id: string,
  size: number,
  seconds: number,
  deflate: boolean,
): Promise<void> {
  const loadgen = join(BUILD, "loadgen");
  mkdirSync(BUILD, { recursive: true });
  const built = spawnSync("gcc", ["-O2", "-o", loadgen, join(HERE, "loadgen.c"), "-lz"], {
    stdio: "inherit",
  });
  if (built.status !== 0) {
    throw new Error("gcc failed (the loadgen needs zlib's headers: zlib1g-dev on Debian)");
  }
  const dir = join(BUILD, "profiles", `${id}-${size}${deflate ? "-deflate" : ""}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const window = (deflate ? DEFLATE_WINDOWS : WINDOWS)[size] ?? 8;
  await withProfiledServer(id, dir, deflate ? ["--deflate"] : [], (port, pid) => {
    const run = spawnSync("taskset", [
      "-c",
      "1",
      loadgen,
      ...["-p", String(port), "-c", "32", "-s", String(size), "-w", String(window)],
      ...["-t", String(seconds), "-u", "1", "-P", String(pid)],
      ...(deflate ? ["-z"] : []),
    ], { encoding: "utf8", timeout: (seconds + 30) * 1000 });
    process.stdout.write(run.stdout ?? "");
    process.stderr.write(run.stderr ?? "");
  });
  summarize(serverProfile(dir), 30, seconds + 0.5);
}

const argv = process.argv.slice(2);
const deflate = argv.includes("--deflate");
const args = argv.filter((a) => a !== "--deflate");
try {
  if (args[0] === "--summary" && args[1] !== undefined) {
    summarize(args[1], Number(args[2] ?? 30), Number(args[3] ?? Infinity));
  } else if (args[0] !== undefined) {
    await profileServer(args[0], Number(args[1] ?? 1024), Number(args[2] ?? 4), deflate);
  } else {
    console.error(
      "usage: profile.ts [--deflate] <server> [size] [seconds] | " +
        "--summary <file> [top] [last-seconds]",
    );
    process.exitCode = 2;
  }
} catch (error) {
  console.error(`profile: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
