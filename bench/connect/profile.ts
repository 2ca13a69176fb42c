/**
 * Profiles one server of `npm run bench:connect` under the same load (open, opening handshake,
 * close; 32 at a time), and summarizes the CPU profile with `bench/echo/profile.ts --summary`:
 * where the server's time goes, by function (self time), by caller and by file.
 *
 * ```sh
 * node --import tsx bench/connect/profile.ts <server> [seconds]
 * ```
 *
 * `<server>` is one of `wsflow-node`, `ws`, `wsflow-bun`, `bun-serve`, `wsflow-deno`,
 * `deno-upgrade`, or a wsflow one with `-hooks` (`wsflow-node-hooks`: the echo served as message
 * hooks); `seconds` is how long the load runs after a 1 s warm-up (default 4). The
 * server runs with its runtime's `--cpu-prof` pinned to CPU 0, the connect loadgen on CPU 1;
 * then the server is stopped with SIGTERM, on which it exits normally so the profile gets
 * written. Profiles go to `bench/connect/.build/profiles/<server>/`. Run it under the shared
 * benchmark lock, as the benchmark itself.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { serverProfile, withProfiledServer } from "../echo/profiled_server.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..", "..");
const BUILD = join(HERE, ".build");

async function profileServer(id: string, seconds: number): Promise<void> {
  const loadgen = join(BUILD, "loadgen");
  mkdirSync(BUILD, { recursive: true });
  const built = spawnSync("gcc", ["-O2", "-o", loadgen, join(HERE, "loadgen.c")], {
    stdio: "inherit",
  });
  if (built.status !== 0) throw new Error("gcc failed to build loadgen.c");
  const dir = join(BUILD, "profiles", id);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await withProfiledServer(id, dir, [], (port, pid) => {
    const run = spawnSync("taskset", [
      "-c",
      "1",
      loadgen,
      ...["-p", String(port), "-c", "32", "-t", String(seconds), "-u", "1"],
      ...["-P", String(pid), "-a", "8"],
    ], { encoding: "utf8", timeout: (seconds + 30) * 1000 });
    process.stdout.write(run.stdout ?? "");
    process.stderr.write(run.stderr ?? "");
  });
  const main = serverProfile(dir);
  spawnSync(process.execPath, [
    "--import",
    "tsx",
    join(ROOT, "bench", "echo", "profile.ts"),
    "--summary",
    main,
    "40",
    String(seconds + 0.5),
  ], { cwd: ROOT, stdio: "inherit" });
}

const [id, seconds] = process.argv.slice(2);
try {
  if (id === undefined) {
    console.error("usage: profile.ts <server> [seconds]");
    process.exitCode = 2;
  } else {
    await profileServer(id, Number(seconds ?? 4));
  }
} catch (error) {
  console.error(`profile: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
