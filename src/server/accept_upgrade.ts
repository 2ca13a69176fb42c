/**
 * The server's one way in for a WebSocket upgrade, whatever carried it: a request already
 * parsed into a web `Request`, and the byte stream that follows it. Serving a byte stream
 * (`handleStream`, every adapter's `serve`) reads and parses the head and enters here; so does
 * node:http's `upgrade` event, with the head Node parsed; so would an HTTP/2 transport.
 *
 * One dispatch path: the server's `Router` (a plain handler is its catch-all route) picks the
 * route and subprotocol, `runUpgrade` checks the Origin and runs the route's hook, then the 101
 * goes out and the route's handler runs on the new `Connection`.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-4.2}
 */

import type { ExtensionOffer } from "../protocol/header_lists.ts";
import type { PerMessageDeflateOptions } from "../protocol/permessage_deflate.ts";
import { negotiateServer, type ServerNegotiation } from "../protocol/permessage_deflate_server.ts";
import type { UpgradeRequestLike } from "../protocol/server_handshake.ts";
import type { Handler, MessageHooks, RouteContext } from "../router/handler.ts";
import { decideUpgrade } from "../router/upgrade.ts";
import { requestView, type UpgradeRequestView } from "../router/upgrade_request.ts";
import type { ByteStream } from "../streams/byte_stream.ts";
import type { DeflateEngine } from "../streams/deflate_engine.ts";
import { refuseHandshake } from "./refuse.ts";
import { connectionOptionsFrom } from "../streams/connection_setup.ts";
import type { ConnectionWiring } from "../streams/connection_options.ts";
import { HookedConnection } from "./hooked_connection.ts";
import { ServedConnection, type StreamDone, untilDone } from "./served_connection.ts";
import type { ServerContext } from "./server_context.ts";
import { upgradeAccepted, upgradeRefused } from "./server_observer.ts";
import { HTTP1_UPGRADE, type UpgradeTransport } from "./upgrade_transport.ts";

/**
 * What {@linkcode acceptUpgrade} is told besides the request and the stream.
 *
 * @example
 * ```ts ignore
 * const context: AcceptUpgradeContext = { server, handshake: head, rest: head.rest };
 * ```
 */
export interface AcceptUpgradeContext {
  /** The server the request came to: its dispatch, options and admission. */
  readonly server: ServerContext;
  /**
   * The head as the transport received it, for what a web `Request` cannot carry: the method
   * as sent (a `Request` uppercases `get`), the HTTP version, and the header lines one by one
   * (to find a repeated `Host` or `Sec-WebSocket-Key`). An `Http1Request` fits.
   * @default {the request}
   */
  readonly handshake?: UpgradeRequestLike | undefined;
  /**
   * Bytes that arrived after the head: the client's first frames.
   * @default {undefined}
   */
  readonly rest?: Uint8Array | undefined;
  /**
   * `performance.now()` when the request's first byte arrived, where the handshake duration a
   * server observer is told starts.
   * @default {when acceptUpgrade is called}
   */
  readonly firstByte?: number | undefined;
  /**
   * How the request is checked and answered: HTTP/1.1 (a 101 on the stream), or an HTTP/2
   * extended CONNECT (`:status 200` on its stream, rfc8441#section-5) from
   * `extendedConnectTransport`.
   * @default {HTTP1_UPGRADE}
   */
  readonly transport?: UpgradeTransport | undefined;
  /**
   * The connection's URL (`ws:` or `wss:`), or its `href`, when the transport has already
   * parsed the request's.
   * @default {parsed from the request's URL}
   */
  readonly url?: URL | string | undefined;
}

/** The server's permessage-deflate parameters unless configured (see `perMessageDeflate`). */
const DEFAULT_SERVER_DEFLATE: PerMessageDeflateOptions = Object.freeze({
  serverNoContextTakeover: true,
});

/**
 * Takes a WebSocket upgrade request through the opening handshake and runs its connection:
 * validates it (rfc6455#section-4.2.1), lets the server's router pick the route and
 * subprotocol, checks the Origin and runs the route's upgrade hook, negotiates
 * permessage-deflate, writes the 101, then runs the route's handler on the new `Connection`.
 * A failure on the way writes the refusal instead (400, 403, 404, 405, 426…, or the hook's
 * `Response`), and a server that is shutting down answers 503.
 *
 * The `Request` is the one the route's hook and handler are given. Nothing in the server keeps
 * it once the handler has been called, so it lives only as long as the handler keeps its
 * context.
 *
 * @example
 * ```ts ignore
 * const server = createServerContext(async (ws) => {
 *   for await (const message of ws) await ws.send(message);
 * }, {});
 * await acceptUpgrade(request, stream, { server });
 * ```
 * @param request The upgrade request, its URL `http:` or `https:` with the path and query.
 * @param stream The byte stream after the request head; not locked.
 * @param context The server, and what the transport knows beyond the `Request`.
 * @returns Resolves when the stream is done with: refused, or its connection has closed. Never
 * rejects: every failure becomes a refusal, a close code or an `onError` report.
 */
export function acceptUpgrade(
  request: Request,
  stream: ByteStream,
  context: AcceptUpgradeContext,
): Promise<void> {
  return untilDone((done) => acceptUpgradeView(requestView(request), stream, context, done));
}

/**
 * {@linkcode acceptUpgrade} for a request whose web `Request` is made only if a hook or the
 * handler asks for it: what serving a byte stream enters with the head it parsed. It returns
 * once the handshake is over; `done` is told when the stream is done with (refused, or its
 * connection has closed and its handler returned), so nothing of it waits for a connection's
 * whole life.
 *
 * @example
 * ```ts ignore
 * const view = lazyRequestView(url.href, head.method, head.headers);
 * await acceptUpgradeView(view, stream, { server, handshake: head, rest: head.rest }, done);
 * ```
 * @param request The upgrade request, its URL `http:` or `https:` with the path and query.
 * @param stream The byte stream after the request head; not locked.
 * @param context The server, and what the transport knows beyond the request.
 * @param done Told once the stream is done with.
 * @returns Resolves when the handshake is over: refused, or the connection opened. Never
 *   rejects.
 */
export async function acceptUpgradeView(
  request: UpgradeRequestView,
  stream: ByteStream,
  context: AcceptUpgradeContext,
  done: StreamDone,
): Promise<void> {
  let opened = false;
  try {
    opened = await openUpgrade(request, stream, context, done);
  } finally {
    if (!opened) done.streamDone(stream.remoteAddr);
  }
}

/** The handshake of {@linkcode acceptUpgradeView}; `true` once the connection is open. */
async function openUpgrade(
  request: UpgradeRequestView,
  stream: ByteStream,
  context: AcceptUpgradeContext,
  done: StreamDone,
): Promise<boolean> {
  const { server } = context;
  const transport = context.transport ?? HTTP1_UPGRADE;
  const options = server.options;
  const started = options.observer === undefined ? 0 : context.firstByte ?? performance.now();
  let respond: (stream: ByteStream) => Promise<void>;
  let handler: Handler<Record<string, string>, unknown> | MessageHooks;
  let handlerContext: RouteContext<Record<string, string>, unknown>;
  let protocol: string;
  let connectionOptions: ConnectionWiring;
  try {
    const info = transport.validate(request, context.handshake);
    const match = server.router.match(request, info.protocols);
    if (match.kind !== "found") throw match.error;
    const decided = decideUpgrade(match, request, { origins: server.origins });
    // Without an upgrade hook the decision is made at once: no turn is waited for.
    const decision = decided instanceof Promise ? await decided : decided;
    if (decision.kind === "forbidden") throw decision.error;
    if (decision.kind === "refused") {
      upgradeRefused(
        options.observer,
        decision.response.status,
        "Refused by the route's upgrade hook",
        stream.remoteAddr,
        request.url,
      );
      await transport.refuseWith(stream, decision.response);
      return false;
    }
    protocol = decision.context.protocol;
    // rfc6455#section-4.2.2: the selected subprotocol MUST be one the client offered (an
    // upgrade hook may choose it; the router only ever picks an offered one)
    if (protocol !== "" && !info.protocols.includes(protocol)) {
      throw new TypeError(
        `Cannot select subprotocol ${JSON.stringify(protocol)}: the client did not offer it ` +
          "(rfc6455#section-4.2.2)",
      );
    }
    handler = match.route.handler;
    handlerContext = decision.context;
    const { route } = match;
    const deflate = negotiateDeflate(
      info.extensions,
      // A streaming route holds compressed messages to inflate them: no deflate unless asked.
      route.perMessageDeflate ?? (route.streaming === false ? options.perMessageDeflate : false),
      options.deflateEngine,
    );
    // Built before the answer is sent: a deflate engine that fails is still refused with 400.
    connectionOptions = connectionOptionsFrom(options, "server", {
      protocol,
      extensions: deflate?.response ?? "",
      // The connection makes its `URL` and `Headers` only if they are read.
      url: typeof context.url === "string"
        ? context.url
        : (context.url ?? webSocketUrl(request.url)).href,
      headers: request.fields ?? request.headers,
      rest: context.rest ?? EMPTY,
      deflate: deflate && { params: deflate.params, threshold: deflate.threshold },
    });
    if (route.streaming !== false) connectionOptions.streaming = route.streaming;
    const answer = transport.answer(info, {
      protocol,
      // A hook's fields as Headers here, where a malformed one always failed.
      headers: decision.headers === undefined ? undefined : new Headers(decision.headers),
      extensions: deflate?.response,
      sha1: options.sha1,
    });
    // With a synchronous SHA-1 the answer is ready at once.
    respond = answer instanceof Promise ? await answer : answer;
  } catch (error) {
    await refuseHandshake(stream, error, server, undefined, request.url, transport.refuse);
    return false;
  }

  if (server.admission?.shuttingDown) {
    upgradeRefused(
      options.observer,
      503,
      "The server is shutting down",
      stream.remoteAddr,
      request.url,
    );
    await transport.refuse(stream, 503, undefined, "The server is shutting down\n");
    return false;
  }
  const written = respond(stream);
  written.catch(() => {});
  if (options.observer !== undefined) {
    upgradeAccepted(options.observer, written, started, transport.acceptedStatus);
  }
  if (typeof handler === "function") {
    new ServedConnection(server, done).run(stream, connectionOptions, handler, handlerContext);
  } else {
    new HookedConnection(server, done, handler).open(stream, connectionOptions, handlerContext);
  }
  return true;
}

/** permessage-deflate as this server agreed it, with the threshold its options set. */
interface NegotiatedDeflate extends ServerNegotiation {
  readonly threshold: number | undefined;
}

/** rfc7692#section-5: accepts the first permessage-deflate offer this server can honour. */
function negotiateDeflate(
  offers: readonly ExtensionOffer[],
  configured: PerMessageDeflateOptions | false | undefined,
  engine: DeflateEngine | undefined,
): NegotiatedDeflate | undefined {
  if (configured === false || engine === undefined) return undefined;
  const parameters = configured ?? DEFAULT_SERVER_DEFLATE;
  const negotiated = negotiateServer(offers, parameters);
  if (negotiated === undefined) return undefined;
  return { ...negotiated, threshold: parameters.threshold };
}

const EMPTY = new Uint8Array(0);

/** The connection's URL: the request's, with `ws:` for `http:` and `wss:` for `https:`. */
function webSocketUrl(href: string): URL {
  const url = new URL(href);
  url.protocol = url.protocol === "https:" || url.protocol === "wss:" ? "wss:" : "ws:";
  return url;
}
