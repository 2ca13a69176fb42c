/**
 * The server's composition root: one byte stream through the opening handshake to a
 * {@linkcode Connection} and its handler.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-4.2}
 */

import { WebSocketError } from "./protocol/errors.ts";
import { HandshakeError } from "./protocol/errors.ts";
import { acceptKey } from "./protocol/accept_key.ts";
import {
  refusalResponse as writeRefusal,
  serializeResponseHead,
} from "./protocol/http1_response_writer.ts";
import {
  isUpgradeRequest,
  upgradeResponseHead,
  validateUpgradeRequest,
} from "./protocol/server_handshake.ts";
import { Http1RequestParser } from "./protocol/http1_request_parser.ts";
import type { Http1Request } from "./protocol/http1_request_parser.ts";
import type { Limits } from "./protocol/limits.ts";
import { requestUrl } from "./protocol/request_target.ts";
import { checkOrigin, type OriginOption } from "./router/origin.ts";
import { Router, runUpgrade } from "./router/router.ts";
import type { ByteStream, NetAddr } from "./streams/byte_stream.ts";
import { Connection } from "./streams/connection.ts";
import type { SendBufferOptions } from "./streams/connection_options.ts";
import type { ConnectionDeflate, DeflateEngine } from "./streams/deflate_engine.ts";
import {
  DEFAULT_DEFLATE_THRESHOLD,
  negotiateServer,
  type PerMessageDeflateOptions,
} from "./protocol/permessage_deflate.ts";
import type { MemoryBudget } from "./streams/memory_budget.ts";

/**
 * What a handler is told about its connection besides the connection itself.
 *
 * @example
 * ```ts ignore
 * import type { HandlerContext } from "@wsflow/wsflow";
 * function log(ctx: HandlerContext): void {
 *   console.log(ctx.request.url, ctx.protocol);
 * }
 * ```
 */
export interface HandlerContext {
  /** The opening handshake as a web `Request` (method, URL with query, headers). */
  request: Request;
  /** The negotiated subprotocol, or `""`. */
  protocol: string;
}

/**
 * Runs once per WebSocket connection. If it throws (or rejects), the connection is closed with
 * 1011 and the error goes to `onError`; the server keeps running. Returning does not close the
 * connection: it lives until either side closes it.
 *
 * @example
 * ```ts ignore
 * import type { WebSocketHandler } from "@wsflow/wsflow";
 * const echo: WebSocketHandler = async (ws) => {
 *   for await (const message of ws) await ws.send(message);
 * };
 * ```
 */
export type WebSocketHandler = (
  connection: Connection,
  context: HandlerContext,
) => void | Promise<void>;

/**
 * Where an error reported to `onError` came from.
 *
 * @example
 * ```ts ignore
 * import type { ErrorContext } from "@wsflow/wsflow";
 * const onError = (error: unknown, ctx: ErrorContext) => console.error(ctx.phase, error);
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
 * ```ts ignore
 * import type { ServeOptions } from "@wsflow/wsflow";
 * const options: ServeOptions = { limits: { maxMessageSize: 1 << 20 }, closeTimeout: 5_000 };
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
   * Subprotocols this server speaks, in no particular order: the first one in the client's
   * offer that is listed here is chosen (rfc6455#section-4.2.2). With none in common, the
   * connection opens without a subprotocol.
   * @default {[]}
   */
  protocols?: readonly string[];
  /**
   * Which browser origins may open connections (rfc6455#section-10.2): `"same-origin"` refuses
   * a request whose `Origin` does not match its `Host` with 403; `"*"` allows every origin; a
   * list allows those origins (`https://app.example.com`, `https://*.example.com`). Requests
   * without `Origin` (non-browser clients) always pass. A route's own `origins` wins.
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
   * sizes count against `maxMessageSize`, checked while inflating.
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
   * Told about refused handshakes and handlers that threw. Must not throw.
   * @default {undefined}
   */
  onError?: (error: unknown, context: ErrorContext) => void;
}

/**
 * A running server.
 *
 * @example
 * ```ts ignore
 * import { serve } from "@wsflow/wsflow/node";
 * const server = await serve((ws) => ws.close(), { port: 0 });
 * console.log(server.addr.port);
 * await server.close();
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
 * ```ts ignore
 * await server.shutdown({ code: 1001, reason: "restarting", timeout: 5_000 });
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

/**
 * The accepting side of a transport: byte streams and the address they arrive on.
 *
 * @example
 * ```ts ignore
 * import type { StreamSource } from "@wsflow/wsflow";
 * ```
 */
export interface StreamSource extends AsyncIterable<ByteStream> {
  /** The bound address. */
  readonly addr: NetAddr;
  /** Stops accepting. */
  close(): Promise<void>;
}

/**
 * Where an adapter listens.
 *
 * @example
 * ```ts
 * import type { ListenOptions } from "@wsflow/wsflow";
 * const options: ListenOptions = { hostname: "127.0.0.1", port: 0 };
 * console.log(options.port);
 * ```
 */
export interface ListenOptions {
  /**
   * Address to bind.
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /**
   * Port to bind; 0 picks a free one (read it back from `addr`).
   * @default {8080}
   */
  port?: number;
  /**
   * Serve `wss://`: the certificate chain and its private key, both PEM text. Without it the
   * server speaks plain TCP (`ws://`).
   * @default {undefined}
   */
  tls?: { cert: string; key: string } | undefined;
}

/** The server's permessage-deflate parameters unless configured (see `perMessageDeflate`). */
const DEFAULT_SERVER_DEFLATE: PerMessageDeflateOptions = Object.freeze({
  serverNoContextTakeover: true,
});

const MAX_FALLBACK_BODY = 1024 * 1024;

/**
 * Serves WebSocket connections from any source of byte streams: each adapter's `serve` is
 * this over its own listener.
 *
 * @example
 * ```ts ignore
 * import { serveListener } from "@wsflow/wsflow";
 * import { listen } from "@wsflow/wsflow/deno";
 * const server = serveListener(await listen({ port: 0 }), (ws) => ws.close());
 * ```
 * @param listener Accepted byte streams.
 * @param handler Runs once per WebSocket connection, or a {@linkcode Router} that picks a
 *   route's handler by path and subprotocol.
 * @param options Limits, timeouts, subprotocols and hooks.
 * @returns The running server.
 */
export function serveListener(
  listener: StreamSource,
  handler: WebSocketHandler | Router,
  options: ServeOptions = {},
): Server {
  const tracker = new Tracker(options);
  void (async (): Promise<void> => {
    for await (const stream of listener) {
      const address = stream.remoteAddr?.hostname ?? "";
      if (!tracker.admit(address)) {
        // Over a connection limit: refused before reading anything.
        const reader = stream.readable.getReader();
        void refuse(
          reader,
          stream.writable.getWriter(),
          refusalResponse(503, "Too many connections\n"),
        );
        continue;
      }
      void serveStream(stream, handler, options, tracker).finally(() => tracker.release(address));
    }
  })();
  return {
    addr: listener.addr,
    connections: tracker.connections,
    close: (): Promise<void> => listener.close(),
    async shutdown(shutdown: ShutdownOptions = {}): Promise<void> {
      tracker.shuttingDown = true;
      await listener.close();
      const open = [...tracker.connections];
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
    },
  };
}

/** Counts a server's sockets and holds its open connections. */
class Tracker {
  readonly connections: Set<Connection> = new Set();
  shuttingDown = false;
  readonly #maxTotal: number;
  readonly #maxPerAddress: number;
  #total = 0;
  readonly #perAddress = new Map<string, number>();

  constructor(options: ServeOptions) {
    this.#maxTotal = options.maxConnections ?? 65_536;
    this.#maxPerAddress = options.maxConnectionsPerAddress ?? 1024;
  }

  admit(address: string): boolean {
    const count = this.#perAddress.get(address) ?? 0;
    if (this.#total >= this.#maxTotal || count >= this.#maxPerAddress) return false;
    this.#total++;
    this.#perAddress.set(address, count + 1);
    return true;
  }

  release(address: string): void {
    this.#total--;
    const count = (this.#perAddress.get(address) ?? 1) - 1;
    if (count === 0) this.#perAddress.delete(address);
    else this.#perAddress.set(address, count);
  }
}

/**
 * Runs one byte stream through the opening handshake and, if it is a valid WebSocket upgrade,
 * the handler. Never rejects: every failure becomes an HTTP refusal, a close code or an
 * `onError` report.
 *
 * @example
 * ```ts ignore
 * import { handleStream } from "@wsflow/wsflow";
 * await handleStream(byteStream, async (ws) => {
 *   for await (const message of ws) await ws.send(message);
 * });
 * ```
 * @param stream One accepted byte stream.
 * @param handler Runs if the upgrade succeeds.
 * @param options Limits, timeouts, subprotocols and hooks.
 * @returns Resolves when the stream is done with: refused, or its connection has closed.
 */
export function handleStream(
  stream: ByteStream,
  handler: WebSocketHandler | Router,
  options: ServeOptions = {},
): Promise<void> {
  return serveStream(stream, handler, options, undefined);
}

async function serveStream(
  stream: ByteStream,
  handler: WebSocketHandler | Router,
  options: ServeOptions,
  tracker: Tracker | undefined,
): Promise<void> {
  const reader = stream.readable.getReader();
  const writer = stream.writable.getWriter();
  const report = (error: unknown, phase: ErrorContext["phase"]): void => {
    try {
      options.onError?.(error, { phase, remoteAddr: stream.remoteAddr });
    } catch {
      // onError must not take the server down either
    }
  };
  let head: Http1Request;
  try {
    head = await readHead(reader, options);
  } catch (error) {
    report(error, "handshake");
    const status = error instanceof HandshakeError ? error.status : 400;
    await refuse(reader, writer, refusalResponse(status, errorText(error)));
    return;
  }

  let url: URL;
  try {
    url = requestUrl(head, "ws:");
  } catch (error) {
    report(error, "handshake");
    await refuse(reader, writer, refusalResponse(400, errorText(error)));
    return;
  }
  const request = new Request(url.href.replace(/^ws/, "http"), {
    method: head.method === "GET" || head.method === "HEAD" ? head.method : "POST",
    headers: head.headers,
  });

  const router = handler instanceof Router ? handler : undefined;
  if (!isUpgradeRequest(head)) {
    const response = options.fetch === undefined
      ? router !== undefined && !router.hasPath(url.pathname)
        ? refusalResponse(404, "Not found\n")
        : refusalResponse(426, "This is a WebSocket endpoint: upgrade to websocket", {
          "upgrade": "websocket",
          "sec-websocket-version": "13",
        })
      : await fallback(head, reader, options, report);
    await refuse(reader, writer, response);
    return;
  }

  let accepted: {
    response: Uint8Array;
    protocol: string;
    run: (connection: Connection) => unknown;
    deflate: (ConnectionDeflate & { extensions: string }) | undefined;
  };
  try {
    const info = validateUpgradeRequest(head);
    let protocol: string;
    let headers: Headers | undefined;
    let run: (connection: Connection) => unknown;
    let deflateOptions = options.perMessageDeflate;
    if (router !== undefined) {
      const match = router.match(request, info.protocols);
      if (match.kind !== "found") throw match.error;
      const decision = await runUpgrade(match, request, {
        ...(options.origins === undefined ? {} : { origins: options.origins }),
      });
      if (decision.kind === "forbidden") throw decision.error;
      if (decision.kind === "refused") {
        await refuse(reader, writer, await serializeResponse(decision.response, false));
        return;
      }
      protocol = match.protocol;
      headers = decision.headers;
      deflateOptions = match.route.perMessageDeflate ?? deflateOptions;
      const { params, data } = decision.context;
      run = (connection) =>
        match.route.handler(connection, {
          get request(): Request {
            return requestOf(connection);
          },
          params,
          protocol,
          data,
        });
    } else {
      // rfc6455#section-10.2: refuse browser handshakes from origins this server does not trust
      const origin = checkOrigin(request, options.origins);
      if (!origin.allowed) throw new HandshakeError(origin.reason, 403);
      // rfc6455#section-4.2.2: the server selects one of the client's offered subprotocols, or
      // none; the first offered that this server speaks wins (the client's preference)
      const supported = options.protocols ?? [];
      protocol = info.protocols.find((offered) => supported.includes(offered)) ?? "";
      const plain = handler as WebSocketHandler;
      run = (connection) =>
        plain(connection, {
          get request(): Request {
            return requestOf(connection);
          },
          protocol,
        });
    }
    // rfc7692#section-5: accept the first permessage-deflate offer this server can honour
    const negotiated = deflateOptions === false || options.deflateEngine === undefined
      ? undefined
      : negotiateServer(info.extensions, deflateOptions ?? DEFAULT_SERVER_DEFLATE);
    accepted = {
      response: upgradeResponseHead({
        accept: await acceptKey(info.key),
        protocol,
        headers,
        extensions: negotiated?.response,
      }),
      protocol,
      run,
      deflate: negotiated === undefined ? undefined : {
        extensions: negotiated.response,
        deflater: options.deflateEngine!.deflater(negotiated.params, "server"),
        inflater: options.deflateEngine!.inflater(negotiated.params, "server"),
        threshold: (deflateOptions || DEFAULT_SERVER_DEFLATE).threshold ??
          DEFAULT_DEFLATE_THRESHOLD,
      },
    };
  } catch (error) {
    report(error, "handshake");
    const status = error instanceof HandshakeError ? error.status : 400;
    const headers = error instanceof HandshakeError ? error.headers : undefined;
    await refuse(reader, writer, refusalResponse(status, errorText(error), headers));
    return;
  }

  if (tracker?.shuttingDown) {
    await refuse(reader, writer, refusalResponse(503, "The server is shutting down\n"));
    return;
  }
  reader.releaseLock();
  writer.write(accepted.response).catch(() => {});
  writer.releaseLock();
  const connection = new Connection(stream, {
    role: "server",
    protocol: accepted.protocol,
    ...(accepted.deflate === undefined
      ? {}
      : { deflate: accepted.deflate, extensions: accepted.deflate.extensions }),
    url,
    headers: head.headers,
    head: head.rest,
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.closeTimeout === undefined ? {} : { closeTimeout: options.closeTimeout }),
    ...(options.heartbeatInterval === undefined
      ? {}
      : { heartbeatInterval: options.heartbeatInterval }),
    ...(options.idleTimeout === undefined ? {} : { idleTimeout: options.idleTimeout }),
    ...(options.sendBuffer === undefined ? {} : { sendBuffer: options.sendBuffer }),
    ...(options.partialMessageBudget === undefined
      ? {}
      : { partialMessageBudget: options.partialMessageBudget }),
  });
  if (tracker !== undefined) {
    tracker.connections.add(connection);
    void connection.closed.then(() => tracker.connections.delete(connection));
  }
  try {
    await accepted.run(connection);
  } catch (error) {
    report(error, "handler");
    // rfc6455#section-7.4.1: 1011, the server met an unexpected condition
    connection.close(1011).catch(() => {});
  }
  await connection.closed;
}

async function readHead(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  options: ServeOptions,
): Promise<Http1Request> {
  const parser = new Http1RequestParser(options.limits);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new HandshakeError("Cannot read request: the handshake took too long", 408)),
      options.handshakeTimeout ?? 10_000,
    );
  });
  try {
    while (true) {
      const { value, done } = await Promise.race([reader.read(), timeout]);
      if (done) {
        parser.end();
        throw new HandshakeError("Cannot read request: the connection ended", 400);
      }
      const request = parser.push(value);
      if (request !== null) return request;
    }
  } finally {
    clearTimeout(timer);
  }
}

async function fallback(
  head: Http1Request,
  reader: ReadableStreamDefaultReader<Uint8Array>,
  options: ServeOptions,
  report: (error: unknown, phase: ErrorContext["phase"]) => void,
): Promise<Uint8Array> {
  const url = requestUrl(head, "http:");
  let body: Uint8Array | undefined;
  const length = Number(head.headers.get("content-length") ?? "0");
  if (head.headers.has("transfer-encoding")) {
    return refusalResponse(411, "Send a Content-Length instead of a chunked body");
  }
  if (!Number.isSafeInteger(length) || length < 0) {
    return refusalResponse(400, "Content-Length is not a number");
  }
  if (length > MAX_FALLBACK_BODY) return refusalResponse(413, "The request body is too large");
  if (length > 0) {
    body = new Uint8Array(length);
    let filled = Math.min(head.rest.length, length);
    body.set(head.rest.subarray(0, filled));
    while (filled < length) {
      const { value, done } = await reader.read();
      if (done) return refusalResponse(400, "The request body ended early");
      const take = Math.min(value.length, length - filled);
      body.set(value.subarray(0, take), filled);
      filled += take;
    }
  }
  const request = new Request(url, {
    method: head.method,
    headers: head.headers,
    ...(body === undefined || head.method === "GET" || head.method === "HEAD"
      ? {}
      : { body: body as Uint8Array<ArrayBuffer> }),
  });
  try {
    const response = await options.fetch!(request);
    return await serializeResponse(response, head.method === "HEAD");
  } catch (error) {
    report(error, "fetch");
    return refusalResponse(500, "Internal server error");
  }
}

/** Writes a complete HTTP response, ends the stream and drains what the peer still sends. */
async function refuse(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  writer: WritableStreamDefaultWriter<Uint8Array>,
  response: Uint8Array,
): Promise<void> {
  await writer.write(response).catch(() => {});
  await writer.close().catch(() => {});
  // Read what is left briefly, so unread bytes do not make the kernel reset the connection
  // before the client reads the response.
  const linger = setTimeout(() => reader.cancel().catch(() => {}), 2_000);
  try {
    while (!(await reader.read()).done);
  } catch {
    // reset or cancelled
  } finally {
    clearTimeout(linger);
    await reader.cancel().catch(() => {});
  }
}

// The handshake's Request is rebuilt for a handler that asks for it, from what the connection
// keeps anyway (URL and headers), rather than kept alive for the connection's whole life: a
// Request costs a few KiB, which adds up over thousands of idle connections.
const requests = new WeakMap<Connection, Request>();

function requestOf(connection: Connection): Request {
  let request = requests.get(connection);
  if (request === undefined) {
    request = new Request(connection.url.href.replace(/^ws/, "http"), {
      headers: connection.headers,
    });
    requests.set(connection, request);
  }
  return request;
}

function errorText(error: unknown): string {
  return error instanceof WebSocketError ? `${error.message}\n` : "Bad request\n";
}

function refusalResponse(status: number, body: string, headers?: HeadersInit): Uint8Array {
  return writeRefusal(status, headers, body);
}

/** A fallback handler's `Response` as HTTP/1.1 bytes; the connection closes after it. */
async function serializeResponse(response: Response, isHead: boolean): Promise<Uint8Array> {
  const body = new Uint8Array(await response.arrayBuffer());
  const headers = new Headers(response.headers);
  headers.delete("transfer-encoding");
  headers.set("content-length", String(body.length));
  headers.set("connection", "close");
  const head = serializeResponseHead(response.status, response.statusText, headers);
  if (isHead || body.length === 0) return head;
  const bytes = new Uint8Array(head.length + body.length);
  bytes.set(head);
  bytes.set(body, head.length);
  return bytes;
}
