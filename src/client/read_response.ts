/**
 * Reading the server's answer to a client's opening handshake off the socket: the I/O half of
 * what `Http1ResponseParser` (layer 0) parses.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-4.1}
 */

import { HandshakeError } from "../protocol/errors.ts";
import { type Http1Response, Http1ResponseParser } from "../protocol/http1_response_parser.ts";
import type { Limits } from "../protocol/limits.ts";
import type { ByteReader } from "../streams/socket_channel.ts";

/**
 * Reads from `reader` until the response head is complete, and returns it with the bytes that
 * came after it (the server's first frames) as `rest`. Each read races `ended`, so an attempt
 * that is aborted or times out stops waiting at once. The reader stays locked; the caller
 * releases or cancels it.
 *
 * @example
 * ```ts
 * import { readResponse } from "./read_response.ts";
 * const head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";
 * const reader = new Blob([head]).stream().getReader();
 * const response = await readResponse(reader, undefined, new Promise<never>(() => {}));
 * console.log(response.status); // 101
 * ```
 * @param reader The socket's reader.
 * @param limits The response-head limits.
 * @param ended Rejects when the attempt ends early (abort or timeout); never resolves.
 * @returns The parsed response head.
 * @throws {HandshakeError} (rejects) With status 0 when the head is malformed or too large, or
 * the server closed the connection before completing it.
 * @throws {unknown} (rejects) What `ended` or a read rejects with.
 */
export async function readResponse(
  reader: ByteReader,
  limits: Partial<Limits> | undefined,
  ended: Promise<never>,
): Promise<Http1Response> {
  const parser = new Http1ResponseParser(limits);
  let received = false;
  while (true) {
    const { value, done } = await Promise.race([reader.read(), ended]);
    if (done) break;
    received = true;
    const response = parser.push(value);
    if (response !== null) return response;
  }
  if (received) parser.end(); // throws: the head is incomplete
  throw new HandshakeError(
    "Cannot connect: the server closed the connection without answering (rfc6455#section-4.1)",
    0,
  );
}
