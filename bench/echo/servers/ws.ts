// `ws` (npm) echo server on Node for `npm run bench:echo`: 127.0.0.1, a free port.
//
//   node --import tsx bench/echo/servers/ws.ts [--deflate]
//
// With --deflate it accepts permessage-deflate the way wsflow's server does by default:
// `{ threshold: 1024, serverNoContextTakeover: true }`, everything else at ws's defaults (zlib
// level 6 and memLevel 8 through `zlibDeflateOptions` unset, a 15-bit window both ways,
// `concurrencyLimit` 10, a client's `client_no_context_takeover` honoured and echoed).
import process from "node:process";
import { WebSocketServer } from "ws";

const deflate = process.argv.includes("--deflate");
const wss = new WebSocketServer({
  host: "127.0.0.1",
  port: 0,
  perMessageDeflate: deflate ? { threshold: 1024, serverNoContextTakeover: true } : false,
  maxPayload: 64 * 1024 * 1024,
});
wss.on("connection", (ws) => {
  ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on("error", () => {
    // the loadgen drops its connections at the end of every run
  });
});
wss.on("listening", () => {
  const address = wss.address();
  console.log(`LISTENING ${typeof address === "object" && address !== null ? address.port : 0}`);
});
// Exit normally on SIGTERM, so that --cpu-prof (see ../profile.ts) writes its profile.
process.on("SIGTERM", () => process.exit(0));
