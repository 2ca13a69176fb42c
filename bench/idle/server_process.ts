/**
 * A benchmark server in a process of its own, for bench/idle's scripts: started, and ready once
 * it prints `LISTENING <port>`. Processes still running when this one exits are killed.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/**
 * Kills `child` when this process exits, unless it has exited by then.
 *
 * @param child A process this one started.
 */
export function killOnExit(child: ChildProcess): void {
  live.add(child);
  child.on("exit", () => live.delete(child));
}

/**
 * Starts `command` in `cwd` and waits for its `LISTENING <port>` line (30 s at most). Its
 * stdout and stderr are read as text; a caller may listen to `child.stderr` too.
 *
 * @param command The program and its arguments.
 * @param cwd Where it runs.
 * @returns The process and the port it listens on.
 */
export function startServer(
  command: readonly string[],
  cwd: string,
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(command[0]!, command.slice(1), { cwd, stdio: ["ignore", "pipe", "pipe"] });
  killOnExit(child);
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
