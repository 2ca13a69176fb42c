// One interop suite for the runtimes' built-in, web-standard `WebSocket` clients (Deno's and
// Bun's), each run against a wsflow server on that runtime's own adapter. What the standard
// API cannot do (send a Ping) comes from the runtime through `options`, or is skipped with the
// reason in the title.
import { describe, expect, it } from "vitest";
import { bytesDiff } from "./bytes.ts";
import { useInteropServer } from "./interop_server.ts";
import { withTimeout } from "./with_timeout.ts";

/** What a runtime's client can do beyond the standard API. */
export interface WebSocketClientExtras {
  /**
   * Sends a Ping with `data` and resolves with the Pong's data as text, or `undefined` when
   * the client has no ping API.
   */
  ping?: (ws: WebSocket, data: string) => Promise<string>;
  /** Why `ping` is missing, for the skipped test's title. */
  noPingReason?: string;
  /** Whether the client offers permessage-deflate, which the server then accepts. */
  offersDeflate: boolean;
}

interface Opened {
  ws: WebSocket;
  next(what: string): Promise<string | Uint8Array>;
  closed: Promise<{ code: number; reason: string; wasClean: boolean }>;
}

async function open(url: string, protocols?: string[]): Promise<Opened> {
  const ws = protocols === undefined ? new WebSocket(url) : new WebSocket(url, protocols);
  ws.binaryType = "arraybuffer";
  const messages: (string | Uint8Array)[] = [];
  let waiters: (() => void)[] = [];
  ws.addEventListener("message", (event: MessageEvent) => {
    const data: unknown = event.data;
    messages.push(typeof data === "string" ? data : new Uint8Array(data as ArrayBuffer));
    const woken = waiters;
    waiters = [];
    for (const waiter of woken) waiter();
  });
  const closed = new Promise<{ code: number; reason: string; wasClean: boolean }>((resolve) => {
    ws.addEventListener("close", (event: CloseEvent) => {
      resolve({ code: event.code, reason: event.reason, wasClean: event.wasClean });
    });
  });
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      ws.addEventListener("open", () => resolve(), { once: true });
      ws.addEventListener("error", () => reject(new Error(`Cannot open ${url}`)), { once: true });
    }),
    5_000,
    "the client opens",
  );
  return {
    ws,
    closed,
    async next(what: string): Promise<string | Uint8Array> {
      await withTimeout(
        (async () => {
          while (messages.length === 0) await new Promise<void>((r) => waiters.push(r));
        })(),
        10_000,
        what,
      );
      return messages.shift()!;
    },
  };
}

/** Closes `ws` and waits (bounded) until it is closed, so no socket outlives its test. */
async function shut(opened: Opened): Promise<void> {
  opened.ws.close();
  await withTimeout(opened.closed, 5_000, "the client closes");
}

function pattern(length: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 13 + (i >> 10)) & 0xff;
  return out;
}

/** Registers the suite for the current runtime's built-in `WebSocket`. */
export function runWebSocketClientSuite(name: string, extras: WebSocketClientExtras): void {
  describe(`interop: ${name}`, () => {
    const target = useInteropServer();
    const id = name.replace(/\W+/g, "-");

    it(
      `rfc6455#section-4.2.2 opens with no subprotocol and ${
        extras.offersDeflate ? "the permessage-deflate it offers" : "no extension (none offered)"
      }`,
      async () => {
        const opened = await open(target.url());
        expect(opened.ws.protocol).toBe("");
        if (extras.offersDeflate) expect(opened.ws.extensions).toMatch(/^permessage-deflate(;|$)/);
        else expect(opened.ws.extensions).toBe("");
        await shut(opened);
      },
    );

    it("rfc6455#section-5.6 echoes a text message", async () => {
      const opened = await open(target.url());
      opened.ws.send("Hello, wsflow! κόσμε 🎉");
      expect(await opened.next("text echo")).toBe("Hello, wsflow! κόσμε 🎉");
      await shut(opened);
    });

    it("rfc6455#section-5.6 echoes a binary message", async () => {
      const opened = await open(target.url());
      const payload = pattern(1000);
      opened.ws.send(payload);
      const echo = await opened.next("binary echo");
      expect(echo instanceof Uint8Array, "binary echo is binary").toBe(true);
      expect(bytesDiff(echo as Uint8Array, payload)).toBe("");
      await shut(opened);
    });

    it("rfc6455#section-5.6 echoes an empty text and an empty binary message", async () => {
      const opened = await open(target.url());
      opened.ws.send("");
      opened.ws.send(new Uint8Array(0));
      expect(await opened.next("empty text")).toBe("");
      const binary = await opened.next("empty binary");
      expect(binary instanceof Uint8Array && binary.length === 0, "an empty binary message")
        .toBe(true);
      await shut(opened);
    });

    it("rfc6455#section-5.2 echoes a 1 MiB binary message and a 1 MiB text message", async () => {
      const opened = await open(target.url());
      const payload = pattern(1024 * 1024);
      const text = "0123456789abcdef".repeat(65536);
      opened.ws.send(payload);
      opened.ws.send(text);
      const binary = await opened.next("1 MiB binary echo");
      expect(bytesDiff(binary as Uint8Array, payload)).toBe("");
      expect((await opened.next("1 MiB text echo")) === text, "1 MiB text echo").toBe(true);
      await shut(opened);
    });

    it("delivers 200 messages in order", async () => {
      const opened = await open(target.url());
      for (let i = 0; i < 200; i++) opened.ws.send(`message ${i}`);
      for (let i = 0; i < 200; i++) expect(await opened.next(`message ${i}`)).toBe(`message ${i}`);
      await shut(opened);
    });

    if (extras.ping !== undefined) {
      const ping = extras.ping;
      it("rfc6455#section-5.5.2 answers the client's ping with a pong carrying the same data", async () => {
        const opened = await open(target.url());
        expect(await withTimeout(ping(opened.ws, "are you there?"), 5_000, "pong")).toBe(
          "are you there?",
        );
        await shut(opened);
      });
    } else {
      it.skip(`rfc6455#section-5.5.2 answers the client's ping (skipped: ${extras.noPingReason})`, () => {});
    }

    it("rfc6455#section-5.5.1 echoes the client's close code 4000 and reason, and the server sees a clean close", async () => {
      const opened = await open(target.url(`/?id=${id}-close-4000`));
      opened.ws.close(4000, "bye");
      expect(await withTimeout(opened.closed, 5_000, "client close event")).toEqual({
        code: 4000,
        reason: "bye",
        wasClean: true,
      });
      expect(await target.serverClosed(`${id}-close-4000`)).toMatchObject({
        code: 4000,
        reason: "bye",
        wasClean: true,
      });
    });

    it("rfc6455#section-7.1.2 reports the server's close code and reason to the client", async () => {
      const opened = await open(target.url(`/close-me?id=${id}-server-close`));
      expect(await withTimeout(opened.closed, 5_000, "client close event")).toEqual({
        code: 4001,
        reason: "server bye",
        wasClean: true,
      });
      expect(await target.serverClosed(`${id}-server-close`)).toMatchObject({
        code: 4001,
        reason: "server bye",
        wasClean: true,
      });
    });

    it("rfc6455#section-4.2.2 selects the first subprotocol in the client's order that the server supports", async () => {
      const opened = await open(target.url("/protocol"), ["chat", "chat.v2"]);
      expect(opened.ws.protocol).toBe("chat");
      expect(await opened.next("the server's view")).toBe("protocol:chat");
      await shut(opened);
    });

    it("rfc6455#section-4.2.2 skips offered subprotocols the server does not support", async () => {
      const opened = await open(target.url("/protocol"), ["superchat", "chat.v2", "chat"]);
      expect(opened.ws.protocol).toBe("chat.v2");
      expect(await opened.next("the server's view")).toBe("protocol:chat.v2");
      await shut(opened);
    });
  });
}
