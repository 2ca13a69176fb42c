/**
 * wsflow's own HTTP/2 listener on Node: one TLS port offering `h2` and `http/1.1` by ALPN
 * (rfc7301). An `h2` connection goes to a `node:http2` session with extended CONNECT enabled
 * (rfc8441#section-3), whose request streams become `Http2Exchange`s; an `http/1.1` connection
 * (or one without ALPN) becomes a byte stream like any socket of `listen`. `serveListener`
 * serves both from one accept loop: so the same routes, limits, admission and shutdown cover
 * WebSockets over HTTP/2 streams and over HTTP/1.1 upgrades, with identical behaviour.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc8441}
 */

import { createServer as createHttp2Server, type ServerHttp2Session } from "node:http2";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import type { Router } from "../router/router.ts";
import type { MessageHooks, WebSocketHandler } from "../router/handler.ts";
import type { ServeOptions, Server } from "../server/options.ts";
import { serveOn } from "./bind_runtime.ts";
import { exchangeOf } from "./node_http2.ts";
import { socketToByteStream } from "./node_socket.ts";
import { AcceptQueue, type Listener, type ListenOptions } from "./listener.ts";
import { zlibDeflateEngine } from "./zlib_deflate.ts";

/**
 * Listens with TLS for HTTP/2 and HTTP/1.1 connections on one port: the listener behind
 * {@linkcode serveHttp2}. It yields each HTTP/1.1 connection as a byte stream and each HTTP/2
 * request stream as an `Http2Exchange`; `close` stops accepting and sends GOAWAY on every
 * HTTP/2 connection, whose open streams go on.
 *
 * @example
 * ```ts ignore
 * import { serveListener } from "@wsflow/wsflow";
 * const listener = await listenHttp2({ port: 8443, tls: { cert, key } });
 * const server = serveListener(listener, handler);
 * ```
 * @param options Address, port and the TLS certificate (required: browsers speak HTTP/2 only
 *   over TLS).
 * @returns The listener.
 * @throws {TypeError} (rejects) Without `options.tls`.
 */
export function listenHttp2(options: ListenOptions = {}): Promise<Listener> {
  const { tls } = options;
  if (tls === undefined) {
    return Promise.reject(
      new TypeError(
        "Cannot listen for HTTP/2: the tls option is missing (browsers need h2 over TLS)",
      ),
    );
  }
  const accepted = new AcceptQueue();
  let closed = false;
  const sessions = new Set<ServerHttp2Session>();
  // rfc8441#section-3: SETTINGS_ENABLE_CONNECT_PROTOCOL = 1, or no client tries extended CONNECT
  const h2 = createHttp2Server({ settings: { enableConnectProtocol: true } });
  h2.on("session", (session: ServerHttp2Session) => {
    sessions.add(session);
    session.on("error", () => {});
    session.once("close", () => sessions.delete(session));
  });
  h2.on("stream", (stream, headers) => {
    if (closed) {
      // A stream that crossed the GOAWAY: the server is no longer accepting.
      stream.on("error", () => {});
      stream.respond({ ":status": 503 }, { endStream: true });
      return;
    }
    const exchange = exchangeOf(stream, headers);
    if (exchange !== undefined) accepted.push(exchange);
  });
  const server = createTlsServer({
    cert: tls.cert,
    key: tls.key,
    // rfc7301: h2 first, so every client that speaks it gets it; http/1.1 for the others
    ALPNProtocols: ["h2", "http/1.1"],
    noDelay: true,
  }, (socket: TLSSocket) => {
    if (socket.alpnProtocol === "h2") h2.emit("connection", socket);
    else accepted.push(socketToByteStream(socket));
  });
  server.on("tlsClientError", () => {});
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8443, options.hostname ?? "127.0.0.1", () => {
      server.off("error", reject);
      const address = server.address();
      const addr = typeof address === "object" && address !== null
        ? { hostname: address.address, port: address.port }
        : { hostname: options.hostname ?? "127.0.0.1", port: options.port ?? 8443 };
      resolve({
        addr,
        close(): Promise<void> {
          closed = true;
          accepted.end();
          server.close();
          // GOAWAY: no new streams; the open ones (WebSockets among them) go on.
          for (const session of sessions) session.close();
          return Promise.resolve();
        },
        [Symbol.asyncIterator]: () => accepted[Symbol.asyncIterator](),
      });
    });
  });
}

const serving = serveOn(listenHttp2, { deflateEngine: zlibDeflateEngine });

/**
 * Serves WebSockets over HTTP/2 (RFC 8441) and HTTP/1.1 on one TLS port: browsers that load a
 * page over `h2` from this origin open their `wss://` WebSockets as extended CONNECT streams on
 * the same HTTP/2 connection; other clients upgrade over HTTP/1.1 as with `serve`. The same
 * router, limits, Origin policy, hooks, heartbeat, metrics and shutdown apply to both. Plain
 * requests (`GET /`…) get `options.fetch`'s answer over either protocol.
 *
 * @example
 * ```ts ignore
 * import { serveHttp2 } from "@wsflow/wsflow/node";
 * const server = await serveHttp2(async (ws) => {
 *   for await (const message of ws) await ws.send(message);
 * }, {
 *   port: 8443,
 *   tls: { cert, key },
 *   fetch: () => new Response("<!doctype html><title>hi</title>", {
 *     headers: { "content-type": "text/html; charset=utf-8" },
 *   }),
 * });
 * console.log(`LISTENING h2://${server.addr.hostname}:${server.addr.port}`);
 * ```
 * @param handler Runs once per WebSocket (or `MessageHooks`, called for each message), or a
 *   `Router` that picks a route's handler.
 * @param options Address, port, TLS certificate (required), limits, timeouts and hooks.
 * @returns The running server.
 * @see {@link https://datatracker.ietf.org/doc/html/rfc8441}
 */
export function serveHttp2(
  handler: WebSocketHandler | MessageHooks | Router,
  options?: ServeOptions & ListenOptions,
): Promise<Server> {
  return serving(handler, options);
}
