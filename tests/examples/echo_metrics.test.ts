// examples/echo.ts with METRICS_PORT against METRICS-CONTRACT.md: the example runs as a child
// process of the runtime under test, exactly as a user starts it; the test drives connections
// from outside (a good one closed by the client with 1000, a bad Sec-WebSocket-Key, a
// connection the server closes, one that vanishes) and reads the Prometheus text as a scraper
// would, checking every wsflow series and value exactly.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ExampleProcess, startExample } from "../_helpers/example_process.ts";
import { loadClient } from "../_helpers/client_for_runtime.ts";
import { RawClient } from "../_helpers/raw_client.ts";
import { delay } from "../_helpers/with_timeout.ts";

/** One sample of the exposition: series name, labels (without otel_scope_*), value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition format's sample lines. */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (match === null) throw new Error(`Cannot parse exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      if (!pair[1]!.startsWith("otel_scope_")) labels[pair[1]!] = pair[2]!;
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The `websocket_*` samples as `name{k="v",…} -> value`, label names sorted; no buckets. */
function series(samples: readonly Sample[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { name, labels, value } of samples) {
    if (!name.startsWith("websocket_") || name.endsWith("_bucket")) continue;
    const keys = Object.keys(labels).sort();
    const text = keys.map((key) => `${key}="${labels[key]}"`).join(",");
    out[keys.length === 0 ? name : `${name}{${text}}`] = value;
  }
  return out;
}

async function scrape(url: string): Promise<{ status: number; type: string; text: string }> {
  const response = await fetch(url);
  return {
    status: response.status,
    type: response.headers.get("content-type") ?? "",
    text: await response.text(),
  };
}

describe("examples/echo.ts with METRICS_PORT (METRICS-CONTRACT.md)", () => {
  let example: ExampleProcess;
  let wsUrl: string;
  let metricsUrl: string;

  beforeAll(async () => {
    example = await startExample("examples/echo.ts", { PORT: "0", METRICS_PORT: "0" });
    wsUrl = example.urls[0]!;
    const line = /^METRICS (http:\/\/\S+\/metrics)$/m.exec(example.output());
    if (line === null) throw new Error(`No METRICS line:\n${example.output()}`);
    metricsUrl = line[1]!;
  });

  afterAll(async () => {
    await example?.stop();
  });

  it("serves the Prometheus text format, with no wsflow series before anything happened", async () => {
    const { status, type, text } = await scrape(metricsUrl);
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/plain/);
    expect(series(parseExposition(text))).toEqual({});
  });

  it("counts a good connection, a bad key (400), a client close, a server close and a drop exactly", async () => {
    const port = Number(new URL(wsUrl).port);
    const { connect } = await loadClient();

    // A good connection: text and binary echoed, closed by the client with 1000.
    const ws = await connect(`${wsUrl}/good`, { heartbeatInterval: 0 });
    await ws.send("héllo"); // 6 bytes of UTF-8
    await ws.send(new Uint8Array([1, 2, 3]));
    const echoed: unknown[] = [];
    for await (const message of ws) {
      echoed.push(message);
      if (echoed.length === 2) break;
    }
    expect(echoed).toEqual(["héllo", new Uint8Array([1, 2, 3])]);
    expect((await ws.close(1000)).code).toBe(1000);

    // rfc6455#section-4.2.1: a Sec-WebSocket-Key that is not 16 bytes of base64: 400.
    const bad = await RawClient.open(port);
    const refused = await bad.sendHandshake({
      request: "GET /bad HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n" +
        "Connection: Upgrade\r\nSec-WebSocket-Key: not-a-key\r\nSec-WebSocket-Version: 13\r\n\r\n",
    });
    expect(refused.status).toBe(400);
    bad.close();

    // rfc6455#section-5.1: an unmasked frame from a client: the server closes with 1002.
    const unmasked = await RawClient.handshake(port, { path: "/unmasked" });
    unmasked.write(new Uint8Array([0x81, 0x02, 0x68, 0x69]));
    expect((await unmasked.nextClose())?.code).toBe(1002);
    unmasked.close();

    // A peer that vanishes after its handshake: no Close frame either way, 1006.
    const gone = await RawClient.handshake(port, { path: "/gone" });
    expect(gone.response?.status).toBe(101);
    await delay(50);
    gone.socket.destroy();

    // The server counts the close of each as it sees it: scrape until all three are in.
    let found: Record<string, number> = {};
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      found = series(parseExposition((await scrape(metricsUrl)).text));
      const closes = Object.entries(found)
        .filter(([name]) => name.startsWith("websocket_server_closes_total"))
        .reduce((sum, [, value]) => sum + value, 0);
      if (closes === 3 && found["websocket_server_connections_active"] === 0) break;
      await delay(50);
    }

    const duration = found["websocket_server_handshake_duration_seconds_sum"];
    expect(duration).toBeGreaterThan(0);
    expect(duration).toBeLessThan(30);
    delete found["websocket_server_handshake_duration_seconds_sum"];
    expect(found).toEqual({
      "websocket_server_connections_active": 0,
      'websocket_server_upgrades_total{status="101"}': 3,
      'websocket_server_upgrades_total{status="400"}': 1,
      'websocket_server_messages_total{direction="in",type="text"}': 1,
      'websocket_server_messages_total{direction="in",type="binary"}': 1,
      'websocket_server_messages_total{direction="out",type="text"}': 1,
      'websocket_server_messages_total{direction="out",type="binary"}': 1,
      'websocket_server_message_bytes_total{direction="in"}': 9,
      'websocket_server_message_bytes_total{direction="out"}': 9,
      'websocket_server_closes_total{code="1000",initiator="client"}': 1,
      'websocket_server_closes_total{code="1002",initiator="server"}': 1,
      'websocket_server_closes_total{code="1006",initiator="client"}': 1,
      "websocket_server_handshake_duration_seconds_count": 3,
    });
  });

  it("answers 404 off /metrics", async () => {
    const { status } = await scrape(metricsUrl.replace(/\/metrics$/, "/other"));
    expect(status).toBe(404);
  });
});
