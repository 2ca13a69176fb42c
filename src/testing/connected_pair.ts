/**
 * A server connection and a client connection talking to each other in memory.
 *
 * @module
 */

import { Connection } from "../streams/connection.ts";
import type { ConnectionOptions } from "../streams/connection_options.ts";
import { byteStreamPair } from "./byte_stream_pair.ts";

/**
 * Options of {@linkcode connectedPair}: the `ConnectionOptions` of each side, without the role.
 *
 * @example
 * ```ts
 * import { type ConnectedPairOptions, FakeClock } from "@wsflow/wsflow/testing";
 *
 * const clock = new FakeClock();
 * const options: ConnectedPairOptions = {
 *   server: { clock, heartbeatInterval: 100 },
 *   client: { clock, heartbeatInterval: 0 },
 * };
 * console.log(options.server?.heartbeatInterval); // 100
 * ```
 */
export interface ConnectedPairOptions {
  /**
   * The server side's options.
   * @default {{}}
   */
  server?: Omit<ConnectionOptions, "role">;
  /**
   * The client side's options.
   * @default {{}}
   */
  client?: Omit<ConnectionOptions, "role">;
}

/**
 * The two ends of {@linkcode connectedPair}.
 *
 * @example
 * ```ts
 * import { type ConnectedPair, connectedPair } from "@wsflow/wsflow/testing";
 *
 * const pair: ConnectedPair = connectedPair({
 *   server: { heartbeatInterval: 0 },
 *   client: { heartbeatInterval: 0 },
 * });
 * pair.client.terminate();
 * console.log((await pair.server.closed).code); // 1006
 * ```
 */
export interface ConnectedPair {
  /** The server's connection (it closes the transport first, unmasked frames). */
  server: Connection;
  /** The client's connection (masked frames). */
  client: Connection;
}

/**
 * Two {@linkcode Connection}s, server role and client role, joined by an in-memory byte pair as
 * if the opening handshake had just completed: test a handler against a real client without
 * sockets, ports or a runtime adapter. With a `FakeClock` in both sides' options, timers run in
 * test time.
 *
 * Close both ends when done (or let one close the other), or their heartbeat timers keep
 * running.
 *
 * @example Test an echo handler
 * ```ts
 * import type { Connection } from "@wsflow/wsflow";
 * import { connectedPair } from "@wsflow/wsflow/testing";
 *
 * async function echo(ws: Connection): Promise<void> {
 *   for await (const message of ws) await ws.send(message);
 * }
 *
 * const { server, client } = connectedPair();
 * const handled = echo(server);
 * await client.send("hello");
 * const { value } = await client[Symbol.asyncIterator]().next();
 * if (value !== "hello") throw new Error(`echoed ${value}`);
 * await client.close(1000);
 * await handled;
 * ```
 * @param options Each side's options.
 * @returns The two connections.
 */
export function connectedPair(options: ConnectedPairOptions = {}): ConnectedPair {
  const [serverEnd, clientEnd] = byteStreamPair();
  return {
    server: new Connection(serverEnd, { ...options.server, role: "server" }),
    client: new Connection(clientEnd, { ...options.client, role: "client" }),
  };
}
