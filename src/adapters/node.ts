/**
 * The Node adapter: `node:net` and `node:tls` sockets as web byte streams, through the small
 * bridge in `node_socket.ts` that keeps backpressure both ways and hands on plain `Uint8Array`
 * views rather than `Buffer`s. The same bridge serves accepted sockets and the client's.
 *
 * @module
 */

import { connect as netConnect, createServer, type Socket } from "node:net";
import { connect as tlsConnect, createServer as createTlsServer } from "node:tls";
import type { ByteStream } from "../streams/byte_stream.ts";
import { socketToByteStream } from "./node_socket.ts";
import { AcceptQueue, type Listener, type ListenOptions } from "./listener.ts";
import type { Router } from "../router/router.ts";
import { zlibDeflateEngine } from "./zlib_deflate.ts";
import { type ConnectOptions, connectWith, type SocketTarget } from "../connect.ts";
import type { WebSocketHandler } from "../router/handler.ts";
import type { ServeOptions, Server } from "../server/options.ts";
import { serveListener } from "../server/serve_listener.ts";
import type { Connection } from "../streams/connection.ts";
import { WebSocket as BaseWebSocket, type WebSocketOptions } from "../websocket.ts";
import {
  WebSocketStream as BaseWebSocketStream,
  type WebSocketStreamOptions,
} from "../websocket_stream.ts";

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
export { socketToByteStream } from "./node_socket.ts";

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
