/**
 * The client half of the Node adapter: `connect`, `reconnect` and the WHATWG classes on
 * Node's sockets (`node_socket.ts`), bound by `bind_runtime.ts` with the `node:zlib` deflate
 * engine and the environment's proxy variables. `node.ts` re-exports them.
 *
 * @module
 */

import type { Connection } from "../streams/connection.ts";
import type { ConnectOptions } from "../client/connect.ts";
import { WebSocket as BaseWebSocket, type WebSocketOptions } from "../client/websocket.ts";
import {
  WebSocketStream as BaseWebSocketStream,
  type WebSocketStreamOptions,
} from "../client/websocket_stream.ts";
import type { ReconnectingConnection } from "../client/reconnecting_connection.ts";
import type { ReconnectOptions, UrlSource } from "../client/reconnect_options.ts";
import {
  ReconnectingWebSocket as BaseReconnectingWebSocket,
  type ReconnectingWebSocketOptions,
} from "../client/reconnecting_websocket.ts";
import { type AdapterDefaults, connectOn, optionsOn, reconnectOn } from "./bind_runtime.ts";
import { openSocket, proxyEnv } from "./node_socket.ts";
import { openHttp2Stream } from "./node_http2_client.ts";
import { zlibDeflateEngine } from "./zlib_deflate.ts";

const DEFAULTS: AdapterDefaults = { deflateEngine: zlibDeflateEngine, proxyEnv, openHttp2Stream };
const connecting = connectOn(openSocket, DEFAULTS);
const bindOptions = optionsOn(openSocket, DEFAULTS);
const reconnecting = reconnectOn(openSocket, DEFAULTS);

/**
 * Opens a WebSocket connection on Node: `ws://` over `node:net`, `wss://` over `node:tls`;
 * with `http2: true`, as an extended CONNECT stream on a `node:http2` connection that every
 * WebSocket to the same origin shares (RFC 8441).
 *
 * @example
 * ```ts
 * import { connect, serve } from "@wsflow/wsflow/node";
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
 * The WHATWG `WebSocket` interface over Node's sockets, so browser code runs unchanged on
 * Node 20, which has no `WebSocket` of its own.
 *
 * @example
 * ```ts
 * import { serve, WebSocket } from "@wsflow/wsflow/node";
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
 * The WHATWG `WebSocketStream` proposal over Node's sockets.
 *
 * @example
 * ```ts
 * import { serve, WebSocketStream } from "@wsflow/wsflow/node";
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

/**
 * Opens a connection that reconnects (see `ReconnectingConnection`) on Node's sockets.
 *
 * @example
 * ```ts
 * import { reconnect, serve } from "@wsflow/wsflow/node";
 * const server = await serve(async (ws) => {
 *   for await (const message of ws) await ws.send(`echo ${message}`);
 * }, { hostname: "127.0.0.1", port: 0 });
 * const ws = reconnect(`ws://127.0.0.1:${server.addr.port}/`, {
 *   onOpen: (connection) => connection.send("hello"), // runs on every (re)open
 * });
 * for await (const message of ws) {
 *   console.log(message); // echo hello
 *   break;
 * }
 * await ws.close(); // stops reconnecting
 * await server.shutdown();
 * ```
 * @param url The URL, or a function that computes it for each attempt.
 * @param options `connect`'s options for every attempt, and the reconnection policy.
 * @returns The reconnecting connection.
 */
export function reconnect(url: UrlSource, options?: ReconnectOptions): ReconnectingConnection {
  return reconnecting(url, options);
}

/**
 * The WHATWG `WebSocket` interface, reconnecting, on Node's sockets.
 *
 * @example
 * ```ts
 * import { ReconnectingWebSocket, serve } from "@wsflow/wsflow/node";
 * const server = await serve((ws) => ws.send("hello"), { hostname: "127.0.0.1", port: 0 });
 * const ws = new ReconnectingWebSocket(`ws://127.0.0.1:${server.addr.port}/`);
 * const event = await new Promise<MessageEvent>((resolve) => ws.onmessage = resolve);
 * console.log(event.data); // hello
 * ws.close(); // stops reconnecting
 * await server.shutdown();
 * ```
 */
export class ReconnectingWebSocket extends BaseReconnectingWebSocket {
  /**
   * Starts the first attempt.
   *
   * @param url The URL, or a function that computes it for each attempt.
   * @param protocols Subprotocols to offer.
   * @param options The policy, and `connect`'s options.
   */
  constructor(
    url: UrlSource,
    protocols?: string | readonly string[],
    options?: ReconnectingWebSocketOptions,
  ) {
    super(url, protocols, bindOptions(options));
  }
}
