/**
 * The Deno adapter: wsflow's server and client on Deno's TCP and TLS sockets
 * (`deno_socket.ts`), bound by `bind_runtime.ts`, with the `node:zlib` deflate engine.
 *
 * @module
 */

import type { Router } from "../router/router.ts";
import type { Connection } from "../streams/connection.ts";
import type { ConnectOptions } from "../client/connect.ts";
import type { WebSocketHandler } from "../router/handler.ts";
import type { ServeOptions, Server } from "../server/options.ts";
import { WebSocket as BaseWebSocket, type WebSocketOptions } from "../client/websocket.ts";
import {
  WebSocketStream as BaseWebSocketStream,
  type WebSocketStreamOptions,
} from "../client/websocket_stream.ts";
import { type AdapterDefaults, connectOn, optionsOn, serveOn } from "./bind_runtime.ts";
import { listen, openSocket } from "./deno_socket.ts";
import type { ListenOptions } from "./listener.ts";
import { zlibDeflateEngine } from "./zlib_deflate.ts";

const DEFAULTS: AdapterDefaults = { deflateEngine: zlibDeflateEngine };
const serving = serveOn(listen, DEFAULTS);
const connecting = connectOn(openSocket, DEFAULTS);
const bindOptions = optionsOn(openSocket, DEFAULTS);

/**
 * Serves WebSocket connections on Deno.
 *
 * @example Echo server
 * ```ts
 * import { connect, serve } from "@wsflow/wsflow/deno";
 * const server = await serve(async (ws) => {
 *   for await (const message of ws) await ws.send(message);
 * }, { hostname: "127.0.0.1", port: 0 });
 * const ws = await connect(`ws://127.0.0.1:${server.addr.port}/`);
 * await ws.send("hello");
 * for await (const message of ws) {
 *   console.log(message); // hello
 *   await ws.close(1000);
 * }
 * await server.shutdown();
 * ```
 * @param handler Runs once per accepted WebSocket connection, or a `Router` that picks a
 *   route's handler by path and subprotocol.
 * @param options Address, port, TLS certificate, limits, timeouts and hooks.
 * @returns The running server.
 */
export function serve(
  handler: WebSocketHandler | Router,
  options?: ServeOptions & ListenOptions,
): Promise<Server> {
  return serving(handler, options);
}

/**
 * Opens a WebSocket connection on Deno: `ws://` over `Deno.connect`, `wss://` over TLS.
 *
 * @example
 * ```ts
 * import { connect, serve } from "@wsflow/wsflow/deno";
 * const server = await serve((ws) => ws.send(`hello ${ws.protocol}`), {
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   protocols: ["chat"],
 * });
 * const ws = await connect(`ws://127.0.0.1:${server.addr.port}/chat`, { protocols: ["chat"] });
 * for await (const message of ws) {
 *   console.log(message); // hello chat
 *   await ws.close(1000);
 * }
 * await server.shutdown();
 * ```
 * @param url The `ws:` or `wss:` URL.
 * @param options Subprotocols, headers, abort signal, timeouts, TLS and limits.
 * @returns The open connection.
 */
export function connect(url: string | URL, options?: ConnectOptions): Promise<Connection> {
  return connecting(url, options);
}

/**
 * The WHATWG `WebSocket` interface over wsflow's client on Deno's sockets (an alternative to
 * Deno's built-in one with wsflow's limits, timeouts and TLS options).
 *
 * @example
 * ```ts
 * import { serve, WebSocket } from "@wsflow/wsflow/deno";
 * const server = await serve((ws) => ws.send("hello"), { hostname: "127.0.0.1", port: 0 });
 * const ws = new WebSocket(`ws://127.0.0.1:${server.addr.port}/`);
 * const event = await new Promise<MessageEvent>((resolve) => ws.onmessage = resolve);
 * console.log(event.data); // hello
 * await server.shutdown();
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
    super(url, protocols, bindOptions(options));
  }
}

/**
 * The WHATWG `WebSocketStream` proposal over Deno's sockets.
 *
 * @example
 * ```ts
 * import { serve, WebSocketStream } from "@wsflow/wsflow/deno";
 * const server = await serve((ws) => ws.send("hello"), { hostname: "127.0.0.1", port: 0 });
 * const wss = new WebSocketStream(`ws://127.0.0.1:${server.addr.port}/`);
 * const { readable } = await wss.opened;
 * console.log((await readable.getReader().read()).value); // hello
 * await server.shutdown();
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
    super(url, bindOptions(options));
  }
}

export { listen, openSocket } from "./deno_socket.ts";
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
