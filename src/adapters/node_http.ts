/**
 * WebSockets on an existing `node:http` or `node:https` server (plain, Express, Fastify, Koa…),
 * on the same port as its HTTP routes: the server's `upgrade` event hands each upgrade request
 * to wsflow, like `ws`'s `noServer` mode.
 *
 * Node has already parsed the request head when it emits `upgrade`. wsflow does not trust that
 * parse to match its own rules, so the head is written back out as bytes (request line, the
 * header lines exactly as received, then the bytes that followed the head) and the socket goes
 * through the same handshake path as a socket of wsflow's own listener, with the same limits,
 * refusals and Origin policy.
 *
 * @module
 */

import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { Router } from "../router/router.ts";
import { handleStream, type ServeOptions, type WebSocketHandler } from "../serve.ts";
import type { ByteStream } from "../streams/byte_stream.ts";
import { zlibDeflateEngine } from "./zlib_deflate.ts";
import { socketToByteStream } from "./node_socket.ts";

/**
 * A listener for the `upgrade` event of a `node:http` or `node:https` server.
 *
 * @example
 * ```ts ignore
 * import { createServer } from "node:http";
 * import { handleUpgrade, type UpgradeListener } from "@wsflow/wsflow/node";
 * const onUpgrade: UpgradeListener = handleUpgrade((ws) => ws.close());
 * createServer().on("upgrade", onUpgrade).listen(8080);
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
 * ```ts ignore
 * import { createServer } from "node:http";
 * import { Router } from "@wsflow/wsflow";
 * import { handleUpgrade } from "@wsflow/wsflow/node";
 *
 * const router = new Router().route("/echo", {
 *   async handler(ws) {
 *     for await (const message of ws) await ws.send(message);
 *   },
 * });
 * const server = createServer((_request, response) => response.end("hello"));
 * server.on("upgrade", handleUpgrade(router, { origins: ["https://app.example.com"] }));
 * server.listen(8080);
 * ```
 * @example Only some paths: leave the others to another library
 * ```ts ignore
 * import { createServer } from "node:http";
 * import { handleUpgrade } from "@wsflow/wsflow/node";
 *
 * const wsflow = handleUpgrade(async (ws) => {
 *   for await (const message of ws) await ws.send(message);
 * });
 * createServer().on("upgrade", (request, socket, head) => {
 *   if (request.url?.startsWith("/ws/")) wsflow(request, socket, head);
 *   else socket.destroy();
 * }).listen(8080);
 * ```
 * @param handler Runs once per WebSocket connection, or a {@linkcode Router} that picks a
 *   route's handler by path and subprotocol.
 * @param options Limits, timeouts, subprotocols, the Origin policy and hooks, as for `serve`.
 * @returns The `upgrade` listener.
 */
export function handleUpgrade(
  handler: WebSocketHandler | Router,
  options: ServeOptions = {},
): UpgradeListener {
  return (request, socket, head) => {
    // The `upgrade` socket of a node:http(s) server is a net.Socket (a TLSSocket for https).
    const tcp = socket as Socket;
    // The server may have armed its idle timeout (`server.setTimeout`) on the socket; Node stops
    // acting on it after an upgrade, but the timer would go on firing. The connection is
    // wsflow's now, with its own handshake and close timeouts.
    tcp.setTimeout(0);
    tcp.setNoDelay(true);
    const stream = socketToByteStream(tcp);
    void handleStream(prepend(stream, requestHead(request), head), handler, {
      deflateEngine: zlibDeflateEngine,
      ...options,
    });
  };
}

/** The request head as it came in: request line and header lines in their order and case. */
function requestHead(request: IncomingMessage): Uint8Array {
  const lines = [`${request.method} ${request.url} HTTP/${request.httpVersion}`];
  const raw = request.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) lines.push(`${raw[i]}: ${raw[i + 1]}`);
  lines.push("", "");
  // Node decodes header bytes as latin1, one char per byte: encode them back the same way, so
  // wsflow's parser sees the bytes the client sent (TextEncoder would turn them into UTF-8).
  const text = lines.join("\r\n");
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
  return bytes;
}

/** `stream` with `head` and `rest` read before its own bytes. */
function prepend(stream: ByteStream, head: Uint8Array, rest: Uint8Array): ByteStream {
  const reader = stream.readable.getReader();
  const first: Uint8Array[] = rest.length === 0 ? [head] : [head, copy(rest)];
  const readable = new ReadableStream<Uint8Array>({
    async pull(controller): Promise<void> {
      const chunk = first.shift();
      if (chunk !== undefined) {
        controller.enqueue(chunk);
        return;
      }
      const { value, done } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason): Promise<void> {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
  return { ...stream, readable };
}

/** A plain `Uint8Array` copy of a `Buffer` (which may be a view into Node's shared pool). */
function copy(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}
