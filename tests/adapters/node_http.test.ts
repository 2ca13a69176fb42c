// handleUpgrade: wsflow on an existing node:http server, on the same port as its own request
// handler, under each runtime's node:http. The `ws` client talks WebSocket to the wsflow routes while plain HTTP still reaches
// the server's handler; a raw client checks what `ws` cannot send (the first frame in the same
// packet as the handshake, an unknown path).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Server as HttpServer } from "node:http";
import type WebSocket from "ws";
import { runtime } from "../_helpers/adapter_for_runtime.ts";
import { bytesDiff } from "../_helpers/bytes.ts";
import { encodeFrame, RawClient } from "../_helpers/raw_client.ts";
import { delay, withTimeout } from "../_helpers/with_timeout.ts";

type WsClass = typeof WebSocket;

interface WsClient {
  ws: WebSocket;
  next(what: string): Promise<{ data: Uint8Array; isBinary: boolean }>;
  closed: Promise<{ code: number; reason: string }>;
}

async function openWs(WebSocketClass: WsClass, url: string, protocols?: string[]) {
  const ws = protocols === undefined ? new WebSocketClass(url) : new WebSocketClass(url, protocols);
  const messages: { data: Uint8Array; isBinary: boolean }[] = [];
  let wake: (() => void) | undefined;
  ws.on("message", (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
    const bytes = Array.isArray(data)
      ? new Uint8Array(Buffer.concat(data))
      : new Uint8Array(data instanceof ArrayBuffer ? data : new Uint8Array(data));
    messages.push({ data: bytes, isBinary });
    wake?.();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on("close", (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() }));
  });
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    }),
    5_000,
    `ws opens ${url}`,
  );
  const client: WsClient = {
    ws,
    closed,
    async next(what) {
      await withTimeout(
        (async () => {
          while (messages.length === 0) await new Promise<void>((r) => (wake = r));
        })(),
        10_000,
        what,
      );
      return messages.shift()!;
    },
  };
  return client;
}

function pattern(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 17 + (i >> 9)) & 0xff;
  return out;
}

function runNodeHttpSuite(WebSocketClass: WsClass): void {
  describe(`handleUpgrade: wsflow on a node:http server (${runtime})`, () => {
    let server: HttpServer;
    let port = 0;
    const plainRequests: string[] = [];

    beforeAll(async () => {
      const { createServer } = await import("node:http");
      const { handleUpgrade } = await import("../../src/adapters/node_http.ts");
      const { Router } = await import("../../src/router/router.ts");
      const router = new Router()
        .route("/echo", {
          async handler(ws) {
            for await (const message of ws) await ws.send(message);
          },
        })
        .route("/hooks", {
          handler: { message: (ws, message) => ws.send(message) },
        })
        .route("/chat", {
          protocols: ["chat", "chat.v2"],
          protocolRequired: false,
          async handler(ws, ctx) {
            await ws.send(`protocol=${ctx.protocol} query=${ctx.request.url.split("?")[1] ?? ""}`);
            for await (const message of ws) await ws.send(message);
          },
        });
      server = createServer((request, response) => {
        plainRequests.push(`${request.method} ${request.url}`);
        if (request.url === "/") {
          response.writeHead(200, { "content-type": "text/plain" }).end("hello");
        } else {
          response.writeHead(404).end("not found");
        }
      });
      // An idle timeout on the server's sockets: the upgraded ones must not inherit it.
      server.setTimeout(400);
      server.on("upgrade", handleUpgrade(router, { closeTimeout: 2_000 }));
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const address = server.address();
      port = typeof address === "object" && address !== null ? address.port : 0;
    });

    afterAll(async () => {
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it("a plain GET / still reaches the server's own handler", async () => {
      const response = await fetch(`http://127.0.0.1:${port}/`);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe("hello");
      expect(plainRequests).toContain("GET /");
    });

    it("rfc6455#section-4.2.2 the ws client connects on the same port and gets echoes", async () => {
      const { ws, next, closed } = await openWs(WebSocketClass, `ws://127.0.0.1:${port}/echo`);
      ws.send("hello, wsflow 👋");
      const text = await next("text echo");
      expect(text.isBinary).toBe(false);
      expect(new TextDecoder().decode(text.data)).toBe("hello, wsflow 👋");
      const binary = pattern(1024 * 1024);
      ws.send(binary);
      const echoed = await next("1 MiB binary echo");
      expect(echoed.isBinary).toBe(true);
      expect(bytesDiff(echoed.data, binary)).toBe("");
      // HTTP keeps working while a WebSocket is open on the same server.
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("hello");
      ws.close(4000, "bye");
      expect(await withTimeout(closed, 5_000, "ws closes")).toEqual({ code: 4000, reason: "bye" });
    });

    it("a route served by message hooks echoes to the ws client, text and binary", async () => {
      const { ws, next, closed } = await openWs(WebSocketClass, `ws://127.0.0.1:${port}/hooks`);
      ws.send("by hooks");
      const text = await next("text echo by hooks");
      expect(text.isBinary).toBe(false);
      expect(new TextDecoder().decode(text.data)).toBe("by hooks");
      const binary = pattern(256 * 1024);
      ws.send(binary);
      const echoed = await next("binary echo by hooks");
      expect(echoed.isBinary).toBe(true);
      expect(bytesDiff(echoed.data, binary)).toBe("");
      ws.close(1000);
      expect((await withTimeout(closed, 5_000, "ws closes")).code).toBe(1000);
    });

    it("rfc6455#section-4.2.2 routes by subprotocol and sees the query string", async () => {
      const { ws, next } = await openWs(
        WebSocketClass,
        `ws://127.0.0.1:${port}/chat?room=lobby`,
        ["chat.v2", "chat"],
      );
      expect(ws.protocol).toBe("chat.v2");
      expect(new TextDecoder().decode((await next("greeting")).data)).toBe(
        "protocol=chat.v2 query=room=lobby",
      );
      ws.terminate();
    });

    it("an upgraded connection outlives the server's idle timeout", async () => {
      const { ws, next } = await openWs(WebSocketClass, `ws://127.0.0.1:${port}/echo`);
      await delay(900); // more than twice server.setTimeout(400)
      ws.send("still here");
      expect(new TextDecoder().decode((await next("echo after idling")).data)).toBe("still here");
      ws.terminate();
    });

    it("takes frames that arrive in the same packet as the handshake (the `head` bytes)", async () => {
      const client = await RawClient.open(port);
      try {
        const request = "GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n" +
          "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
          "Sec-WebSocket-Version: 13\r\n\r\n";
        const head = new TextEncoder().encode(request);
        const frame = encodeFrame(0x1, "early");
        const both = new Uint8Array(head.length + frame.length);
        both.set(head);
        both.set(frame, head.length);
        client.write(both);
        const response = await withTimeout(client.readResponse(), 5_000, "101");
        expect(response.status).toBe(101);
        const echo = await withTimeout(client.nextFrame(), 5_000, "echo of the early frame");
        expect(new TextDecoder().decode(echo?.payload)).toBe("early");
      } finally {
        client.close();
      }
    });

    it("refuses an upgrade to a path without a route with 404", async () => {
      const client = await RawClient.open(port);
      try {
        const response = await withTimeout(client.sendHandshake({ path: "/nope" }), 5_000, "404");
        expect(response.status).toBe(404);
        expect(plainRequests).not.toContain("GET /nope");
      } finally {
        client.close();
      }
    });

    it("refuses a browser handshake from a foreign Origin with 403 (same-origin by default)", async () => {
      const client = await RawClient.open(port);
      try {
        const response = await withTimeout(
          client.sendHandshake({ path: "/echo", headers: { Origin: "https://evil.example" } }),
          5_000,
          "403",
        );
        expect(response.status).toBe(403);
      } finally {
        client.close();
      }
    });

    // Node parsed these heads; wsflow holds them to its own rules anyway (checkRequestHead),
    // without writing them back out as bytes.
    async function statusOf(lines: string[]): Promise<number> {
      const client = await RawClient.open(port);
      try {
        const request = [...lines, "", ""].join("\r\n");
        const response = await withTimeout(client.sendHandshake({ request }), 5_000, "a refusal");
        return response.status;
      } finally {
        client.close();
      }
    }
    const upgradeLines = (host: string): string[] => [
      "GET /echo HTTP/1.1",
      `Host: ${host}`,
      "Upgrade: websocket",
      "Connection: Upgrade",
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
      "Sec-WebSocket-Version: 13",
    ];

    it("rfc7230#section-3.2.5 applies wsflow's header count limit to Node's parsed head (431)", async () => {
      const extra = Array.from({ length: 100 }, (_, i) => `X-Filler-${i}: x`);
      expect(await statusOf([...upgradeLines("127.0.0.1"), ...extra])).toBe(431);
    });

    it("rfc7230#section-5.4 refuses a malformed Host that Node let through with 400", async () => {
      expect(await statusOf(upgradeLines("a b"))).toBe(400);
    });

    it("rfc7230#section-5.4 refuses a repeated Host with 400", async () => {
      const lines = upgradeLines("127.0.0.1");
      lines.splice(2, 0, "Host: other");
      expect(await statusOf(lines)).toBe(400);
    });
  });
}

// node:http's `upgrade` event works on Bun's and Deno's node:http too (both hand over a real
// socket, the parsed request and the head bytes), so the suite runs under every runtime.
const { default: WebSocketClass } = await import("ws");
runNodeHttpSuite(WebSocketClass);
