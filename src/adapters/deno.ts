/**
 * The Deno adapter: Deno's TCP and TLS connections as byte streams (they already are web
 * streams), accepted (`Deno.listen`, `Deno.listenTls`) or opened (`Deno.connect`,
 * `Deno.startTls`).
 *
 * @module
 */

import type { ByteStream } from "../streams/byte_stream.ts";
import type { Listener, ListenOptions } from "./listener.ts";
import type { Router } from "../router/router.ts";
import { zlibDeflateEngine } from "./zlib_deflate.ts";
import { type ConnectOptions, connectWith, type SocketTarget } from "../connect.ts";
import type { WebSocketHandler } from "../router/handler.ts";
import type { ServeOptions, Server } from "../server/options.ts";
import { serveListener } from "../server/serve_listener.ts";
import type { Connection } from "../streams/connection.ts";
import { WebSocket as BaseWebSocket, type WebSocketOptions } from "../websocket.ts";
import {
  WebSocketStream as BaseWebSocketStream,
  type WebSocketStreamOptions,
} from "../websocket_stream.ts";

// conn.readable gives every pending read a 64 KiB buffer, so each idle connection held about
// 100 KiB. Reading with conn.read lets the buffer start small and grow only while reads fill it.
const MIN_READ = 4 * 1024;
const MAX_READ = 64 * 1024;

function readableOf(conn: Deno.Conn): ReadableStream<Uint8Array> {
  let size = MIN_READ;
  return new ReadableStream<Uint8Array>({
    async pull(controller): Promise<void> {
      const buffer = new Uint8Array(size);
      let read: number | null;
      try {
        read = await conn.read(buffer);
      } catch (error) {
        controller.error(error);
        return;
      }
      if (read === null) {
        controller.close();
        return;
      }
      if (read === size && size < MAX_READ) size *= 2;
      else if (read < size >> 2 && size > MIN_READ) size >>= 1;
      controller.enqueue(buffer.subarray(0, read));
    },
    cancel(): void {
      try {
        conn.close();
      } catch {
        // already closed
      }
    },
  }, { highWaterMark: 0 });
}

/**
 * Listens for TCP connections with `Deno.listen`, or for TLS connections with `Deno.listenTls`
 * when `options.tls` is given.
 *
 * @example
 * ```ts ignore
 * import { listen } from "@wsflow/wsflow/deno";
 * const listener = await listen({ hostname: "127.0.0.1", port: 0 });
 * console.log(listener.addr.port);
 * await listener.close();
 * ```
 * @param options Address, port and TLS certificate.
 * @returns The listener.
 */
export function listen(options: ListenOptions = {}): Promise<Listener> {
  const address = {
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 8080,
    transport: "tcp",
  } as const;
  const listener: Deno.Listener<Deno.TcpConn | Deno.TlsConn, Deno.NetAddr> =
    options.tls === undefined
      ? Deno.listen(address)
      : Deno.listenTls({ ...address, cert: options.tls.cert, key: options.tls.key });
  const addr = listener.addr;
  let closed = false;
  async function* accept(): AsyncGenerator<ByteStream> {
    while (true) {
      let conn: Deno.TcpConn | Deno.TlsConn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (closed || error instanceof Deno.errors.BadResource) return;
        continue; // a connection that failed while being accepted
      }
      if ("setNoDelay" in conn) conn.setNoDelay(true);
      const remote = conn.remoteAddr;
      yield {
        readable: readableOf(conn),
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
 * @param options Address, port, TLS certificate, limits, timeouts and hooks.
 * @returns The running server.
 */
export async function serve(
  handler: WebSocketHandler | Router,
  options: ServeOptions & ListenOptions = {},
): Promise<Server> {
  return serveListener(await listen(options), handler, {
    deflateEngine: zlibDeflateEngine,
    ...options,
  });
}

/**
 * Opens a TCP connection with `Deno.connect`, upgraded to TLS with `Deno.startTls` when
 * `target.tls` is given, as a byte stream: the socket opener of {@linkcode connect}. The TLS
 * handshake completes (and the certificate is checked) before it resolves.
 *
 * @example
 * ```ts ignore
 * import { openSocket } from "@wsflow/wsflow/deno";
 * const stream = await openSocket({ hostname: "127.0.0.1", port: 8080 });
 * ```
 * @param target Host, port, TLS options and abort signal.
 * @returns The connected socket's byte stream.
 */
export async function openSocket(target: SocketTarget): Promise<ByteStream> {
  const { hostname, port, tls, signal } = target;
  const tcp = await Deno.connect({ hostname, port, ...(signal === undefined ? {} : { signal }) });
  tcp.setNoDelay(true);
  let conn: Deno.Conn = tcp;
  if (tls !== undefined) {
    // startTls rather than connectTls: its hostname is the name checked, which may differ from
    // the address connected to.
    const secure = await Deno.startTls(tcp, {
      hostname: tls.serverName ?? hostname,
      ...(tls.ca === undefined
        ? {}
        : { caCerts: typeof tls.ca === "string" ? [tls.ca] : [...tls.ca] }),
    }).catch((error: unknown) => {
      tcp.close();
      throw error;
    });
    conn = secure;
    const onAbort = (): void => secure.close();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      await secure.handshake();
    } catch (error) {
      if (!signal?.aborted) secure.close();
      throw error;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }
  const remote = tcp.remoteAddr;
  const local = tcp.localAddr;
  return {
    readable: readableOf(conn),
    writable: conn.writable,
    remoteAddr: { hostname: remote.hostname, port: remote.port },
    localAddr: { hostname: local.hostname, port: local.port },
  };
}

/**
 * Opens a WebSocket connection on Deno: `ws://` over `Deno.connect`, `wss://` over TLS.
 *
 * @example
 * ```ts ignore
 * import { connect } from "@wsflow/wsflow/deno";
 * const ws = await connect("ws://127.0.0.1:8080/chat", { protocols: ["chat"] });
 * await ws.send("hello");
 * for await (const message of ws) console.log(message);
 * ```
 * @param url The `ws:` or `wss:` URL.
 * @param options Subprotocols, headers, abort signal, timeouts, TLS and limits.
 * @returns The open connection.
 */
export function connect(url: string | URL, options?: ConnectOptions): Promise<Connection> {
  return connectWith(openSocket, url, { deflateEngine: zlibDeflateEngine, ...options });
}

/**
 * The WHATWG `WebSocket` interface over wsflow's client on Deno's sockets (an alternative to
 * Deno's built-in one with wsflow's limits, timeouts and TLS options).
 *
 * @example
 * ```ts ignore
 * import { WebSocket } from "@wsflow/wsflow/deno";
 * const ws = new WebSocket("ws://127.0.0.1:8080/echo");
 * ws.onopen = () => ws.send("hello");
 * ws.onmessage = (event) => console.log(event.data);
 * ```
 */
export class WebSocket extends BaseWebSocket {
  /**
   * Starts connecting to `url`.
   *
   * @param url The `ws:` or `wss:` URL (`http:` and `https:` are taken as those).
   * @param protocols Subprotocols to offer.
   * @param options wsflow's additions: headers, TLS, timeouts and limits.
   */
  constructor(
    url: string | URL,
    protocols?: string | readonly string[],
    options?: WebSocketOptions,
  ) {
    super(url, protocols, { deflateEngine: zlibDeflateEngine, ...options, openSocket });
  }
}

/**
 * The WHATWG `WebSocketStream` proposal over Deno's sockets.
 *
 * @example
 * ```ts ignore
 * import { WebSocketStream } from "@wsflow/wsflow/deno";
 * const wss = new WebSocketStream("ws://127.0.0.1:8080/echo");
 * const { readable, writable } = await wss.opened;
 * ```
 */
export class WebSocketStream extends BaseWebSocketStream {
  /**
   * Starts connecting to `url`.
   *
   * @param url The `ws:` or `wss:` URL.
   * @param options Subprotocols, abort signal, and wsflow's additions.
   */
  constructor(url: string | URL, options?: WebSocketStreamOptions) {
    super(url, { deflateEngine: zlibDeflateEngine, ...options, openSocket });
  }
}

export type { Listener } from "./listener.ts";
export {
  createZlibDeflateEngine,
  DEFAULT_ZLIB_CONCURRENCY,
  setZlibConcurrency,
  zlibDeflateEngine,
  type ZlibDeflateEngineOptions,
  type ZlibQueueState,
  zlibQueueState,
} from "./zlib_deflate.ts";
