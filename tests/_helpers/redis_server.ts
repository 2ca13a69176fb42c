// A real redis-server for the topics tests: the binary `npm test`'s set-up provides
// (scripts/test_programs.ts, Debian's redis-server), on 127.0.0.1 and a free port, with no
// persistence, stopped and started again on the same port when a test needs Redis to go away.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { programPath } from "../../scripts/test_programs.ts";
import { withTimeout } from "./with_timeout.ts";

/** A redis-server child process. */
export interface RedisServer {
  /** Its port on 127.0.0.1. */
  readonly port: number;
  /** `redis://127.0.0.1:PORT`. */
  readonly url: string;
  /** Stops it (SIGKILL: a crash, as far as clients can tell) and waits for the exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
}

/** A port that was free a moment ago. */
export function freePort(): Promise<number> {
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

/** Starts redis-server on a free loopback port; resolves once it accepts connections. */
export async function startRedis(): Promise<RedisServer> {
  const binary = programPath("redis-server");
  const port = await freePort();
  let child: ChildProcess | undefined;
  let output = "";

  async function start(): Promise<void> {
    const process = spawn(binary, [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--daemonize",
      "no",
    ], { stdio: ["ignore", "pipe", "pipe"] });
    child = process;
    process.stderr!.setEncoding("utf8");
    process.stderr!.on("data", (text: string) => {
      output += text;
    });
    process.stdout!.setEncoding("utf8");
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        process.stdout!.on("data", (text: string) => {
          output += text;
          if (output.includes("Ready to accept connections")) resolve();
        });
        process.once(
          "exit",
          (code) => reject(new Error(`redis-server exited (${code}):\n${output}`)),
        );
      }),
      10_000,
      `redis-server on port ${port} did not start:\n${output}`,
    );
    output = "";
  }

  async function stop(): Promise<void> {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once("exit", () => resolve()));
    running.kill("SIGKILL");
    await exited;
  }

  await start();
  return { port, url: `redis://127.0.0.1:${port}`, stop, start };
}
