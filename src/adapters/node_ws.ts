/**
 * A `ws`-compatible layer over wsflow (entry point `wsflow/ws`, JSR `@wsflow/wsflow/ws`): the
 * `WebSocketServer` and `WebSocket` of the `ws` package as the libraries written against it use
 * them, so graphql-ws's `useServer`, tRPC's `applyWSSHandler`, y-websocket's server and
 * Socket.IO (Engine.IO's `wsEngine` option) run on wsflow's parser, limits, heartbeat and
 * backpressure with a one-line change: import from `wsflow/ws` instead of `ws`.
 *
 * It stands on `node:http`, `node:events` and `Buffer`: Node first; Bun and Deno as far as their
 * `node:http` hands an `upgrade` event a socket (see the README's "Existing libraries").
 *
 * @example graphql-ws's `useServer`, tRPC's `applyWSSHandler`, Socket.IO
 * ```ts ignore
 * import { WebSocketServer } from "@wsflow/wsflow/ws"; // was: from "ws"
 *
 * useServer({ schema }, new WebSocketServer({ server: httpServer, path: "/graphql" }));
 * applyWSSHandler({ wss: new WebSocketServer({ port: 3001 }), router, createContext });
 * new SocketIOServer(httpServer, { wsEngine: WebSocketServer });
 * ```
 * @module
 */

export type {
  BinaryType,
  ClientOptions,
  ReadyState,
  SendCallback,
  SendOptions,
  WebSocketData,
} from "./node_ws_options.ts";
export { WebSocket } from "./node_ws_socket.ts";
export {
  type ServerOptions,
  type VerifyClient,
  type VerifyClientInfo,
  WebSocketServer,
} from "./node_ws_server.ts";
