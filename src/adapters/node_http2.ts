/**
 * WebSockets over HTTP/2 (RFC 8441) on an existing `node:http2` server: each extended CONNECT
 * stream (`:method CONNECT`, `:protocol websocket`) becomes a wsflow byte stream whose DATA
 * frames carry RFC 6455 frames, served by the same path as an HTTP/1.1 upgrade
 * (`serveHttp2Exchange`, then `acceptUpgrade`). The server must be created with
 * `settings: { enableConnectProtocol: true }` (rfc8441#section-3), or browsers never try.
 *
 * Closing one WebSocket ends its stream only (rfc8441#section-6: END_STREAM for the TCP FIN,
 * RST_STREAM with CANCEL for the TCP RST); the HTTP/2 connection and its other streams go on.
 * HTTP/2 flow control is the byte stream's backpressure: a stream whose reader falls behind is
 * paused, so its window is not replenished.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc8441}
 */

import { constants, type IncomingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import type { OutgoingHttpHeaders } from "node:http";
import type { MessageHooks, WebSocketHandler } from "../router/handler.ts";
import type { Router } from "../router/router.ts";
import { type Http2Exchange, serveHttp2Exchange } from "../server/extended_connect_transport.ts";
import { UNWATCHED } from "../server/served_connection.ts";
import type { ServeOptions } from "../server/options.ts";
import { createServerContext } from "../server/server_context.ts";
import { duplexToByteStream } from "./node_socket.ts";
import { zlibDeflateEngine } from "./zlib_deflate.ts";

/** How long a refused stream may stay open for the client to end its side. */
const LINGER_MS = 2_000;

/**
 * A listener for the `stream` event of a `node:http2` server.
 *
 * @example
 * ```ts
 * import { createSecureServer } from "node:http2";
 * import { handleHttp2Stream, type Http2StreamListener } from "@wsflow/wsflow/node";
 * const onStream: Http2StreamListener = handleHttp2Stream((ws) => ws.close());
 * const server = createSecureServer({ settings: { enableConnectProtocol: true } });
 * server.on("stream", onStream);
 * ```
 */
export type Http2StreamListener = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void;

/**
 * Makes a listener for the request streams of a `node:http2` server, so wsflow serves
 * WebSockets over its HTTP/2 connections (RFC 8441). Every stream passed to it is wsflow's to
 * answer: an extended CONNECT that a route takes gets `:status 200`, a refused one its status
 * (404 without a route, 403 for a foreign `Origin`, 400, 426…) on the stream; a plain request
 * gets `options.fetch`'s answer, else 404 or 426. Pass it only the streams that are wsflow's:
 * `headers[":method"] === "CONNECT"`.
 *
 * The server needs `settings: { enableConnectProtocol: true }`. For HTTP/1.1 upgrades on the
 * same port (`allowHTTP1`), add {@linkcode handleUpgrade} on its `upgrade` event. A server with
 * a `request` handler (Node's compatibility API) gets CONNECT streams as `connect` events
 * instead: pass `request.stream` and `request.headers` on.
 *
 * @example Next to the HTTP routes of a `node:http2` server
 * ```ts
 * import { createSecureServer } from "node:http2";
 * import { Router } from "@wsflow/wsflow";
 * import { handleHttp2Stream, handleUpgrade } from "@wsflow/wsflow/node";
 *
 * const router = new Router().route("/echo", {
 *   async handler(ws) {
 *     for await (const message of ws) await ws.send(message);
 *   },
 * });
 * const onStream = handleHttp2Stream(router);
 * const server = createSecureServer({
 *   // cert, key,
 *   allowHTTP1: true,
 *   settings: { enableConnectProtocol: true }, // rfc8441#section-3
 * });
 * server.on("stream", (stream, headers) => {
 *   if (headers[":method"] === "CONNECT") onStream(stream, headers);
 *   else stream.respond({ ":status": 200 }, { endStream: true });
 * });
 * server.on("upgrade", handleUpgrade(router)); // HTTP/1.1 clients
 * ```
 * @example With a `request` handler (the compatibility API)
 * ```ts
 * import { createSecureServer, type Http2ServerRequest } from "node:http2";
 * import { handleHttp2Stream } from "@wsflow/wsflow/node";
 *
 * const onStream = handleHttp2Stream((ws) => ws.close());
 * const server = createSecureServer(
 *   { settings: { enableConnectProtocol: true } },
 *   (_request, response) => response.end("hello"),
 * );
 * server.on("connect", (request: Http2ServerRequest) => onStream(request.stream, request.headers));
 * ```
 * @param handler Runs once per WebSocket (or `MessageHooks`, called for each message), or a
 *   {@linkcode Router} that picks a route's handler by path and subprotocol.
 * @param options Limits, timeouts, the Origin policy and hooks, as for `serve`.
 * @returns The `stream` listener.
 * @throws {TypeError} When the options do not fit the handler.
 * @see {@link https://datatracker.ietf.org/doc/html/rfc8441#section-4}
 */
export function handleHttp2Stream(
  handler: WebSocketHandler | MessageHooks | Router,
  options: ServeOptions = {},
): Http2StreamListener {
  const server = createServerContext(handler, { deflateEngine: zlibDeflateEngine, ...options });
  return (stream, headers) => {
    const exchange = exchangeOf(stream, headers);
    if (exchange !== undefined) void serveHttp2Exchange(exchange, server, UNWATCHED);
  };
}

/**
 * One request stream of a `node:http2` server as an `Http2Exchange`: its fields, its DATA as a
 * byte stream, and `respond`. A stream whose fields a web `Headers` cannot hold is answered
 * with 400 here, and `undefined` returned.
 *
 * @example
 * ```ts ignore
 * const exchange = exchangeOf(stream, headers);
 * if (exchange !== undefined) await serveHttp2Exchange(exchange, server);
 * ```
 * @param stream The server stream.
 * @param headers Its request fields, pseudo-header fields included.
 * @returns The exchange, or `undefined` when it was refused.
 */
export function exchangeOf(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
): Http2Exchange | undefined {
  const fields = new Headers();
  try {
    for (const name in headers) {
      const value = headers[name];
      if (name.startsWith(":") || value === undefined) continue;
      if (Array.isArray(value)) { for (const item of value) fields.append(name, item); }
      else fields.append(name, String(value));
    }
  } catch {
    stream.on("error", () => {});
    if (!stream.destroyed) stream.respond({ ":status": 400 }, { endStream: true });
    return undefined;
  }
  const socket = stream.session?.socket;
  // rfc8441#section-6: an RST_STREAM with CANCEL stands for a TCP RST
  const reset = (): void => {
    if (!stream.closed) stream.close(constants.NGHTTP2_CANCEL);
  };
  const bytes = duplexToByteStream(stream, reset, {
    hostname: socket?.remoteAddress ?? "",
    port: socket?.remotePort ?? 0,
  });
  const pseudo = (name: string): string | undefined => {
    const value = headers[name];
    return typeof value === "string" ? value : undefined;
  };
  return {
    // A plain object with its streams made here: an HTTP/2 exchange takes no direct path.
    readable: bytes.readable,
    writable: bytes.writable,
    remoteAddr: bytes.remoteAddr!,
    request: {
      method: pseudo(":method") ?? "",
      protocol: pseudo(":protocol"),
      scheme: pseudo(":scheme"),
      path: pseudo(":path"),
      authority: pseudo(":authority"),
      headers: fields,
    },
    respond: (list, body) => respond(stream, list, body),
  };
}

function respond(
  stream: ServerHttp2Stream,
  list: readonly [string, string][],
  body: Uint8Array | undefined,
): Promise<void> {
  if (stream.destroyed || stream.headersSent) return Promise.resolve();
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of list) {
    const previous = headers[name];
    headers[name] = previous === undefined
      ? value
      : Array.isArray(previous)
      ? [...previous, value]
      : [String(previous), value];
  }
  try {
    stream.respond(headers, { endStream: body !== undefined && body.length === 0 });
  } catch {
    // Fields node:http2 will not send: drop the stream rather than leave it hanging.
    stream.close(constants.NGHTTP2_INTERNAL_ERROR);
    return Promise.resolve();
  }
  if (body === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    // rfc9113#section-8.1: once the response is complete, a server may end a request the client
    // is still sending with RST_STREAM NO_ERROR; it waits a little first, so the response is
    // out before the reset.
    const linger = setTimeout(() => {
      if (!stream.closed) stream.close(constants.NGHTTP2_NO_ERROR);
    }, LINGER_MS);
    linger.unref();
    stream.once("close", () => clearTimeout(linger));
    if (body.length === 0) resolve();
    else stream.end(body, () => resolve());
  });
}
