/**
 * A web `Response` as HTTP/1.1 bytes, for the answers a server sends and then closes the
 * connection after: a fallback's answer to plain HTTP, an upgrade hook's refusal.
 *
 * @module
 */

import { serializeResponseHead } from "../protocol/http1_response_writer.ts";

/**
 * Serializes `response` with its whole body read, `Content-Length` set (no chunked coding) and
 * `Connection: close`: the connection closes after it.
 *
 * @example
 * ```ts
 * import { responseBytes } from "./response_bytes.ts";
 * const bytes = await responseBytes(new Response("hello"), false);
 * console.log(new TextDecoder().decode(bytes).endsWith("\r\n\r\nhello")); // true
 * ```
 * @param response The response to send.
 * @param isHead Whether it answers a HEAD request (the body is left out, its length kept).
 * @returns The complete response.
 */
export async function responseBytes(response: Response, isHead: boolean): Promise<Uint8Array> {
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
