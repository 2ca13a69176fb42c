// 10,000 concurrent idle WebSocket connections against examples/echo.ts on the runtime under
// test (the server runs in a child process, so each side holds 10,000 sockets under the
// machine's 20,000 descriptor limit). Checks that every handshake succeeds, that the server
// still answers a fresh client, and that its memory per idle connection stays bounded.
import type { Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ExampleProcess, startExample } from "../_helpers/example_process.ts";
import { openIdleMany, rss } from "../_helpers/idle_sockets.ts";
import { RawClient } from "../_helpers/raw_client.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

const CONNECTIONS = 10_000;

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
    sockets.push(
      ...await withTimeout(openIdleMany(port, CONNECTIONS), 120_000, `${CONNECTIONS} handshakes`),
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
