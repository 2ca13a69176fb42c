/**
 * The Node adapter: wsflow's server and client on `node:net` and `node:tls` sockets
 * (`node_socket.ts`), bound by `bind_runtime.ts`, with the `node:zlib` deflate engine, and
 * `handleUpgrade` for a `node:http` server's upgrade requests (`node_http.ts`).
 *
 * @module
 */

import type { Router } from "../router/router.ts";
import type { MessageHooks, WebSocketHandler } from "../router/handler.ts";
import type { ServeOptions, Server } from "../server/options.ts";
import { type AdapterDefaults, serveOn } from "./bind_runtime.ts";
import { listen } from "./node_socket.ts";
import type { ListenOptions } from "./listener.ts";
import { zlibDeflateEngine } from "./zlib_deflate.ts";

const DEFAULTS: AdapterDefaults = { deflateEngine: zlibDeflateEngine };
const serving = serveOn(listen, DEFAULTS);

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
 * @param handler Runs once per accepted WebSocket connection (or `MessageHooks`, called for
 *   each message), or a `Router` that picks a route's handler by path and subprotocol.
 * @param options Address, port, TLS certificate, limits, timeouts and hooks.
 * @returns The running server.
 */
export function serve(
  handler: WebSocketHandler | MessageHooks | Router,
  options?: ServeOptions & ListenOptions,
): Promise<Server> {
  return serving(handler, options);
}

export { handleUpgrade, type UpgradeListener } from "./node_http.ts";
export { handleHttp2Stream, type Http2StreamListener } from "./node_http2.ts";
export { listenHttp2, serveHttp2 } from "./node_http2_listener.ts";
export { listen, openSocket, socketToByteStream } from "./node_socket.ts";
export {
  connect,
  reconnect,
  ReconnectingWebSocket,
  WebSocket,
  WebSocketStream,
} from "./node_client.ts";
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
