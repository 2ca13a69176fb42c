/**
 * WebSockets over HTTP/2 streams (RFC 8441), runtime-free: an HTTP/2 server hands each
 * request stream here as an {@linkcode Http2Exchange} (its pseudo-header fields and fields,
 * its DATA as a byte stream, and a way to send response fields). An extended CONNECT goes the
 * one way every upgrade goes (`acceptUpgrade`: routes, subprotocols, permessage-deflate, Origin
 * policy, upgrade hook, limits, heartbeat, metrics) with {@linkcode extendedConnectTransport}
 * checking and answering it; any other request gets the server's `fetch` fallback, or 404 or
 * 426 as over HTTP/1.1.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc8441}
 */

import {
  extendedConnectRefusalFields,
  type ExtendedConnectRequest,
  extendedConnectResponseFields,
  validateExtendedConnect,
} from "../protocol/extended_connect.ts";
import type { UpgradeRequestInfo } from "../protocol/server_handshake.ts";
import type { ByteStream } from "../streams/byte_stream.ts";
import { requestView } from "../router/upgrade_request.ts";
import { acceptUpgradeView } from "./accept_upgrade.ts";
import type { StreamDone } from "./served_connection.ts";
import { reportError, type ServerContext } from "./server_context.ts";
import { upgradeRefused } from "./server_observer.ts";
import type { UpgradeSelection, UpgradeTransport } from "./upgrade_transport.ts";

/** The largest request body the `fetch` fallback reads over HTTP/2, as over HTTP/1.1. */
const MAX_FALLBACK_BODY = 1024 * 1024;
const encoder = new TextEncoder();

/**
 * One HTTP/2 request stream as a server adapter hands it over: the request's fields, the
 * stream's DATA both ways as a byte stream (closing `writable` sends END_STREAM, aborting it or
 * cancelling `readable` resets the stream, rfc8441#section-6), and a way to answer.
 *
 * @example
 * ```ts ignore
 * const exchange: Http2Exchange = { ...byteStream, request, respond: (fields, body) => … };
 * await serveHttp2Exchange(exchange, server, done);
 * ```
 */
export interface Http2Exchange extends ByteStream {
  /** The request's pseudo-header fields and fields. */
  readonly request: ExtendedConnectRequest;
  /**
   * Sends the response fields (`:status` first, names in lower case). With `body`, the body
   * follows and the stream ends; the stream's resources are released once both sides are done.
   * Settles once sent; never rejects.
   */
  respond(fields: readonly [string, string][], body?: Uint8Array): Promise<void>;
}

/**
 * The HTTP/2 side of {@linkcode UpgradeTransport}: the request checked by
 * `validateExtendedConnect` (rfc8441#section-4, 5), accepted with `:status 200` and the
 * negotiated `sec-websocket-protocol` and `sec-websocket-extensions` (no accept key), refused
 * with its HTTP status on the stream, which then ends. The HTTP/2 connection and its other
 * streams are untouched either way.
 *
 * @example
 * ```ts ignore
 * await acceptUpgrade(request, exchange, { server, transport: extendedConnectTransport(exchange) });
 * ```
 * @param exchange The stream the extended CONNECT came on.
 * @returns Its transport.
 * @see {@link https://datatracker.ietf.org/doc/html/rfc8441#section-5}
 */
export function extendedConnectTransport(exchange: Http2Exchange): UpgradeTransport {
  const refuse = (
    _stream: ByteStream,
    status: number,
    headers: HeadersInit | undefined,
    body: string,
  ): Promise<void> =>
    exchange.respond(extendedConnectRefusalFields(status, headers), encoder.encode(body));
  return {
    // rfc8441#section-5: an accepted extended CONNECT is answered with 200
    acceptedStatus: 200,
    validate: (): UpgradeRequestInfo => validateExtendedConnect(exchange.request),
    answer: (
      _info: UpgradeRequestInfo,
      selection: UpgradeSelection,
    ): Promise<(stream: ByteStream) => Promise<void>> => {
      const fields = extendedConnectResponseFields(selection);
      return Promise.resolve(() => exchange.respond(fields));
    },
    refuse,
    refuseWith: async (_stream: ByteStream, response: Response): Promise<void> => {
      const body = new Uint8Array(await response.arrayBuffer());
      await exchange.respond(extendedConnectRefusalFields(response.status, response.headers), body);
    },
  };
}

/**
 * Serves one HTTP/2 request stream: an extended CONNECT through `acceptUpgrade` with
 * {@linkcode extendedConnectTransport}; any other request through the server's `fetch`
 * fallback, else 404 where no route matches the path and 426 on a route (a WebSocket endpoint).
 * Never rejects.
 *
 * @example
 * ```ts ignore
 * http2Server.on("stream", (stream, headers) => void serveHttp2Exchange(exchangeOf(stream, headers), server, UNWATCHED));
 * ```
 * @param exchange The request stream.
 * @param server The server it came to.
 * @param done Told once the stream is done with: answered, or its connection has closed.
 * @param firstByte `performance.now()` when its HEADERS arrived, when timed.
 * @returns Resolves when the exchange is answered or its connection opened.
 */
export async function serveHttp2Exchange(
  exchange: Http2Exchange,
  server: ServerContext,
  done: StreamDone,
  firstByte?: number,
): Promise<void> {
  const { request: fields } = exchange;
  const transport = extendedConnectTransport(exchange);
  let url: URL;
  try {
    const authority = fields.authority ?? fields.headers.get("host") ?? "";
    // rfc3986#section-3.2: an authority holds no "/", "?", "#", "@" or "\\"; one that did
    // would move the URL's host into its path
    if (/[/?#@\\\s]/.test(authority)) throw new TypeError(authority);
    const scheme = fields.scheme === "http" ? "http" : "https";
    url = new URL(`${scheme}://${authority}${fields.path ?? "/"}`);
  } catch {
    upgradeRefused(
      server.options.observer,
      400,
      "Invalid :authority or :path",
      exchange.remoteAddr,
    );
    await transport.refuse(
      exchange,
      400,
      undefined,
      "Cannot read the request target (rfc9113#section-8.3.1)\n",
    );
    done.streamDone(exchange.remoteAddr);
    return;
  }
  if (fields.method !== "CONNECT") {
    try {
      await exchange.respond(...(await plainAnswer(exchange, url, server)));
    } finally {
      done.streamDone(exchange.remoteAddr);
    }
    return;
  }
  // A web Request cannot carry CONNECT: the hook and handler see a GET, as over HTTP/1.1; the
  // method the transport checks is the stream's own.
  const request = new Request(url, { method: "GET", headers: fields.headers });
  await acceptUpgradeView(requestView(request), exchange, { server, transport, firstByte }, done);
}

/** The answer to a request that is not an extended CONNECT, as fields and a body. */
async function plainAnswer(
  exchange: Http2Exchange,
  url: URL,
  server: ServerContext,
): Promise<[[string, string][], Uint8Array]> {
  const { method, headers } = exchange.request;
  const text = (
    status: number,
    body: string,
    extra?: HeadersInit,
  ): [[string, string][], Uint8Array] => [
    extendedConnectRefusalFields(status, extra),
    encoder.encode(body),
  ];
  const fetch = server.options.fetch;
  if (fetch === undefined) {
    if (!server.router.hasPath(url.pathname)) return text(404, "Not found\n");
    // rfc8441#section-4: over HTTP/2 a WebSocket is opened with an extended CONNECT
    return text(426, "This is a WebSocket endpoint: open it with an extended CONNECT\n", {
      "sec-websocket-version": "13",
    });
  }
  let body: Uint8Array | undefined;
  if (method !== "GET" && method !== "HEAD") {
    body = await readBody(exchange);
    if (body === undefined) return text(413, "The request body is too large\n");
  } else {
    exchange.readable.cancel().catch(() => {});
  }
  try {
    const response = await fetch(
      new Request(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body: body as Uint8Array<ArrayBuffer> }),
      }),
    );
    const bytes = new Uint8Array(await response.arrayBuffer());
    const answer: [string, string][] = [[":status", String(response.status)]];
    for (const [name, value] of response.headers) {
      if (!CONNECTION_SPECIFIC.has(name) && name !== "content-length") answer.push([name, value]);
    }
    answer.push(["content-length", String(bytes.length)]);
    return [answer, method === "HEAD" ? new Uint8Array(0) : bytes];
  } catch (error) {
    reportError(server, error, "fetch", exchange.remoteAddr);
    return text(500, "Internal server error\n");
  }
}

/** The request body, or `undefined` past the fallback's limit. */
async function readBody(exchange: Http2Exchange): Promise<Uint8Array | undefined> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of exchange.readable) {
    length += chunk.length;
    if (length > MAX_FALLBACK_BODY) return undefined;
    chunks.push(chunk);
  }
  const body = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.length;
  }
  return body;
}

// rfc9113#section-8.2.2: connection-specific fields a fetch handler's response may carry but
// HTTP/2 forbids
const CONNECTION_SPECIFIC: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
]);
