// The WHATWG WebSocket interface over the current runtime's adapter: constructor and close()
// checks with the standard's DOMException names, readyState transitions, event order
// (open, message*, error?, close), binaryType, what send() accepts, and event handler
// attributes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Server } from "../../src/server/options.ts";
import { WebSocket as RuntimeFreeWebSocket } from "../../src/client/websocket.ts";
import { runtime, serveForRuntime } from "../_helpers/adapter_for_runtime.ts";
import { type ClientAdapter, loadClient } from "../_helpers/client_for_runtime.ts";
import { startRawServer, switchingProtocols } from "../_helpers/raw_server.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

const client: ClientAdapter = await loadClient();
const { WebSocket } = client;
type Socket = InstanceType<typeof WebSocket>;

/** Every event a socket fires, in order, with the readyState seen in the listener. */
class Recorder {
  readonly log: string[] = [];
  readonly data: unknown[] = [];
  closeEvent: CloseEvent | undefined;
  readonly closed: Promise<void>;

  constructor(ws: Socket) {
    ws.addEventListener("open", () => this.log.push(`open@${ws.readyState}`));
    ws.addEventListener("message", (event) => {
      const data = (event as MessageEvent).data;
      this.data.push(data);
      this.log.push(`message:${typeof data === "string" ? data : "binary"}`);
    });
    ws.addEventListener("error", () => this.log.push(`error@${ws.readyState}`));
    this.closed = withTimeout(
      new Promise<void>((resolve) => {
        ws.addEventListener("close", (event) => {
          this.closeEvent = event as CloseEvent;
          const { code, wasClean } = this.closeEvent;
          this.log.push(`close:${code}:${wasClean}@${ws.readyState}`);
          resolve();
        });
      }),
      10_000,
      "the close event",
    );
  }
}

function opened(ws: Socket): Promise<void> {
  return withTimeout(
    new Promise<void>((resolve, reject) => {
      ws.addEventListener("open", () => resolve(), { once: true });
      ws.addEventListener("error", () => reject(new Error("error before open")), { once: true });
    }),
    10_000,
    "the open event",
  );
}

function nextMessage(ws: Socket): Promise<MessageEvent> {
  return withTimeout(
    new Promise<MessageEvent>((resolve) => {
      ws.addEventListener("message", (event) => resolve(event as MessageEvent), { once: true });
    }),
    10_000,
    "a message event",
  );
}

function domError(run: () => unknown): DOMException {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DOMException);
    return error as DOMException;
  }
  throw new Error("Expected a DOMException");
}

describe(`WebSocket (WHATWG) on ${runtime}`, () => {
  let server: Server;
  let base = "";

  beforeAll(async () => {
    server = await serveForRuntime(async (ws, { request }) => {
      const path = new URL(request.url).pathname;
      if (path === "/two-then-close") {
        await ws.send("first");
        await ws.send("second");
        await ws.close(4001, "server bye");
        return;
      }
      for await (const message of ws) await ws.send(message);
    }, { hostname: "127.0.0.1", port: 0, protocols: ["chat"], closeTimeout: 2_000 });
    base = `ws://127.0.0.1:${server.addr.port}`;
  });

  afterAll(async () => {
    await server.close();
  });

  it("has the readyState constants on the class and on instances", () => {
    expect([WebSocket.CONNECTING, WebSocket.OPEN, WebSocket.CLOSING, WebSocket.CLOSED]).toEqual([
      0,
      1,
      2,
      3,
    ]);
    const ws = new WebSocket(`${base}/`);
    expect([ws.CONNECTING, ws.OPEN, ws.CLOSING, ws.CLOSED]).toEqual([0, 1, 2, 3]);
    expect(Object.hasOwn(ws, "OPEN")).toBe(false);
    ws.close();
  });

  it("rfc6455#section-3 the constructor throws SyntaxError for a bad URL or subprotocol", () => {
    expect(domError(() => new WebSocket("/relative")).name).toBe("SyntaxError");
    expect(domError(() => new WebSocket("ftp://127.0.0.1/")).name).toBe("SyntaxError");
    expect(domError(() => new WebSocket(`${base}/#fragment`)).name).toBe("SyntaxError");
    expect(domError(() => new WebSocket(`${base}/`, "not a token")).name).toBe("SyntaxError");
    expect(domError(() => new WebSocket(`${base}/`, ["chat", "chat"])).name).toBe(
      "SyntaxError",
    );
  });

  it("the runtime-free class needs a socket opener", () => {
    expect(() => new RuntimeFreeWebSocket(`${base}/`)).toThrow(TypeError);
  });

  it("serializes the URL, http: as ws:", () => {
    const ws = new WebSocket(`http://127.0.0.1:${server.addr.port}/a?b=c`);
    expect(ws.url).toBe(`ws://127.0.0.1:${server.addr.port}/a?b=c`);
    ws.close();
  });

  it("fires open, message and close in order, with readyState CONNECTING→OPEN→CLOSING→CLOSED", async () => {
    const ws = new WebSocket(`${base}/`);
    const recorder = new Recorder(ws);
    expect(ws.readyState).toBe(WebSocket.CONNECTING);
    expect(domError(() => ws.send("too early")).name).toBe("InvalidStateError");
    await opened(ws);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.send("hello");
    await nextMessage(ws);
    ws.close(1000, "done");
    expect(ws.readyState).toBe(WebSocket.CLOSING);
    await recorder.closed;
    expect(ws.readyState).toBe(WebSocket.CLOSED);
    expect(recorder.log).toEqual(["open@1", "message:hello", "close:1000:true@3"]);
    expect(recorder.closeEvent?.reason).toBe("done");
  });

  it("a close from the server: its messages, then close with its code; later ones are dropped after close()", async () => {
    const ws = new WebSocket(`${base}/two-then-close`);
    const recorder = new Recorder(ws);
    await recorder.closed;
    expect(recorder.log).toEqual([
      "open@1",
      "message:first",
      "message:second",
      "close:4001:true@3",
    ]);
    expect(recorder.closeEvent?.reason).toBe("server bye");

    // Closing in the first message's listener drops the second, as the standard says.
    const early = new WebSocket(`${base}/two-then-close`);
    const earlyRecorder = new Recorder(early);
    early.addEventListener("message", () => early.close(), { once: true });
    await earlyRecorder.closed;
    expect(earlyRecorder.log.filter((entry) => entry.startsWith("message"))).toEqual([
      "message:first",
    ]);
  });

  it("a refused handshake fires error, then close with 1006, both in CLOSED", async () => {
    const refusing = await startRawServer((_request, socket) => {
      socket.end("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    });
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${refusing.port}/`);
      const recorder = new Recorder(ws);
      await recorder.closed;
      expect(recorder.log).toEqual(["error@3", "close:1006:false@3"]);
    } finally {
      await refusing.close();
    }
  });

  it("a refused TCP connection fires error, then close with 1006", async () => {
    const gone = await serveForRuntime(() => {}, { hostname: "127.0.0.1", port: 0 });
    await gone.close();
    const ws = new WebSocket(`ws://127.0.0.1:${gone.addr.port}/`);
    const recorder = new Recorder(ws);
    await recorder.closed;
    expect(recorder.log).toEqual(["error@3", "close:1006:false@3"]);
  });

  it("close() while connecting: CLOSING at once, then error and close with 1006", async () => {
    const silent = await startRawServer(() => {});
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${silent.port}/`);
      const recorder = new Recorder(ws);
      ws.close();
      expect(ws.readyState).toBe(WebSocket.CLOSING);
      await recorder.closed;
      expect(recorder.log).toEqual(["error@3", "close:1006:false@3"]);
    } finally {
      await silent.close();
    }
  });

  it("close() checks: InvalidAccessError for a code other than 1000 or 3000-4999, SyntaxError for a reason over 123 bytes", async () => {
    const ws = new WebSocket(`${base}/`);
    await opened(ws);
    for (const code of [0, 999, 1001, 1005, 1006, 2999, 5000]) {
      expect(domError(() => ws.close(code)).name).toBe("InvalidAccessError");
    }
    expect(domError(() => ws.close(1000, "x".repeat(124))).name).toBe("SyntaxError");
    // 62 two-byte characters are 124 bytes of UTF-8.
    expect(domError(() => ws.close(1000, "é".repeat(62))).name).toBe("SyntaxError");
    expect(ws.readyState).toBe(WebSocket.OPEN);
    const recorder = new Recorder(ws);
    ws.close(3000, "x".repeat(123));
    ws.close(); // closing already: nothing happens
    await recorder.closed;
    expect(recorder.closeEvent?.code).toBe(3000);
  });

  it("rfc6455#section-7.1.7 a server that breaks the protocol: error, then close with 1006", async () => {
    const broken = await startRawServer(async (request, socket) => {
      // Opcode 0x3 is reserved (rfc6455#section-5.2).
      socket.write(await switchingProtocols(request));
      socket.write(new Uint8Array([0x83, 0x00]));
      setTimeout(() => socket.end(), 50);
    });
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${broken.port}/`, [], { closeTimeout: 500 });
      const recorder = new Recorder(ws);
      await recorder.closed;
      // rfc6455#section-7.1.5: no Close frame was received, so the close code is 1006
      expect(recorder.log).toEqual(["open@1", "error@3", "close:1006:false@3"]);
    } finally {
      await broken.close();
    }
  });

  it("rfc6455#section-7.1.5 a server that drops TCP without a Close: close with 1006, no error", async () => {
    const dropping = await startRawServer(async (request, socket) => {
      socket.write(await switchingProtocols(request));
      setTimeout(() => socket.destroy(), 50);
    });
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${dropping.port}/`);
      const recorder = new Recorder(ws);
      await recorder.closed;
      expect(recorder.log).toEqual(["open@1", "close:1006:false@3"]);
    } finally {
      await dropping.close();
    }
  });

  it("binaryType: Blob by default, ArrayBuffer when asked; other values are ignored", async () => {
    const ws = new WebSocket(`${base}/`);
    expect(ws.binaryType).toBe("blob");
    await opened(ws);
    ws.send(new Uint8Array([1, 2, 3]));
    const asBlob = (await nextMessage(ws)).data;
    expect(asBlob).toBeInstanceOf(Blob);
    expect([...new Uint8Array(await (asBlob as Blob).arrayBuffer())]).toEqual([1, 2, 3]);

    ws.binaryType = "arraybuffer";
    (ws as unknown as { binaryType: string }).binaryType = "nodebuffer";
    expect(ws.binaryType).toBe("arraybuffer");
    ws.send(new Uint8Array([4, 5]));
    const asBuffer = (await nextMessage(ws)).data;
    expect(asBuffer).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(asBuffer as ArrayBuffer)]).toEqual([4, 5]);
    ws.close();
  });

  it("send() takes string, ArrayBuffer, a view's own bytes and Blob, in order", async () => {
    const ws = new WebSocket(`${base}/`);
    ws.binaryType = "arraybuffer";
    const recorder = new Recorder(ws);
    await opened(ws);
    const backing = new Uint8Array([9, 9, 7, 8, 9, 9]);
    ws.send(new Blob([new Uint8Array([1])]));
    ws.send("after the blob");
    ws.send(new Uint8Array([2, 3]).buffer);
    ws.send(backing.subarray(2, 4));
    backing.fill(0); // send() copied the view
    ws.send(new DataView(new Uint8Array([5, 6]).buffer));
    await withTimeout(
      (async () => {
        while (recorder.data.length < 5) await new Promise((r) => setTimeout(r, 5));
      })(),
      10_000,
      "five echoes",
    );
    const received = recorder.data.map((data) =>
      typeof data === "string" ? data : [...new Uint8Array(data as ArrayBuffer)]
    );
    expect(received).toEqual([[1], "after the blob", [2, 3], [7, 8], [5, 6]]);
    ws.close();
  });

  it("bufferedAmount: back to 0 once sent, and only grows once closing", async () => {
    const ws = new WebSocket(`${base}/`);
    expect(ws.bufferedAmount).toBe(0);
    await opened(ws);
    ws.send("12345");
    await nextMessage(ws);
    expect(ws.bufferedAmount).toBe(0);
    ws.close();
    ws.send("héllo"); // dropped, but counted: 6 bytes of UTF-8
    expect(ws.bufferedAmount).toBe(6);
  });

  it("protocol and extensions: what the server chose", async () => {
    const ws = new WebSocket(`${base}/`, ["mqtt", "chat"]);
    expect(ws.protocol).toBe("");
    await opened(ws);
    expect(ws.protocol).toBe("chat");
    // rfc7692: the client offers permessage-deflate as browsers do, and our server accepts it.
    expect(ws.extensions).toMatch(/^permessage-deflate(;|$)/);
    ws.close();
  });

  it("on… attributes run alongside listeners; null removes them", async () => {
    const ws = new WebSocket(`${base}/`);
    const calls: string[] = [];
    ws.onopen = () => calls.push("onopen");
    ws.addEventListener("open", () => calls.push("listener"));
    const replaced = (): void => {
      calls.push("replaced");
    };
    ws.onmessage = replaced;
    expect(ws.onmessage).toBe(replaced);
    ws.onmessage = null;
    expect(ws.onmessage).toBe(null);
    await opened(ws);
    ws.send("x");
    await nextMessage(ws);
    expect(calls).toEqual(["onopen", "listener"]);
    const closed = new Promise<CloseEvent>((resolve) => {
      ws.onclose = (event) => resolve(event);
    });
    ws.close(4000, "bye");
    const event = await withTimeout(closed, 10_000, "onclose");
    expect(event.type).toBe("close");
    expect([event.code, event.reason, event.wasClean]).toEqual([4000, "bye", true]);
  });
});
