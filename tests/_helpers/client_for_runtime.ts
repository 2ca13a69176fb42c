// The client side of the current runtime's adapter, so one test file exercises each runtime's
// own sockets. Only that runtime's adapter is loaded: the others name globals it lacks.
import type { ConnectOptions, OpenSocket } from "../../src/client/connect.ts";
import type { Connection } from "../../src/streams/connection.ts";
import type { WebSocket } from "../../src/client/websocket.ts";
import type { WebSocketStream } from "../../src/client/websocket_stream.ts";
import type { ReconnectingConnection } from "../../src/client/reconnecting_connection.ts";
import type { ReconnectOptions, UrlSource } from "../../src/client/reconnect_options.ts";
import type { ReconnectingWebSocket } from "../../src/client/reconnecting_websocket.ts";
import { runtime } from "./adapter_for_runtime.ts";

/** What every adapter exports for clients. */
export interface ClientAdapter {
  connect(url: string | URL, options?: ConnectOptions): Promise<Connection>;
  openSocket: OpenSocket;
  WebSocket: typeof WebSocket;
  WebSocketStream: typeof WebSocketStream;
  reconnect(url: UrlSource, options?: ReconnectOptions): ReconnectingConnection;
  ReconnectingWebSocket: typeof ReconnectingWebSocket;
}

/** Loads the current runtime's adapter, client side. */
export async function loadClient(): Promise<ClientAdapter> {
  switch (runtime) {
    case "deno":
      return await import("../../src/adapters/deno.ts");
    case "bun":
      return await import("../../src/adapters/bun.ts");
    default:
      return await import("../../src/adapters/node.ts");
  }
}
