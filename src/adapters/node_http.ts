/**
 * WebSockets on an existing `node:http` or `node:https` server (plain, Express, Fastify, Koa…),
 * on the same port as its HTTP routes: the server's `upgrade` event hands each upgrade request
 * to wsflow, like `ws`'s `noServer` mode.
 *
 * Node has already parsed the request head when it emits `upgrade`. wsflow does not trust that
 * parse to have applied its own rules, so the head as Node split it (request line, the header
 * lines as received, in order) is held to the same rules and limits as a head wsflow parses
 * itself (`checkRequestHead`), then goes the same way as a head read from wsflow's own
 * listener: Host and target checks, the upgrade's `Request`, `acceptUpgrade`, with the same
 * refusals and Origin policy.
 *
 * @module
 */

import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { Http1Request } from "../protocol/http1_request_parser.ts";
import type { MessageHooks, WebSocketHandler } from "../router/handler.ts";
import type { Router } from "../router/router.ts";
import { serveRequestHead } from "../server/handle_stream.ts";
import { UNWATCHED } from "../server/served_connection.ts";
import type { ServeOptions } from "../server/options.ts";
import { checkRequestHead } from "../server/parsed_request_head.ts";
import { refuseHandshake } from "../server/refuse.ts";
import { createServerContext, type ServerContext } from "../server/server_context.ts";
import { zlibDeflateEngine } from "./zlib_deflate.ts";
import { socketToByteStream } from "./node_socket.ts";

/**
 * A listener for the `upgrade` event of a `node:http` or `node:https` server.
 *
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * import { handleUpgrade, type UpgradeListener } from "@wsflow/wsflow/node";
 * const onUpgrade: UpgradeListener = handleUpgrade((ws) => ws.close());
 * const server = createServer().on("upgrade", onUpgrade);
 * server.close();
 * ```
 */
export type UpgradeListener = (request: IncomingMessage, socket: Duplex, head: Uint8Array) => void;

/**
 * Makes a listener for the `upgrade` event of a `node:http` or `node:https` server, so wsflow
 * serves WebSocket connections on the same port as the server's HTTP handler.
 *
 * Every request passed to the listener is wsflow's to answer: a WebSocket upgrade the handler
 * (or a route of the router) takes gets 101, anything else an HTTP refusal (404 for a path
 * without a route, 426 for an upgrade to another protocol such as `h2c`, 403 for a foreign
 * `Origin`…). To share the `upgrade` event with other code, call the listener only for the
 * paths that are wsflow's. Plain requests never come here (Node hands them to the server's
 * `request` handler), so `options.fetch` is not needed.
 *
 * @example Plain `node:http` and WebSockets on one port
 * ```ts
 * import { createServer } from "node:http";
 * import type { AddressInfo } from "node:net";
 * import { Router } from "@wsflow/wsflow";
 * import { connect, handleUpgrade } from "@wsflow/wsflow/node";
 *
 * const router = new Router().route("/echo", {
 *   async handler(ws) {
 *     for await (const message of ws) await ws.send(message);
 *   },
 * });
 * const server = createServer((_request, response) => response.end("hello"));
 * server.on("upgrade", handleUpgrade(router, { origins: ["https://app.example.com"] }));
 * await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
 * const { port } = server.address() as AddressInfo;
 *
 * console.log(await (await fetch(`http://127.0.0.1:${port}/`)).text()); // hello
 * const ws = await connect(`ws://127.0.0.1:${port}/echo`);
 * await ws.send("hi");
 * for await (const message of ws) {
 *   console.log(message); // hi
 *   await ws.close(1000);
 * }
 * await new Promise((resolve) => server.close(resolve));
 * ```
 * @example Only some paths: leave the others to another library
 * ```ts
 * import { createServer } from "node:http";
 * import { handleUpgrade } from "@wsflow/wsflow/node";
 *
 * const wsflow = handleUpgrade(async (ws) => {
 *   for await (const message of ws) await ws.send(message);
 * });
 * const server = createServer().on("upgrade", (request, socket, head) => {
 *   if (request.url?.startsWith("/ws/")) wsflow(request, socket, head);
 *   else socket.destroy(); // or hand it to the other library
 * });
 * server.close();
 * ```
 * @param handler Runs once per WebSocket connection (or `MessageHooks`, called for each
 *   message), or a {@linkcode Router} that picks a route's handler by path and subprotocol.
 * @param options Limits, timeouts, subprotocols, the Origin policy and hooks, as for `serve`.
 * @returns The `upgrade` listener.
 * @throws {TypeError} When the options do not fit the handler (`protocols` with a `Router`, a
 *   protocol that is not a token, malformed `origins`).
 */
export function handleUpgrade(
  handler: WebSocketHandler | MessageHooks | Router,
  options: ServeOptions = {},
): UpgradeListener {
  const server = createServerContext(handler, {
    deflateEngine: zlibDeflateEngine,
    ...options,
  });
  return (message, socket, rest) => serveNodeUpgrade(server, message, socket, rest);
}

/**
 * Serves one `upgrade` event of a `node:http` server for a server made once: holds the head
 * Node parsed to wsflow's rules and limits, then takes it the way of a head wsflow read itself
 * (`serveRequestHead`: Host and target checks, the upgrade's `Request`, `acceptUpgrade`). The
 * `ws`-compatible layer (`node_ws_server.ts`) enters here too.
 *
 * @example
 * ```ts ignore
 * const server = createServerContext(router, { deflateEngine: zlibDeflateEngine });
 * http.on("upgrade", (request, socket, head) => serveNodeUpgrade(server, request, socket, head));
 * ```
 * @param server The server the request came to.
 * @param message The upgrade request, as Node parsed it.
 * @param socket Its socket (a `net.Socket`, a `TLSSocket` for https).
 * @param rest The bytes that arrived after the head.
 */
export function serveNodeUpgrade(
  server: ServerContext,
  message: IncomingMessage,
  socket: Duplex,
  rest: Uint8Array,
): void {
  // The `upgrade` socket of a node:http(s) server is a net.Socket (a TLSSocket for https).
  const tcp = socket as Socket;
  // The server may have armed its idle timeout (`server.setTimeout`) on the socket; Node stops
  // acting on it after an upgrade, but the timer would go on firing. The connection is
  // wsflow's now, with its own handshake and close timeouts.
  tcp.setTimeout(0);
  tcp.setNoDelay(true);
  const stream = socketToByteStream(tcp);
  let head: Http1Request;
  try {
    head = checkRequestHead({
      method: message.method ?? "",
      target: message.url ?? "",
      version: `HTTP/${message.httpVersion}`,
      fields: fieldsOf(message.rawHeaders),
      // A plain copy: a Buffer may be a view into Node's shared pool.
      rest: new Uint8Array(rest),
    }, server.options.limits);
  } catch (error) {
    void refuseHandshake(stream, error, server);
    return;
  }
  void serveRequestHead(head, stream, server, UNWATCHED);
}

/** Node's `rawHeaders` (name, value, name, value…) as pairs, in the order they came. */
function fieldsOf(raw: readonly string[]): [string, string][] {
  const fields: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) fields.push([raw[i]!, raw[i + 1]!]);
  return fields;
}
