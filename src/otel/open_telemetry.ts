/**
 * The observers of `wsflow/otel`: a server's and a client's events recorded as OpenTelemetry
 * instruments, through the OpenTelemetry metrics API (`@opentelemetry/api`), so the user's SDK
 * and exporter (Prometheus, OTLP…) decide where the numbers go.
 *
 * Names follow the OpenTelemetry conventions (dots, units apart: `s`, `By`); OpenTelemetry has
 * no WebSocket conventions yet (open-telemetry/semantic-conventions#2841 is the proposal), so
 * the `websocket.server.*` / `websocket.client.*` names and the `status`, `direction`, `type`,
 * `code`, `initiator` and `reason` attributes are the ones the Prometheus series of
 * METRICS-CONTRACT.md are made of.
 *
 * @module
 */

import { metrics } from "@opentelemetry/api";
import type { Message } from "../protocol/message.ts";
import type { CloseEvent } from "../protocol/session_events.ts";
import type {
  CloseInitiator,
  ConnectionObserver,
  ObservedConnection,
  SendDropReason,
} from "../streams/connection_observer.ts";
import type { ServerObserver } from "../server/server_observer.ts";
import { utf8Length } from "./utf8_length.ts";

/**
 * What an instrument is created with: OpenTelemetry's `MetricOptions`, the fields used here.
 *
 * @example
 * ```ts
 * import type { InstrumentOptions } from "@wsflow/wsflow/otel";
 * const options: InstrumentOptions = { description: "Round trips", unit: "s" };
 * console.log(options.unit); // s
 * ```
 */
export interface InstrumentOptions {
  /** What the instrument measures. */
  description?: string;
  /** Its unit, in UCUM (`s`, `By`, `{message}`). */
  unit?: string;
  /** Hints to the SDK: a histogram's bucket boundaries. */
  advice?: { explicitBucketBoundaries?: number[] };
}

/**
 * The part of OpenTelemetry's `Meter` (from `@opentelemetry/api`) that wsflow records with;
 * any `Meter` is one. Written out here so the types of this entry point stand alone.
 *
 * @example
 * ```ts
 * import { metrics } from "@opentelemetry/api";
 * import type { MeterLike } from "@wsflow/wsflow/otel";
 * const meter: MeterLike = metrics.getMeter("my-app");
 * meter.createCounter("jobs").add(1, { queue: "default" });
 * ```
 */
export interface MeterLike {
  /** A monotonic sum. */
  createCounter(
    name: string,
    options?: InstrumentOptions,
  ): { add(value: number, attributes?: Readonly<Record<string, string>>): void };
  /** A sum that goes up and down. */
  createUpDownCounter(
    name: string,
    options?: InstrumentOptions,
  ): { add(value: number, attributes?: Readonly<Record<string, string>>): void };
  /** A distribution. */
  createHistogram(
    name: string,
    options?: InstrumentOptions,
  ): { record(value: number, attributes?: Readonly<Record<string, string>>): void };
  /** A monotonic sum read when metrics are collected. */
  createObservableCounter(name: string, options?: InstrumentOptions): {
    addCallback(
      callback: (result: {
        observe(value: number, attributes?: Readonly<Record<string, string>>): void;
      }) => void,
    ): void;
  };
  /** A sum that goes up and down, read when metrics are collected. */
  createObservableUpDownCounter(name: string, options?: InstrumentOptions): {
    addCallback(
      callback: (result: {
        observe(value: number, attributes?: Readonly<Record<string, string>>): void;
      }) => void,
    ): void;
  };
}

/**
 * The part of OpenTelemetry's `MeterProvider` that wsflow uses; any `MeterProvider` (the
 * global one, an SDK's) is one.
 *
 * @example
 * ```ts
 * import { metrics } from "@opentelemetry/api";
 * import type { MeterProviderLike } from "@wsflow/wsflow/otel";
 * const provider: MeterProviderLike = metrics.getMeterProvider();
 * console.log(typeof provider.getMeter); // function
 * ```
 */
export interface MeterProviderLike {
  /** The meter of an instrumentation scope. */
  getMeter(name: string): MeterLike;
}

type Counter = ReturnType<MeterLike["createCounter"]>;
type Histogram = ReturnType<MeterLike["createHistogram"]>;
type Attributes = Readonly<Record<string, string>>;
type Observation = Parameters<
  Parameters<ReturnType<MeterLike["createObservableCounter"]>["addCallback"]>[0]
>[0];

/** The instrumentation scope's name: `otel_scope_name="wsflow"` in Prometheus. */
const SCOPE = "wsflow";

// Seconds: from a loopback handshake (well under a millisecond) to a slow one over a long path.
const SECONDS_BUCKETS = [
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
];

// Made once: recording a message allocates nothing.
const IN_TEXT: Attributes = Object.freeze({ direction: "in", type: "text" });
const IN_BINARY: Attributes = Object.freeze({ direction: "in", type: "binary" });
const OUT_TEXT: Attributes = Object.freeze({ direction: "out", type: "text" });
const OUT_BINARY: Attributes = Object.freeze({ direction: "out", type: "binary" });
const IN: Attributes = Object.freeze({ direction: "in" });
const OUT: Attributes = Object.freeze({ direction: "out" });

/**
 * Where {@linkcode openTelemetry} records: a `Meter`, a `MeterProvider` to take one from, or
 * neither for the global provider (`metrics.setGlobalMeterProvider`, which an SDK's start-up
 * sets). The API is a no-op until an SDK is registered.
 *
 * @example
 * ```ts
 * import { metrics } from "@opentelemetry/api";
 * import type { OpenTelemetryOptions } from "@wsflow/wsflow/otel";
 * const options: OpenTelemetryOptions = { meterProvider: metrics.getMeterProvider() };
 * ```
 */
export interface OpenTelemetryOptions {
  /**
   * The meter to create the instruments with; wins over `meterProvider`.
   * @default {undefined}
   */
  meter?: MeterLike | undefined;
  /**
   * The provider to take the `wsflow` meter from.
   * @default {metrics.getMeterProvider()}
   */
  meterProvider?: MeterProviderLike | undefined;
}

/**
 * The two observers {@linkcode openTelemetry} makes: give `server` to `serve` (or
 * `handleStream`, `handleUpgrade`…) and `client` to `connect`.
 *
 * @example
 * ```ts
 * import { openTelemetry, type WebSocketMetrics } from "@wsflow/wsflow/otel";
 * const otel: WebSocketMetrics = openTelemetry();
 * // serve(handler, { observer: otel.server }); connect(url, { observer: otel.client });
 * ```
 */
export interface WebSocketMetrics {
  /** Records `websocket.server.*`: upgrades, handshakes and server connections. */
  readonly server: ServerObserver;
  /** Records `websocket.client.*`: client connections. */
  readonly client: ConnectionObserver;
}

/**
 * Makes the observers that record a server's and a client's connections as OpenTelemetry
 * instruments. Each instrument shows in an exporter once it has recorded something.
 *
 * | Instrument | Kind | Unit | Attributes | Prometheus |
 * | --- | --- | --- | --- | --- |
 * | `websocket.server.connections.active` | ObservableUpDownCounter | `{connection}` | | `websocket_server_connections_active` |
 * | `websocket.server.upgrades` | Counter | `{request}` | `status` | `websocket_server_upgrades_total` |
 * | `websocket.server.messages` | ObservableCounter | `{message}` | `direction`, `type` | `websocket_server_messages_total` |
 * | `websocket.server.message.bytes` | ObservableCounter | `By` | `direction` | `websocket_server_message_bytes_total` |
 * | `websocket.server.closes` | Counter | `{connection}` | `code`, `initiator` | `websocket_server_closes_total` |
 * | `websocket.server.handshake.duration` | Histogram | `s` | | `websocket_server_handshake_duration_seconds` |
 * | `websocket.server.ping.rtt` | Histogram | `s` | | `websocket_server_ping_rtt_seconds` |
 * | `websocket.server.send.dropped` | Counter | `{message}` | `reason` | `websocket_server_send_dropped_total` |
 *
 * The client records the same under `websocket.client.*`, without upgrades and handshakes.
 * Call it once per meter and share the observers: counts per message are kept in them and read
 * by the observable instruments when metrics are collected, so a message costs a few additions
 * rather than an SDK call.
 * Message bytes are payload bytes: after inflating, before deflating (UTF-8 for text). A
 * Prometheus exporter that appends unit suffixes (the Collector's) gives the `_seconds` names
 * itself; OpenTelemetry JS's does not, so rename the two histograms with
 * {@linkcode prometheusViews}.
 *
 * @example Record into an SDK's meter provider
 * ```ts
 * import { MeterProvider } from "@opentelemetry/sdk-metrics";
 * import { openTelemetry } from "@wsflow/wsflow/otel";
 * import { connectedPair } from "@wsflow/wsflow/testing";
 *
 * const otel = openTelemetry({ meterProvider: new MeterProvider() });
 * const { server, client } = connectedPair({
 *   server: { observer: otel.server, heartbeatInterval: 0 },
 *   client: { observer: otel.client, heartbeatInterval: 0 },
 * });
 * await client.send("hello"); // websocket.client.messages {direction=out, type=text} +1
 * for await (const message of server) {
 *   await server.send(message); // websocket.server.messages {direction=out, type=text} +1
 *   break;
 * }
 * await client.close(1000); // websocket.server.closes {code=1000, initiator=client} +1
 * console.log((await server.closed).code); // 1000
 * ```
 * @param options Where to record.
 * @returns The server's and the client's observer.
 */
export function openTelemetry(options: OpenTelemetryOptions = {}): WebSocketMetrics {
  const meter = options.meter ??
    (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE);
  return {
    server: new OpenTelemetryObserver(meter, "server"),
    client: new OpenTelemetryObserver(meter, "client"),
  };
}

/**
 * Views that give the two histograms the Prometheus names of the table in
 * {@linkcode openTelemetry} under OpenTelemetry JS's Prometheus exporter, which does not append
 * unit suffixes: `…handshake.duration` becomes `…handshake.duration_seconds` and `…ping.rtt`
 * becomes `…ping.rtt_seconds`. Pass them as the SDK's `views`.
 *
 * @example
 * ```ts
 * import { MeterProvider } from "@opentelemetry/sdk-metrics";
 * import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
 * import { prometheusViews } from "@wsflow/wsflow/otel";
 *
 * const exporter = new PrometheusExporter({ preventServerStart: true });
 * const provider = new MeterProvider({ readers: [exporter], views: prometheusViews() });
 * await provider.shutdown();
 * ```
 * @returns One view per histogram, server's and client's: `{ instrumentName, name }`.
 */
export function prometheusViews(): { instrumentName: string; name: string }[] {
  const views: { instrumentName: string; name: string }[] = [];
  for (const role of ["server", "client"]) {
    for (const name of ["handshake.duration", "ping.rtt"]) {
      const instrumentName = `websocket.${role}.${name}`;
      views.push({ instrumentName, name: `${instrumentName}_seconds` });
    }
  }
  return views;
}

/**
 * One role's instruments, fed by the connection's and the server's observer calls.
 *
 * What happens per message (messages and bytes) and the open-connection count are plain
 * additions to numbers here, read by observable instruments when metrics are collected: an
 * SDK's synchronous `add` looks its attributes up on every call, which on `bench:echo` cost a
 * fifth to three quarters of the small-message throughput. What happens per connection or less
 * often (upgrades, closes, drops, handshake and ping times) is recorded as it happens.
 */
class OpenTelemetryObserver implements ServerObserver {
  readonly #upgrades: Counter;
  readonly #closes: Counter;
  readonly #handshake: Histogram;
  readonly #rtt: Histogram;
  readonly #dropped: Counter;
  #opened = 0;
  #closed = 0;
  #inText = 0;
  #inBinary = 0;
  #outText = 0;
  #outBinary = 0;
  #inBytes = 0;
  #outBytes = 0;

  constructor(meter: MeterLike, role: "server" | "client") {
    const prefix = `websocket.${role}.`;
    meter.createObservableUpDownCounter(`${prefix}connections.active`, {
      description: "Connections open now: from the opening handshake until closed",
      unit: "{connection}",
    }).addCallback((result) => {
      // Like a synchronous instrument, it shows once it has something to count.
      if (this.#opened > 0) result.observe(this.#opened - this.#closed);
    });
    this.#upgrades = meter.createCounter(`${prefix}upgrades`, {
      description: "Upgrade requests answered, by the HTTP status sent",
      unit: "{request}",
    });
    meter.createObservableCounter(`${prefix}messages`, {
      description: "Whole messages received (in) and sent (out), by type",
      unit: "{message}",
    }).addCallback((result) => {
      observeCount(result, this.#inText, IN_TEXT);
      observeCount(result, this.#inBinary, IN_BINARY);
      observeCount(result, this.#outText, OUT_TEXT);
      observeCount(result, this.#outBinary, OUT_BINARY);
    });
    meter.createObservableCounter(`${prefix}message.bytes`, {
      description: "Payload bytes of whole messages: after inflating, before deflating",
      unit: "By",
    }).addCallback((result) => {
      observeCount(result, this.#inBytes, IN);
      observeCount(result, this.#outBytes, OUT);
    });
    this.#closes = meter.createCounter(`${prefix}closes`, {
      description: "Connections ended, by close code (1006: none exchanged) and initiator",
      unit: "{connection}",
    });
    this.#handshake = meter.createHistogram(`${prefix}handshake.duration`, {
      description: "From the first byte of an upgrade request to its 101 written",
      unit: "s",
      advice: { explicitBucketBoundaries: SECONDS_BUCKETS },
    });
    this.#rtt = meter.createHistogram(`${prefix}ping.rtt`, {
      description: "Round trips of heartbeat and ping() Pings",
      unit: "s",
      advice: { explicitBucketBoundaries: SECONDS_BUCKETS },
    });
    this.#dropped = meter.createCounter(`${prefix}send.dropped`, {
      description: "Messages not sent by policy, by reason",
      unit: "{message}",
    });
  }

  upgrade(status: number): void {
    this.#upgrades.add(1, { status: String(status) });
  }

  handshake(seconds: number): void {
    this.#handshake.record(seconds);
  }

  opened(_connection: ObservedConnection): void {
    this.#opened++;
  }

  received(_connection: ObservedConnection, data: Message): void {
    if (typeof data === "string") {
      this.#inText++;
      this.#inBytes += utf8Length(data);
    } else {
      this.#inBinary++;
      this.#inBytes += data.length;
    }
  }

  sent(_connection: ObservedConnection, data: Message): void {
    if (typeof data === "string") {
      this.#outText++;
      this.#outBytes += utf8Length(data);
    } else {
      this.#outBinary++;
      this.#outBytes += data.length;
    }
  }

  dropped(_connection: ObservedConnection, reason: SendDropReason): void {
    this.#dropped.add(1, { reason });
  }

  roundTrip(_connection: ObservedConnection, milliseconds: number): void {
    this.#rtt.record(milliseconds / 1000);
  }

  closed(
    _connection: ObservedConnection,
    code: number,
    initiator: CloseInitiator,
    _event: CloseEvent,
  ): void {
    this.#closed++;
    this.#closes.add(1, { code: String(code), initiator });
  }
}

/** Observes a count once it is above zero, as a synchronous counter would show it. */
function observeCount(result: Observation, value: number, attributes: Attributes): void {
  if (value > 0) result.observe(value, attributes);
}
