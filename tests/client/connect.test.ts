// The client against wsflow's own server, each runtime with its own adapter on both ends:
// messages, pings, closing both ways, subprotocols, the URL's path and query, IPv6, and the
// ways an attempt ends early (abort, timeout, refusal).
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HandshakeError } from "../../src/protocol/errors.ts";
import type { CloseEvent } from "../../src/protocol/session_events.ts";
import type { Server } from "../../src/server/options.ts";
import type { Connection } from "../../src/streams/connection.ts";
import { runtime, serveForRuntime } from "../_helpers/adapter_for_runtime.ts";
import { bytesDiff } from "../_helpers/bytes.ts";
import { type ClientAdapter, loadClient } from "../_helpers/client_for_runtime.ts";
import { startRawServer, switchingProtocols } from "../_helpers/raw_server.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

const client: ClientAdapter = await loadClient();
const hasIpv6Loopback = await canListen("::1");

/** Whether this machine can listen on `hostname` (IPv6 loopback may be switched off). */
function canListen(hostname: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(0, hostname, () => probe.close(() => resolve(true)));
  });
}

/** Reads the next message, failing after a bounded wait. */
async function next(ws: Connection, what = "a message"): Promise<string | Uint8Array> {
  const result = await withTimeout(ws[Symbol.asyncIterator]().next(), 10_000, what);
  if (result.done) throw new Error(`The connection closed while waiting for ${what}`);
  return result.value;
}

function pattern(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + (i >> 8)) & 0xff;
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await withTimeout(promise, 10_000, "the attempt to settle");
  } catch (error) {
    return error;
  }
  throw new Error("Expected the attempt to fail, but it succeeded");
}

describe(`client: connect() on ${runtime} against wsflow's server`, () => {
  let server: Server;
  let base = "";
  const serverClosed = new Map<string, Promise<CloseEvent>>();

  beforeAll(async () => {
    server = await serveForRuntime(async (ws, { request, protocol }) => {
      const url = new URL(request.url);
      const id = url.searchParams.get("id");
      if (id !== null) serverClosed.set(id, ws.closed);
      switch (url.pathname) {
        case "/query":
          await ws.send(`${url.pathname}${url.search}`);
          break;
        case "/protocol":
          await ws.send(`protocol:${protocol}`);
          break;
        case "/headers":
          await ws.send(`token:${request.headers.get("x-token")}`);
          break;
        case "/close-me":
          await ws.close(4001, "server bye");
          return;
      }
      for await (const message of ws) await ws.send(message);
    }, {
      hostname: "127.0.0.1",
      port: 0,
      protocols: ["chat.v2", "chat"],
      closeTimeout: 2_000,
    });
    base = `ws://127.0.0.1:${server.addr.port}`;
  });

  afterAll(async () => {
    await server.close();
  });

  it("rfc6455#section-4.1 opens a connection and echoes text and binary", async () => {
    const ws = await client.connect(`${base}/echo`);
    expect(ws.readyState).toBe("open");
    await ws.send("héllo ✓");
    await ws.send(new Uint8Array([0, 1, 2, 255]));
    expect(await next(ws, "the text echo")).toBe("héllo ✓");
    const binary = await next(ws, "the binary echo");
    expect(binary).toBeInstanceOf(Uint8Array);
    expect(bytesDiff(binary as Uint8Array, new Uint8Array([0, 1, 2, 255]))).toBe("");
    await ws.close();
  });

  it("rfc6455#section-5.2 echoes a 1 MiB binary message", async () => {
    const ws = await client.connect(`${base}/echo`);
    const big = pattern(1024 * 1024);
    await ws.send(big);
    expect(bytesDiff((await next(ws, "the 1 MiB echo")) as Uint8Array, big)).toBe("");
    await ws.close();
  });

  it("rfc6455#section-5.5.2 ping() resolves with the round-trip time when the Pong arrives", async () => {
    const ws = await client.connect(`${base}/echo`);
    const rtt = await withTimeout(ws.ping(), 5_000, "the pong");
    expect(rtt).toBeGreaterThanOrEqual(0);
    expect(rtt).toBeLessThan(5_000);
    await ws.close();
  });

  it("rfc6455#section-7.1.2 closing from the client: both ends see the code and reason", async () => {
    const ws = await client.connect(`${base}/echo?id=client-close`);
    await ws.send("before close");
    expect(await next(ws)).toBe("before close");
    const event = await withTimeout(ws.close(4000, "client bye"), 5_000, "the close");
    expect(event).toEqual({ code: 4000, reason: "client bye", wasClean: true });
    const onServer = await withTimeout(serverClosed.get("client-close")!, 5_000, "server closed");
    expect(onServer).toEqual({ code: 4000, reason: "client bye", wasClean: true });
  });

  it("rfc6455#section-7.1.2 closing from the server: the client answers and ends cleanly", async () => {
    const ws = await client.connect(`${base}/close-me`);
    const messages: unknown[] = [];
    for await (const message of ws) messages.push(message);
    expect(messages).toEqual([]);
    const event = await withTimeout(ws.closed, 5_000, "the close");
    expect(event).toEqual({ code: 4001, reason: "server bye", wasClean: true });
    expect(ws.readyState).toBe("closed");
  });

  it("rfc6455#section-4.1 offers subprotocols and reports the one the server selected", async () => {
    const ws = await client.connect(`${base}/protocol`, { protocols: ["mqtt", "chat", "chat.v2"] });
    expect(ws.protocol).toBe("chat");
    expect(await next(ws)).toBe("protocol:chat");
    await ws.close();
    const none = await client.connect(`${base}/protocol`, { protocols: ["mqtt"] });
    expect(none.protocol).toBe("");
    await none.close();
  });

  it("rfc6455#section-4.1 sends the path and query string as the request target", async () => {
    const ws = await client.connect(`${base}/query?token=abc123&room=a%20b`);
    expect(await next(ws)).toBe("/query?token=abc123&room=a%20b");
    expect(ws.url.href).toBe(`${base}/query?token=abc123&room=a%20b`);
    await ws.close();
  });

  it("sends extra request headers", async () => {
    const ws = await client.connect(`${base}/headers`, { headers: { "X-Token": "s3cret" } });
    expect(await next(ws)).toBe("token:s3cret");
    await ws.close();
  });

  it("rfc6455#section-3 takes an http: URL as ws:", async () => {
    const ws = await client.connect(`http://127.0.0.1:${server.addr.port}/echo`);
    expect(ws.url.protocol).toBe("ws:");
    await ws.close();
  });

  if (hasIpv6Loopback) {
    it("rfc6455#section-3 connects to an IPv6 literal, ws://[::1]:port/", async () => {
      const v6 = await serveForRuntime(async (ws, { request }) => {
        await ws.send(`host:${request.headers.get("host")}`);
        for await (const message of ws) await ws.send(message);
      }, { hostname: "::1", port: 0 });
      try {
        const ws = await client.connect(`ws://[::1]:${v6.addr.port}/`);
        expect(await next(ws)).toBe(`host:[::1]:${v6.addr.port}`);
        await ws.send("over IPv6");
        expect(await next(ws)).toBe("over IPv6");
        await ws.close();
      } finally {
        await v6.close();
      }
    });
  } else {
    it.skip("runs only with an IPv6 loopback: this machine cannot listen on ::1", () => {});
  }

  it("rfc6455#section-4.1 rejects an invalid URL with SyntaxError before connecting", async () => {
    expect(await rejection(client.connect("ftp://127.0.0.1/"))).toBeInstanceOf(SyntaxError);
    expect(await rejection(client.connect(`${base}/#fragment`))).toBeInstanceOf(SyntaxError);
    expect(await rejection(client.connect("not a url"))).toBeInstanceOf(SyntaxError);
    expect(await rejection(client.connect(base, { protocols: ["a b"] }))).toBeInstanceOf(
      SyntaxError,
    );
  });

  it("refuses extra headers the handshake sets itself", async () => {
    const error = await rejection(
      client.connect(base, { headers: { "Sec-WebSocket-Key": "x" } }),
    );
    expect(error).toBeInstanceOf(TypeError);
  });

  it("a refused TCP connection rejects with HandshakeError status 0, the query left out", async () => {
    const closed = await serveForRuntime(() => {}, { hostname: "127.0.0.1", port: 0 });
    const port = closed.addr.port;
    await closed.close();
    const error = await rejection(client.connect(`ws://127.0.0.1:${port}/path?token=s3cret`));
    expect(error).toBeInstanceOf(HandshakeError);
    expect((error as HandshakeError).status).toBe(0);
    expect((error as HandshakeError).cause).toBeDefined();
    // The message names the endpoint, not the query, which may hold secrets.
    expect((error as HandshakeError).message).toContain(`ws://127.0.0.1:${port}/path`);
    expect((error as HandshakeError).message).not.toContain("s3cret");
  });

  it("a signal aborted before connecting rejects with its reason", async () => {
    const reason = new Error("not wanted");
    const error = await rejection(
      client.connect(`${base}/echo`, { signal: AbortSignal.abort(reason) }),
    );
    expect(error).toBe(reason);
  });

  it("aborting while the server has not answered rejects with the reason and closes the socket", async () => {
    const silent = await startRawServer(() => {});
    try {
      const controller = new AbortController();
      const attempt = client.connect(`ws://127.0.0.1:${silent.port}/`, {
        signal: controller.signal,
      });
      setTimeout(() => controller.abort(new Error("changed my mind")), 100);
      const error = await rejection(attempt);
      expect((error as Error).message).toBe("changed my mind");
      await withTimeout(silent.ended(0), 5_000, "the socket to close");
    } finally {
      await silent.close();
    }
  });

  it("handshakeTimeout: a server that never answers fails with HandshakeError status 0", async () => {
    const silent = await startRawServer(() => {});
    try {
      const started = Date.now();
      const error = await rejection(
        client.connect(`ws://127.0.0.1:${silent.port}/`, { handshakeTimeout: 200 }),
      );
      expect(error).toBeInstanceOf(HandshakeError);
      expect((error as HandshakeError).status).toBe(0);
      expect(Date.now() - started).toBeLessThan(5_000);
      await withTimeout(silent.ended(0), 5_000, "the socket to close");
    } finally {
      await silent.close();
    }
  });

  it("rfc6455#section-4.1 keeps frames that arrive in the same packet as the 101", async () => {
    const eager = await startRawServer(async (request, socket) => {
      const head = await switchingProtocols(request);
      // An unmasked text frame "early", glued to the head in one write.
      const frame = [0x81, 5, ...new TextEncoder().encode("early")];
      socket.write(new Uint8Array([...new TextEncoder().encode(head), ...frame]));
    });
    try {
      const ws = await client.connect(`ws://127.0.0.1:${eager.port}/`);
      expect(await next(ws, "the early frame")).toBe("early");
      ws.terminate();
    } finally {
      await eager.close();
    }
  });
});
