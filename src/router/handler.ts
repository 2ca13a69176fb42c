/**
 * What a WebSocket handler is: a function of the connection and what the handshake decided.
 *
 * There is one kind of handler. A route's {@linkcode Handler} is told the request, the
 * subprotocol, the path params and the upgrade hook's data ({@linkcode RouteContext}); a
 * {@linkcode WebSocketHandler} given to `serve` directly runs as the handler of a catch-all
 * route and reads only the part every route has ({@linkcode HandlerContext}). So a
 * `WebSocketHandler` can be a route's handler as it is.
 *
 * @module
 */

import type { Connection } from "../streams/connection.ts";

/**
 * What every handler is told besides the connection itself: the handshake's request and the
 * chosen subprotocol. A route's handler is told more ({@linkcode RouteContext}).
 *
 * @example
 * ```ts
 * import type { HandlerContext } from "@wsflow/wsflow";
 * function describe(ctx: HandlerContext): string {
 *   return `${new URL(ctx.request.url).pathname} over ${ctx.protocol || "no subprotocol"}`;
 * }
 * console.log(describe({ request: new Request("http://localhost/chat"), protocol: "" }));
 * // /chat over no subprotocol
 * // "/chat over no subprotocol"
 * ```
 */
export interface HandlerContext {
  /** The opening handshake as a web `Request` (method, URL with query, headers). */
  request: Request;
  /** The negotiated subprotocol, or `""`. */
  protocol: string;
}

/**
 * Runs once per WebSocket connection: the handler given to `serve` for every path. If it
 * throws (or rejects), the connection is closed with 1011 and the error goes to `onError`; the
 * server keeps running. Returning does not close the connection: it lives until either side
 * closes it. What it resolves to is ignored, so `(ws) => ws.close()` is a handler.
 *
 * @example
 * ```ts
 * import type { WebSocketHandler } from "@wsflow/wsflow";
 * const echo: WebSocketHandler = async (ws) => {
 *   for await (const message of ws) await ws.send(message);
 * };
 * console.log(typeof echo); // "function"
 * ```
 */
export type WebSocketHandler = (
  connection: Connection,
  context: HandlerContext,
) => void | Promise<unknown>;

/**
 * What a route's handler is told besides the connection itself: everything a
 * {@linkcode HandlerContext} holds, and the route's params and the upgrade hook's data.
 *
 * @example
 * ```ts
 * import type { RouteContext } from "@wsflow/wsflow";
 * function describe(ctx: RouteContext<{ room: string }, { user: string }>): string {
 *   return `${ctx.data.user} in ${ctx.params.room} over ${ctx.protocol || "no subprotocol"}`;
 * }
 * console.log(describe({
 *   request: new Request("http://localhost/rooms/lobby"),
 *   params: { room: "lobby" }, protocol: "", data: { user: "ada" },
 * })); // "ada in lobby over no subprotocol"
 * ```
 * @typeParam Params The route's params, from its pattern.
 * @typeParam Data What the upgrade hook accepted the connection with.
 */
export interface RouteContext<Params, Data> extends HandlerContext {
  /** The opening handshake as a web `Request` (method, URL with query, headers). */
  readonly request: Request;
  /** The path params, percent-decoded. */
  readonly params: Params;
  /** The negotiated subprotocol, or `""`. */
  readonly protocol: string;
  /** The `data` the upgrade hook returned; `undefined` without a hook or without `data`. */
  readonly data: Data;
}

/**
 * Runs once per connection on its route. If it throws or rejects, the server closes the
 * connection with 1011; returning does not close it.
 *
 * @example
 * ```ts
 * import type { Handler } from "@wsflow/wsflow";
 * const echo: Handler<Record<string, string>, undefined> = async (ws) => {
 *   for await (const message of ws) await ws.send(message);
 * };
 * console.log(typeof echo); // "function"
 * ```
 * @typeParam Params The route's params, from its pattern.
 * @typeParam Data What the upgrade hook accepted the connection with.
 */
export type Handler<Params, Data> = (
  connection: Connection,
  ctx: RouteContext<Params, Data>,
) => void | Promise<unknown>;
