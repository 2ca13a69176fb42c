// Broadcast server, the fan-out benchmark target (../shared/PUBSUB-CONTRACT.md section 2): on
// /broadcast, every message (text or binary, up to 64 MiB) a client sends reaches every other
// client on /broadcast, byte for byte, with its opcode; any other path echoes, as echo.ts does.
//
//   deno run --allow-net --allow-env --allow-read examples/broadcast.ts
//   bun examples/broadcast.ts
//   tsx examples/broadcast.ts
//
// HOST (default 127.0.0.1) and PORT (default 8080; 0 picks a free port) come from the
// environment. With REDIS_URL (e.g. redis://127.0.0.1:6379/0) the topic spans every process
// that shares it; REDIS_CLIENT=ioredis uses ioredis instead of node-redis. It prints
// `LISTENING ws://HOST:PORT` once it accepts connections (with REDIS_URL, once the topic is
// subscribed at Redis).
//
// A load target like the servers it is measured against (Bun's server.publish, ws with a loop
// over a Set, Deno with a loop): no heartbeat pings, no per-address cap, compression only when
// the client offers it.
import { Router } from "../mod.ts";
import { env, loadServe } from "./_runtime.ts";
import { topicsFromEnv } from "./_topics.ts";

const TOPIC = "broadcast";
const topics = await topicsFromEnv([TOPIC]);

const router = new Router()
  .route("/broadcast", {
    async handler(ws) {
      topics.subscribe(ws, TOPIC);
      // Published once, to everyone else; never waits for a slow reader (its send buffer
      // policy decides).
      for await (const message of ws) topics.publish(TOPIC, message, { except: ws });
    },
  })
  .route("*", {
    async handler(ws) {
      for await (const message of ws) await ws.send(message);
    },
  });

const serve = await loadServe();
const server = await serve(router, {
  hostname: env("HOST") ?? "127.0.0.1",
  port: Number(env("PORT") ?? 8080),
  heartbeatInterval: 0,
  maxConnectionsPerAddress: 65_536,
  limits: {
    maxMessageSize: 64 * 1024 * 1024,
    maxFrameSize: 64 * 1024 * 1024,
    maxFragments: 131_072,
  },
  // A reader that falls 64 MiB behind misses messages rather than holding the others up.
  sendBuffer: { limit: 64 * 1024 * 1024, policy: "drop" },
});

console.log(`LISTENING ws://${server.addr.hostname}:${server.addr.port}`);
