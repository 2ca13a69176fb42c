// A Prometheus endpoint for an example server: wsflow's own instrumentation through the
// OpenTelemetry metrics API (wsflow/otel), an OpenTelemetry SDK meter provider, and
// OpenTelemetry's Prometheus exporter, the way a user would deploy it.
//
// The exporter has an HTTP server of its own, but it cannot pick a free port (port 0 means its
// default, 9464), so its text is served here through `node:http`, which Deno, Bun and Node all
// provide, with the exporter's own request handler.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import type { ServerObserver } from "../mod.ts";
import { openTelemetry, prometheusViews } from "../otel.ts";

/** A running metrics endpoint. */
export interface MetricsEndpoint {
  /** Give it to `serve` as `observer`. */
  readonly observer: ServerObserver;
  /** `http://HOST:PORT/metrics`. */
  readonly url: string;
}

/** Serves `GET /metrics` on `hostname:port` (0 picks a free port). */
export async function serveMetrics(hostname: string, port: number): Promise<MetricsEndpoint> {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  // OpenTelemetry JS's Prometheus exporter adds no unit suffixes: the views give the
  // histograms their `_seconds` names.
  const provider = new MeterProvider({ readers: [exporter], views: prometheusViews() });
  const http = createServer((request, response) => {
    if (request.method === "GET" && request.url?.split("?")[0] === "/metrics") {
      exporter.getMetricsRequestHandler(request, response);
    } else {
      response.statusCode = 404;
      response.end("Not found\n");
    }
  });
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(port, hostname, () => resolve());
  });
  const address = http.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    observer: openTelemetry({ meterProvider: provider }).server,
    url: `http://${host}:${address.port}/metrics`,
  };
}
