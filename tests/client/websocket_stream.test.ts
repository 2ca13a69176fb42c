// The WebSocketStream interface (WHATWG proposal) over the current runtime's adapter: streams
// of messages both ways, close info, and the ways the promises reject.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConnectionClosedError, HandshakeError } from "../../src/protocol/errors.ts";
import type { Server } from "../../src/server/options.ts";
import { runtime, serveForRuntime } from "../_helpers/adapter_for_runtime.ts";
import { type ClientAdapter, loadClient } from "../_helpers/client_for_runtime.ts";
import { startRawServer, switchingProtocols } from "../_helpers/raw_server.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

const { WebSocketStream }: ClientAdapter = await loadClient();

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await withTimeout(promise, 10_000, "the promise to reject");
  } catch (error) {
    return error;
  }
  throw new Error("Expected a rejection");
}

describe(`WebSocketStream on ${runtime}`, () => {
  let server: Server;
  let base = "";

  beforeAll(async () => {
    server = await serveForRuntime(async (ws) => {
      for await (const message of ws) await ws.send(message);
    }, { hostname: "127.0.0.1", port: 0, protocols: ["chat"], closeTimeout: 2_000 });
    base = `ws://127.0.0.1:${server.addr.port}`;
  });

  afterAll(async () => {
    await server.close();
  });

  it("opened gives a readable and a writable of messages, with the protocol", async () => {
    const wss = new WebSocketStream(`${base}/echo`, { protocols: ["chat"] });
    expect(wss.url).toBe(`${base}/echo`);
    const { readable, writable, protocol, extensions } = await withTimeout(
      wss.opened,
      10_000,
      "opened",
    );
    expect(protocol).toBe("chat");
    expect(extensions).toMatch(/^permessage-deflate(;|$)/);
    const writer = writable.getWriter();
    await writer.write("text");
    await writer.write(new Uint8Array([1, 2]));
    await writer.write(new Uint8Array([3, 4]).buffer);
    const reader = readable.getReader();
    const received: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      const { value } = await withTimeout(reader.read(), 10_000, "an echo");
      received.push(typeof value === "string" ? value : [...(value as Uint8Array)]);
    }
    expect(received).toEqual(["text", [1, 2], [3, 4]]);
    wss.close({ closeCode: 4000, reason: "done" });
    expect(await withTimeout(wss.closed, 10_000, "closed")).toEqual({
      closeCode: 4000,
      reason: "done",
    });
  });

  it("rfc6455#section-7.1.2 closing the writable closes the connection cleanly", async () => {
    const wss = new WebSocketStream(`${base}/`);
    const { writable } = await wss.opened;
    await writable.close();
    expect(await withTimeout(wss.closed, 10_000, "closed")).toEqual({
      closeCode: 1005,
      reason: "",
    });
  });

  it("close() checks the code and reason with the WebSocket's DOMExceptions", async () => {
    const wss = new WebSocketStream(`${base}/`);
    await wss.opened;
    expect(() => wss.close({ closeCode: 1001 })).toThrow(
      expect.objectContaining({ name: "InvalidAccessError" }),
    );
    expect(() => wss.close({ reason: "x".repeat(124) })).toThrow(
      expect.objectContaining({ name: "SyntaxError" }),
    );
    wss.close({ reason: "code defaults to 1000" });
    expect(await wss.closed).toEqual({ closeCode: 1000, reason: "code defaults to 1000" });
  });

  it("close() while the handshake runs rejects opened and closed, and closes the socket", async () => {
    let requested!: () => void;
    const handshaking = new Promise<void>((resolve) => requested = resolve);
    const silent = await startRawServer(() => requested());
    try {
      const wss = new WebSocketStream(`ws://127.0.0.1:${silent.port}/`);
      await withTimeout(handshaking, 5_000, "the request to reach the server");
      wss.close();
      expect((await rejection(wss.opened) as DOMException).name).toBe("AbortError");
      expect((await rejection(wss.closed) as DOMException).name).toBe("AbortError");
      await withTimeout(silent.ended(0), 5_000, "the socket to close");
    } finally {
      await silent.close();
    }
  });

  it("an aborted signal rejects opened with its reason", async () => {
    const reason = new Error("stop");
    const wss = new WebSocketStream(`${base}/`, { signal: AbortSignal.abort(reason) });
    expect(await rejection(wss.opened)).toBe(reason);
    expect(await rejection(wss.closed)).toBe(reason);
  });

  it("a refused handshake rejects opened with HandshakeError", async () => {
    const refusing = await startRawServer((_request, socket) => {
      socket.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
    });
    try {
      const error = await rejection(new WebSocketStream(`ws://127.0.0.1:${refusing.port}/`).opened);
      expect(error).toBeInstanceOf(HandshakeError);
      expect((error as HandshakeError).status).toBe(403);
    } finally {
      await refusing.close();
    }
  });

  it("rfc6455#section-7.1.5 a connection that drops rejects closed with ConnectionClosedError 1006", async () => {
    const dropping = await startRawServer(async (request, socket) => {
      socket.write(await switchingProtocols(request));
      setTimeout(() => socket.destroy(), 50);
    });
    try {
      const wss = new WebSocketStream(`ws://127.0.0.1:${dropping.port}/`);
      await wss.opened;
      const error = await rejection(wss.closed);
      expect(error).toBeInstanceOf(ConnectionClosedError);
      expect((error as ConnectionClosedError).code).toBe(1006);
    } finally {
      await dropping.close();
    }
  });
});
