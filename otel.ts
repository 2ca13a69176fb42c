/**
 * OpenTelemetry metrics for wsflow servers and clients: `openTelemetry()` makes the observers
 * that record connections, messages, bytes, close codes, upgrades, handshake durations, ping
 * round trips and drops as OpenTelemetry instruments, through `@opentelemetry/api` (an
 * optional peer dependency: install it to use this entry point; the rest of wsflow has no
 * dependencies). Runtime-free, like `mod.ts`.
 *
 * @example A server whose metrics go to the global meter provider
 * ```ts
 * import { openTelemetry } from "@wsflow/wsflow/otel";
 * import { serve } from "@wsflow/wsflow/deno"; // or /node, /bun
 *
 * const otel = openTelemetry(); // records nothing until an SDK is registered
 * const server = await serve(async (ws) => {
 *   for await (const message of ws) await ws.send(message);
 * }, { hostname: "127.0.0.1", port: 0, observer: otel.server });
 * await server.close();
 * ```
 *
 * @module
 */

export {
  type InstrumentOptions,
  type MeterLike,
  type MeterProviderLike,
  openTelemetry,
  type OpenTelemetryOptions,
  prometheusViews,
  type WebSocketMetrics,
} from "./src/otel/open_telemetry.ts";
