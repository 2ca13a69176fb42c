// The client against servers that are not wsflow's: the `ws` package's WebSocketServer on
// Node, `Bun.serve` websockets on Bun, `Deno.serve` with `Deno.upgradeWebSocket` on Deno. Each
// peer echoes every message, selects "chat" when offered, and on /close-me closes at once
// with 4001 "server bye".
import { describe, expect, it } from "vitest";
import { afterAll, beforeAll } from "vitest";
import type { Connection } from "../../src/streams/connection.ts";
import { runtime } from "../_helpers/adapter_for_runtime.ts";
import { bytesDiff } from "../_helpers/bytes.ts";
import { type ClientAdapter, loadClient } from "../_helpers/client_for_runtime.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

const client: ClientAdapter = await loadClient();

/** A running peer server. */
interface Peer {
  port: number;
  close(): Promise<void>;
}

async function startWsPeer(): Promise<Peer> {
  const { WebSocketServer } = await import("ws");
  const server = new WebSocketServer({
    host: "127.0.0.1",
    port: 0,
    handleProtocols: (protocols) => protocols.has("chat") ? "chat" : false,
  });
  server.on("connection", (ws, request) => {
    if (request.url === "/close-me") ws.close(4001, "server bye");
    ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const address = server.address();
  return {
    port: typeof address === "object" && address !== null ? address.port : 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function startBunPeer(): Promise<Peer> {
  const server = Bun.serve<{ path: string }>({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request, server) {
      const offered = request.headers.get("sec-websocket-protocol")?.split(/\s*,\s*/) ?? [];
      const upgraded = server.upgrade(request, {
        data: { path: new URL(request.url).pathname },
        headers: offered.includes("chat") ? { "Sec-WebSocket-Protocol": "chat" } : {},
      });
      return upgraded ? undefined : new Response("upgrade", { status: 426 });
    },
    websocket: {
      open(ws) {
        if (ws.data.path === "/close-me") ws.close(4001, "server bye");
      },
      message(ws, message) {
        ws.send(message);
      },
    },
  });
  return Promise.resolve({
    port: server.port ?? 0,
    close: async () => {
      await server.stop(true);
    },
  });
}

function startDenoPeer(): Promise<Peer> {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const offered = request.headers.get("sec-websocket-protocol")?.split(/\s*,\s*/) ?? [];
    const { socket, response } = Deno.upgradeWebSocket(
      request,
      offered.includes("chat") ? { protocol: "chat" } : {},
    );
    socket.binaryType = "arraybuffer";
    socket.onopen = () => {
      if (new URL(request.url).pathname === "/close-me") socket.close(4001, "server bye");
    };
    socket.onmessage = (event) => socket.send(event.data);
    return response;
  });
  return Promise.resolve({ port: server.addr.port, close: () => server.shutdown() });
}

const peers: Record<typeof runtime, { name: string; start: () => Promise<Peer> }> = {
  node: { name: "the ws package's WebSocketServer", start: startWsPeer },
  bun: { name: "Bun.serve websockets", start: startBunPeer },
  deno: { name: "Deno.serve with Deno.upgradeWebSocket", start: startDenoPeer },
};

async function next(ws: Connection, what = "a message"): Promise<string | Uint8Array> {
  const result = await withTimeout(ws[Symbol.asyncIterator]().next(), 10_000, what);
  if (result.done) throw new Error(`The connection closed while waiting for ${what}`);
  return result.value;
}

const peer = peers[runtime];

describe(`client on ${runtime} against ${peer.name}`, () => {
  let server: Peer;
  let base = "";

  beforeAll(async () => {
    server = await peer.start();
    base = `ws://127.0.0.1:${server.port}`;
  });

  afterAll(async () => {
    await server.close();
  });

  it("rfc6455#section-5.6 echoes text as string and binary as Uint8Array", async () => {
    const ws = await client.connect(`${base}/`);
    await ws.send("text ✓");
    await ws.send(new Uint8Array([1, 2, 3]));
    expect(await next(ws)).toBe("text ✓");
    expect(bytesDiff((await next(ws)) as Uint8Array, new Uint8Array([1, 2, 3]))).toBe("");
    await ws.close();
  });

  it("rfc6455#section-5.2 echoes a 1 MiB binary message", async () => {
    const ws = await client.connect(`${base}/`);
    const big = new Uint8Array(1024 * 1024).map((_, i) => (i * 7) & 0xff);
    await ws.send(big);
    expect(bytesDiff((await next(ws, "the 1 MiB echo")) as Uint8Array, big)).toBe("");
    await ws.close();
  });

  it("rfc6455#section-5.5.2 the peer answers ping() with a Pong", async () => {
    const ws = await client.connect(`${base}/`);
    expect(await withTimeout(ws.ping(), 5_000, "the pong")).toBeGreaterThanOrEqual(0);
    await ws.close();
  });

  it("rfc6455#section-4.1 reports the subprotocol the peer selected", async () => {
    const ws = await client.connect(`${base}/`, { protocols: ["v2", "chat"] });
    expect(ws.protocol).toBe("chat");
    await ws.close();
  });

  it("rfc6455#section-7.1.2 closing from the client ends cleanly with the code and reason", async () => {
    const ws = await client.connect(`${base}/`);
    const event = await withTimeout(ws.close(4000, "client bye"), 5_000, "the close");
    expect(event).toEqual({ code: 4000, reason: "client bye", wasClean: true });
  });

  it("rfc6455#section-7.1.2 closing from the peer ends cleanly with its code and reason", async () => {
    const ws = await client.connect(`${base}/close-me`);
    const event = await withTimeout(ws.closed, 5_000, "the close");
    expect(event).toEqual({ code: 4001, reason: "server bye", wasClean: true });
  });

  it("the WebSocket class: open, message, close", async () => {
    const events: string[] = [];
    const ws = new client.WebSocket(`${base}/`);
    ws.onopen = () => {
      events.push("open");
      ws.send("hi");
    };
    ws.onmessage = (event) => {
      events.push(`message:${event.data}`);
      ws.close(1000);
    };
    await withTimeout(
      new Promise<void>((resolve) => {
        ws.onclose = (event) => {
          events.push(`close:${event.code}:${event.wasClean}`);
          resolve();
        };
      }),
      5_000,
      "the close event",
    );
    expect(events).toEqual(["open", "message:hi", "close:1000:true"]);
  });
});

for (const [other, { name }] of Object.entries(peers)) {
  if (other === runtime) continue;
  describe(`client against ${name}`, () => {
    it.skip(`runs under ${other} only: it is ${other}'s own server; this is ${runtime}`, () => {});
  });
}
