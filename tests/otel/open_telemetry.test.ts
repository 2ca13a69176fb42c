// wsflow/otel against the real OpenTelemetry SDK, read with a manual reader: scripted traffic,
// then every instrument's value, exactly. Over the runtime's own sockets (server and client),
// and in memory with a fake clock for what needs time (heartbeat, drops, limits).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CloseCode } from "../../src/protocol/close_code.ts";
import { PreparedFrame } from "../../src/protocol/prepared_frame.ts";
import { type DiagnosticEvent, subscribeDiagnostics } from "../../src/streams/diagnostics.ts";
import { Connection } from "../../src/streams/connection.ts";
import { byteStreamPair } from "../../src/testing/byte_stream_pair.ts";
import { connectedPair } from "../../src/testing/connected_pair.ts";
import { FakeClock } from "../../src/testing/fake_clock.ts";
import { openTelemetry, prometheusViews } from "../../otel.ts";
import { serveForRuntime } from "../_helpers/adapter_for_runtime.ts";
import { loadClient } from "../_helpers/client_for_runtime.ts";
import { table, type TestMetrics, testMetrics } from "../_helpers/metric_reader.ts";
import { RawClient } from "../_helpers/raw_client.ts";
import { delay, withTimeout } from "../_helpers/with_timeout.ts";

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await delay(5);
  }
}

let sdk: TestMetrics;
let events: DiagnosticEvent[];
let unsubscribe: () => void;

beforeEach(() => {
  sdk = testMetrics();
  events = [];
  unsubscribe = subscribeDiagnostics((event) => events.push(event));
});

afterEach(async () => {
  unsubscribe();
  await sdk.shutdown();
});

describe("wsflow/otel over the runtime's sockets", () => {
  it("counts upgrades by status, messages, bytes, closes by code and initiator, handshakes and pings", async () => {
    const otel = openTelemetry({ meterProvider: sdk.provider });
    const server = await serveForRuntime(async (ws) => {
      for await (const message of ws) {
        if (message === "close-me") {
          await ws.close(4000, "bye");
          break;
        }
        if (message === "ping-me") await ws.ping();
        await ws.send(message);
      }
    }, { hostname: "127.0.0.1", port: 0, heartbeatInterval: 0, observer: otel.server });
    const { connect } = await loadClient();
    const url = `ws://127.0.0.1:${server.addr.port}/metrics`;
    const options = { heartbeatInterval: 0, observer: otel.client };
    try {
      // One connection: text (6 UTF-8 bytes for 5 characters), binary, a server ping; the
      // client closes with 1000.
      const first = await connect(url, options);
      const received: unknown[] = [];
      await first.send("héllo");
      await first.send(new Uint8Array([1, 2, 3]));
      await first.send("ping-me");
      for await (const message of first) {
        received.push(message);
        if (received.length === 3) break;
      }
      expect(received).toEqual(["héllo", new Uint8Array([1, 2, 3]), "ping-me"]);
      await first.close(1000);

      // Another: the server closes it with 4000.
      const second = await connect(url, options);
      await second.send("close-me");
      expect((await second.closed).code).toBe(4000);

      // A peer that vanishes after its handshake: 1006.
      const raw = await RawClient.handshake(server.addr.port, { path: "/raw" });
      expect(raw.response?.status).toBe(101);
      await until(() => server.connections.size === 1, "the raw connection");
      raw.socket.destroy();

      // Refusals: a bad Sec-WebSocket-Key (400), another version (426), a foreign Origin (403).
      for (
        const headers of [
          { "Sec-WebSocket-Key": "not-16-bytes" },
          { "Sec-WebSocket-Version": "12" },
          { Origin: "https://elsewhere.example" },
        ]
      ) {
        const client = await RawClient.open(server.addr.port);
        const request = [
          "GET /refused HTTP/1.1",
          `Host: 127.0.0.1:${server.addr.port}`,
          "Upgrade: websocket",
          "Connection: Upgrade",
          `Sec-WebSocket-Key: ${headers["Sec-WebSocket-Key"] ?? "dGhlIHNhbXBsZSBub25jZQ=="}`,
          `Sec-WebSocket-Version: ${headers["Sec-WebSocket-Version"] ?? "13"}`,
          ...("Origin" in headers ? [`Origin: ${headers.Origin}`] : []),
          "",
          "",
        ].join("\r\n");
        await client.sendHandshake({ request });
        client.close();
      }
      await until(() => server.connections.size === 0, "every connection to end");
      await withTimeout(first.closed, 5_000, "the first client's close");

      const metrics = await sdk.collect();
      expect(table(metrics, "websocket.server.upgrades")).toEqual({
        "status=101": 3,
        "status=400": 1,
        "status=403": 1,
        "status=426": 1,
      });
      expect(table(metrics, "websocket.server.connections.active")).toEqual({ "": 0 });
      expect(table(metrics, "websocket.server.messages")).toEqual({
        "direction=in,type=binary": 1,
        "direction=in,type=text": 3,
        "direction=out,type=binary": 1,
        "direction=out,type=text": 2,
      });
      // in: 6 + 3 + 7 + 8 ("close-me"); out: the three echoes.
      expect(table(metrics, "websocket.server.message.bytes")).toEqual({
        "direction=in": 24,
        "direction=out": 16,
      });
      expect(table(metrics, "websocket.server.closes")).toEqual({
        "code=1000,initiator=client": 1,
        "code=1006,initiator=client": 1,
        "code=4000,initiator=server": 1,
      });
      expect(table(metrics, "websocket.server.handshake.duration")).toEqual({ "": 3 });
      expect(table(metrics, "websocket.server.ping.rtt")).toEqual({ "": 1 });
      expect(metrics.has("websocket.server.send.dropped")).toBe(false);

      expect(table(metrics, "websocket.client.connections.active")).toEqual({ "": 0 });
      expect(table(metrics, "websocket.client.messages")).toEqual({
        "direction=in,type=binary": 1,
        "direction=in,type=text": 2,
        "direction=out,type=binary": 1,
        "direction=out,type=text": 3,
      });
      expect(table(metrics, "websocket.client.message.bytes")).toEqual({
        "direction=in": 16,
        "direction=out": 24,
      });
      expect(table(metrics, "websocket.client.closes")).toEqual({
        "code=1000,initiator=client": 1,
        "code=4000,initiator=server": 1,
      });
      expect(metrics.has("websocket.client.upgrades")).toBe(false);

      const refused = events.filter((e) => e.type === "upgrade-refused");
      expect(refused.map((e) => e.type === "upgrade-refused" && e.status)).toEqual([400, 426, 403]);
      for (const event of refused) {
        if (event.type !== "upgrade-refused") continue;
        expect(event.remoteAddr?.hostname).toMatch(/127\.0\.0\.1/);
        expect(event.url).toBe(`http://127.0.0.1:${server.addr.port}/refused`);
        expect(event.reason).toMatch(/^Cannot /);
      }
    } finally {
      await server.close();
    }
  });

  it("counts a handler error as a server close with 1011 and publishes it", async () => {
    const otel = openTelemetry({ meterProvider: sdk.provider });
    const server = await serveForRuntime(() => {
      throw new Error("handler failed");
    }, { hostname: "127.0.0.1", port: 0, heartbeatInterval: 0, observer: otel.server });
    try {
      const { connect } = await loadClient();
      const ws = await connect(`ws://127.0.0.1:${server.addr.port}/boom`, { heartbeatInterval: 0 });
      expect((await ws.closed).code).toBe(CloseCode.InternalError);
      await until(() => server.connections.size === 0, "the connection to end");
      const metrics = await sdk.collect();
      expect(table(metrics, "websocket.server.closes")).toEqual({
        "code=1011,initiator=server": 1,
      });
      const errors = events.filter((e) => e.type === "handler-error");
      expect(errors).toHaveLength(1);
      const [event] = errors;
      if (event?.type !== "handler-error") throw new Error("no handler-error event");
      expect((event.error as Error).message).toBe("handler failed");
      expect(event.url).toBe(`ws://127.0.0.1:${server.addr.port}/boom`);
    } finally {
      await server.close();
    }
  });
});

describe("wsflow/otel in memory", () => {
  it("records the heartbeat's round trip in seconds", async () => {
    const otel = openTelemetry({ meterProvider: sdk.provider });
    const clock = new FakeClock();
    const { server, client } = connectedPair({
      server: { clock, heartbeatInterval: 1_000, observer: otel.server },
      client: { clock, heartbeatInterval: 0 },
    });
    await clock.advance(1_000); // the server's heartbeat Ping goes out
    // The client answers on its own; the Pong arrives within the same fake millisecond.
    await delay(20);
    await client.close(1000);
    for await (const _ of server) break;
    await server.closed;
    const metrics = await sdk.collect();
    const rtt = metrics.get("websocket.server.ping.rtt")?.[0]?.value;
    expect(rtt).toEqual({ count: 1, sum: 0 });
  });

  it("counts messages dropped by the send-buffer policy under reason send_buffer", async () => {
    const otel = openTelemetry({ meterProvider: sdk.provider });
    const { server, client } = connectedPair({
      server: {
        heartbeatInterval: 0,
        sendBuffer: { limit: 1, policy: "drop" },
        observer: otel.server,
      },
      client: { heartbeatInterval: 0 },
    });
    // The first is queued; the next two find it still waiting to be written.
    void server.send("a");
    void server.send("b");
    void server.send("c");
    expect(server.droppedMessages).toBe(2);
    await client.close(1000);
    await server.closed;
    const metrics = await sdk.collect();
    expect(table(metrics, "websocket.server.send.dropped")).toEqual({ "reason=send_buffer": 2 });
    expect(table(metrics, "websocket.server.messages")).toEqual({ "direction=out,type=text": 1 });
  });

  it("counts a topic delivery dropped for a slow subscriber under reason topic_backlog", async () => {
    const otel = openTelemetry({ meterProvider: sdk.provider });
    const { server, client } = connectedPair({
      server: {
        heartbeatInterval: 0,
        sendBuffer: { limit: 1, policy: "drop" },
        observer: otel.server,
      },
      client: { heartbeatInterval: 0 },
    });
    // The first publish is queued; the next two find it still waiting to be written.
    expect(
      [PreparedFrame.of("a"), PreparedFrame.of("b"), PreparedFrame.of("c")].map((frame) =>
        server.sendPrepared(frame)
      ),
    ).toEqual(["queued", "dropped", "dropped"]);
    await client.close(1000);
    await server.closed;
    const metrics = await sdk.collect();
    expect(table(metrics, "websocket.server.send.dropped")).toEqual({ "reason=topic_backlog": 2 });
  });

  it("counts a limit's close under initiator=server and publishes which limit", async () => {
    const otel = openTelemetry({ meterProvider: sdk.provider });
    const { server, client } = connectedPair({
      server: { heartbeatInterval: 0, limits: { maxMessageSize: 4 }, observer: otel.server },
      client: { heartbeatInterval: 0 },
    });
    await client.send("too long");
    expect((await server.closed).code).toBe(CloseCode.MessageTooBig);
    await client.closed;
    const metrics = await sdk.collect();
    expect(table(metrics, "websocket.server.closes")).toEqual({
      "code=1009,initiator=server": 1,
    });
    expect(table(metrics, "websocket.server.connections.active")).toEqual({ "": 0 });
    const limits = events.filter((e) => e.type === "connection-limit");
    expect(limits.map((e) => e.type === "connection-limit" && [e.limit, e.code, e.role])).toEqual([
      ["size", 1009, "server"],
    ]);
  });

  it("publishes the timer that ended a connection: idle (1001) and heartbeat (1006)", async () => {
    const clock = new FakeClock();
    const otel = openTelemetry({ meterProvider: sdk.provider });
    const idle = connectedPair({
      server: { clock, heartbeatInterval: 0, idleTimeout: 5_000, observer: otel.server },
      client: { clock, heartbeatInterval: 0 },
    });
    await clock.advance(5_000);
    expect((await idle.client.closed).code).toBe(1001);
    await idle.server.closed;
    // A peer that never answers: nothing arrives for a whole heartbeat interval.
    const [serverEnd] = byteStreamPair();
    const silent = new Connection(serverEnd, {
      role: "server",
      clock,
      heartbeatInterval: 1_000,
      observer: otel.server,
    });
    await clock.advance(1_000); // the Ping
    await clock.advance(1_000); // nothing heard since: dropped
    expect((await silent.closed).code).toBe(1006);
    const limits = events.filter((e) => e.type === "connection-limit").map((e) =>
      e.type === "connection-limit" ? [e.limit, e.code] : []
    );
    expect(limits).toEqual([["idle", 1001], ["heartbeat", 1006]]);
    const metrics = await sdk.collect();
    expect(table(metrics, "websocket.server.closes")).toEqual({
      "code=1001,initiator=server": 1,
      "code=1006,initiator=server": 1,
    });
  });

  it("prometheusViews renames the two histograms of each role to their _seconds names", () => {
    expect(prometheusViews()).toEqual([
      {
        instrumentName: "websocket.server.handshake.duration",
        name: "websocket.server.handshake.duration_seconds",
      },
      { instrumentName: "websocket.server.ping.rtt", name: "websocket.server.ping.rtt_seconds" },
      {
        instrumentName: "websocket.client.handshake.duration",
        name: "websocket.client.handshake.duration_seconds",
      },
      { instrumentName: "websocket.client.ping.rtt", name: "websocket.client.ping.rtt_seconds" },
    ]);
  });
});
