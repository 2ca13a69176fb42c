// Deno's built-in WebSocket server (`Deno.serve` + `Deno.upgradeWebSocket`) as an echo server
// for `npm run bench:echo`: 127.0.0.1, a free port.
//
//   deno run --allow-net bench/echo/servers/deno.ts
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
  socket.onmessage = (event): void => socket.send(event.data);
  return response;
});

// Exit normally on SIGTERM, so that --cpu-prof (see ../profile.ts) writes its profile.
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));

export {}; // a module, not a script: its names stay its own
