// wsflow echo server for `npm run bench:echo`, on whichever runtime runs it: the same handler
// as examples/echo.ts, on 127.0.0.1 and a free port, with limits that admit 1 MiB messages.
//
//   node --import tsx bench/echo/servers/wsflow.ts
//   bun bench/echo/servers/wsflow.ts
//   deno run --allow-net bench/echo/servers/wsflow.ts
import process from "node:process";
import type { ListenOptions } from "../../../src/adapters/listener.ts";
import type { ServeOptions, Server, WebSocketHandler } from "../../../src/serve.ts";

type Serve = (handler: WebSocketHandler, options?: ServeOptions & ListenOptions) => Promise<Server>;

async function loadServe(): Promise<Serve> {
  if ("Deno" in globalThis) return (await import("../../../src/adapters/deno.ts")).serve;
  if ("Bun" in globalThis) return (await import("../../../src/adapters/bun.ts")).serve;
  return (await import("../../../src/adapters/node.ts")).serve;
}

const MiB = 1024 * 1024;
const serve = await loadServe();
const server = await serve(async (ws) => {
  for await (const message of ws) await ws.send(message);
}, {
  hostname: "127.0.0.1",
  port: 0,
  limits: { maxMessageSize: 64 * MiB, maxFrameSize: 64 * MiB },
  // Benchmarks open thousands of connections from loopback and measure only echo work.
  maxConnectionsPerAddress: 1 << 20,
  heartbeatInterval: 0,
});

console.log(`LISTENING ${server.addr.port}`);
// Exit normally on SIGTERM, so that --cpu-prof (see ../profile.ts) writes its profile.
process.on("SIGTERM", () => process.exit(0));
