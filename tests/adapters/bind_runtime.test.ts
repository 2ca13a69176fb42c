// What every runtime adapter binds the same way (src/adapters/bind_runtime.ts), over hand-made
// fakes of a runtime's `listen` and `openSocket`: the caller's listen options reach the
// listener, the adapter's defaults sit under the caller's options, and the runtime's socket
// opener wins over any `options.openSocket`. Then, on the current runtime, that its adapter's
// `WebSocket` and `WebSocketStream` are still classes one can `new` and test with `instanceof`.
import { describe, expect, it } from "vitest";
import { connectOn, optionsOn, serveOn } from "../../src/adapters/bind_runtime.ts";
import type { Listener, ListenOptions } from "../../src/adapters/listener.ts";
import type { ConnectOptions, OpenSocket, SocketTarget } from "../../src/client/connect.ts";
import type { ByteStream } from "../../src/streams/byte_stream.ts";
import type { DeflateEngine } from "../../src/streams/deflate_engine.ts";
import { byteStreamPair } from "../../src/testing/byte_stream_pair.ts";
import { WebSocket as BaseWebSocket } from "../../src/client/websocket.ts";
import { WebSocketStream as BaseWebSocketStream } from "../../src/client/websocket_stream.ts";
import { loadClient } from "../_helpers/client_for_runtime.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

const KEY = "dGhlIHNhbXBsZSBub25jZQ==";

/** A deflate engine that records which role asked it for codecs; the codecs do nothing. */
function recordingEngine(name: string, log: string[]): DeflateEngine {
  const codec = { close(): void {} };
  return {
    deflater(_params, role) {
      log.push(`${name}:deflater:${role}`);
      return { ...codec, compress: (data) => Promise.resolve(data) };
    },
    inflater(_params, role) {
      log.push(`${name}:inflater:${role}`);
      return { ...codec, decompress: (data) => Promise.resolve(data) };
    },
  };
}

/** A listener that accepts the given streams, then nothing, and records its calls. */
function fakeListen(streams: ByteStream[], log: string[]) {
  return (options: ListenOptions): Promise<Listener> => {
    log.push(`listen:${options.hostname}:${options.port}`);
    return Promise.resolve({
      addr: { hostname: "fake", port: 4242 },
      close(): Promise<void> {
        log.push("close");
        return Promise.resolve();
      },
      async *[Symbol.asyncIterator]() {
        yield* streams;
      },
    });
  };
}

async function readHead(readable: ReadableStream<Uint8Array>): Promise<string> {
  const reader = readable.getReader();
  let text = "";
  while (!text.includes("\r\n\r\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return text;
}

async function write(writable: WritableStream<Uint8Array>, text: string): Promise<void> {
  const writer = writable.getWriter();
  await writer.write(new TextEncoder().encode(text));
  writer.releaseLock();
}

const UPGRADE = "GET /chat HTTP/1.1\r\nHost: fake\r\nUpgrade: websocket\r\n" +
  `Connection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n` +
  "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n";

describe("serveOn", () => {
  it("listens with the caller's options and closes that listener", async () => {
    const log: string[] = [];
    const serve = serveOn(fakeListen([], log), {});
    const server = await serve(() => {}, { hostname: "example.test", port: 9 });
    expect(server.addr).toEqual({ hostname: "fake", port: 4242 });
    await server.close();
    expect(log).toEqual(["listen:example.test:9", "close"]);
  });

  it("serves with the adapter's deflate engine unless the caller names another", async () => {
    for (const [options, expected] of [[{}, "default"], [{ own: true }, "caller"]] as const) {
      const log: string[] = [];
      const [server, client] = byteStreamPair();
      const engines = {
        default: recordingEngine("default", log),
        caller: recordingEngine("caller", log),
      };
      const serve = serveOn(fakeListen([server], []), { deflateEngine: engines.default });
      const running = await serve(
        () => {},
        "own" in options ? { deflateEngine: engines.caller } : {},
      );
      await write(client.writable, UPGRADE);
      const head = await withTimeout(readHead(client.readable), 5000, "no handshake response");
      expect(head).toMatch(/^HTTP\/1\.1 101 /);
      expect(head).toMatch(/sec-websocket-extensions: permessage-deflate/i);
      expect(log).toEqual([`${expected}:deflater:server`, `${expected}:inflater:server`]);
      await running.close();
      await client.writable.abort().catch(() => {});
    }
  });
});

describe("connectOn", () => {
  it("opens with the runtime's opener and offers deflate by the adapter's default", async () => {
    const cases: [ConnectOptions | undefined, boolean][] = [
      [undefined, true],
      [{ deflateEngine: undefined }, false],
    ];
    for (const [options, offers] of cases) {
      const targets: SocketTarget[] = [];
      const [client, server] = byteStreamPair();
      const openSocket: OpenSocket = (target) => {
        targets.push(target);
        return Promise.resolve(client);
      };
      const connect = connectOn(openSocket, { deflateEngine: recordingEngine("default", []) });
      const connecting = connect("ws://example.test:9/chat", options);
      const head = await withTimeout(readHead(server.readable), 5000, "no handshake request");
      expect(head).toMatch(/^GET \/chat HTTP\/1\.1\r\n/);
      expect(/sec-websocket-extensions: permessage-deflate/i.test(head)).toBe(offers);
      await write(server.writable, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
      await expect(connecting).rejects.toThrow();
      expect(targets.map(({ hostname, port }) => `${hostname}:${port}`)).toEqual([
        "example.test:9",
      ]);
    }
  });
});

describe("optionsOn", () => {
  const runtimeOpener: OpenSocket = () => Promise.reject(new Error("not used"));
  const callerOpener: OpenSocket = () => Promise.reject(new Error("not used either"));
  const engine = recordingEngine("default", []);
  const callerEngine = recordingEngine("caller", []);
  const bind = optionsOn(runtimeOpener, { deflateEngine: engine });

  it("puts the defaults under the caller's options and the runtime's opener over both", () => {
    expect(bind(undefined)).toEqual({ deflateEngine: engine, openSocket: runtimeOpener });
    const bound = bind({
      handshakeTimeout: 5,
      deflateEngine: callerEngine,
      openSocket: callerOpener,
    });
    expect(bound).toEqual({
      handshakeTimeout: 5,
      deflateEngine: callerEngine,
      openSocket: runtimeOpener,
    });
  });
});

describe("the adapter's classes on this runtime", () => {
  it("WebSocket and WebSocketStream are classes: new, instanceof, extends", async () => {
    const { WebSocket, WebSocketStream } = await loadClient();
    // Port 9 (discard) on loopback: the attempt is abandoned at once either way.
    const ws = new WebSocket("ws://127.0.0.1:9/");
    expect(ws).toBeInstanceOf(WebSocket);
    expect(ws).toBeInstanceOf(BaseWebSocket);
    ws.close();
    class Mine extends WebSocketStream {}
    const wss = new Mine("ws://127.0.0.1:9/", { signal: AbortSignal.abort() });
    expect(wss).toBeInstanceOf(WebSocketStream);
    expect(wss).toBeInstanceOf(BaseWebSocketStream);
    await wss.opened.catch(() => {});
    await wss.closed.catch(() => {});
  });
});
