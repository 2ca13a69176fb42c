/**
 * The Node adapter: `node:net` and `node:tls` sockets as web byte streams, through a small
 * bridge that keeps backpressure both ways (the socket is paused while the readable is full;
 * writes wait for `drain`) and hands on plain `Uint8Array` views rather than `Buffer`s. The
 * same bridge serves accepted sockets and the client's. Measured against `Duplex.toWeb` on a
 * raw 256 MiB echo it is as fast (best of 3: 656 vs 649 MB/s), and its writes settle only once
 * the socket is done with the bytes, which lets a connection reuse its output buffer.
 *
 * @module
 */

import { connect as netConnect, createServer, type Socket } from "node:net";
import { connect as tlsConnect, createServer as createTlsServer } from "node:tls";
import type { ByteStream } from "../streams/byte_stream.ts";
import { AcceptQueue, type Listener, type ListenOptions } from "./listener.ts";
import type { Router } from "../router/router.ts";
import { zlibDeflateEngine } from "./zlib_deflate.ts";
import { type ConnectOptions, connectWith, type SocketTarget } from "../connect.ts";
import { serveListener, type ServeOptions, type Server, type WebSocketHandler } from "../serve.ts";
import type { Connection } from "../streams/connection.ts";
import { WebSocket as BaseWebSocket, type WebSocketOptions } from "../websocket.ts";
import {
  WebSocketStream as BaseWebSocketStream,
  type WebSocketStreamOptions,
} from "../websocket_stream.ts";

const READ_HIGH_WATER_MARK = 65_536;

/**
 * Turns a connected `node:net` (or `node:tls`) socket into a byte stream.
 *
 * @example
 * ```ts ignore
 * import { connect } from "node:net";
 * import { socketToByteStream } from "@wsflow/wsflow/node";
 * const stream = socketToByteStream(connect(8080, "127.0.0.1"));
 * ```
 * @param socket The socket.
 * @returns Its byte stream.
 */
export function socketToByteStream(socket: Socket): ByteStream {
  let ended = false;
  const readable = new ReadableStream<Uint8Array>({
    start(controller): void {
      socket.on("data", (data: Buffer) => {
        controller.enqueue(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
        if ((controller.desiredSize ?? 1) <= 0) socket.pause();
      });
      socket.on("end", () => {
        if (ended) return;
        ended = true;
        controller.close();
      });
      socket.on("close", () => {
        if (ended) return;
        ended = true;
        controller.error(new Error("Cannot read: the connection was reset"));
      });
      socket.on("error", () => {
        // reported through "close"
      });
    },
    pull(): void {
      if (socket.isPaused()) socket.resume();
    },
    cancel(): void {
      ended = true;
      socket.destroy();
    },
  }, { highWaterMark: READ_HIGH_WATER_MARK, size: (chunk) => chunk?.byteLength ?? 0 });
  const writable = new WritableStream<Uint8Array>({
    write(chunk): Promise<void> {
      if (socket.destroyed) throw new Error("Cannot write: the socket is closed");
      // Settles when the socket is done with the chunk (the caller may then reuse its memory)
      // and, under backpressure, not before it drains.
      return new Promise<void>((resolve, reject) => {
        let written = false;
        let drained = socket.write(chunk, (error) => {
          written = true;
          if (error) reject(error);
          else if (drained) resolve();
        });
        if (drained) return;
        const onDrain = (): void => {
          socket.off("drain", onDrain);
          socket.off("close", onDrain);
          drained = true;
          if (written || socket.destroyed) resolve();
        };
        // A socket that closes while full never drains; its writes end here.
        socket.on("drain", onDrain);
        socket.on("close", onDrain);
      });
    },
    close(): Promise<void> {
      return new Promise((resolve) => socket.end(resolve));
    },
    abort(): void {
      socket.destroy();
    },
  });
  return {
    readable,
    writable,
    remoteAddr: { hostname: socket.remoteAddress ?? "", port: socket.remotePort ?? 0 },
  };
}

/**
 * Listens for TCP connections with `node:net`, or for TLS connections with `node:tls` when
 * `options.tls` is given.
 *
 * @example
 * ```ts ignore
 * import { listen } from "@wsflow/wsflow/node";
 * const listener = await listen({ hostname: "127.0.0.1", port: 0 });
 * console.log(listener.addr.port);
 * await listener.close();
 * ```
 * @param options Address, port and TLS certificate.
 * @returns The listener.
 */
export function listen(options: ListenOptions = {}): Promise<Listener> {
  const accepted = new AcceptQueue();
  const onSocket = (socket: Socket): void => {
    accepted.push(socketToByteStream(socket));
  };
  // A TLSSocket is a net.Socket: the same bridge serves both.
  const server = options.tls === undefined
    ? createServer({ noDelay: true }, onSocket)
    : createTlsServer({ noDelay: true, cert: options.tls.cert, key: options.tls.key }, onSocket);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8080, options.hostname ?? "127.0.0.1", () => {
      server.off("error", reject);
      const address = server.address();
      const addr = typeof address === "object" && address !== null
        ? { hostname: address.address, port: address.port }
        : { hostname: options.hostname ?? "127.0.0.1", port: options.port ?? 8080 };
      resolve({
        addr,
        close(): Promise<void> {
          // server.close's callback waits for every open connection; stopping to accept is
          // all this promises.
          accepted.end();
          server.close();
          return Promise.resolve();
        },
        [Symbol.asyncIterator]: () => accepted[Symbol.asyncIterator](),
      });
    });
  });
}

/**
 * Serves WebSocket connections on Node.
 *
 * @example Echo server
 * ```ts ignore
 * import { serve } from "@wsflow/wsflow/node";
 * const server = await serve(async (ws) => {
 *   for await (const message of ws) await ws.send(message);
 * }, { port: 0 });
 * console.log(`LISTENING ws://${server.addr.hostname}:${server.addr.port}`);
 * ```
 * @param handler Runs once per accepted WebSocket connection, or a `Router` that picks a
 *   route's handler by path and subprotocol.
 * @param options Address, port, TLS certificate, limits, timeouts and hooks.
 * @returns The running server.
 */
export async function serve(
  handler: WebSocketHandler | Router,
  options: ServeOptions & ListenOptions = {},
): Promise<Server> {
  return serveListener(await listen(options), handler, {
    deflateEngine: zlibDeflateEngine,
    ...options,
  });
}

/**
 * Opens a TCP connection with `node:net`, or a TLS one with `node:tls` when `target.tls` is
 * given, as a byte stream: the socket opener of {@linkcode connect}.
 *
 * @example
 * ```ts ignore
 * import { openSocket } from "@wsflow/wsflow/node";
 * const stream = await openSocket({ hostname: "127.0.0.1", port: 8080 });
 * ```
 * @param target Host, port, TLS options and abort signal.
 * @returns The connected socket's byte stream.
 */
export function openSocket(target: SocketTarget): Promise<ByteStream> {
  const { hostname: host, port, tls, signal } = target;
  const socket = tls === undefined ? netConnect({ host, port }) : tlsConnect({
    host,
    port,
    ...(tls.ca === undefined ? {} : { ca: typeof tls.ca === "string" ? tls.ca : [...tls.ca] }),
    ...(tls.serverName === undefined ? {} : { servername: tls.serverName }),
  });
  return new Promise((resolve, reject) => {
    const fail = (error: unknown): void => {
      socket.destroy();
      reject(error);
    };
    const onAbort = (): void => fail(signal?.reason);
    socket.once("error", fail);
    signal?.addEventListener("abort", onAbort, { once: true });
    // A TLS socket is ready once its handshake is done and the certificate checked.
    socket.once(tls === undefined ? "connect" : "secureConnect", () => {
      socket.off("error", fail);
      signal?.removeEventListener("abort", onAbort);
      socket.setNoDelay(true);
      resolve(socketToByteStream(socket));
    });
  });
}

/**
 * Opens a WebSocket connection on Node: `ws://` over `node:net`, `wss://` over `node:tls`.
 *
 * @example
 * ```ts ignore
 * import { connect } from "@wsflow/wsflow/node";
 * const ws = await connect("ws://127.0.0.1:8080/chat", { protocols: ["chat"] });
 * await ws.send("hello");
 * for await (const message of ws) console.log(message);
 * ```
 * @param url The `ws:` or `wss:` URL.
 * @param options Subprotocols, headers, abort signal, timeouts, TLS and limits.
 * @returns The open connection.
 */
export function connect(url: string | URL, options?: ConnectOptions): Promise<Connection> {
  return connectWith(openSocket, url, { deflateEngine: zlibDeflateEngine, ...options });
}

/**
 * The WHATWG `WebSocket` interface over Node's sockets, so browser code runs unchanged on
 * Node 20, which has no `WebSocket` of its own.
 *
 * @example
 * ```ts ignore
 * import { WebSocket } from "@wsflow/wsflow/node";
 * const ws = new WebSocket("ws://127.0.0.1:8080/echo");
 * ws.onopen = () => ws.send("hello");
 * ws.onmessage = (event) => console.log(event.data);
 * ```
 */
export class WebSocket extends BaseWebSocket {
  /**
   * Starts connecting to `url`.
   *
   * @param url The `ws:` or `wss:` URL (`http:` and `https:` are taken as those).
   * @param protocols Subprotocols to offer.
   * @param options wsflow's additions: headers, TLS, timeouts and limits.
   */
  constructor(
    url: string | URL,
    protocols?: string | readonly string[],
    options?: WebSocketOptions,
  ) {
    super(url, protocols, { deflateEngine: zlibDeflateEngine, ...options, openSocket });
  }
}

/**
 * The WHATWG `WebSocketStream` proposal over Node's sockets.
 *
 * @example
 * ```ts ignore
 * import { WebSocketStream } from "@wsflow/wsflow/node";
 * const wss = new WebSocketStream("ws://127.0.0.1:8080/echo");
 * const { readable, writable } = await wss.opened;
 * ```
 */
export class WebSocketStream extends BaseWebSocketStream {
  /**
   * Starts connecting to `url`.
   *
   * @param url The `ws:` or `wss:` URL.
   * @param options Subprotocols, abort signal, and wsflow's additions.
   */
  constructor(url: string | URL, options?: WebSocketStreamOptions) {
    super(url, { deflateEngine: zlibDeflateEngine, ...options, openSocket });
  }
}

export { handleUpgrade, type UpgradeListener } from "./node_http.ts";

export type { Listener } from "./listener.ts";
export {
  createZlibDeflateEngine,
  DEFAULT_ZLIB_CONCURRENCY,
  setZlibConcurrency,
  zlibDeflateEngine,
  type ZlibDeflateEngineOptions,
  type ZlibQueueState,
  zlibQueueState,
} from "./zlib_deflate.ts";
