// Bun's built-in WebSocket server (`Bun.serve`) as an echo server for `npm run bench:echo`:
// 127.0.0.1, a free port.
//
//   bun bench/echo/servers/bun.ts [--deflate]
//
// With --deflate: `perMessageDeflate: true`, which is one compressor and one decompressor
// shared by all sockets, both reset after each message (uWebSockets' SHARED_COMPRESSOR and
// SHARED_DECOMPRESSOR), so the server keeps no context either way. Bun compresses a message only
// when `send` is asked to; the echo asks for messages of 1024 bytes and up, the threshold of ws
// and wsflow.
import process from "node:process";

const MiB = 1024 * 1024;
const deflate = process.argv.includes("--deflate");
const THRESHOLD = 1024;
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(request, server): Response | undefined {
    if (server.upgrade(request)) return undefined;
    return new Response("Upgrade Required", { status: 426 });
  },
  websocket: {
    message(ws, message): void {
      if (deflate) ws.send(message, message.length >= THRESHOLD);
      else ws.send(message);
    },
    maxPayloadLength: 64 * MiB,
    backpressureLimit: 64 * MiB,
    perMessageDeflate: deflate,
  },
});

console.log(`LISTENING ${server.port}`);
// Exit normally on SIGTERM, so that --cpu-prof (see ../profile.ts) writes its profile.
process.on("SIGTERM", () => process.exit(0));
