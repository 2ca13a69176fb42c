/**
 * What a WebSocket handler is: a function of the connection and what the handshake decided,
 * or the same as message hooks.
 *
 * A route's {@linkcode Handler} is told the request, the subprotocol, the path params and the
 * upgrade hook's data ({@linkcode RouteContext}); a {@linkcode WebSocketHandler} given to
 * `serve` directly runs as the handler of a catch-all route and reads only the part every
 * route has ({@linkcode HandlerContext}). So a `WebSocketHandler` can be a route's handler as
 * it is. {@linkcode MessageHooks} are the other form, where the server calls the application
 * for each message instead of the application reading them: one object for all the
 * connections of a route, so that an idle connection holds no function of its own.
 *
 * @module
 */

import type { Message } from "../protocol/message.ts";
import type { CloseEvent } from "../protocol/session_events.ts";
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

/**
 * A handler as hooks that the server calls, one object for every connection of a route (or of
 * a server): `open` once the connection is made, `message` for each message it receives,
 * `close` once it has ended. Give it wherever a handler goes (`serve(hooks)`,
 * `route(pattern, { handler: hooks })`).
 *
 * What a handler written as `for await (const message of ws) await onMessage(ws, message)`
 * does, with the same guarantees: messages come one at a time and in order; a promise that a
 * hook returns holds the next message back until it settles (return `ws.send(...)` for
 * backpressure), and while it does, what arrives waits, up to 64 KiB, before
 * the socket is no longer read; `message` is not called before a promise `open` returned has
 * settled, nor after `close`. A hook that throws or rejects gets the connection closed with
 * 1011 and its error sent to `onError`, as a handler's; no message is handed over after that,
 * and `close` is still called. `close` comes once, after the last message has been dealt with.
 *
 * The difference is what an idle connection holds. A `for await` loop holds its suspended
 * function, the pending read and its promise for as long as it waits (about 0.9 KiB on Node);
 * hooks hold nothing of their own per connection, and of the handshake only what the upgrade
 * hook returned as `data`, which `message` and `close` are given. `open` is told the whole
 * {@linkcode RouteContext} (request, params, subprotocol); what a connection should keep of it
 * for later goes in the upgrade hook's `data`, or wherever `open` puts it. A connection served
 * by hooks cannot be read otherwise: `for await`, `readable` and `messageStreams()` are refused,
 * and a route with `streaming` cannot have hooks.
 *
 * @example
 * ```ts
 * import type { MessageHooks } from "@wsflow/wsflow";
 * const echo: MessageHooks = {
 *   message: (ws, message) => ws.send(message),
 *   close: (ws, event) => console.log(`${ws.url} closed with ${event.code}`),
 * };
 * console.log(typeof echo.message); // "function"
 * ```
 * @typeParam Params The route's params, from its pattern.
 * @typeParam Data What the upgrade hook accepted the connection with.
 */
export interface MessageHooks<Params = Record<string, string>, Data = unknown> {
  /**
   * The connection is made, before any message: as a handler function is called.
   *
   * @param connection The connection.
   * @param ctx What the handshake decided.
   * @returns Nothing, or a promise that holds messages back until it settles.
   */
  open?(connection: Connection, ctx: RouteContext<Params, Data>): void | Promise<unknown>;
  /**
   * A message arrived: `string` for text, `Uint8Array` for binary.
   *
   * @param connection The connection.
   * @param message The message.
   * @param data The `data` the upgrade hook returned (`ctx.data`); `undefined` without one.
   * @returns Nothing, or a promise that holds the next message back until it settles.
   */
  message(connection: Connection, message: Message, data: Data): void | Promise<unknown>;
  /**
   * The connection has ended (`event` is what `connection.closed` settles with), and every
   * message has been dealt with. Called once, for every connection `open` was called for.
   *
   * @param connection The connection.
   * @param event How it ended.
   * @param data The `data` the upgrade hook returned (`ctx.data`); `undefined` without one.
   * @returns Nothing, or a promise: the connection counts as served (against
   *   `maxConnectionsPerAddress`, say) until it settles, as a running handler's does.
   */
  close?(connection: Connection, event: CloseEvent, data: Data): void | Promise<unknown>;
}
