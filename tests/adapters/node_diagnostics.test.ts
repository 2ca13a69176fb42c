// Node's adapter family publishes wsflow's diagnostics events on node:diagnostics_channel, as
// undici does for its client: `wsflow:upgrade:refused`, `wsflow:connection:limit`,
// `wsflow:handler:error`. (node:diagnostics_channel exists on Deno and Bun too, so this runs
// under each; only Node's adapter loads the forwarder in an application.)
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { describe, expect, it } from "vitest";
import "../../src/adapters/node_diagnostics.ts";
import { type DiagnosticEvent, publishDiagnostic } from "../../src/streams/diagnostics.ts";
import { serveForRuntime } from "../_helpers/adapter_for_runtime.ts";
import { RawClient } from "../_helpers/raw_client.ts";

function collect(name: string): { seen: unknown[]; stop: () => void } {
  const seen: unknown[] = [];
  const listener = (message: unknown): void => {
    seen.push(message);
  };
  subscribe(name, listener);
  return { seen, stop: () => unsubscribe(name, listener) };
}

describe("node:diagnostics_channel", () => {
  it("each event type goes to its wsflow:* channel", () => {
    const refused = collect("wsflow:upgrade:refused");
    const limit = collect("wsflow:connection:limit");
    const handler = collect("wsflow:handler:error");
    const events: DiagnosticEvent[] = [
      { type: "upgrade-refused", status: 404, reason: "x", remoteAddr: undefined, url: undefined },
      { type: "handler-error", error: new Error("y"), url: "ws://h/", remoteAddr: undefined },
    ];
    for (const event of events) publishDiagnostic(event);
    refused.stop();
    limit.stop();
    handler.stop();
    expect(refused.seen).toEqual([events[0]]);
    expect(limit.seen).toEqual([]);
    expect(handler.seen).toEqual([events[1]]);
  });

  it("a refused upgrade (400 for a bad Sec-WebSocket-Key) is published with its status and address", async () => {
    const refused = collect("wsflow:upgrade:refused");
    const server = await serveForRuntime((ws) => ws.close(), { hostname: "127.0.0.1", port: 0 });
    try {
      const client = await RawClient.open(server.addr.port);
      const response = await client.sendHandshake({
        request: "GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n" +
          "Connection: Upgrade\r\nSec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n",
      });
      client.close();
      expect(response.status).toBe(400);
    } finally {
      refused.stop();
      await server.close();
    }
    expect(refused.seen).toHaveLength(1);
    const event = refused.seen[0] as DiagnosticEvent;
    expect(event.type).toBe("upgrade-refused");
    if (event.type !== "upgrade-refused") return;
    expect(event.status).toBe(400);
    expect(event.url).toBe("http://127.0.0.1/x");
    expect(event.remoteAddr?.hostname).toMatch(/127\.0\.0\.1/);
  });
});
