// A Socket.IO v4 server whose WebSocket transport runs on wsflow
// (../shared/ECOSYSTEM-CONTRACT.md section 2): Engine.IO takes wsflow's `ws`-compatible
// `WebSocketServer` through its `wsEngine` option, so every WebSocket connection is parsed,
// limited and kept alive by wsflow. HTTP long-polling stays enabled, on the default path
// /socket.io/. `socket.io` is this example's dependency, not wsflow's.
//
//   tsx examples/socketio.ts
//   bun examples/socketio.ts
//   deno run --allow-net --allow-env --allow-read examples/socketio.ts
//
// HOST (default 127.0.0.1) and PORT (default 8080; 0 picks a free port) come from the
// environment; `LISTENING http://HOST:PORT` is printed once it accepts connections.
//
//   echo (...args)    answered by an acknowledgement with the same arguments
//   join (room)       puts the client in `room` (an acknowledgement, if asked for, once in it)
//   say (room, text)  emits `said (text)` to everyone in `room` but the sender
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "socket.io";
import { WebSocketServer } from "../src/adapters/node_ws.ts";
import { env } from "./_runtime.ts";

const http = createServer();
const io = new Server(http, { wsEngine: WebSocketServer });

/** Splits off a trailing acknowledgement callback, if the client asked for one. */
function withAck(args: unknown[]): [unknown[], ((...reply: unknown[]) => void) | undefined] {
  const last = args.at(-1);
  return typeof last === "function"
    ? [args.slice(0, -1), last as (...reply: unknown[]) => void]
    : [args, undefined];
}

io.on("connection", (socket) => {
  socket.on("echo", (...received: unknown[]) => {
    const [args, ack] = withAck(received);
    ack?.(...args);
  });
  socket.on("join", async (...received: unknown[]) => {
    const [[room], ack] = withAck(received);
    if (typeof room === "string") await socket.join(room);
    ack?.();
  });
  socket.on("say", (...received: unknown[]) => {
    const [[room, text], ack] = withAck(received);
    if (typeof room === "string") socket.to(room).emit("said", text);
    ack?.();
  });
});

http.listen(Number(env("PORT") ?? 8080), env("HOST") ?? "127.0.0.1", () => {
  const { address, port } = http.address() as AddressInfo;
  console.log(`LISTENING http://${address}:${port}`);
});
