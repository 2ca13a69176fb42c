/**
 * Serving one byte stream: read and parse its request head, then answer a plain HTTP request
 * (the fallback, 426 or 404) or take a WebSocket upgrade to {@linkcode acceptUpgrade}.
 * node:http's `upgrade` event, whose head Node has parsed, enters at the second step
 * ({@linkcode serveRequestHead}).
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-4.2}
 */

import { type Http1Request, requestField } from "../protocol/http1_request_parser.ts";
import { plainPathname, plainRequestHref } from "../protocol/plain_request_href.ts";
import { requestUrl } from "../protocol/request_target.ts";
import { isUpgradeRequest } from "../protocol/server_handshake.ts";
import type { MessageHooks, WebSocketHandler } from "../router/handler.ts";
import type { Router } from "../router/router.ts";
import { lazyRequestView } from "../router/upgrade_request.ts";
import type { ByteStream } from "../streams/byte_stream.ts";
import { readerOf } from "../streams/socket_channel.ts";
import { acceptUpgradeView } from "./accept_upgrade.ts";
import { plainResponse } from "./http_fallback.ts";
import type { ServeOptions } from "./options.ts";
import { readRequestHead } from "./read_request_head.ts";
import { refuse, refuseHandshake } from "./refuse.ts";
import { type StreamDone, untilDone } from "./served_connection.ts";
import { createServerContext, type ServerContext } from "./server_context.ts";

/**
 * Runs one byte stream through the opening handshake and, if it is a valid WebSocket upgrade,
 * the handler. Never rejects: every failure becomes an HTTP refusal, a close code or an
 * `onError` report.
 *
 * @example An echo server on one in-memory socket
 * ```ts
 * import { connectWith, handleStream } from "@wsflow/wsflow";
 * import { byteStreamPair } from "@wsflow/wsflow/testing";
 *
 * const [serverEnd, clientEnd] = byteStreamPair(); // an accepted socket and its peer
 * const handled = handleStream(serverEnd, async (ws) => {
 *   for await (const message of ws) await ws.send(message);
 * });
 * const ws = await connectWith(() => Promise.resolve(clientEnd), "ws://example.com/echo");
 * await ws.send("hello");
 * for await (const message of ws) {
 *   console.log(message); // hello
 *   await ws.close(1000);
 * }
 * await handled;
 * ```
 * @param stream One accepted byte stream.
 * @param handler Runs if the upgrade succeeds (or `MessageHooks`, called for each message),
 *   or a {@linkcode Router} that picks a route's handler by path and subprotocol.
 * @param options Limits, timeouts, subprotocols and hooks.
 * @returns Resolves when the stream is done with: refused, or its connection has closed.
 * @throws {TypeError} At once, not through the promise, when the options do not fit the
 *   handler: `protocols` with a `Router`, a protocol that is not a token, malformed `origins`.
 */
export function handleStream(
  stream: ByteStream,
  handler: WebSocketHandler | MessageHooks | Router,
  options: ServeOptions = {},
): Promise<void> {
  const server = createServerContext(handler, options);
  return untilDone((done) => serveStream(stream, server, done));
}

/**
 * {@linkcode handleStream} for a server made once: reads the head within the handshake
 * timeout, then {@linkcode serveRequestHead}. Returns once the handshake is over; `done` is
 * told when the stream is done with. Never rejects.
 *
 * @example
 * ```ts
 * import { byteStreamPair } from "@wsflow/wsflow/testing";
 * import { serveStream } from "./handle_stream.ts";
 * import { createServerContext } from "./server_context.ts";
 * const server = createServerContext((ws) => ws.close(), {});
 * const [stream, peer] = byteStreamPair();
 * const served = new Promise<void>((resolve) => {
 *   void serveStream(stream, server, { streamDone: () => resolve() });
 * });
 * const writer = peer.writable.getWriter();
 * await writer.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"));
 * const answer = await new Response(peer.readable).text();
 * await served;
 * console.log(answer.split("\r\n")[0]); // HTTP/1.1 426 Upgrade Required
 * ```
 * @param stream One accepted byte stream; not locked.
 * @param server The server it came to.
 * @param done Told once the stream is done with: refused, or its connection has closed.
 * @returns Resolves when the handshake is over.
 */
export async function serveStream(
  stream: ByteStream,
  server: ServerContext,
  done: StreamDone,
): Promise<void> {
  const reader = readerOf(stream);
  // Only an observer times handshakes: nothing is allocated for it otherwise.
  const timing = server.options.observer === undefined ? undefined : { firstByte: -1 };
  let head: Http1Request;
  try {
    head = await readRequestHead(reader, server.options, timing);
  } catch (error) {
    // The reader stays ours: after a timeout, a read is still pending on it.
    await refuseHandshake(stream, error, server, reader);
    done.streamDone(stream.remoteAddr);
    return;
  }
  reader.releaseLock();
  await serveRequestHead(head, stream, server, done, timing?.firstByte);
}

/**
 * Answers a parsed request head: checks its Host and target (rfc7230#section-5.4, 400) and
 * makes its URL, then answers a plain request (`fetch`, else 426 or 404), or enters
 * {@linkcode acceptUpgradeView} with the upgrade's `Request` to be made only when asked for.
 * Returns once the handshake is over; `done` is told when the stream is done with. Never
 * rejects.
 *
 * @example
 * ```ts ignore
 * await serveRequestHead(head, stream, server, { streamDone: () => {} });
 * ```
 * @param head The request head, with the bytes that followed it as `rest`.
 * @param stream The byte stream after the head; not locked.
 * @param server The server it came to.
 * @param done Told once the stream is done with: refused, or its connection has closed.
 * @param firstByte `performance.now()` when the head's first byte arrived, when timed.
 * @returns Resolves when the handshake is over.
 */
export async function serveRequestHead(
  head: Http1Request,
  stream: ByteStream,
  server: ServerContext,
  done: StreamDone,
  firstByte?: number,
): Promise<void> {
  // The usual request's URL needs no parse (see plain_request_href.ts); any other is parsed and
  // checked by requestUrl.
  const host = requestField(head, "host");
  let href = host === null ? undefined : plainRequestHref("http:", host, head.target);
  let pathname: string;
  let url: URL | undefined;
  if (href !== undefined) pathname = plainPathname(head.target);
  else {
    try {
      url = httpUrl(requestUrl(head, "http:"));
    } catch (error) {
      await refuseHandshake(stream, error, server);
      done.streamDone(stream.remoteAddr);
      return;
    }
    href = url.href;
    pathname = url.pathname;
  }
  if (!isUpgradeRequest(head)) {
    try {
      const reader = readerOf(stream);
      await refuse(
        stream,
        await plainResponse(head, url ?? new URL(href), reader, server, stream.remoteAddr),
        reader,
      );
    } finally {
      done.streamDone(stream.remoteAddr);
    }
    return;
  }
  // The `Request` is made only if a hook or the handler asks for it; the route and Origin
  // checks read the URL and the head's fields. A web Request cannot carry every method; the
  // handshake's own is checked from `head`.
  const request = lazyRequestView(href, head.method, head, pathname);
  await acceptUpgradeView(request, stream, {
    server,
    handshake: head,
    rest: head.rest,
    firstByte,
    url: webSocketHref(href),
  }, done);
}

/**
 * The connection's URL: `ws:` for `http:`, `wss:` for `https:`, the rest as it is. What setting
 * the URL's `protocol` gives (each pair are special schemes with the same default port, so the
 * serialization keeps or drops the port alike), without parsing the URL again (on Deno, an op
 * per handshake).
 */
function webSocketHref(href: string): string {
  // Joined, not concatenated: `+` makes a rope of the scheme and a slice of `href` (on V8, 64
  // bytes of string cells more, kept for the connection's life); `join` makes one flat string.
  return href.startsWith("https:")
    ? ["wss:", href.slice(6)].join("")
    : ["ws:", href.slice(5)].join("");
}

/**
 * `url` with an `http:` or `https:` scheme: an absolute-form target may name `ws:` or `wss:`,
 * and a web `Request` (and a `fetch` handler) speaks HTTP.
 */
function httpUrl(url: URL): URL {
  if (url.protocol === "ws:") url.protocol = "http:";
  else if (url.protocol === "wss:") url.protocol = "https:";
  return url;
}
