// Echo server: sends every text and binary message back unchanged, on every path.
//
//   deno run --allow-net --allow-env examples/echo.ts
//   bun examples/echo.ts
//   tsx examples/echo.ts
//
// HOST (default 127.0.0.1) and PORT (default 8080; 0 picks a free port) come from the
// environment. It is configured as a conformance target: messages up to 64 MiB, up to
// 131,072 fragments per message, and no heartbeat pings.
import { env, loadServe } from "./_runtime.ts";

const serve = await loadServe();
const server = await serve(async (ws) => {
  for await (const message of ws) await ws.send(message);
}, {
  hostname: env("HOST") ?? "127.0.0.1",
  port: Number(env("PORT") ?? 8080),
  // A conformance target answers only what it is sent: no heartbeat pings of its own.
  heartbeatInterval: 0,
  // Test and load clients all come from one address (loopback): lift the per-address cap.
  maxConnectionsPerAddress: 65_536,
  limits: {
    maxMessageSize: 64 * 1024 * 1024,
    maxFrameSize: 64 * 1024 * 1024,
    maxFragments: 131_072,
  },
});

console.log(`LISTENING ws://${server.addr.hostname}:${server.addr.port}`);
