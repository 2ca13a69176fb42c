// The adapter contract: one suite, run under each runtime against its own adapter over real
// loopback sockets, with a raw client that sends exactly the bytes each case needs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ListenOptions } from "../../src/server/listener.ts";
import type { CloseEvent } from "../../src/protocol/session_events.ts";
import type { WebSocketHandler } from "../../src/router/handler.ts";
import type { ServeOptions, Server } from "../../src/server/options.ts";
import type { Connection } from "../../src/streams/connection.ts";
import { bytesDiff } from "../_helpers/bytes.ts";
import { encodeFrame, EXPECTED_ACCEPT, RawClient } from "../_helpers/raw_client.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

export type ServeFunction = (
  handler: WebSocketHandler,
  options?: ServeOptions & ListenOptions,
) => Promise<Server>;

const TEXT = 0x1;
const BINARY = 0x2;
const CONTINUATION = 0x0;
const CLOSE = 0x8;
const PING = 0x9;
const PONG = 0xa;

function closePayload(code: number, reason = ""): Uint8Array {
  const reasonBytes = new TextEncoder().encode(reason);
  const out = new Uint8Array(2 + reasonBytes.length);
  out[0] = code >> 8;
  out[1] = code & 0xff;
  out.set(reasonBytes, 2);
  return out;
}

function pattern(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 7 + (i >> 8)) & 0xff;
  return out;
}

/** What the server saw, per path, so tests can check the handler's view too. */
interface Observed {
  closed: Map<string, Promise<CloseEvent>>;
  errors: unknown[];
}

export function runAdapterContract(name: string, serve: ServeFunction): void {
  describe(`adapter contract: ${name}`, () => {
    let server: Server;
    let port = 0;
    const observed: Observed = { closed: new Map(), errors: [] };
    const slowSends = { count: 0 };

    const handler: WebSocketHandler = async (ws: Connection, { request }) => {
      const path = new URL(request.url).pathname;
      observed.closed.set(path, ws.closed);
      if (path === "/throw") throw new Error("handler bug");
      if (path === "/close-me") {
        for await (const _ of ws) {
          await ws.close(4001, "server bye");
          return;
        }
        return;
      }
      if (path === "/flood") {
        // Sends as fast as the peer allows; the peer never reads.
        const chunk = new Uint8Array(64 * 1024);
        try {
          while (slowSends.count < 100_000) {
            await ws.send(chunk);
            slowSends.count++;
          }
        } catch {
          // closed
        }
        return;
      }
      for await (const message of ws) await ws.send(message);
    };

    beforeAll(async () => {
      server = await serve(handler, {
        hostname: "127.0.0.1",
        port: 0,
        limits: { maxMessageSize: 20 * 1024 * 1024, maxFrameSize: 20 * 1024 * 1024 },
        closeTimeout: 2_000,
        onError: (error) => observed.errors.push(error),
      });
      port = server.addr.port;
    });

    afterAll(async () => {
      await server.close();
    });

    it("rfc6455#section-4.2.2 answers a valid handshake with 101 and the accept key", async () => {
      const client = await RawClient.handshake(port);
      expect(client.response?.status).toBe(101);
      expect(client.response?.headers.get("sec-websocket-accept")).toBe(EXPECTED_ACCEPT);
      expect(client.response?.headers.get("upgrade")?.toLowerCase()).toBe("websocket");
      expect(client.response?.headers.get("connection")?.toLowerCase()).toBe("upgrade");
      client.close();
    });

    it("rfc6455#section-4.4 refuses version 8 with 426 and Sec-WebSocket-Version: 13", async () => {
      const client = await RawClient.open(port);
      const response = await client.sendHandshake({
        request: "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
      });
      expect(response.status).toBe(426);
      expect(response.headers.get("sec-websocket-version")).toBe("13");
      await withTimeout(client.ended, 5_000, "server closes after refusing");
    });

    it("rfc6455#section-4.2.1 refuses a request without Sec-WebSocket-Key with 400", async () => {
      const client = await RawClient.open(port);
      const response = await client.sendHandshake({
        request: "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
          "Sec-WebSocket-Version: 13\r\n\r\n",
      });
      expect(response.status).toBe(400);
      await withTimeout(client.ended, 5_000, "server closes after refusing");
    });

    it("answers a plain HTTP request with 426 Upgrade Required", async () => {
      const client = await RawClient.open(port);
      const response = await client.sendHandshake({
        request: "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
      });
      expect(response.status).toBe(426);
    });

    for (const length of [0, 125, 126, 65535, 65536]) {
      it(`rfc6455#section-5.2 echoes text and binary of ${length} bytes`, async () => {
        const client = await RawClient.handshake(port);
        const binary = pattern(length);
        const text = "é".repeat(length >> 1) + (length & 1 ? "a" : "");
        client.sendFrame(BINARY, binary);
        client.sendFrame(TEXT, text);
        const first = await client.nextFrame();
        expect(first?.opcode).toBe(BINARY);
        expect(bytesDiff(first?.payload, binary)).toBe("");
        const second = await client.nextFrame();
        expect(second?.opcode).toBe(TEXT);
        expect(new TextDecoder().decode(second?.payload)).toBe(text);
        client.close();
      });
    }

    it("rfc6455#section-5.2 echoes a 16 MiB binary message", async () => {
      const client = await RawClient.handshake(port);
      const big = pattern(16 * 1024 * 1024);
      client.sendFrame(BINARY, big);
      const frame = await withTimeout(client.nextFrame(), 20_000, "16 MiB echo");
      expect(bytesDiff(frame?.payload, big)).toBe("");
      client.close();
    });

    it("rfc6455#section-5.4 assembles fragments with a ping between them, answering the ping first", async () => {
      const client = await RawClient.handshake(port);
      client.sendFrame(TEXT, "Hel", { fin: false });
      client.sendFrame(PING, "between");
      client.sendFrame(CONTINUATION, "lo, ", { fin: false });
      client.sendFrame(CONTINUATION, "world");
      const pong = await client.nextFrame();
      expect(pong?.opcode).toBe(PONG);
      expect(new TextDecoder().decode(pong?.payload)).toBe("between");
      const message = await client.nextFrame();
      expect(message?.opcode).toBe(TEXT);
      expect(new TextDecoder().decode(message?.payload)).toBe("Hello, world");
      client.close();
    });

    it("rfc6455#section-5.5.2 answers every ping with a pong carrying the same data", async () => {
      const client = await RawClient.handshake(port);
      for (let i = 0; i < 10; i++) client.sendFrame(PING, `ping ${i}`);
      for (let i = 0; i < 10; i++) {
        const pong = await client.nextFrame();
        expect(pong?.opcode).toBe(PONG);
        expect(new TextDecoder().decode(pong?.payload)).toBe(`ping ${i}`);
      }
      client.close();
    });

    it("delivers 1000 messages in order", async () => {
      const client = await RawClient.handshake(port);
      for (let i = 0; i < 1000; i++) client.sendFrame(TEXT, `message ${i}`);
      for (let i = 0; i < 1000; i++) {
        const frame = await client.nextFrame();
        expect(new TextDecoder().decode(frame?.payload)).toBe(`message ${i}`);
      }
      client.close();
    });

    const failures: [string, (client: RawClient) => void, number][] = [
      [
        "rfc6455#section-5.1 an unmasked client frame",
        (c) => c.sendFrame(TEXT, "x", { mask: false }),
        1002,
      ],
      ["rfc6455#section-5.2 a reserved opcode", (c) => c.sendFrame(0x3, "x"), 1002],
      [
        "rfc6455#section-5.2 RSV bits without an extension",
        (c) => c.sendFrame(TEXT, "x", { rsv: 4 }),
        1002,
      ],
      [
        "rfc6455#section-5.5 a 126-byte ping",
        (c) => c.sendFrame(PING, new Uint8Array(126)),
        1002,
      ],
      [
        "rfc6455#section-5.4 a continuation with no message started",
        (c) => c.sendFrame(CONTINUATION, "x"),
        1002,
      ],
      [
        "rfc6455#section-8.1 invalid UTF-8 in text",
        (c) => c.sendFrame(TEXT, new Uint8Array([0xce, 0xba, 0xed, 0xa0, 0x80])),
        1007,
      ],
      [
        "rfc6455#section-5.5.1 a close frame with a 1-byte payload",
        (c) => c.sendFrame(CLOSE, new Uint8Array([0x03])),
        1002,
      ],
      [
        "rfc6455#section-7.4 a close frame with code 1005",
        (c) => c.sendFrame(CLOSE, closePayload(1005)),
        1002,
      ],
      [
        "rfc6455#section-10.4 a frame over the size limit",
        (c) => {
          // Just the header of a 1 GiB frame: it must be refused before any payload arrives.
          c.write(new Uint8Array([0x82, 0xff, 0, 0, 0, 0, 0x40, 0, 0, 0, 1, 2, 3, 4]));
        },
        1009,
      ],
    ];
    for (const [what, send, code] of failures) {
      it(`${what} fails the connection with ${code} and the server closes TCP`, async () => {
        const client = await RawClient.handshake(port);
        send(client);
        const close = await withTimeout(client.nextClose(), 5_000, "close frame");
        expect(close?.code).toBe(code);
        await withTimeout(client.ended, 5_000, "TCP close");
      });
    }

    it("rfc6455#section-5.5.1 echoes the client's close code and reason, then closes TCP", async () => {
      const client = await RawClient.handshake(port, { path: "/echo-close" });
      client.sendFrame(CLOSE, closePayload(4000, "bye"));
      const close = await client.nextClose();
      expect(close).toEqual({ code: 4000, reason: "bye" });
      await withTimeout(client.ended, 5_000, "TCP close");
      const event = await observed.closed.get("/echo-close");
      expect(event).toMatchObject({ code: 4000, reason: "bye", wasClean: true });
    });

    it("rfc6455#section-5.5.1 answers messages that arrived with the peer's Close before answering the Close", async () => {
      const client = await RawClient.handshake(port, { path: "/last-words" });
      const frames = ["one", "two", "three"].map((text) => encodeFrame(TEXT, text));
      const close = encodeFrame(CLOSE, closePayload(1000, "done"));
      // Everything in one write, so the server reads the messages and the Close together.
      const joined = new Uint8Array([...frames, close].reduce((n, f) => n + f.length, 0));
      let offset = 0;
      for (const frame of [...frames, close]) {
        joined.set(frame, offset);
        offset += frame.length;
      }
      client.write(joined);
      for (const text of ["one", "two", "three"]) {
        const echo = await withTimeout(client.nextFrame(), 5_000, `echo of ${text}`);
        expect(new TextDecoder().decode(echo?.payload)).toBe(text);
      }
      expect(await withTimeout(client.nextClose(), 5_000, "close")).toEqual({
        code: 1000,
        reason: "done",
      });
      await withTimeout(client.ended, 5_000, "TCP close");
      expect(await observed.closed.get("/last-words")).toMatchObject({
        code: 1000,
        wasClean: true,
      });
    });

    it("rfc6455#section-5.5.1 answers a close without a code with a close without a code", async () => {
      const client = await RawClient.handshake(port, { path: "/no-code" });
      client.sendFrame(CLOSE);
      const frame = await client.nextFrame();
      expect(frame?.opcode).toBe(CLOSE);
      expect(frame?.payload.length).toBe(0);
      await withTimeout(client.ended, 5_000, "TCP close");
      const event = await observed.closed.get("/no-code");
      expect(event).toMatchObject({ code: 1005, wasClean: true });
    });

    it("rfc6455#section-7.1.1 once the closing handshake is done the server closes TCP at once, without waiting for the client's end", async () => {
      // A close timeout far past the test's bound: a server that waited for the client's FIN
      // would close only at that deadline.
      let closed: Promise<CloseEvent> | undefined;
      const patient = await serve((ws) => {
        closed = ws.closed;
      }, { hostname: "127.0.0.1", port: 0, closeTimeout: 60_000 });
      try {
        const client = await RawClient.handshake(patient.addr.port, { halfOpen: true });
        client.sendFrame(CLOSE, closePayload(1000, "bye"));
        expect(await withTimeout(client.nextClose(), 5_000, "close")).toEqual({
          code: 1000,
          reason: "bye",
        });
        await withTimeout(client.ended, 5_000, "the server's FIN");
        // This client has not ended its side, and the server is done with the connection.
        expect(client.socket.writableEnded).toBe(false);
        const event = await withTimeout(closed!, 5_000, "closed, with the client's side open");
        expect(event).toMatchObject({ code: 1000, reason: "bye", wasClean: true });
        expect(client.resetError).toBeUndefined();
        client.close();
      } finally {
        await patient.close();
      }
    });

    it("rfc6455#section-7.1.2 server-initiated close waits for the client's close, then closes TCP", async () => {
      const client = await RawClient.handshake(port, { path: "/close-me" });
      client.sendFrame(TEXT, "please close");
      const close = await client.nextClose();
      expect(close).toEqual({ code: 4001, reason: "server bye" });
      // The server must not have closed TCP yet: it waits for our Close.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(client.socket.closed).toBe(false);
      client.sendFrame(CLOSE, closePayload(4001, "server bye"));
      await withTimeout(client.ended, 5_000, "TCP close");
      const event = await observed.closed.get("/close-me");
      expect(event).toMatchObject({ code: 4001, reason: "server bye", wasClean: true });
    });

    it("rfc6455#section-7.1.5 reports 1006 when the peer vanishes without a close frame", async () => {
      const client = await RawClient.handshake(port, { path: "/vanish" });
      client.sendFrame(TEXT, "hi");
      await client.nextFrame();
      client.close();
      const event = await withTimeout(observed.closed.get("/vanish")!, 5_000, "closed");
      expect(event).toMatchObject({ code: 1006, wasClean: false });
    });

    it("a handler that throws closes its connection with 1011 and the server keeps serving", async () => {
      const client = await RawClient.handshake(port, { path: "/throw" });
      const close = await withTimeout(client.nextClose(), 5_000, "close frame");
      expect(close?.code).toBe(1011);
      expect(observed.errors.some((e) => e instanceof Error && e.message === "handler bug")).toBe(
        true,
      );
      const other = await RawClient.handshake(port);
      other.sendFrame(TEXT, "still here");
      expect(new TextDecoder().decode((await other.nextFrame())?.payload)).toBe("still here");
      other.close();
    });

    it("backpressure: a client that does not read makes send() wait", async () => {
      const client = await RawClient.handshake(port, { path: "/flood" });
      client.socket.pause();
      // Let the server fill every buffer between it and the paused client.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const stalled = slowSends.count;
      await new Promise((resolve) => setTimeout(resolve, 300));
      // send() is waiting: no progress, and far less than the 6.4 GB the loop would send.
      expect(slowSends.count).toBe(stalled);
      expect(stalled * 64 * 1024).toBeLessThan(64 * 1024 * 1024);
      client.socket.resume();
      await withTimeout(
        (async () => {
          while (slowSends.count < stalled + 100) await new Promise((r) => setTimeout(r, 20));
        })(),
        10_000,
        "sending resumes once the client reads",
      );
      client.close();
    });
  });
}

/** Routing through a real server: path, subprotocol, upgrade hook and Origin. */
export function runRouterContract(name: string, serve: ServeFunction): void {
  describe(`router contract: ${name}`, () => {
    let server: Server;
    let port = 0;

    beforeAll(async () => {
      const { Router } = await import("../../src/router/router.ts");
      const router = new Router()
        .route("/echo", {
          async handler(ws) {
            for await (const message of ws) await ws.send(message);
          },
        })
        .route("/chat", {
          protocols: ["chat.v2", "chat"],
          protocolRequired: false,
          async handler(ws, ctx) {
            await ws.send(`protocol=${ctx.protocol}`);
          },
        })
        .route("/rooms/:room", {
          upgrade(request) {
            if (request.headers.get("x-token") !== "ok") {
              return new Response("log in first", { status: 401 });
            }
            return { data: { user: "ada" }, headers: { "set-cookie": "seen=1" } };
          },
          async handler(ws, ctx) {
            await ws.send(`${ctx.params.room}:${ctx.data.user}`);
          },
        });
      server = await (serve as unknown as (
        router: InstanceType<typeof Router>,
        options: ServeOptions & ListenOptions,
      ) => Promise<Server>)(router, { hostname: "127.0.0.1", port: 0 });
      port = server.addr.port;
    });

    afterAll(async () => {
      await server.close();
    });

    it("refuses an unknown path with 404 before upgrading", async () => {
      const client = await RawClient.open(port);
      const response = await client.sendHandshake({ path: "/nope" });
      expect(response.status).toBe(404);
    });

    it("answers a plain HTTP request on a route with 426", async () => {
      const client = await RawClient.open(port);
      const response = await client.sendHandshake({
        request: "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n",
      });
      expect(response.status).toBe(426);
    });

    it("rfc6455#section-4.2.2 selects the first subprotocol in the client's order", async () => {
      const client = await RawClient.handshake(port, {
        path: "/chat",
        headers: { "Sec-WebSocket-Protocol": "chat, chat.v2" },
      });
      expect(client.response?.headers.get("sec-websocket-protocol")).toBe("chat");
      expect(new TextDecoder().decode((await client.nextFrame())?.payload)).toBe("protocol=chat");
      client.close();
    });

    it("rfc6455#section-4.2.2 upgrades without a subprotocol when none is in common", async () => {
      const client = await RawClient.handshake(port, {
        path: "/chat",
        headers: { "Sec-WebSocket-Protocol": "mqtt" },
      });
      expect(client.response?.status).toBe(101);
      expect(client.response?.headers.has("sec-websocket-protocol")).toBe(false);
      client.close();
    });

    it("an upgrade hook refuses with its own Response", async () => {
      const client = await RawClient.open(port);
      const response = await client.sendHandshake({ path: "/rooms/lobby" });
      expect(response.status).toBe(401);
      expect(response.body).toBe("log in first");
    });

    it("an upgrade hook accepts with headers and typed data for the handler", async () => {
      const client = await RawClient.handshake(port, {
        path: "/rooms/lobby",
        headers: { "x-token": "ok" },
      });
      expect(client.response?.status).toBe(101);
      expect(client.response?.headers.get("set-cookie")).toBe("seen=1");
      expect(new TextDecoder().decode((await client.nextFrame())?.payload)).toBe("lobby:ada");
      client.close();
    });

    it("rfc6455#section-10.2 refuses a foreign Origin with 403 and lets a missing one pass", async () => {
      const foreign = await RawClient.open(port);
      const response = await foreign.sendHandshake({
        path: "/echo",
        headers: { Origin: "https://evil.example" },
      });
      expect(response.status).toBe(403);
      const same = await RawClient.handshake(port, {
        path: "/echo",
        headers: { Origin: "http://127.0.0.1" },
      });
      expect(same.response?.status).toBe(101);
      same.close();
    });
  });
}

/** Timers, shutdown and connection limits, on a real server. */
export function runLifecycleContract(name: string, serve: ServeFunction): void {
  describe(`lifecycle contract: ${name}`, () => {
    const closedByPath = new Map<string, Promise<CloseEvent>>();
    const handler: WebSocketHandler = async (ws, { request }) => {
      closedByPath.set(new URL(request.url).pathname, ws.closed);
      for await (const message of ws) await ws.send(message);
    };

    /** Answers pings and closes like a well-behaved client until told to stop. */
    function answerControlFrames(client: RawClient): void {
      void (async () => {
        while (true) {
          const frame = await client.nextFrame().catch(() => undefined);
          if (frame === undefined) return;
          if (frame.opcode === PING) client.sendFrame(PONG, frame.payload);
          if (frame.opcode === CLOSE) client.sendFrame(CLOSE, frame.payload);
        }
      })();
    }

    // Timer and send-buffer behaviour is tested in memory with a fake clock in tests/streams/;
    // one real-socket check per timer stays here, so each runtime's sockets see it too.
    it("heartbeat drops a connection from which nothing arrives, and closed says so", async () => {
      const server = await serve(handler, { port: 0, heartbeatInterval: 100 });
      try {
        const client = await RawClient.handshake(server.addr.port, { path: "/silent" });
        const event = await withTimeout(closedByPath.get("/silent")!, 5_000, "heartbeat end");
        expect(event.code).toBe(1006);
        expect(event.wasClean).toBe(false);
        expect(event.error).toMatchObject({ name: "TimeoutError", timeout: "heartbeat" });
        await withTimeout(client.ended, 5_000, "TCP close");
      } finally {
        await server.close();
      }
    });

    it("idle timeout closes a quiet connection with 1001", async () => {
      const server = await serve(handler, { port: 0, heartbeatInterval: 0, idleTimeout: 200 });
      try {
        const client = await RawClient.handshake(server.addr.port, { path: "/idle" });
        const close = await withTimeout(client.nextClose(), 5_000, "idle close");
        expect(close).toEqual({ code: 1001, reason: "idle timeout" });
        client.sendFrame(CLOSE, closePayload(1001));
        const event = await withTimeout(closedByPath.get("/idle")!, 5_000, "closed");
        expect(event).toMatchObject({ code: 1001, wasClean: true });
        expect(event.error).toMatchObject({ name: "TimeoutError", timeout: "idle" });
      } finally {
        await server.close();
      }
    });

    it("shutdown sends 1001 to every connection, waits for the polite, drops the rest", async () => {
      const server = await serve(handler, { port: 0, heartbeatInterval: 0 });
      const port = server.addr.port;
      const polite = await RawClient.handshake(port, { path: "/polite" });
      answerControlFrames(polite);
      const rude = await RawClient.handshake(port, { path: "/rude" });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(server.connections.size).toBe(2);
      const started = performance.now();
      await withTimeout(
        server.shutdown({ code: 1001, reason: "restarting", timeout: 300 }),
        5_000,
        "shutdown",
      );
      expect(performance.now() - started).toBeLessThan(3_000);
      expect(await closedByPath.get("/polite")).toMatchObject({ code: 1001, wasClean: true });
      expect(await closedByPath.get("/rude")).toMatchObject({ code: 1006, wasClean: false });
      expect(await rude.nextClose()).toEqual({ code: 1001, reason: "restarting" });
      expect(server.connections.size).toBe(0);
      await expect(RawClient.open(port)).rejects.toThrow();
    });

    it("a connection that would overdraw the partial-message budget is closed with 1013", async () => {
      const { MemoryBudget } = await import("../../src/streams/memory_budget.ts");
      const budget = new MemoryBudget(1024 * 1024);
      const server = await serve(handler, {
        port: 0,
        heartbeatInterval: 0,
        partialMessageBudget: budget,
      });
      try {
        const first = await RawClient.handshake(server.addr.port, { path: "/first" });
        first.sendFrame(BINARY, new Uint8Array(600 * 1024), { fin: false });
        await withTimeout(
          (async () => {
            while (budget.used < 600 * 1024) await new Promise((r) => setTimeout(r, 10));
          })(),
          5_000,
          "first partial message held",
        );
        const second = await RawClient.handshake(server.addr.port, { path: "/second" });
        second.sendFrame(BINARY, new Uint8Array(600 * 1024), { fin: false });
        const close = await withTimeout(second.nextClose(), 5_000, "1013");
        expect(close?.code).toBe(1013);
        // The first connection still completes its message.
        first.sendFrame(CONTINUATION, new Uint8Array(10));
        const echo = await withTimeout(first.nextFrame(), 5_000, "echo");
        expect(echo?.payload.length).toBe(600 * 1024 + 10);
        expect(budget.used).toBe(0);
        first.close();
      } finally {
        await server.close();
      }
    });

    it("refuses sockets over the per-address limit with 503", async () => {
      const server = await serve(handler, {
        port: 0,
        heartbeatInterval: 0,
        maxConnectionsPerAddress: 2,
      });
      try {
        const first = await RawClient.handshake(server.addr.port);
        const second = await RawClient.handshake(server.addr.port);
        const third = await RawClient.open(server.addr.port);
        const response = await withTimeout(third.readResponse(), 5_000, "503");
        expect(response.status).toBe(503);
        first.close();
        second.close();
        third.close();
      } finally {
        await server.close();
      }
    });
  });
}
