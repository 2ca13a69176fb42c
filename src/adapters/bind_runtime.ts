/**
 * What every runtime adapter binds the same way: given a runtime's `listen` and `openSocket`,
 * the server (`serve`), the client (`connect`) and the options of the WHATWG classes
 * (`WebSocket`, `WebSocketStream`) on its sockets, each with the adapter's defaults (its
 * deflate engine) under the caller's options. It names no runtime, so one copy serves
 * `deno.ts`, `bun.ts` and `node.ts`: a client or server feature is one edit here, not three.
 *
 * @module
 */

import type { Router } from "../router/router.ts";
import type { Connection } from "../streams/connection.ts";
import type { DeflateEngine } from "../streams/deflate_engine.ts";
import { type ConnectOptions, connectWith, type OpenSocket } from "../client/connect.ts";
import { connectHttp2With, type OpenHttp2Stream } from "../client/connect_http2.ts";
import type { ProxyEnv } from "../client/proxy.ts";
import { ReconnectingConnection } from "../client/reconnecting_connection.ts";
import type { ReconnectOptions, UrlSource } from "../client/reconnect_options.ts";
import type { MessageHooks, WebSocketHandler } from "../router/handler.ts";
import type { ServeOptions, Server } from "../server/options.ts";
import { serveListener } from "../server/serve_listener.ts";
import type { Listener, ListenOptions } from "./listener.ts";

/**
 * What an adapter supplies unless the caller's options say otherwise.
 *
 * @example
 * ```ts ignore
 * import { zlibDeflateEngine } from "./zlib_deflate.ts";
 * const defaults: AdapterDefaults = { deflateEngine: zlibDeflateEngine };
 * ```
 */
export interface AdapterDefaults {
  /** The permessage-deflate engine servers and clients use by default. */
  deflateEngine?: DeflateEngine;
  /** Reads the proxy variables from the runtime's environment, at each connect. */
  proxyEnv?: () => ProxyEnv;
  /** Opens extended CONNECT streams, for `connect` with `http2` (RFC 8441). */
  openHttp2Stream?: OpenHttp2Stream;
}

/**
 * An adapter's `reconnect`.
 *
 * @example
 * ```ts ignore
 * const reconnect: Reconnect = reconnectOn(openSocket, {});
 * ```
 */
export type Reconnect = (url: UrlSource, options?: ReconnectOptions) => ReconnectingConnection;

// The adapter's defaults under the caller's options; the environment is read now, not once.
function withDefaults<T extends object>(
  defaults: AdapterDefaults,
  options: T | undefined,
): T & { deflateEngine?: DeflateEngine; proxyEnv?: ProxyEnv } {
  return {
    ...(defaults.deflateEngine === undefined ? {} : { deflateEngine: defaults.deflateEngine }),
    ...(defaults.proxyEnv === undefined ? {} : { proxyEnv: defaults.proxyEnv() }),
    ...options as T,
  };
}

/**
 * A runtime's listener: accepted connections as byte streams.
 *
 * @example
 * ```ts ignore
 * const listen: Listen = (options) => myRuntime.listen(options);
 * ```
 */
export type Listen = (options: ListenOptions) => Promise<Listener>;

/**
 * An adapter's `serve`.
 *
 * @example
 * ```ts ignore
 * const serve: Serve = serveOn(listen, {});
 * ```
 */
export type Serve = (
  handler: WebSocketHandler | MessageHooks | Router,
  options?: ServeOptions & ListenOptions,
) => Promise<Server>;

/**
 * An adapter's `connect`.
 *
 * @example
 * ```ts ignore
 * const connect: Connect = connectOn(openSocket, {});
 * ```
 */
export type Connect = (url: string | URL, options?: ConnectOptions) => Promise<Connection>;

/**
 * Binds `serve` to a runtime's listener: listens with the caller's options, then serves the
 * accepted streams with the defaults under those options.
 *
 * @example
 * ```ts ignore
 * const serve = serveOn(listen, { deflateEngine: zlibDeflateEngine });
 * const server = await serve(async (ws) => {
 *   for await (const message of ws) await ws.send(message);
 * }, { port: 0 });
 * ```
 * @param listen The runtime's listener.
 * @param defaults What the caller's options override.
 * @returns The runtime's `serve`.
 */
export function serveOn(listen: Listen, defaults: AdapterDefaults): Serve {
  const base = {
    ...(defaults.deflateEngine === undefined ? {} : { deflateEngine: defaults.deflateEngine }),
  };
  return async (handler, options = {}) =>
    serveListener(await listen(options), handler, { ...base, ...options });
}

/**
 * Binds `connect` to a runtime's socket opener, with the defaults under the caller's options.
 *
 * @example
 * ```ts ignore
 * const connect = connectOn(openSocket, { deflateEngine: zlibDeflateEngine });
 * const ws = await connect("ws://127.0.0.1:8080/chat");
 * ```
 * @param openSocket The runtime's socket opener.
 * @param defaults What the caller's options override.
 * @returns The runtime's `connect`.
 */
export function connectOn(openSocket: OpenSocket, defaults: AdapterDefaults): Connect {
  const { openHttp2Stream } = defaults;
  return (url, options) => {
    if (options?.http2 !== true) {
      return connectWith(openSocket, url, withDefaults(defaults, options));
    }
    if (openHttp2Stream === undefined) {
      return Promise.reject(
        new TypeError(
          "Cannot connect over HTTP/2: this runtime's adapter has no HTTP/2 client (wsflow/node has)",
        ),
      );
    }
    // No proxy over HTTP/2: the environment's proxy variables are not read.
    const { proxyEnv: _, ...rest } = withDefaults(defaults, options);
    return connectHttp2With(openHttp2Stream, url, rest);
  };
}

/**
 * Binds `reconnect` to a runtime's socket opener: a {@linkcode ReconnectingConnection} whose
 * every attempt is the runtime's `connect`.
 *
 * @example
 * ```ts ignore
 * const reconnect = reconnectOn(openSocket, { deflateEngine: zlibDeflateEngine });
 * const ws = reconnect("ws://127.0.0.1:8080/chat", { maxRetries: 5 });
 * ```
 * @param openSocket The runtime's socket opener.
 * @param defaults What the caller's options override.
 * @returns The runtime's `reconnect`.
 */
export function reconnectOn(openSocket: OpenSocket, defaults: AdapterDefaults): Reconnect {
  const connect = connectOn(openSocket, defaults);
  return (url, options) => new ReconnectingConnection(url, { connect, ...options });
}

/**
 * Options for the WHATWG classes on a runtime: the adapter's defaults under the caller's
 * options, and the runtime's socket opener over any `options.openSocket`.
 *
 * @example
 * ```ts ignore
 * const bind: BindOptions = optionsOn(openSocket, {});
 * new WebSocket("ws://127.0.0.1:8080/echo", [], bind({ handshakeTimeout: 5_000 }));
 * ```
 */
export type BindOptions = <T extends object>(
  options: T | undefined,
) => T & { openSocket: OpenSocket };

/**
 * Binds the options of the adapter's `WebSocket` and `WebSocketStream` to a runtime's socket
 * opener. The classes themselves stay in each entry file, extending the public base classes by
 * name: so they remain classes users can `new`, subclass and test with `instanceof`, and their
 * documentation shows the base they extend.
 *
 * @example
 * ```ts ignore
 * const bind = optionsOn(openSocket, { deflateEngine: zlibDeflateEngine });
 * export class WebSocket extends BaseWebSocket {
 *   constructor(url: string | URL, protocols?: string[], options?: WebSocketOptions) {
 *     super(url, protocols, bind(options));
 *   }
 * }
 * ```
 * @param openSocket The runtime's socket opener.
 * @param defaults What the caller's options override.
 * @returns What the classes' constructors pass on to their base.
 */
export function optionsOn(openSocket: OpenSocket, defaults: AdapterDefaults): BindOptions {
  // Spreading undefined adds nothing, so `options` may be absent.
  return <T extends object>(options: T | undefined): T & { openSocket: OpenSocket } => ({
    ...withDefaults(defaults, options),
    openSocket,
  });
}
