// Reconnection over real sockets on this runtime's adapter (../shared/CLIENT-CONTRACT.md
// section 1): a server that closes with 1012, drops the TCP connection, answers 503 with
// Retry-After, restarts on the same port, and finally closes with 1008. Lines sent while
// disconnected arrive in order after the `onOpen` hook's line, each at most once.
import { afterEach, describe, expect, it } from "vitest";
import type { ReconnectingConnection } from "../../src/client/reconnecting_connection.ts";
import { Router } from "../../src/router/router.ts";
import type { Server } from "../../src/server/options.ts";
import type { Connection } from "../../src/streams/connection.ts";
import { runtime } from "../_helpers/adapter_for_runtime.ts";
import { loadClient } from "../_helpers/client_for_runtime.ts";
import { startServer } from "../_helpers/pmd_server.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

const client = await loadClient();
const FAST = { backoff: { initialDelay: 50, maxDelay: 200 }, handshakeTimeout: 5_000 };

function waitFor(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  return withTimeout(
    (async () => {
      while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
    })(),
    ms,
    what,
  );
}

/** Reads the next message of a server-side connection, bounded. */
async function next(ws: Connection, what: string): Promise<string> {
  const result = await withTimeout(ws[Symbol.asyncIterator]().next(), 10_000, what);
  if (result.done) throw new Error(`closed before ${what}`);
  return String(result.value);
}

describe(`reconnect over ${runtime}'s sockets`, () => {
  let server: Server | undefined;
  let rc: ReconnectingConnection | undefined;
  afterEach(async () => {
    await rc?.close();
    await server?.close();
  });

  it("rfc6455#section-7.4.1 reconnects after 1012, a dropped connection and a 503 with Retry-After, delivering queued lines in order, and gives up after 1008", async () => {
    const accepted: Connection[] = [];
    let upgrades = 0;
    let refusedAt = 0;
    let retriedAt = 0;
    const router = new Router().route("/", {
      upgrade() {
        upgrades++;
        if (upgrades === 3) {
          refusedAt = Date.now();
          return new Response(null, { status: 503, headers: { "retry-after": "1" } });
        }
        if (upgrades === 4) retriedAt = Date.now();
        return {};
      },
      async handler(ws) {
        accepted.push(ws);
        await ws.closed;
      },
    });
    server = await startServer(router);
    const events: string[] = [];
    rc = client.reconnect(`ws://127.0.0.1:${server.addr.port}/`, {
      ...FAST,
      onOpen: (connection, { attempt }) => connection.send(`hello ${attempt}`),
    });
    rc.on("reconnecting", ({ cause }) =>
      events.push(
        cause.kind === "close"
          ? `retry after ${cause.code}`
          : cause.kind === "handshake"
          ? `retry after ${cause.status}`
          : `retry after ${cause.kind}`,
      ));
    rc.on("open", ({ attempt }) => events.push(`open ${attempt}`));

    // 1: a line, then the server restarts the connection with 1012.
    await waitFor(() => accepted.length === 1 && rc!.state === "open", "the first connection");
    expect(await next(accepted[0]!, "the hook's line")).toBe("hello 1");
    await rc.send("a");
    expect(await next(accepted[0]!, "a")).toBe("a");
    await accepted[0]!.close(1012, "restarting");
    // Seen through the event: the client may already be open again by the time a poll looks.
    await waitFor(() => events.includes("retry after 1012"), "the client sees the close");
    await rc.send("b");
    await rc.send("c");

    // 2: the queued lines arrive after the hook's line, in order; then TCP is dropped.
    await waitFor(() => accepted.length === 2, "the second connection");
    expect([
      await next(accepted[1]!, "hello 2"),
      await next(accepted[1]!, "b"),
      await next(accepted[1]!, "c"),
    ]).toEqual(["hello 2", "b", "c"]);
    await waitFor(() => rc!.state === "open", "open");
    accepted[1]!.terminate();
    await waitFor(() => events.includes("retry after 1006"), "the client sees the drop");
    await rc.send("d");

    // 3: refused with 503 and Retry-After: 1; 4: accepted at least a second later.
    await waitFor(() => accepted.length === 3, "the connection after the 503", 15_000);
    expect(retriedAt - refusedAt).toBeGreaterThanOrEqual(950);
    expect(await next(accepted[2]!, "hello 4")).toBe("hello 4");
    expect(await next(accepted[2]!, "d")).toBe("d");

    // 1008: a policy violation is not retried.
    await accepted[2]!.close(1008, "banned");
    const end = await withTimeout(rc.closed, 10_000, "the client gives up");
    expect(end).toMatchObject({ reason: "gave-up", cause: { kind: "close", code: 1008 } });
    expect(events).toEqual([
      "open 1",
      "retry after 1012",
      "open 2",
      "retry after 1006",
      "retry after 503",
      "open 4",
    ]);
    expect(upgrades).toBe(4);
  });

  it("reconnects to a server that restarts on the same port, after connection refused", async () => {
    const received: string[] = [];
    const handler = async (ws: Connection): Promise<void> => {
      for await (const message of ws) received.push(String(message));
    };
    server = await startServer(handler);
    const port = server.addr.port;
    rc = client.reconnect(`ws://127.0.0.1:${port}/`, FAST);
    const causes: string[] = [];
    rc.on("reconnecting", ({ cause }) => causes.push(cause.kind));
    await waitFor(() => rc!.state === "open", "the first connection");
    await rc.send("before");
    await waitFor(() => received.length === 1, "before");
    await server.shutdown({ code: 1001, reason: "restarting", timeout: 2_000 });
    await waitFor(() => causes.includes("network"), "a refused attempt");
    await rc.send("while down");
    server = await startServer(handler, { port });
    await waitFor(() => received.length === 2, "the line sent while the server was down");
    expect(received).toEqual(["before", "while down"]);
    expect(causes[0]).toBe("close");
  });

  it("ReconnectingWebSocket fires open again after 1012 and sends what was queued while connecting", async () => {
    const accepted: Connection[] = [];
    server = await startServer(async (ws) => {
      accepted.push(ws);
      for await (const message of ws) await ws.send(`echo ${message}`);
    });
    const ws = new client.ReconnectingWebSocket(`ws://127.0.0.1:${server.addr.port}/`, [], FAST);
    const seen: string[] = [];
    ws.onopen = () => seen.push("open");
    ws.onmessage = (event) => seen.push(String(event.data));
    ws.onclose = (event) => seen.push(`close ${event.code}`);
    ws.send("queued");
    await waitFor(() => seen.includes("echo queued"), "the echo");
    expect(ws.readyState).toBe(1);
    await accepted[0]!.close(1012);
    await waitFor(() => seen.filter((s) => s === "open").length === 2, "the second open");
    ws.send("again");
    await waitFor(() => seen.includes("echo again"), "the second echo");
    expect(seen).toEqual(["open", "echo queued", "close 1012", "open", "echo again"]);
    ws.close();
    await waitFor(() => ws.readyState === 3, "closed");
  });
});
