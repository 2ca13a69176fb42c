// A handler as message hooks (MessageHooks, src/server/hooked_connection.ts), served by the
// runtime's own adapter over real loopback sockets to wsflow's client: open before any message,
// messages one at a time and in order, a promise holding the next one back, the upgrade hook's
// data for message and close, a failing hook closing with 1011 (rfc6455#section-7.4.1) and
// reaching onError, close last and once, and the routes that cannot have hooks.
import { afterEach, describe, expect, it } from "vitest";
import type { MessageHooks } from "../../src/router/handler.ts";
import { Router } from "../../src/router/router.ts";
import type { Server } from "../../src/server/options.ts";
import type { CloseEvent } from "../../src/protocol/session_events.ts";
import { serveForRuntime } from "../_helpers/adapter_for_runtime.ts";
import { loadClient } from "../_helpers/client_for_runtime.ts";

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.shutdown({ timeout: 1_000 });
});

async function hooked(
  hooks: MessageHooks | Router,
  onError?: (error: unknown, phase: string) => void,
): Promise<string> {
  const server = await serveForRuntime(hooks, {
    hostname: "127.0.0.1",
    port: 0,
    heartbeatInterval: 0,
    ...(onError === undefined ? {} : { onError: (error, ctx) => onError(error, ctx.phase) }),
  });
  servers.push(server);
  return `ws://127.0.0.1:${server.addr.port}`;
}

/** Waits for `condition`, a bounded number of turns. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(condition()).toBe(true);
}

describe("message hooks", () => {
  it("echo: every message in order, text and binary, each answered", async () => {
    const url = await hooked({ message: (ws, message) => ws.send(message) });
    const { connect } = await loadClient();
    const client = await connect(url);
    for (let i = 0; i < 50; i++) void client.send(i % 2 === 0 ? `text ${i}` : new Uint8Array([i]));
    const iterator = client[Symbol.asyncIterator]();
    for (let i = 0; i < 50; i++) {
      const { value } = await iterator.next();
      expect(value).toEqual(i % 2 === 0 ? `text ${i}` : new Uint8Array([i]));
    }
    await client.close();
  });

  it("rfc7692 compressed messages are inflated before the hook is given them, in order with the others", async () => {
    const url = await hooked({ message: (ws, message) => ws.send(message) });
    const { connect } = await loadClient();
    const client = await connect(url);
    expect(client.extensions).toMatch(/permessage-deflate/);
    const messages = ["small", "x".repeat(8_192), "between", "y".repeat(4_096)];
    for (const message of messages) void client.send(message);
    const iterator = client[Symbol.asyncIterator]();
    for (const message of messages) expect((await iterator.next()).value).toBe(message);
    await client.close();
  });

  it("message waits for a promise open returned, and one message at a time for a promise message returned", async () => {
    const log: string[] = [];
    let running = 0;
    let overlapped = false;
    const url = await hooked({
      async open(ws, ctx) {
        await new Promise((resolve) => setTimeout(resolve, 30));
        log.push(`open ${new URL(ctx.request.url).pathname} ${ws.protocol || "-"}`);
      },
      async message(ws, message) {
        overlapped ||= running > 0;
        running++;
        log.push(String(message));
        await new Promise((resolve) => setTimeout(resolve, 2));
        running--;
        await ws.send(`done ${message}`);
      },
    });
    const { connect } = await loadClient();
    const client = await connect(`${url}/room`);
    for (let i = 0; i < 5; i++) void client.send(`m${i}`);
    const iterator = client[Symbol.asyncIterator]();
    for (let i = 0; i < 5; i++) expect((await iterator.next()).value).toBe(`done m${i}`);
    expect(log).toEqual(["open /room -", "m0", "m1", "m2", "m3", "m4"]);
    expect(overlapped).toBe(false);
    await client.close();
  });

  it("message and close are given the upgrade hook's data; close comes once, last, with how the connection ended", async () => {
    const closes: Array<{ event: CloseEvent; data: unknown; after: number }> = [];
    let messages = 0;
    const router = new Router().route("/rooms/:room", {
      upgrade: (_request, { params }) => ({ data: { room: params.room } }),
      handler: {
        message(ws, message, data) {
          messages++;
          return ws.send(`${data.room}: ${message}`);
        },
        close(_ws, event, data) {
          closes.push({ event, data, after: messages });
        },
      },
    });
    const url = await hooked(router);
    const { connect } = await loadClient();
    const client = await connect(`${url}/rooms/lobby`);
    await client.send("hi");
    expect((await client[Symbol.asyncIterator]().next()).value).toBe("lobby: hi");
    await client.close(4001, "bye");
    await until(() => closes.length === 1);
    expect(closes[0]!.data).toEqual({ room: "lobby" });
    expect(closes[0]!.event.code).toBe(4001);
    expect(closes[0]!.event.reason).toBe("bye");
    expect(closes[0]!.after).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(closes.length).toBe(1);
  });

  it("rfc6455#section-7.4.1 a message hook that throws closes the connection with 1011, reaches onError, and gets no more messages; close still comes", async () => {
    const errors: string[] = [];
    const seen: string[] = [];
    let closed: CloseEvent | undefined;
    const url = await hooked({
      message(_ws, message) {
        seen.push(String(message));
        if (message === "boom") throw new Error("hook failed");
      },
      close(_ws, event) {
        closed = event;
      },
    }, (error, phase) => errors.push(`${phase}: ${(error as Error).message}`));
    const { connect } = await loadClient();
    const client = await connect(url);
    await client.send("fine");
    await client.send("boom");
    void client.send("after").catch(() => {});
    const event = await client.closed;
    expect(event.code).toBe(1011);
    await until(() => closed !== undefined);
    expect(errors).toEqual(["handler: hook failed"]);
    expect(seen).toEqual(["fine", "boom"]);
  });

  it("rfc6455#section-7.4.1 an open hook that rejects closes the connection with 1011 and no message is handed over", async () => {
    const errors: string[] = [];
    const seen: unknown[] = [];
    const url = await hooked({
      open: () => Promise.reject(new Error("no room")),
      message: (_ws, message) => void seen.push(message),
    }, (error, phase) => errors.push(`${phase}: ${(error as Error).message}`));
    const { connect } = await loadClient();
    const client = await connect(url);
    void client.send("ignored").catch(() => {});
    expect((await client.closed).code).toBe(1011);
    expect(errors).toEqual(["handler: no room"]);
    expect(seen).toEqual([]);
  });

  it("close waits for a promise open returned, when the connection ends while open runs", async () => {
    const log: string[] = [];
    const url = await hooked({
      async open() {
        log.push("open");
        await new Promise((resolve) => setTimeout(resolve, 50));
        log.push("opened");
      },
      message: () => {},
      close: (_ws, event) => void log.push(`close ${event.code}`),
    });
    const { connect } = await loadClient();
    const client = await connect(url);
    await client.close(1000);
    await until(() => log.length === 3);
    expect(log).toEqual(["open", "opened", "close 1000"]);
  });

  it("shutdown closes connections served by hooks with 1001, and their close hooks run", async () => {
    const closes: number[] = [];
    const server = await serveForRuntime({
      message: (ws, message) => ws.send(message),
      close: (_ws, event) => void closes.push(event.code),
    }, { hostname: "127.0.0.1", port: 0, heartbeatInterval: 0 });
    const { connect } = await loadClient();
    const clients = await Promise.all(
      [0, 1].map(() => connect(`ws://127.0.0.1:${server.addr.port}`)),
    );
    await clients[0]!.send("before");
    expect((await clients[0]![Symbol.asyncIterator]().next()).value).toBe("before");
    await server.shutdown({ code: 1001, timeout: 2_000 });
    for (const client of clients) expect((await client.closed).code).toBe(1001);
    await until(() => closes.length === 2);
    expect(closes).toEqual([1001, 1001]);
    expect(server.connections.size).toBe(0);
  });

  it("refuses for await on a connection served by hooks", async () => {
    let refused: unknown;
    const url = await hooked({
      async open(ws) {
        await ws[Symbol.asyncIterator]().next().catch((error: unknown) => refused = error);
      },
      message: () => {},
    });
    const { connect } = await loadClient();
    const client = await connect(url);
    await until(() => refused !== undefined);
    expect(String(refused)).toMatch(/message hooks/);
    await client.close();
  });
});

describe("routes with message hooks", () => {
  it("need a message function", () => {
    expect(() => new Router().route("/", { handler: {} as MessageHooks })).toThrow(
      /hooks\.message is not a function/,
    );
    expect(() =>
      new Router().route("/", {
        handler: { message: () => {}, close: 1 } as unknown as MessageHooks,
      })
    ).toThrow(/hooks\.close is not a function/);
  });

  it("cannot stream: a streaming route's messages are read as streams", () => {
    expect(() => new Router().route("/", { streaming: true, handler: { message: () => {} } }))
      .toThrow(/streaming route/);
  });
});
