// examples/socketio.ts against ECOSYSTEM-CONTRACT.md section 2: the example runs as a child
// process of the runtime under test, and socket.io-client (WebSocket transport only, and the
// default long-polling-then-upgrade) checks echo acknowledgements, rooms and broadcast.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { io as connectClient, type Socket } from "socket.io-client";
import { type ExampleProcess, startExample } from "../_helpers/example_process.ts";
import { delay, withTimeout } from "../_helpers/with_timeout.ts";

let example: ExampleProcess;
let base: string;
const sockets: Socket[] = [];

beforeAll(async () => {
  example = await startExample("examples/socketio.ts", { HOST: "127.0.0.1", PORT: "0" });
  base = example.urls[0]!;
});

afterAll(async () => {
  for (const socket of sockets) socket.close();
  await example?.stop();
});

async function client(transports: ("websocket" | "polling")[] = ["websocket"]): Promise<Socket> {
  const socket = connectClient(base, { transports, forceNew: true });
  sockets.push(socket);
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("connect_error", reject);
    }),
    10_000,
    `connect over ${transports.join(", ")}`,
  );
  return socket;
}

describe("examples/socketio.ts (ECOSYSTEM-CONTRACT.md section 2)", () => {
  it("prints LISTENING http://HOST:PORT", () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("acknowledges echo with the same arguments, over the WebSocket transport only", async () => {
    const socket = await client();
    expect(socket.io.engine.transport.name).toBe("websocket");
    const reply = await withTimeout(
      new Promise<unknown[]>((resolve) =>
        socket.emit("echo", "a", 2, { three: [3] }, null, (...args: unknown[]) => resolve(args))
      ),
      5_000,
      "echo ack",
    );
    expect(reply).toEqual(["a", 2, { three: [3] }, null]);
  });

  it("say reaches everyone in the room but the sender, and no one outside it", async () => {
    const [a, b, c] = [await client(), await client(), await client()];
    a.emit("join", "lobby");
    b.emit("join", "lobby");
    c.emit("join", "other");
    // join has no acknowledgement in the contract: an echo round trip orders after it.
    for (const socket of [a, b, c]) await socket.emitWithAck("echo");
    const heard: string[] = [];
    for (const [name, socket] of [["a", a], ["b", b], ["c", c]] as const) {
      socket.on("said", (text: string) => heard.push(`${name}:${text}`));
    }
    a.emit("say", "lobby", "hello lobby");
    await withTimeout(
      (async () => {
        while (heard.length < 1) await delay(5);
      })(),
      5_000,
      "said",
    );
    await delay(50);
    expect(heard).toEqual(["b:hello lobby"]);
  });

  it("upgrades a long-polling client to the WebSocket transport", async () => {
    const socket = await client(["polling", "websocket"]);
    await withTimeout(
      (async () => {
        while (socket.io.engine.transport.name !== "websocket") await delay(5);
      })(),
      10_000,
      "upgrade",
    );
    expect(await socket.emitWithAck("echo", "after upgrade")).toBe("after upgrade");
  });
});
