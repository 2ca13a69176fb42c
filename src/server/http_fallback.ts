/**
 * The answer to a request that is not a WebSocket upgrade: the server's `fetch` fallback (with
 * the request body read up to a limit), or else 426 Upgrade Required on a WebSocket path and
 * 404 elsewhere.
 *
 * @module
 */

import type { Http1Request } from "../protocol/http1_request_parser.ts";
import type { NetAddr } from "../streams/byte_stream.ts";
import type { ByteReader } from "../streams/socket_channel.ts";
import { refusal } from "./refuse.ts";
import { responseBytes } from "./response_bytes.ts";
import { reportError, type ServerContext } from "./server_context.ts";

/** The largest request body the fallback reads; a larger one gets 413. */
const MAX_FALLBACK_BODY = 1024 * 1024;

/**
 * The response to a plain HTTP request, as bytes; the connection closes after it. Without a
 * `fetch` option: 404 where no route's pattern matches the path, else 426 with
 * `Upgrade: websocket` (a plain handler matches every path). With it: the request, its body
 * read (a `Content-Length` body of at most 1 MiB; a chunked one gets 411), goes to `fetch`,
 * and a `fetch` that throws gets 500 and an `onError` report; a method a web `Request` cannot
 * carry (CONNECT, TRACE, TRACK) gets 501.
 *
 * @example
 * ```ts ignore
 * const bytes = await plainResponse(head, url, reader, server, stream.remoteAddr);
 * await refuse(stream, bytes, reader);
 * ```
 * @param head The parsed request head, with the bytes that followed it.
 * @param url The request's URL, `http:` or `https:`.
 * @param reader The stream's reader, for the rest of the body.
 * @param server The server.
 * @param remoteAddr The peer's address, for `onError`.
 * @returns The complete response.
 */
export function plainResponse(
  head: Http1Request,
  url: URL,
  reader: ByteReader,
  server: ServerContext,
  remoteAddr: NetAddr | undefined,
): Promise<Uint8Array> {
  if (server.options.fetch !== undefined) return fallback(head, url, reader, server, remoteAddr);
  if (!server.router.hasPath(url.pathname)) {
    return Promise.resolve(refusal(404, "Not found\n"));
  }
  return Promise.resolve(
    refusal(426, "This is a WebSocket endpoint: upgrade to websocket", {
      "upgrade": "websocket",
      "sec-websocket-version": "13",
    }),
  );
}

async function fallback(
  head: Http1Request,
  url: URL,
  reader: ByteReader,
  server: ServerContext,
  remoteAddr: NetAddr | undefined,
): Promise<Uint8Array> {
  let body: Uint8Array | undefined;
  const length = Number(head.headers.get("content-length") ?? "0");
  if (head.headers.has("transfer-encoding")) {
    return refusal(411, "Send a Content-Length instead of a chunked body");
  }
  if (!Number.isSafeInteger(length) || length < 0) {
    return refusal(400, "Content-Length is not a number");
  }
  if (length > MAX_FALLBACK_BODY) return refusal(413, "The request body is too large");
  if (length > 0) {
    body = new Uint8Array(length);
    let filled = Math.min(head.rest.length, length);
    body.set(head.rest.subarray(0, filled));
    while (filled < length) {
      const { value, done } = await reader.read();
      if (done) return refusal(400, "The request body ended early");
      const take = Math.min(value.length, length - filled);
      body.set(value.subarray(0, take), filled);
      filled += take;
    }
  }
  let request: Request;
  try {
    request = new Request(url, {
      method: head.method,
      headers: head.headers,
      ...(body === undefined || head.method === "GET" || head.method === "HEAD"
        ? {}
        : { body: body as Uint8Array<ArrayBuffer> }),
    });
  } catch {
    // A web Request cannot carry CONNECT, TRACE or TRACK (fetch's forbidden methods), so
    // there is no request to hand to `fetch`: rfc9110#section-15.6.2, a method the server
    // does not support is answered with 501.
    return refusal(501, `The method ${head.method} is not supported`);
  }
  try {
    const response = await server.options.fetch!(request);
    return await responseBytes(response, head.method === "HEAD");
  } catch (error) {
    reportError(server, error, "fetch", remoteAddr);
    return refusal(500, "Internal server error");
  }
}
