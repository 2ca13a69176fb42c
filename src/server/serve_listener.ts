/**
 * A server over any {@linkcode Listener}: the accept loop with its admission limits, and
 * shutdown. Each adapter's `serve` is this over its own listener. A listener may yield HTTP/2
 * request streams (`Http2Exchange`) besides sockets; each is admitted and served on its own.
 *
 * @module
 */

import type { MessageHooks, WebSocketHandler } from "../router/handler.ts";
import type { Router } from "../router/router.ts";
import { Admission } from "./admission.ts";
import {
  extendedConnectTransport,
  type Http2Exchange,
  serveHttp2Exchange,
} from "./extended_connect_transport.ts";
import { serveStream } from "./handle_stream.ts";
import type { Listener } from "./listener.ts";
import type { ServeOptions, Server, ShutdownOptions } from "./options.ts";
import { refusal, refuse } from "./refuse.ts";
import { createServerContext, type ServerContext } from "./server_context.ts";
import { upgradeRefused } from "./server_observer.ts";

/**
 * Serves WebSocket connections from any source of byte streams: each adapter's `serve` is
 * this over its own listener.
 *
 * @example Over a runtime's listener (what `serve` does)
 * ```ts
 * import { serveListener } from "@wsflow/wsflow";
 * import { connect, listen } from "@wsflow/wsflow/deno"; // or /node, /bun
 *
 * const server = serveListener(await listen({ hostname: "127.0.0.1", port: 0 }), (ws) => {
 *   return ws.send(`hello ${ws.url.pathname}`);
 * });
 * const ws = await connect(`ws://127.0.0.1:${server.addr.port}/you`);
 * for await (const message of ws) {
 *   console.log(message); // hello /you
 *   await ws.close(1000);
 * }
 * await server.close();
 * ```
 * @example Over any other source of byte streams: one in-memory socket
 * ```ts
 * import { connectWith, type Listener, serveListener } from "@wsflow/wsflow";
 * import { byteStreamPair } from "@wsflow/wsflow/testing";
 *
 * const [serverEnd, clientEnd] = byteStreamPair();
 * const listener: Listener = {
 *   addr: { hostname: "memory", port: 0 },
 *   async *[Symbol.asyncIterator]() {
 *     yield serverEnd;
 *   },
 *   close: () => Promise.resolve(),
 * };
 * const server = serveListener(listener, async (ws) => {
 *   await ws.send(`hello ${ws.url.pathname}`);
 *   await ws.close(1000);
 * });
 * const ws = await connectWith(() => Promise.resolve(clientEnd), "ws://example.com/you");
 * for await (const message of ws) console.log(message); // hello /you
 * console.log((await ws.closed).code); // 1000
 * await server.close();
 * ```
 * @param listener Accepted byte streams.
 * @param handler Runs once per WebSocket connection (or `MessageHooks`, called for each
 *   message), or a {@linkcode Router} that picks a route's handler by path and subprotocol.
 * @param options Limits, timeouts, subprotocols and hooks.
 * @returns The running server.
 * @throws {TypeError} When the options do not fit the handler (`protocols` with a `Router`, a
 *   protocol that is not a token, malformed `origins`); the listener is closed first.
 */
export function serveListener(
  listener: Listener,
  handler: WebSocketHandler | MessageHooks | Router,
  options: ServeOptions = {},
): Server {
  const admission = new Admission(options);
  let server: ServerContext;
  try {
    server = createServerContext(handler, options, admission);
  } catch (error) {
    // The caller (an adapter's `serve`) has already bound the port: do not leave it bound.
    listener.close().catch(() => {});
    throw error;
  }
  void accept(listener, server, admission);
  return {
    addr: listener.addr,
    connections: admission.connections,
    close: (): Promise<void> => listener.close(),
    shutdown: (shutdown?: ShutdownOptions): Promise<void> =>
      shutDown(listener, admission, shutdown),
  };
}

async function accept(
  listener: Listener,
  server: ServerContext,
  admission: Admission,
): Promise<void> {
  for await (const stream of listener) {
    const address = stream.remoteAddr?.hostname ?? "";
    // An HTTP/2 listener yields request streams whose fields are already read (rfc8441).
    const exchange = "respond" in stream ? stream as Http2Exchange : undefined;
    if (!admission.admit(address)) {
      // Over a connection limit: refused before reading anything.
      upgradeRefused(server.options.observer, 503, "Too many connections", stream.remoteAddr);
      if (exchange === undefined) void refuse(stream, refusal(503, "Too many connections\n"));
      else {void extendedConnectTransport(exchange).refuse(
          stream,
          503,
          undefined,
          "Too many connections\n",
        );}
      continue;
    }
    // The admission is told when the stream is done with: nothing here waits for that.
    if (exchange === undefined) void serveStream(stream, server, admission);
    else void serveHttp2Exchange(exchange, server, admission);
  }
}

async function shutDown(
  listener: Listener,
  admission: Admission,
  shutdown: ShutdownOptions = {},
): Promise<void> {
  admission.shuttingDown = true;
  await listener.close();
  const open = [...admission.connections];
  const code = shutdown.code ?? 1001;
  const reason = shutdown.reason ?? "";
  for (const connection of open) connection.close(code, reason).catch(() => {});
  const all = Promise.all(open.map((connection) => connection.closed));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, shutdown.timeout ?? 10_000);
  });
  await Promise.race([all, deadline]);
  clearTimeout(timer);
  for (const connection of open) connection.terminate();
  await all;
}
