// wsflow echo server for `npm run bench:echo`, on whichever runtime runs it: the same handler
// as examples/echo.ts, on 127.0.0.1 and a free port, with limits that admit 1 MiB messages.
//
//   node --import tsx bench/echo/servers/wsflow.ts [--deflate] [--hooks]
//   bun bench/echo/servers/wsflow.ts [--deflate] [--hooks]
//   deno run --allow-net --allow-env --allow-read bench/echo/servers/wsflow.ts [--deflate] [--hooks]
//
// --hooks serves the same echo as message hooks, `{ message: (ws, message) => ws.send(message) }`,
// rather than a `for await` handler: what an idle connection costs without a suspended loop.
//
// permessage-deflate is accepted either way (it is on by default); --deflate only spells out
// the parameters the compressed benchmark compares with ws: `{ serverNoContextTakeover: true,
// threshold: 1024 }`, which are the defaults, with the runtime adapter's node:zlib engine at its
// defaults (level 6, memLevel 8, 16 KiB chunks, 10 zlib operations at once per process).
//
// BENCH_METRICS=1 turns the OpenTelemetry instrumentation on (wsflow/otel's server observer
// into an SDK MeterProvider read by a Prometheus exporter, as examples/echo.ts with
// METRICS_PORT), to measure what it costs: `BENCH_METRICS=1 npm run bench:echo`.
// BENCH_METRICS=noop gives the server an observer that does nothing: the hooks alone.
import process from "node:process";
import type { ListenOptions } from "../../../src/server/listener.ts";
import type { MessageHooks, WebSocketHandler } from "../../../src/router/handler.ts";
import type { ServeOptions, Server } from "../../../src/server/options.ts";
import type { ServerObserver } from "../../../src/server/server_observer.ts";

type Serve = (
  handler: WebSocketHandler | MessageHooks,
  options?: ServeOptions & ListenOptions,
) => Promise<Server>;

async function loadServe(): Promise<Serve> {
  if ("Deno" in globalThis) return (await import("../../../src/adapters/deno.ts")).serve;
  if ("Bun" in globalThis) return (await import("../../../src/adapters/bun.ts")).serve;
  return (await import("../../../src/adapters/node.ts")).serve;
}

const MiB = 1024 * 1024;
const deflate = process.argv.includes("--deflate");
async function loadObserver(): Promise<ServerObserver | undefined> {
  if (process.env.BENCH_METRICS === "noop") {
    const noop = (): void => {};
    return {
      upgrade: noop,
      handshake: noop,
      opened: noop,
      received: noop,
      sent: noop,
      dropped: noop,
      roundTrip: noop,
      closed: noop,
    };
  }
  if (process.env.BENCH_METRICS !== "1") return undefined;
  const { MeterProvider } = await import("@opentelemetry/sdk-metrics");
  const { PrometheusExporter } = await import("@opentelemetry/exporter-prometheus");
  const { openTelemetry } = await import("../../../otel.ts");
  const exporter = new PrometheusExporter({ preventServerStart: true });
  return openTelemetry({ meterProvider: new MeterProvider({ readers: [exporter] }) }).server;
}

const observer = await loadObserver();
const serve = await loadServe();
const hooks = process.argv.includes("--hooks");
const server = await serve(
  hooks ? { message: (ws, message) => ws.send(message) } : async (ws) => {
    for await (const message of ws) await ws.send(message);
  },
  {
    hostname: "127.0.0.1",
    port: 0,
    limits: { maxMessageSize: 64 * MiB, maxFrameSize: 64 * MiB },
    // Benchmarks open thousands of connections from loopback and measure only echo work.
    maxConnectionsPerAddress: 1 << 20,
    heartbeatInterval: 0,
    ...(observer === undefined ? {} : { observer }),
    ...(deflate ? { perMessageDeflate: { serverNoContextTakeover: true, threshold: 1024 } } : {}),
  },
);

console.log(`LISTENING ${server.addr.port}${observer === undefined ? "" : " (metrics on)"}`);
// Exit normally on SIGTERM, so that --cpu-prof (see ../profile.ts) writes its profile.
process.on("SIGTERM", () => process.exit(0));
