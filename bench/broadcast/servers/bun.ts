// Bun's built-in pub/sub (`Bun.serve`, `ws.subscribe` + `ws.publish`) as a broadcast server for
// `npm run bench:broadcast`: every message on /broadcast goes to every other subscriber (Bun's
// `ws.publish` skips the sender, as the wsflow example does with `except`). 127.0.0.1, a free
// port.
//
//   bun bench/broadcast/servers/bun.ts
import process from "node:process";

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(request, server): Response | undefined {
    if (server.upgrade(request)) return undefined;
    return new Response("Upgrade Required", { status: 426 });
  },
  websocket: {
    open(ws): void {
      ws.subscribe("broadcast");
    },
    message(ws, message): void {
      ws.publish("broadcast", message);
    },
    maxPayloadLength: 64 * 1024 * 1024,
    backpressureLimit: 64 * 1024 * 1024,
  },
});

console.log(`LISTENING ${server.port}`);
process.on("SIGTERM", () => process.exit(0));
