// The real `ws` package (node_modules/ws, v8) as a permessage-deflate peer on every runtime.
// Bun answers the bare specifier "ws" with its own implementation, so the package's own files
// are loaded by path with createRequire: that is the real `ws`, on its node:http, node:net and
// node:zlib, under Node, Bun and Deno alike.
import { createRequire } from "node:module";
import { withTimeout } from "./with_timeout.ts";

/** The part of a `ws` socket these tests use (typed here: Deno reads "ws" without @types/ws). */
export interface WebSocket {
  on(event: string, listener: (...args: never[]) => void): unknown;
  once(event: string, listener: (...args: never[]) => void): unknown;
  send(
    data: string | Uint8Array | Buffer | ArrayBuffer | Buffer[],
    options?: { binary?: boolean },
  ): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  /** The names of the negotiated extensions. */
  readonly extensions: string;
}

/** The `ws` client class. */
export type WsClientClass = new (
  url: string,
  options: { perMessageDeflate: WsDeflateOptions | false },
) => WebSocket;

/** The part of a `ws` WebSocketServer these tests use. */
export interface WsServer {
  on(event: string, listener: (...args: never[]) => void): unknown;
  once(event: string, listener: (...args: never[]) => void): unknown;
  address(): { port: number } | string | null;
  readonly clients: Set<WebSocket>;
  close(callback: () => void): void;
}

/** The `ws` server class. */
export type WsServerClass = new (options: {
  host: string;
  port: number;
  perMessageDeflate: WsDeflateOptions | false;
  maxPayload: number;
}) => WsServer;

/**
 * `ws`'s perMessageDeflate options as it reads them: the window options also take `true`,
 * which `@types/ws` leaves out.
 */
export interface WsDeflateOptions {
  serverNoContextTakeover?: boolean;
  clientNoContextTakeover?: boolean;
  serverMaxWindowBits?: number | boolean;
  clientMaxWindowBits?: number | boolean;
  threshold?: number;
}

/** The real `ws` classes. */
export interface WsPackage {
  WebSocket: WsClientClass;
  WebSocketServer: WsServerClass;
}

/** Loads the real `ws` package from node_modules by path. */
export function loadWsPackage(): WsPackage {
  const require = createRequire(import.meta.url);
  return {
    WebSocket: require("../../node_modules/ws/lib/websocket.js") as WsClientClass,
    WebSocketServer: require("../../node_modules/ws/lib/websocket-server.js") as WsServerClass,
  };
}

/** One received message. */
export interface WsMessage {
  data: Uint8Array;
  isBinary: boolean;
}

/** Messages a `ws` socket receives, in order, with bounded waits. */
export class WsInbox {
  readonly #messages: WsMessage[] = [];
  #waiters: (() => void)[] = [];
  #closed = false;

  constructor(ws: WebSocket) {
    ws.on("message", (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      const bytes = Array.isArray(data)
        ? new Uint8Array(Buffer.concat(data))
        : data instanceof ArrayBuffer
        ? new Uint8Array(data)
        : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      this.#messages.push({ data: bytes, isBinary });
      this.#wake();
    });
    ws.on("close", () => {
      this.#closed = true;
      this.#wake();
    });
  }

  async next(what: string, ms = 10_000): Promise<WsMessage> {
    await withTimeout(
      (async () => {
        while (this.#messages.length === 0 && !this.#closed) {
          await new Promise<void>((resolve) => this.#waiters.push(resolve));
        }
      })(),
      ms,
      what,
    );
    const message = this.#messages.shift();
    if (message === undefined) throw new Error(`The connection closed before ${what}`);
    return message;
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter();
  }
}

/** An open `ws` client. */
export interface WsClient {
  ws: WebSocket;
  inbox: WsInbox;
  closed: Promise<{ code: number; reason: string }>;
  /** The server's `Sec-WebSocket-Extensions`, as received (`ws.extensions` holds names only). */
  answer: string | undefined;
}

/** Opens a `ws` client with the given perMessageDeflate options (`false` not to offer). */
export async function openWsClient(
  pkg: WsPackage,
  url: string,
  perMessageDeflate: WsDeflateOptions | false,
): Promise<WsClient> {
  const ws = new pkg.WebSocket(url, { perMessageDeflate });
  const inbox = new WsInbox(ws);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on("close", (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() }));
  });
  ws.on("error", () => {});
  let answer: string | undefined;
  ws.once("upgrade", (response: { headers: Record<string, unknown> }) => {
    const value = response.headers["sec-websocket-extensions"];
    answer = typeof value === "string" ? value : undefined;
  });
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
      ws.once("close", (code: number) => reject(new Error(`ws closed with ${code} while opening`)));
    }),
    5_000,
    "the ws client opens",
  );
  return { ws, inbox, closed, answer };
}

/** A running `ws` echo server. */
export interface WsEchoServer {
  readonly port: number;
  /** The `Sec-WebSocket-Extensions` the server answered each connection with, in order. */
  readonly answered: (string | undefined)[];
  /** The offers it received, in order. */
  readonly offers: (string | undefined)[];
  close(): Promise<void>;
}

/** Starts a `ws` WebSocketServer that echoes every message with the same type. */
export async function startWsEchoServer(
  pkg: WsPackage,
  perMessageDeflate: WsDeflateOptions | false,
): Promise<WsEchoServer> {
  const server = new pkg.WebSocketServer({
    host: "127.0.0.1",
    port: 0,
    perMessageDeflate,
    maxPayload: 128 * 1024 * 1024,
  });
  const answered: (string | undefined)[] = [];
  const offers: (string | undefined)[] = [];
  server.on("headers", (headers: string[], request: { headers: Record<string, unknown> }) => {
    const offer = request.headers["sec-websocket-extensions"];
    offers.push(typeof offer === "string" ? offer : undefined);
    const line = headers.find((h) => /^sec-websocket-extensions:/i.test(h));
    answered.push(line === undefined ? undefined : line.slice(line.indexOf(":") + 1).trim());
  });
  server.on("connection", (socket: WebSocket) => {
    socket.on("error", () => {});
    socket.on("message", (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      socket.send(data, { binary: isBinary });
    });
  });
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      server.once("listening", () => resolve());
      server.once("error", reject);
    }),
    5_000,
    "the ws server listens",
  );
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    port,
    answered,
    offers,
    close: (): Promise<void> => {
      for (const client of server.clients) client.terminate();
      return withTimeout(
        new Promise<void>((resolve) => server.close(() => resolve())),
        5_000,
        "the ws server closes",
      );
    },
  };
}
