// A child process of the runtime the tests run under, driven from outside: its stdin written
// by the test, its stdout and stderr collected line by line, waits for a line or for its exit
// bounded in time. Used for the client example and for probes that need their own environment
// (a CA variable the runtime reads at start).
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { REPO_ROOT, runtimeCommand } from "./example_process.ts";
import { withTimeout } from "./with_timeout.ts";

/** How a child ended. */
export interface ChildExit {
  code: number | null;
  signal: string | null;
}

/** A running child process. */
export interface Child {
  readonly process: ChildProcess;
  /** Complete stdout lines so far. */
  readonly stdout: string[];
  /** Complete stderr lines so far. */
  readonly stderr: string[];
  /** Writes to its stdin. */
  write(text: string): void;
  /** Closes its stdin (end of input). */
  endInput(): void;
  /** Resolves with the first line of `stream` (already printed or to come) that `match` accepts. */
  waitFor(stream: "stdout" | "stderr", match: RegExp, what: string, ms?: number): Promise<string>;
  /** Resolves when it exits, bounded. */
  exited(ms?: number): Promise<ChildExit>;
  /** Everything printed, for failure messages. */
  output(): string;
  /** SIGKILL unless it has exited. */
  kill(): void;
}

/**
 * Runs `file` (relative to the repository root) on the current runtime with `args`, and `env`
 * over this process's environment (a value of `undefined` removes the variable). `runtimeArgs`
 * go before the file (Deno's `--cert`).
 */
export function startChild(
  file: string,
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  runtimeArgs: readonly string[] = [],
): Child {
  const command = runtimeCommand(file);
  const childEnv: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...process.env, ...env })) {
    if (value !== undefined) childEnv[name] = value;
  }
  const [first, ...rest] = command.args;
  const child = spawn(
    command.command,
    // `run` (Deno) or `--import` (Node) stays first; runtime flags go before the file.
    first === "run"
      ? [first, ...runtimeArgs, ...rest, ...args]
      : [...runtimeArgs, ...command.args, ...args],
    { cwd: REPO_ROOT, env: childEnv, stdio: ["pipe", "pipe", "pipe"] },
  );
  const lines = { stdout: [] as string[], stderr: [] as string[] };
  let all = "";
  const waiters = new Set<() => void>();
  const wake = (): void => {
    for (const waiter of [...waiters]) waiter();
  };
  for (const name of ["stdout", "stderr"] as const) {
    let pending = "";
    child[name]!.setEncoding("utf8");
    child[name]!.on("data", (text: string) => {
      all += text;
      pending += text;
      const parts = pending.split("\n");
      pending = parts.pop()!;
      lines[name].push(...parts.map((line) => line.replace(/\r$/, "")));
      wake();
    });
  }
  child.stdin!.on("error", () => {});
  let exit: ChildExit | undefined;
  const exitedPromise = new Promise<ChildExit>((resolve) => {
    child.once("exit", (code, signal) => {
      exit = { code, signal };
      // Let the last output arrive first.
      setTimeout(() => {
        wake();
        resolve(exit!);
      }, 50);
    });
    child.once("error", (error) => {
      all += `\n${error.message}`;
      exit = { code: null, signal: null };
      resolve(exit);
    });
  });
  const output = (): string => all;
  return {
    process: child,
    stdout: lines.stdout,
    stderr: lines.stderr,
    write: (text) => {
      child.stdin!.write(text);
    },
    endInput: () => {
      child.stdin!.end();
    },
    waitFor: (stream, match, what, ms = 15_000) =>
      withTimeout(
        new Promise<string>((resolve, reject) => {
          let seen = 0;
          const check = (): void => {
            const list = lines[stream];
            for (; seen < list.length; seen++) {
              if (match.test(list[seen]!)) {
                waiters.delete(check);
                resolve(list[seen]!);
                return;
              }
            }
            if (exit !== undefined) {
              waiters.delete(check);
              reject(new Error(`The child exited before ${what}; its output:\n${all}`));
            }
          };
          waiters.add(check);
          check();
        }),
        ms,
        what,
      ).catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        throw new Error(message.includes(all) ? message : `${message}; its output:\n${all}`);
      }),
    exited: (ms = 15_000) =>
      withTimeout(exitedPromise, ms, "the child exits").catch((error: unknown) => {
        child.kill("SIGKILL");
        const message = error instanceof Error ? error.message : String(error);
        throw new Error(`${message}; its output:\n${all}`);
      }),
    output,
    kill: () => {
      if (exit === undefined) child.kill("SIGKILL");
    },
  };
}
