// `ws` (npm) with a loop over a Set as a broadcast server for `npm run bench:broadcast`: every
// message goes to every other client. 127.0.0.1, a free port.
//
//   node --import tsx bench/broadcast/servers/ws.ts
import process from "node:process";
import { type WebSocket, WebSocketServer } from "ws";

const clients = new Set<WebSocket>();
const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
wss.on("connection", (ws) => {
  clients.add(ws);
  ws.on("message", (data, isBinary) => {
    for (const client of clients) if (client !== ws) client.send(data, { binary: isBinary });
  });
  ws.on("close", () => clients.delete(ws));
  ws.on("error", () => {});
});
wss.on("listening", () => {
  const address = wss.address();
  console.log(`LISTENING ${typeof address === "object" && address !== null ? address.port : 0}`);
});
process.on("SIGTERM", () => process.exit(0));
