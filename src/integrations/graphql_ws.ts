/**
 * GraphQL over WebSocket on wsflow's router: a route that hands each connection to the
 * transport-neutral server of the `graphql-ws` package (`makeServer`), the same way its own
 * adapters for `ws`, Bun and Deno do, so it runs unchanged on Deno, Bun and Node without any
 * `ws` layer.
 *
 * `graphql` and `graphql-ws` stay the application's: this file names neither, it only relies
 * on the shape of `makeServer`'s result ({@linkcode GraphQLWsServer}), so wsflow keeps no
 * runtime dependency.
 *
 * ```ts ignore
 * import { makeServer } from "graphql-ws";
 * import { Router } from "@wsflow/wsflow";
 * import { graphqlWsRoute } from "@wsflow/wsflow/graphql";
 *
 * const router = new Router().route("/graphql", graphqlWsRoute(makeServer({ schema })));
 * ```
 *
 * @module
 * @see {@link https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md}
 */

import type { RouteContext } from "../router/handler.ts";
import type { RouteOptions } from "../router/router.ts";
import type { Connection } from "../streams/connection.ts";

/**
 * The subprotocol of GraphQL over WebSocket, as `graphql-ws` implements it.
 *
 * @example
 * ```ts
 * import { GRAPHQL_TRANSPORT_WS_PROTOCOL } from "@wsflow/wsflow/graphql";
 * console.log(GRAPHQL_TRANSPORT_WS_PROTOCOL); // graphql-transport-ws
 * ```
 */
export const GRAPHQL_TRANSPORT_WS_PROTOCOL = "graphql-transport-ws";

/**
 * The socket `graphql-ws`'s server is given for each connection (its `WebSocket` interface), as
 * this integration builds it over a wsflow `Connection`.
 *
 * @example
 * ```ts
 * import type { GraphQLWsSocket } from "@wsflow/wsflow/graphql";
 * const socket: GraphQLWsSocket = {
 *   protocol: "graphql-transport-ws",
 *   send: (data) => console.log(data),
 *   close: () => {},
 *   onMessage: () => {},
 * };
 * socket.send('{"type":"pong"}'); // {"type":"pong"}
 * ```
 */
export interface GraphQLWsSocket {
  /** The negotiated subprotocol. */
  readonly protocol: string;
  /** Sends one text message; resolves when more may be sent. */
  send(data: string): Promise<void> | void;
  /** Starts the closing handshake with `code` and `reason`. */
  close(code?: number, reason?: string): Promise<void> | void;
  /** Registers the server's one listener for incoming text messages. */
  onMessage(listener: (data: string) => Promise<void>): void;
}

/**
 * What `makeServer` from `graphql-ws` returns, by its shape: `opened` is called once per
 * connection and returns the function to call once it has closed.
 *
 * @example
 * ```ts
 * import type { GraphQLWsServer } from "@wsflow/wsflow/graphql";
 * const server: GraphQLWsServer<unknown> = {
 *   opened: (socket) => {
 *     socket.onMessage((data) => Promise.resolve(socket.send(data))); // an echo, for the shape
 *     return () => Promise.resolve();
 *   },
 * };
 * console.log(typeof server.opened); // function
 * ```
 * @typeParam Extra What the server's hooks get as `ctx.extra`.
 */
export interface GraphQLWsServer<Extra> {
  /** Starts serving one connection; returns what to call with its close code and reason. */
  opened(
    socket: GraphQLWsSocket,
    extra: Extra,
  ): (code?: number, reason?: string) => Promise<void> | void;
}

/**
 * What `graphql-ws`'s hooks (`onConnect`, `context`, `onSubscribe`…) get as `ctx.extra` for a
 * connection served by {@linkcode graphqlWsRoute}: the wsflow connection and the route's context
 * (the upgrade `Request`, path params, data from an upgrade hook).
 *
 * @example
 * ```ts
 * import type { GraphQLWsExtra } from "@wsflow/wsflow/graphql";
 * function userAgent(extra: GraphQLWsExtra): string | null {
 *   return extra.request.headers.get("user-agent");
 * }
 * console.log(typeof userAgent); // function
 * ```
 * @typeParam Params The route's path params.
 * @typeParam Data The `data` of the route's upgrade hook.
 */
export interface GraphQLWsExtra<Params = Record<string, string>, Data = unknown>
  extends RouteContext<Params, Data> {
  /** The wsflow connection the operations run on. */
  readonly connection: Connection;
}

/**
 * Options of {@linkcode graphqlWsRoute}: everything a route takes but its handler and
 * subprotocols, which the integration owns.
 *
 * @example
 * ```ts
 * import type { GraphQLWsRouteOptions } from "@wsflow/wsflow/graphql";
 * const options: GraphQLWsRouteOptions<Record<string, string>, undefined> = {
 *   origins: ["https://app.example.com"],
 * };
 * console.log(options.origins); // ["https://app.example.com"]
 * ```
 * @typeParam Params The route's path params.
 * @typeParam Data The `data` of the route's upgrade hook.
 */
export type GraphQLWsRouteOptions<Params, Data> = Omit<
  RouteOptions<Params, Data>,
  "handler" | "protocols" | "protocolRequired"
>;

// graphql-ws's close codes (its CloseCode): 4400 for a message it cannot take, 4500 when the
// server itself failed.
const BAD_REQUEST = 4400;
const INTERNAL_SERVER_ERROR = 4500;
const textDecoder = new TextDecoder();

/**
 * A route that serves GraphQL over WebSocket (subprotocol `graphql-transport-ws`) with a server
 * made by `graphql-ws`'s `makeServer`. The route speaks only that subprotocol, so the router
 * refuses a client that does not offer it with 400; to serve clients of the older
 * `subscriptions-transport-ws` too, route them on the same path with its protocol.
 *
 * Every message goes to the server as it arrives, as with `graphql-ws`'s own `ws` adapter:
 * operations run concurrently on one connection. A binary message is read as UTF-8 (the
 * protocol's messages are text; the server refuses what does not parse with 4400), and a
 * failure of the server's message handling closes the connection with 4500 "Internal server
 * error" (the error itself is not sent: report it from `graphql-ws`'s own hooks).
 *
 * @example Queries and subscriptions on `/graphql`
 * ```ts ignore
 * import { buildSchema } from "graphql";
 * import { makeServer } from "graphql-ws";
 * import { Router } from "@wsflow/wsflow";
 * import { graphqlWsRoute } from "@wsflow/wsflow/graphql";
 * import { serve } from "@wsflow/wsflow/node"; // or /deno, /bun
 *
 * const schema = buildSchema("type Query { hello: String! }");
 * const roots = { query: { hello: () => "Hello world" } };
 * const router = new Router().route("/graphql", graphqlWsRoute(makeServer({ schema, roots })));
 * await serve(router, { port: 8080 });
 * ```
 * @example The shape, with a stand-in server
 * ```ts
 * import { Router } from "@wsflow/wsflow";
 * import { graphqlWsRoute, type GraphQLWsServer } from "@wsflow/wsflow/graphql";
 * const server: GraphQLWsServer<unknown> = { opened: () => () => Promise.resolve() };
 * const route = graphqlWsRoute(server);
 * console.log(route.protocols); // ["graphql-transport-ws"]
 * new Router().route("/graphql", route);
 * ```
 * @param server What `makeServer(options)` returned.
 * @param options The route's other options: Origin policy, permessage-deflate, upgrade hook.
 * @returns The route's options, for `Router.route`.
 * @typeParam Params The route's path params.
 * @typeParam Data The `data` of the route's upgrade hook.
 */
export function graphqlWsRoute<Params = Record<string, string>, Data = undefined>(
  server: GraphQLWsServer<GraphQLWsExtra<Params, Data>>,
  options: GraphQLWsRouteOptions<Params, Data> = {},
): RouteOptions<Params, Data> {
  return {
    ...options,
    protocols: [GRAPHQL_TRANSPORT_WS_PROTOCOL],
    protocolRequired: true,
    handler: (connection, context) => serveGraphQL(server, connection, context),
  };
}

async function serveGraphQL<Params, Data>(
  server: GraphQLWsServer<GraphQLWsExtra<Params, Data>>,
  connection: Connection,
  context: RouteContext<Params, Data>,
): Promise<void> {
  let listener: ((data: string) => Promise<void>) | undefined;
  // The error stays on the server: a close reason would show its message to the client.
  const fail = (): void => {
    void connection.close(INTERNAL_SERVER_ERROR, "Internal server error").catch(() => {});
  };
  const closed = server.opened({
    protocol: connection.protocol,
    // What the server still emits once the connection is closing has nowhere to go.
    send: (data) =>
      connection.readyState === "open" ? connection.send(data).catch(() => {}) : undefined,
    close: (code, reason) => void connection.close(code, reason).catch(() => {}),
    onMessage: (cb) => void (listener = cb),
  }, {
    connection,
    request: context.request,
    params: context.params,
    protocol: context.protocol,
    data: context.data,
  } as GraphQLWsExtra<Params, Data>);
  for await (const message of connection) {
    if (listener === undefined) {
      void connection.close(BAD_REQUEST, "Message received before the server listened")
        .catch(() => {});
      break;
    }
    const text = typeof message === "string" ? message : textDecoder.decode(message);
    listener(text).catch(fail);
  }
  const { code, reason } = await connection.closed;
  await closed(code, reason);
}
