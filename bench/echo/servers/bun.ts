// Bun's built-in WebSocket server (`Bun.serve`) as an echo server for `npm run bench:echo`:
// 127.0.0.1, a free port.
//
//   bun bench/echo/servers/bun.ts
import process from "node:process";

const MiB = 1024 * 1024;
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(request, server): Response | undefined {
    if (server.upgrade(request)) return undefined;
    return new Response("Upgrade Required", { status: 426 });
  },
  websocket: {
    message(ws, message): void {
      ws.send(message);
    },
    maxPayloadLength: 64 * MiB,
    backpressureLimit: 64 * MiB,
    perMessageDeflate: false,
  },
});

console.log(`LISTENING ${server.port}`);
// Exit normally on SIGTERM, so that --cpu-prof (see ../profile.ts) writes its profile.
process.on("SIGTERM", () => process.exit(0));
