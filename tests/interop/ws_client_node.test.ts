// Interop: the `ws` package's client (the most used Node WebSocket implementation) against a
// wsflow server on Node's adapter. It runs under Node only: `ws` is Node's peer here, and each
// runtime's own client is tested in deno_client.test.ts and bun_client.test.ts.
import { describe, expect, it } from "vitest";
import { runtime } from "../_helpers/adapter_for_runtime.ts";
import { bytesDiff } from "../_helpers/bytes.ts";
import { useInteropServer } from "../_helpers/interop_server.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";
import type WebSocket from "ws";

type WsClass = typeof WebSocket;
type Client = WebSocket;

/** Received messages, in order, as promises. */
class Inbox {
  readonly #messages: { data: Uint8Array; isBinary: boolean }[] = [];
  #waiters: (() => void)[] = [];

  constructor(ws: Client) {
    ws.on("message", (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      const bytes = Array.isArray(data) ? new Uint8Array(Buffer.concat(data)) : new Uint8Array(
        data instanceof ArrayBuffer ? data : data.buffer.slice(
          data.byteOffset,
          data.byteOffset + data.byteLength,
        ),
      );
      this.#messages.push({ data: bytes, isBinary });
      for (const waiter of this.#waiters.splice(0)) waiter();
    });
  }

  async next(what: string): Promise<{ data: Uint8Array; isBinary: boolean }> {
    await withTimeout(
      (async () => {
        while (this.#messages.length === 0) {
          await new Promise<void>((resolve) => this.#waiters.push(resolve));
        }
      })(),
      10_000,
      what,
    );
    return this.#messages.shift()!;
  }

  async nextText(what = "text message"): Promise<string> {
    const message = await this.next(what);
    expect(message.isBinary, `${what} is text`).toBe(false);
    return new TextDecoder().decode(message.data);
  }
}

async function open(
  WebSocketClass: WsClass,
  url: string,
  protocols?: string[],
): Promise<{ ws: Client; inbox: Inbox; closed: Promise<{ code: number; reason: string }> }> {
  const ws = protocols === undefined ? new WebSocketClass(url) : new WebSocketClass(url, protocols);
  const inbox = new Inbox(ws);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on(
      "close",
      (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() }),
    );
  });
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    }),
    5_000,
    "ws opens",
  );
  return { ws, inbox, closed };
}

function pattern(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 13 + (i >> 10)) & 0xff;
  return out;
}

function runWsClientSuite(WebSocketClass: WsClass): void {
  describe("interop: the ws client (Node)", () => {
    const target = useInteropServer();

    it("rfc7692#section-7.1 negotiates the permessage-deflate that ws offers", async () => {
      const { ws } = await open(WebSocketClass, target.url());
      expect(ws.protocol).toBe("");
      expect(ws.extensions).toMatch(/^permessage-deflate(;|$)/);
      ws.terminate();
    });

    it("rfc6455#section-5.6 echoes a text message", async () => {
      const { ws, inbox } = await open(WebSocketClass, target.url());
      ws.send("Hello, wsflow! κόσμε 🎉");
      expect(await inbox.nextText()).toBe("Hello, wsflow! κόσμε 🎉");
      ws.terminate();
    });

    it("rfc6455#section-5.6 echoes a binary message", async () => {
      const { ws, inbox } = await open(WebSocketClass, target.url());
      const payload = pattern(1000);
      ws.send(payload);
      const message = await inbox.next("binary echo");
      expect(message.isBinary).toBe(true);
      expect(bytesDiff(message.data, payload)).toBe("");
      ws.terminate();
    });

    it("rfc6455#section-5.6 echoes an empty text and an empty binary message", async () => {
      const { ws, inbox } = await open(WebSocketClass, target.url());
      ws.send("");
      ws.send(new Uint8Array(0));
      expect(await inbox.nextText()).toBe("");
      const binary = await inbox.next("empty binary");
      expect(binary.isBinary).toBe(true);
      expect(binary.data.length).toBe(0);
      ws.terminate();
    });

    it("rfc6455#section-5.2 echoes a 1 MiB binary message and a 1 MiB text message", async () => {
      const { ws, inbox } = await open(WebSocketClass, target.url());
      const payload = pattern(1024 * 1024);
      const text = "0123456789abcdef".repeat(65536);
      ws.send(payload);
      ws.send(text);
      const binary = await inbox.next("1 MiB binary echo");
      expect(bytesDiff(binary.data, payload)).toBe("");
      expect(await inbox.nextText("1 MiB text echo") === text).toBe(true);
      ws.terminate();
    });

    it("rfc6455#section-5.4 reassembles a message ws sends in fragments", async () => {
      const { ws, inbox } = await open(WebSocketClass, target.url());
      ws.send("Hel", { fin: false });
      ws.send("lo, ", { fin: false });
      ws.send("world", { fin: true });
      expect(await inbox.nextText()).toBe("Hello, world");
      ws.terminate();
    });

    it("delivers 200 messages in order", async () => {
      const { ws, inbox } = await open(WebSocketClass, target.url());
      for (let i = 0; i < 200; i++) ws.send(`message ${i}`);
      for (let i = 0; i < 200; i++) {
        expect(await inbox.nextText(`message ${i}`)).toBe(`message ${i}`);
      }
      ws.terminate();
    });

    it("rfc6455#section-5.5.2 answers ws.ping() with a pong carrying the same data", async () => {
      const { ws } = await open(WebSocketClass, target.url());
      const pong = withTimeout(
        new Promise<Buffer>((resolve) => ws.once("pong", resolve)),
        5_000,
        "pong",
      );
      ws.ping("are you there?");
      expect((await pong).toString()).toBe("are you there?");
      ws.terminate();
    });

    it("rfc6455#section-5.5.1 echoes the client's close code 4000 and reason, and the server sees a clean close", async () => {
      const { ws, closed } = await open(WebSocketClass, target.url("/?id=ws-close-4000"));
      ws.close(4000, "bye");
      expect(await withTimeout(closed, 5_000, "client close event")).toEqual({
        code: 4000,
        reason: "bye",
      });
      expect(await target.serverClosed("ws-close-4000")).toMatchObject({
        code: 4000,
        reason: "bye",
        wasClean: true,
      });
    });

    it("rfc6455#section-7.1.2 reports the server's close code and reason to the client", async () => {
      const { closed } = await open(WebSocketClass, target.url("/close-me?id=ws-server-close"));
      expect(await withTimeout(closed, 5_000, "client close event")).toEqual({
        code: 4001,
        reason: "server bye",
      });
      expect(await target.serverClosed("ws-server-close")).toMatchObject({
        code: 4001,
        reason: "server bye",
        wasClean: true,
      });
    });

    it("rfc6455#section-4.2.2 selects the first subprotocol in the client's order that the server supports", async () => {
      const { ws, inbox } = await open(WebSocketClass, target.url("/protocol"), [
        "chat",
        "chat.v2",
      ]);
      expect(ws.protocol).toBe("chat");
      expect(await inbox.nextText("the server's view")).toBe("protocol:chat");
      ws.terminate();
    });

    it("rfc6455#section-4.2.2 skips offered subprotocols the server does not support", async () => {
      const { ws, inbox } = await open(WebSocketClass, target.url("/protocol"), [
        "superchat",
        "chat.v2",
        "chat",
      ]);
      expect(ws.protocol).toBe("chat.v2");
      expect(await inbox.nextText("the server's view")).toBe("protocol:chat.v2");
      ws.terminate();
    });
  });
}

if (runtime === "node") {
  const { default: WebSocketClass } = await import("ws");
  runWsClientSuite(WebSocketClass);
} else {
  describe("interop: the ws client (Node)", () => {
    it.skip(`runs under Node only: ws is Node's client; this is ${runtime}, whose own client has its own file`, () => {});
  });
}
