// 10,000 concurrent idle WebSocket connections against examples/echo.ts on the runtime under
// test (the server runs in a child process, so each side holds 10,000 sockets under the
// machine's 20,000 descriptor limit). Checks that every handshake succeeds, that the server
// still answers a fresh client, and that its memory per idle connection stays bounded.
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ExampleProcess, startExample } from "../_helpers/example_process.ts";
import { RawClient } from "../_helpers/raw_client.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

const CONNECTIONS = 10_000;
const BATCH = 250;
const REQUEST = new TextEncoder().encode(
  "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
);

/** Resident memory of a process, in bytes, from /proc (Linux). */
function rss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  if (match === null) throw new Error(`No VmRSS for ${pid}`);
  return Number(match[1]) * 1024;
}

/** Opens one socket and completes the opening handshake; resolves once 101 arrived. */
function openIdle(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let head = "";
    socket.setEncoding("latin1");
    socket.once("error", reject);
    socket.on("data", function onData(text: string) {
      head += text;
      if (!head.includes("\r\n\r\n")) return;
      socket.off("data", onData);
      if (head.startsWith("HTTP/1.1 101")) resolve(socket);
      else reject(new Error(`Handshake refused: ${head.split("\r\n")[0]}`));
    });
    socket.write(REQUEST);
  });
}

describe("10,000 concurrent idle connections", () => {
  let server: ExampleProcess;
  let port = 0;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    server = await startExample("examples/echo.ts", { HOST: "127.0.0.1", PORT: "0" });
    port = Number(new URL(server.urls[0]!).port);
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await server.stop();
  });

  it("accepts them all, keeps serving, and holds a bounded amount of memory per connection", async () => {
    const before = rss(server.child.pid!);
    await withTimeout(
      (async () => {
        for (let i = 0; i < CONNECTIONS; i += BATCH) {
          const batch = await Promise.all(
            Array.from({ length: Math.min(BATCH, CONNECTIONS - i) }, () => openIdle(port)),
          );
          sockets.push(...batch);
        }
      })(),
      120_000,
      `${CONNECTIONS} handshakes`,
    );
    expect(sockets.length).toBe(CONNECTIONS);
    // Let the server settle before measuring.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const perConnection = (rss(server.child.pid!) - before) / CONNECTIONS;
    console.log(`idle connections: ${(perConnection / 1024).toFixed(1)} KiB per connection`);
    expect(perConnection).toBeLessThan(64 * 1024);

    const fresh = await RawClient.handshake(port);
    fresh.sendFrame(0x1, "still serving");
    const echo = await withTimeout(fresh.nextFrame(), 10_000, "echo");
    expect(new TextDecoder().decode(echo?.payload)).toBe("still serving");
    fresh.close();
  });
});
