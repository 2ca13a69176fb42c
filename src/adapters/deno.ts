/**
 * The Deno adapter: `Deno.listen` sockets as byte streams (they already are web streams).
 *
 * @module
 */

import type { ByteStream } from "../streams/byte_stream.ts";
import type { Listener, ListenOptions } from "./listener.ts";
import type { Router } from "../router/router.ts";
import { serveListener, type ServeOptions, type Server, type WebSocketHandler } from "../serve.ts";

/**
 * Listens for TCP connections with `Deno.listen`.
 *
 * @example
 * ```ts ignore
 * import { listen } from "@wsflow/wsflow/deno";
 * const listener = await listen({ hostname: "127.0.0.1", port: 0 });
 * console.log(listener.addr.port);
 * await listener.close();
 * ```
 * @param options Address and port.
 * @returns The listener.
 */
export function listen(options: ListenOptions = {}): Promise<Listener> {
  const listener = Deno.listen({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 8080,
    transport: "tcp",
  });
  const addr = listener.addr;
  let closed = false;
  async function* accept(): AsyncGenerator<ByteStream> {
    while (true) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (closed || error instanceof Deno.errors.BadResource) return;
        continue; // a connection that failed while being accepted
      }
      conn.setNoDelay(true);
      const remote = conn.remoteAddr;
      yield {
        readable: conn.readable,
        writable: conn.writable,
        remoteAddr: { hostname: remote.hostname, port: remote.port },
        localAddr: { hostname: addr.hostname, port: addr.port },
      };
    }
  }
  return Promise.resolve({
    addr: { hostname: addr.hostname, port: addr.port },
    close(): Promise<void> {
      if (!closed) {
        closed = true;
        listener.close();
      }
      return Promise.resolve();
    },
    [Symbol.asyncIterator]: accept,
  });
}

/**
 * Serves WebSocket connections on Deno.
 *
 * @example Echo server
 * ```ts ignore
 * import { serve } from "@wsflow/wsflow/deno";
 * const server = await serve(async (ws) => {
 *   for await (const message of ws) await ws.send(message);
 * }, { port: 0 });
 * console.log(`LISTENING ws://${server.addr.hostname}:${server.addr.port}`);
 * ```
 * @param handler Runs once per accepted WebSocket connection, or a `Router` that picks a
 *   route's handler by path and subprotocol.
 * @param options Address, port, limits, timeouts and hooks.
 * @returns The running server.
 */
export async function serve(
  handler: WebSocketHandler | Router,
  options: ServeOptions & ListenOptions = {},
): Promise<Server> {
  return serveListener(await listen(options), handler, options);
}
