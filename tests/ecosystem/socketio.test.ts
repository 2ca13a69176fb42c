// Socket.IO v4 with its WebSocket transport on wsflow (Engine.IO's `wsEngine` option set to
// wsflow/ws's WebSocketServer), driven by socket.io-client over loopback with the WebSocket
// transport only: acknowledgements, rooms, broadcast.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "socket.io";
import { io as connectClient, type Socket } from "socket.io-client";
import { WebSocketServer } from "../../src/adapters/node_ws.ts";
import { runtime } from "../_helpers/adapter_for_runtime.ts";
import { delay, withTimeout } from "../_helpers/with_timeout.ts";

let http: HttpServer;
let io: Server;
let url: string;
let upgrades = 0;

beforeAll(async () => {
  http = createServer();
  io = new Server(http, { wsEngine: WebSocketServer });
  io.engine.on("connection", (socket: { transport: { name: string } }) => {
    if (socket.transport.name === "websocket") upgrades++;
  });
  io.on("connection", (socket) => {
    socket.on("echo", (...args: unknown[]) => {
      const ack = args.pop() as (...reply: unknown[]) => void;
      ack(...args);
    });
    socket.on("join", async (room: string, ack: () => void) => {
      await socket.join(room);
      ack();
    });
    socket.on("say", (room: string, text: string) => void socket.to(room).emit("said", text));
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => io.close(resolve));
});

async function client(): Promise<Socket> {
  const socket = connectClient(url, { transports: ["websocket"], forceNew: true });
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("connect_error", reject);
    }),
    10_000,
    "socket.io connect",
  );
  return socket;
}

describe(`Socket.IO on wsflow/ws (${runtime})`, () => {
  it("acknowledges, joins rooms and broadcasts to a room but the sender", async () => {
    const [a, b, c] = [await client(), await client(), await client()];
    try {
      expect(a.io.engine.transport.name).toBe("websocket");
      expect(upgrades).toBeGreaterThanOrEqual(3); // every socket on the WebSocket transport
      expect(await withTimeout(a.emitWithAck("echo", 1, "two", { three: [3] }), 5_000, "ack"))
        .toBe(1);
      const all = await withTimeout(
        new Promise<unknown[]>((resolve) =>
          a.emit("echo", 1, "two", { three: [3] }, (...r: unknown[]) => resolve(r))
        ),
        5_000,
        "ack with every argument",
      );
      expect(all).toEqual([1, "two", { three: [3] }]);
      await a.emitWithAck("join", "room-1");
      await b.emitWithAck("join", "room-1");
      await c.emitWithAck("join", "room-2");
      const heard: string[] = [];
      for (const [name, socket] of [["a", a], ["b", b], ["c", c]] as const) {
        socket.on("said", (text: string) => heard.push(`${name}:${text}`));
      }
      a.emit("say", "room-1", "hi room 1");
      c.emit("say", "room-1", "hi from outside");
      await withTimeout(
        (async () => {
          while (heard.length < 3) await delay(5);
        })(),
        5_000,
        "broadcasts",
      );
      await delay(20); // nothing more arrives
      expect(heard.sort()).toEqual(["a:hi from outside", "b:hi from outside", "b:hi room 1"]);
    } finally {
      for (const socket of [a, b, c]) socket.close();
    }
  });
});
