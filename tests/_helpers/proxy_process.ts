// Starts tests/_helpers/proxy_server.mjs (the `proxy` npm package) in a Node process of its own,
// on a loopback port, and collects the CONNECT targets it was asked for.
import { spawn } from "node:child_process";
import process from "node:process";
import { REPO_ROOT } from "./example_process.ts";
import { withTimeout } from "./with_timeout.ts";

/** A running proxy. */
export interface ProxyProcess {
  readonly port: number;
  /** `host:port` of every CONNECT it received, in order. */
  readonly connects: string[];
  stop(): Promise<void>;
}

/** Starts the proxy; `env` sets PROXY_USER / PROXY_PASS / PROXY_DENY. */
export async function startProxy(env: Record<string, string> = {}): Promise<ProxyProcess> {
  const child = spawn("node", ["tests/_helpers/proxy_server.mjs"], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const connects: string[] = [];
  let output = "";
  let pending = "";
  let port = 0;
  let wake: (() => void) | undefined;
  child.stdout!.setEncoding("utf8");
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (text: string) => (output += text));
  child.stdout!.on("data", (text: string) => {
    output += text;
    pending += text;
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const line of lines) {
      const listening = /^LISTENING (\d+)$/.exec(line.trim());
      if (listening !== null) port = Number(listening[1]);
      const connect = /^CONNECT (\S+)$/.exec(line.trim());
      if (connect !== null) connects.push(connect[1]!);
    }
    wake?.();
  });
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.once("error", (error) => {
      output += error.message;
      resolve();
    });
  });
  let running = true;
  void exited.then(() => {
    running = false;
    wake?.();
  });
  await withTimeout(
    (async () => {
      while (port === 0) {
        if (!running) throw new Error(`The proxy exited before listening:\n${output}`);
        await new Promise<void>((resolve) => (wake = resolve));
      }
    })(),
    15_000,
    "the proxy listens",
  );
  return {
    port,
    connects,
    stop: async () => {
      if (!running) return;
      child.kill("SIGTERM");
      await withTimeout(exited, 5_000, "the proxy exits").catch(() => child.kill("SIGKILL"));
    },
  };
}
