/**
 * The options catalogue of a WebSocket server, and the running server's shape: what every
 * adapter's `serve`, `serveListener`, `handleStream` and node:http's `handleUpgrade` take and
 * give back. Every option means the same with a plain handler as with a `Router`.
 *
 * @module
 */

import type { Sha1 } from "../protocol/accept_key.ts";
import type { Limits } from "../protocol/limits.ts";
import type { PerMessageDeflateOptions } from "../protocol/permessage_deflate.ts";
import type { OriginOption } from "../router/origin.ts";
import type { NetAddr } from "../streams/byte_stream.ts";
import type { Connection } from "../streams/connection.ts";
import type { SendBufferOptions } from "../streams/connection_options.ts";
import type { DeflateEngine } from "../streams/deflate_engine.ts";
import type { MemoryBudget } from "../streams/memory_budget.ts";
import type { ServerObserver } from "./server_observer.ts";

/**
 * Where an error reported to `onError` came from.
 *
 * @example
 * ```ts
 * import type { ErrorContext } from "@wsflow/wsflow";
 * const onError = (error: unknown, ctx: ErrorContext): void => console.error(ctx.phase, error);
 * onError(new Error("example"), { phase: "handler", remoteAddr: undefined }); // handler Error: example…
 * ```
 */
export interface ErrorContext {
  /** `"handshake"` for a refused or failed opening handshake, `"handler"` for a handler that threw, `"fetch"` for a fallback that threw. */
  phase: "handshake" | "handler" | "fetch";
  /** The peer's address, when known. */
  remoteAddr: NetAddr | undefined;
}

/**
 * Options of a WebSocket server, on every adapter.
 *
 * @example
 * ```ts
 * import type { ServeOptions } from "@wsflow/wsflow";
 * const options: ServeOptions = { limits: { maxMessageSize: 1 << 20 }, closeTimeout: 5_000 };
 * console.log(options.closeTimeout); // 5000
 * ```
 */
export interface ServeOptions {
  /**
   * Frame, message, fragment and handshake-head limits.
   * @default {DEFAULT_LIMITS}
   */
  limits?: Partial<Limits>;
  /**
   * Milliseconds a client has to send its complete opening handshake; slower clients get 408.
   * @default {10_000}
   */
  handshakeTimeout?: number;
  /**
   * Milliseconds to wait for the peer's part of the closing handshake.
   * @default {10_000}
   */
  closeTimeout?: number;
  /**
   * Subprotocols a plain handler speaks (tokens), in no particular order: the first one in the
   * client's offer that is listed here is chosen (rfc6455#section-4.2.2). With none in common,
   * the connection opens without a subprotocol. A plain handler runs as a `Router`'s catch-all
   * route with these `protocols` and `protocolRequired: false`, so the choice is the router's.
   *
   * Only for a plain handler: with a `Router`, each route lists its own `protocols`, and a
   * non-empty list here is a `TypeError` when the server is made (rather than being ignored).
   * @default {[]}
   */
  protocols?: readonly string[];
  /**
   * Which browser origins may open connections (rfc6455#section-10.2): `"same-origin"` refuses
   * a request whose `Origin` does not match its `Host` with 403; `"*"` allows every origin; a
   * list allows those origins (`https://app.example.com`, `https://*.example.com`). Requests
   * without `Origin` (non-browser clients) always pass. A route's own `origins` wins. A
   * malformed value is a `TypeError` when the server is made.
   * @default {"same-origin"}
   */
  origins?: OriginOption;
  /**
   * Answers plain HTTP requests (those that are not WebSocket upgrades). Without it they get
   * 426 Upgrade Required (with a router: 426 on a routed path, 404 elsewhere).
   * @default {undefined}
   */
  fetch?: (request: Request) => Response | Promise<Response>;
  /**
   * Most sockets (handshaking or open) the server holds at once; more are refused with 503.
   * @default {65_536}
   */
  maxConnections?: number;
  /**
   * Most sockets from one remote address at once; more are refused with 503. Generous,
   * because many users can share one address behind NAT.
   * @default {1024}
   */
  maxConnectionsPerAddress?: number;
  /**
   * Milliseconds between heartbeat pings; a connection from which nothing (not even the pong)
   * arrives for that long is dropped. 0 turns it off.
   * @default {30_000}
   */
  heartbeatInterval?: number;
  /**
   * Milliseconds without data from the peer after which a connection is closed with 1001.
   * 0 turns it off.
   * @default {0}
   */
  idleTimeout?: number;
  /**
   * permessage-deflate (RFC 7692): the parameters this server accepts offers with, or `false`
   * never to negotiate it. Browsers offer it with every connection. The default accepts it with
   * `server_no_context_takeover`: this server keeps no compression state between messages, so
   * a connection holds no deflate memory while idle (the zlib streams are pooled), while a
   * client may keep its context; messages under 1024 bytes are sent uncompressed. Inflated
   * sizes count against `maxMessageSize`, checked while inflating. A route's own
   * `perMessageDeflate` wins.
   * @default {{ serverNoContextTakeover: true }}
   */
  perMessageDeflate?: PerMessageDeflateOptions | false;
  /**
   * The compression engine behind permessage-deflate. The runtime adapters set it (node:zlib,
   * which all three runtimes provide); without one, the extension is never negotiated.
   * @default {undefined}
   */
  deflateEngine?: DeflateEngine;
  /**
   * A synchronous SHA-1 for the handshake's `Sec-WebSocket-Accept` (rfc6455#section-4.2.2).
   * Without one the key is hashed at once by wsflow's own SHA-1, which on a handshake's two
   * blocks costs less than a call into the runtime's crypto.
   * @default {undefined}
   */
  sha1?: Sha1;
  /**
   * What `send` does when a connection has more than `limit` bytes waiting to be written:
   * wait, drop the message, or close with 1008.
   * @default {{ limit: 16_777_216, policy: "wait" }}
   */
  sendBuffer?: SendBufferOptions;
  /**
   * The budget that bytes held in messages not yet fully received count against, across
   * connections; a connection that would overdraw it is closed with 1013.
   * @default {PARTIAL_MESSAGE_BUDGET}
   */
  partialMessageBudget?: MemoryBudget;
  /**
   * Told about every upgrade answered (by status), how long accepted handshakes took, and every
   * connection's messages, drops, ping round trips and close codes, for metrics:
   * `openTelemetry().server` from `wsflow/otel` records them as OpenTelemetry instruments.
   * Without one, nothing is counted and nothing is allocated for it.
   * @default {undefined}
   */
  observer?: ServerObserver;
  /**
   * Told about refused handshakes and handlers that threw. Must not throw.
   * @default {undefined}
   */
  onError?: (error: unknown, context: ErrorContext) => void;
}

/**
 * A running server.
 *
 * @example
 * ```ts
 * import { connect, serve } from "@wsflow/wsflow/deno"; // or /node, /bun
 * const server = await serve(async (ws) => {
 *   for await (const message of ws) await ws.send(message);
 * }, { hostname: "127.0.0.1", port: 0 });
 * const ws = await connect(`ws://127.0.0.1:${server.addr.port}/`);
 * console.log(server.connections.size); // 1
 * await server.shutdown();
 * console.log((await ws.closed).code); // 1001
 * ```
 */
export interface Server {
  /** The bound address, with the real port. */
  readonly addr: NetAddr;
  /** WebSocket connections open now (after their opening handshake). */
  readonly connections: ReadonlySet<Connection>;
  /** Stops accepting new connections; open connections go on. */
  close(): Promise<void>;
  /**
   * Shuts down gracefully: stops accepting, sends a Close frame (1001 "going away" by default)
   * to every connection, waits for their closing handshakes up to `timeout`, then drops the
   * rest. Resolves when every connection's `closed` has settled. Handshakes that finish
   * meanwhile are refused with 503.
   *
   * @param options The close code and reason to send, and how long to wait in milliseconds.
   */
  shutdown(options?: ShutdownOptions): Promise<void>;
}

/**
 * Options of {@linkcode Server.shutdown}.
 *
 * @example
 * ```ts
 * import { connect, serve } from "@wsflow/wsflow/deno"; // or /node, /bun
 * const server = await serve(async (ws) => {
 *   for await (const message of ws) await ws.send(message);
 * }, { hostname: "127.0.0.1", port: 0 });
 * const ws = await connect(`ws://127.0.0.1:${server.addr.port}/`);
 * await server.shutdown({ code: 1012, reason: "restarting", timeout: 5_000 });
 * const { code, reason } = await ws.closed;
 * console.log(code, reason); // 1012 restarting
 * ```
 */
export interface ShutdownOptions {
  /**
   * The close code sent to every connection.
   * @default {1001}
   */
  code?: number;
  /**
   * The close reason sent to every connection.
   * @default {""}
   */
  reason?: string;
  /**
   * Milliseconds to wait for close handshakes before dropping the remaining connections.
   * @default {10_000}
   */
  timeout?: number;
}
