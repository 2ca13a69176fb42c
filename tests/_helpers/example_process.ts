// Starts an example server as a child process of the runtime the tests run under, the way a
// user starts it, and waits (bounded) for the `LISTENING <url>` lines it prints on stdout.
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { runtime } from "./adapter_for_runtime.ts";
import { withTimeout } from "./with_timeout.ts";

/** The repository root, from this file's place in it. */
export const REPO_ROOT: string = fileURLToPath(new URL("../../", import.meta.url).href);

/** A running example server. */
export interface ExampleProcess {
  /** The child process. */
  readonly child: ChildProcess;
  /** The URLs of the `LISTENING <url>` lines, in the order printed. */
  readonly urls: readonly string[];
  /** Everything printed on stdout and stderr so far, for failure messages. */
  output(): string;
  /** Stops the server: SIGTERM, then SIGKILL if it has not exited within 5 s. */
  stop(): Promise<void>;
}

/** The command that runs a TypeScript file on the current runtime. */
export function runtimeCommand(file: string): { command: string; args: string[] } {
  switch (runtime) {
    case "deno":
      return { command: process.execPath, args: ["run", "-A", file] };
    case "bun":
      return { command: process.execPath, args: [file] };
    default:
      // Node 20 cannot run .ts by itself; tsx's loader can, in this same process.
      return { command: process.execPath, args: ["--import", "tsx", file] };
  }
}

/**
 * The command a user runs `file` with on `name` (../shared/PUBSUB-CONTRACT.md): `deno run
 * --allow-net --allow-env --allow-read`, `bun`, `tsx`, each from node_modules/.bin.
 */
export function userCommand(
  name: "deno" | "bun" | "node",
  file: string,
): { command: string; args: string[] } {
  const bin = (tool: string): string => `${REPO_ROOT}node_modules/.bin/${tool}`;
  switch (name) {
    case "deno":
      return {
        command: bin("deno"),
        args: ["run", "--allow-net", "--allow-env", "--allow-read", file],
      };
    case "bun":
      return { command: bin("bun"), args: [file] };
    default:
      return { command: bin("tsx"), args: [file] };
  }
}

/**
 * Runs `file` (relative to the repository root) with `env` added to the environment, and
 * resolves once it printed `listening` LISTENING lines. Rejects, having killed the child, when
 * it exits first or takes longer than `timeout` ms.
 */
export async function startExample(
  file: string,
  env: Record<string, string>,
  { listening = 1, timeout = 25_000, on }: {
    listening?: number;
    timeout?: number;
    /** Another runtime to run it on, with the command a user types (default: this one's). */
    on?: "deno" | "bun" | "node" | undefined;
  } = {},
): Promise<ExampleProcess> {
  const { command, args } = on === undefined ? runtimeCommand(file) : userCommand(on, file);
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const urls: string[] = [];
  let wake: (() => void) | undefined;
  let pending = "";
  child.stdout!.setEncoding("utf8");
  child.stderr!.setEncoding("utf8");
  child.stdout!.on("data", (text: string) => {
    output += text;
    pending += text;
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const line of lines) {
      const match = /^LISTENING (\S+)$/.exec(line.trimEnd());
      if (match !== null) urls.push(match[1]!);
    }
    wake?.();
  });
  child.stderr!.on("data", (text: string) => {
    output += text;
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    child.once("exit", () => resolve());
    child.once("error", (error) => {
      output += `\n${error.message}`;
      resolve();
    });
  });
  let running = true;
  void exited.then(() => {
    running = false;
    wake?.();
  });

  const stop = async (): Promise<void> => {
    if (!running) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  };

  try {
    await withTimeout(
      (async () => {
        while (urls.length < listening) {
          if (!running) {
            throw new Error(`${file} exited before printing LISTENING:\n${output}`);
          }
          await new Promise<void>((resolve) => (wake = resolve));
        }
      })(),
      timeout,
      `${command} ${args.join(" ")} prints ${listening} LISTENING line(s)`,
    );
  } catch (error) {
    await stop();
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(message.includes(output) ? message : `${message}; its output:\n${output}`);
  }
  return { child, urls, output: () => output, stop };
}
