// Echo server: sends every text and binary message back unchanged, on every path.
//
//   deno run --allow-net --allow-env examples/echo.ts
//   bun examples/echo.ts
//   tsx examples/echo.ts
//
// HOST (default 127.0.0.1) and PORT (default 8080; 0 picks a free port) come from the
// environment. It is configured as a conformance target: messages up to 64 MiB, up to
// 131,072 fragments per message, and no heartbeat pings.
//
// On /stream each message is echoed while it arrives, fragment by fragment, and never held
// whole: messages up to 16 GiB, frames up to 16 MiB, any number of fragments; text is checked
// as UTF-8 as it streams (a broken sequence closes with 1007 at once).
//
// With METRICS_PORT set (0 picks a free port), it also serves its OpenTelemetry metrics for
// Prometheus at http://HOST:METRICS_PORT/metrics (see ../shared/METRICS-CONTRACT.md), with
// OpenTelemetry's SDK and Prometheus exporter (devDependencies here; a user installs
// @opentelemetry/api, @opentelemetry/sdk-metrics and @opentelemetry/exporter-prometheus).
import { type Connection, Router } from "../mod.ts";
import { env, loadServe } from "./_runtime.ts";

const hostname = env("HOST") ?? "127.0.0.1";
const metricsPort = env("METRICS_PORT");
// Loaded only when asked for: without METRICS_PORT nothing changes.
const metrics = metricsPort === undefined
  ? undefined
  : await (await import("./_metrics.ts")).serveMetrics(hostname, Number(metricsPort));

async function echo(ws: Connection): Promise<void> {
  for await (const message of ws) await ws.send(message);
}

async function echoStreams(ws: Connection): Promise<void> {
  try {
    for await (const { opcode, readable } of ws.messageStreams()) {
      await ws.sendStream(readable, opcode);
    }
  } catch {
    // The connection failed mid-message (1007, 1009, the peer gone): `closed` says how.
  }
}

const router = new Router()
  .route("/stream", {
    streaming: {
      maxMessageSize: 16 * 1024 ** 3,
      maxFrameSize: 16 * 1024 * 1024,
      maxFragments: Number.MAX_SAFE_INTEGER,
    },
    handler: echoStreams,
  })
  // Every other path: what a plain handler is, a catch-all route.
  .route("*", { handler: echo });

const serve = await loadServe();
const server = await serve(router, {
  hostname,
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
  ...(metrics === undefined ? {} : { observer: metrics.observer }),
});

if (metrics !== undefined) console.log(`METRICS ${metrics.url}`);
console.log(`LISTENING ws://${server.addr.hostname}:${server.addr.port}`);
