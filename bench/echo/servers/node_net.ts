// Raw TCP echo on Node (`node:net`, `socket.pipe(socket)`) for `npm run bench:echo`: what
// Node's socket layer alone costs, with no WebSocket work. 127.0.0.1, a free port.
//
//   node --import tsx bench/echo/servers/node_net.ts
import { createServer } from "node:net";

const server = createServer({ noDelay: true }, (socket) => {
  socket.on("error", () => {
    // the loadgen drops its connections at the end of every run
  });
  socket.pipe(socket);
});
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  console.log(`LISTENING ${typeof address === "object" && address !== null ? address.port : 0}`);
});
