// serveListener over a hand-made Listener of in-memory byte pairs: admission limits, the open
// connections, shutdown, and a configuration error that must not leave the listener open.
import { describe, expect, it } from "vitest";
import type { WebSocketHandler } from "../../src/router/handler.ts";
import { Router } from "../../src/router/router.ts";
import type { ByteStream, NetAddr } from "../../src/streams/byte_stream.ts";
import { Admission } from "../../src/server/admission.ts";
import type { Listener } from "../../src/server/listener.ts";
import { serveListener } from "../../src/server/serve_listener.ts";
import { byteStreamPair } from "../../src/testing/byte_stream_pair.ts";
import { closeCode } from "../_helpers/memory_peer.ts";
import {
  peerAfter,
  readAnswer,
  readBody,
  upgradeHead,
  writeText,
} from "../_helpers/memory_upgrade.ts";

/** A Listener whose streams a test opens by hand, like a client connecting. */
class MemoryListener implements Listener {
  readonly addr: NetAddr = { hostname: "127.0.0.1", port: 1 };
  closed = false;
  #waiting: ((result: IteratorResult<ByteStream>) => void) | undefined;

  /** Connects from `hostname`; returns the client's end. */
  connect(hostname = "10.0.0.1"): ByteStream {
    const [server, client] = byteStreamPair();
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.({ done: false, value: { ...server, remoteAddr: { hostname, port: 1234 } } });
    return client;
  }

  close(): Promise<void> {
    this.closed = true;
    this.#waiting?.({ done: true, value: undefined });
    return Promise.resolve();
  }

  [Symbol.asyncIterator](): AsyncIterator<ByteStream> {
    return {
      next: (): Promise<IteratorResult<ByteStream>> =>
        this.closed
          ? Promise.resolve({ done: true, value: undefined })
          : new Promise((resolve) => this.#waiting = resolve),
    };
  }
}

const idle: WebSocketHandler = async (ws) => {
  for await (const _ of ws);
};

/** Lets the accept loop take the stream just connected. */
const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

describe("serveListener", () => {
  it("counts open connections and shuts them down with 1001", async () => {
    const listener = new MemoryListener();
    const server = serveListener(listener, idle, { heartbeatInterval: 0 });
    await tick();
    const client = listener.connect();
    await writeText(client, upgradeHead("/"));
    const peer = peerAfter(await readAnswer(client));
    expect(server.connections.size).toBe(1);
    const shutdown = server.shutdown({ timeout: 1_000 });
    expect(closeCode(await peer.nextFrame())).toBe(1001);
    peer.sendClose(1001);
    await shutdown;
    expect(listener.closed).toBe(true);
    expect(server.connections.size).toBe(0);
  });

  it("refuses a socket over maxConnectionsPerAddress with 503 before reading it", async () => {
    const listener = new MemoryListener();
    const server = serveListener(listener, idle, { maxConnectionsPerAddress: 1 });
    await tick();
    const first = listener.connect("10.0.0.2");
    await tick();
    const second = listener.connect("10.0.0.2");
    const refused = await readAnswer(second);
    expect(refused.response.status).toBe(503);
    expect(await readBody(refused)).toContain("Too many connections");
    // Another address is still admitted.
    const other = listener.connect("10.0.0.3");
    await writeText(other, upgradeHead("/"));
    const peer = peerAfter(await readAnswer(other));
    await first.writable.close();
    peer.sendClose(1000);
    await peer.nextFrame();
    await server.close();
  });

  it("closes the listener and throws when protocols is given with a Router", () => {
    const listener = new MemoryListener();
    const router = new Router().route("/chat", { handler: idle });
    expect(() => serveListener(listener, router, { protocols: ["chat"] })).toThrow(TypeError);
    expect(listener.closed).toBe(true);
  });
});

describe("Admission", () => {
  it("admits up to maxConnections in all and maxConnectionsPerAddress per address", () => {
    const admission = new Admission({ maxConnections: 3, maxConnectionsPerAddress: 2 });
    expect(admission.admit("a")).toBe(true);
    expect(admission.admit("a")).toBe(true);
    expect(admission.admit("a")).toBe(false);
    expect(admission.admit("b")).toBe(true);
    expect(admission.admit("c")).toBe(false);
    admission.release("a");
    expect(admission.admit("c")).toBe(true);
  });
});
