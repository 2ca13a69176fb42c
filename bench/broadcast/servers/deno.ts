// Deno's built-in WebSocket server (`Deno.serve` + `Deno.upgradeWebSocket`) with a loop over a
// Set as a broadcast server for `npm run bench:broadcast`. 127.0.0.1, a free port.
//
//   deno run --allow-net bench/broadcast/servers/deno.ts
const clients = new Set<WebSocket>();
Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen({ port }): void {
    console.log(`LISTENING ${port}`);
  },
}, (request): Response => {
  if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    return new Response("Upgrade Required", { status: 426 });
  }
  const { socket, response } = Deno.upgradeWebSocket(request);
  socket.binaryType = "arraybuffer";
  socket.onopen = () => clients.add(socket);
  socket.onmessage = (event) => {
    for (const client of clients) if (client !== socket) client.send(event.data);
  };
  socket.onclose = () => clients.delete(socket);
  return response;
});
