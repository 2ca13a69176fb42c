/**
 * Reading an HTTP/1.1 request head from a byte stream, within the handshake timeout.
 *
 * @module
 */

import { HandshakeError } from "../protocol/errors.ts";
import { type Http1Request, Http1RequestParser } from "../protocol/http1_request_parser.ts";
import { REAL_CLOCK } from "../streams/clock.ts";
import { type Deadline, deadlineQueue } from "../streams/deadline_queue.ts";
import type { ByteReader } from "../streams/socket_channel.ts";
import type { ServeOptions } from "./options.ts";

/**
 * Reads until the request head is complete. The head limits of `options.limits` apply as the
 * bytes arrive (431, 414, 400, 505); a head not complete within `options.handshakeTimeout` is
 * a 408, and a stream that ends first a 400.
 *
 * @example
 * ```ts
 * import { readRequestHead } from "./read_request_head.ts";
 * const bytes = new TextEncoder().encode("GET /chat HTTP/1.1\r\nHost: example.com\r\n\r\nhi");
 * const reader = new Blob([bytes]).stream().getReader();
 * const head = await readRequestHead(reader, { handshakeTimeout: 5_000 });
 * console.log(head.method, head.target, head.rest.length); // GET /chat 2
 * ```
 * @param reader The stream's reader; left locked.
 * @param options `limits` and `handshakeTimeout`.
 * @param timing When given, its `firstByte` (negative until then) is set to `performance.now()`
 *   when the first bytes arrive: where the handshake's duration starts.
 * @returns The parsed head, with the bytes that followed it as `rest`.
 * @throws {HandshakeError} With the status to refuse with.
 */
export async function readRequestHead(
  reader: ByteReader,
  options: ServeOptions,
  timing?: { firstByte: number },
): Promise<Http1Request> {
  const parser = new Http1RequestParser(options.limits);
  // Every handshake of a server has the same timeout: one timer serves them all.
  const deadlines = deadlineQueue(REAL_CLOCK, options.handshakeTimeout ?? 10_000);
  let timer: Deadline | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = deadlines.add(() =>
      reject(new HandshakeError("Cannot read request: the handshake took too long", 408))
    );
  });
  try {
    while (true) {
      const { value, done } = await Promise.race([reader.read(), timeout]);
      if (done) {
        parser.end();
        throw new HandshakeError("Cannot read request: the connection ended", 400);
      }
      if (timing !== undefined && timing.firstByte < 0) timing.firstByte = performance.now();
      const request = parser.push(value);
      if (request !== null) return request;
    }
  } finally {
    deadlines.cancel(timer!);
  }
}
