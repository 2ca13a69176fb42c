/**
 * What the two profiling scripts (`bench/echo/profile.ts`, `bench/connect/profile.ts`) share:
 * running one benchmark server under its runtime's CPU profiler around a load, and stopping it.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The project's own copy of a runtime (node_modules/.bin), else the one on PATH. */
function binary(name: string): string {
  try {
    return realpathSync(join(ROOT, "node_modules", ".bin", name));
  } catch {
    return name;
  }
}

/**
 * The command that runs benchmark server `id` (`wsflow-node`, `ws`, `wsflow-bun`, `bun-serve`,
 * `wsflow-deno`, `deno-upgrade`, and the wsflow ones with `-hooks`) from bench/echo/servers with its runtime's `--cpu-prof`,
 * writing the profile into `dir`; `args` go to the server.
 */
function profiledCommand(id: string, dir: string, args: readonly string[]): string[] {
  const server = (file: string): string => join("bench", "echo", "servers", file);
  const node = (file: string): string[] => [
    process.execPath,
    "--cpu-prof",
    `--cpu-prof-dir=${dir}`,
    "--import",
    "tsx",
    server(file),
    ...args,
  ];
  const bun = (file: string): string[] => [
    binary("bun"),
    "--cpu-prof",
    `--cpu-prof-dir=${dir}`,
    server(file),
    ...args,
  ];
  const deno = (file: string): string[] => [
    binary("deno"),
    "run",
    "--allow-net",
    // What run.ts allows too: BENCH_METRICS, and the OpenTelemetry SDK it may load.
    "--allow-env",
    "--allow-read",
    "--cpu-prof-dir",
    dir,
    server(file),
    ...args,
  ];
  // `<id>-hooks`: the wsflow server serving the echo as message hooks.
  if (id.endsWith("-hooks") && id.startsWith("wsflow-")) {
    return profiledCommand(id.slice(0, -"-hooks".length), dir, [...args, "--hooks"]);
  }
  switch (id) {
    case "wsflow-node":
      return node("wsflow.ts");
    case "ws":
      return node("ws.ts");
    case "wsflow-bun":
      return bun("wsflow.ts");
    case "bun-serve":
      return bun("bun.ts");
    case "wsflow-deno":
      return deno("wsflow.ts");
    case "deno-upgrade":
      return deno("deno.ts");
    default:
      throw new Error(`unknown server ${id}`);
  }
}

/**
 * Runs benchmark server `id` under its CPU profiler (see {@link profiledCommand}) pinned to CPU
 * 0, waits for its `LISTENING <port>` line, calls `load` with the port and the server's pid,
 * then stops the server with SIGTERM, on which it exits normally so the profile gets written
 * (SIGKILL if it has not exited in 20 s, or if anything fails).
 */
export async function withProfiledServer(
  id: string,
  dir: string,
  args: readonly string[],
  load: (port: number, pid: number) => void,
): Promise<void> {
  const server = spawn("taskset", ["-c", "0", ...profiledCommand(id, dir, args)], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const stopServer = (): void => killGroup(server, "SIGKILL");
  process.on("exit", stopServer);
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => reject(new Error("no LISTENING line in 30 s")), 30_000);
      server.stdout?.on("data", (data: Buffer) => {
        out += data.toString();
        const match = /LISTENING (\d+)/.exec(out);
        if (match !== null) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
      server.once("exit", () => reject(new Error("the server exited before listening")));
    });
    load(port, server.pid ?? 0);
    killGroup(server, "SIGTERM");
    if (!(await exited(server, 20_000))) throw new Error("the server did not exit on SIGTERM");
  } finally {
    stopServer();
  }
}

/** Resolves `true` once `child` has exited, or `false` after `ms`. */
function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Sends `signal` to `child`'s process group (started `detached`), unless it is gone. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // gone
  }
}

/**
 * The server's CPU profile among those its runtime wrote to `dir`: the largest, since Node also
 * profiles tsx's loader thread.
 *
 * @param dir Where the profiles were written.
 * @returns The profile's path.
 */
export function serverProfile(dir: string): string {
  const profiles = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".cpuprofile")) : [];
  if (profiles.length === 0) throw new Error(`no .cpuprofile written in ${dir}`);
  const sizes = profiles.map((f) => ({ f, bytes: readFileSync(join(dir, f)).length }));
  return join(dir, sizes.sort((a, b) => b.bytes - a.bytes)[0]!.f);
}
