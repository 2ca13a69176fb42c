/**
 * Reading an HTTP/1.1 request head from a byte stream, within the handshake timeout.
 *
 * @module
 */

import { HandshakeError } from "../protocol/errors.ts";
import { type Http1Request, Http1RequestParser } from "../protocol/http1_request_parser.ts";
import { REAL_CLOCK } from "../streams/clock.ts";
import { type Deadline, type DeadlineQueue, deadlineQueue } from "../streams/deadline_queue.ts";
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
export function readRequestHead(
  reader: ByteReader,
  options: ServeOptions,
  timing?: { firstByte: number },
): Promise<Http1Request> {
  return new Promise((resolve, reject) => {
    // Every handshake of a server has the same timeout: one timer serves them all.
    const deadlines = deadlineQueue(REAL_CLOCK, options.handshakeTimeout ?? 10_000);
    new HeadRead(reader, options, timing, resolve, reject).start(deadlines);
  });
}

function timedOut(read: HeadRead): void {
  read.fail(new HandshakeError("Cannot read request: the handshake took too long", 408));
}

/**
 * One head being read: each read's result goes to the parser until the head is complete, the
 * stream ends or fails, or the deadline comes (then a read may still be pending; its result is
 * dropped). One object and two continuations per handshake, rather than a promise for the
 * deadline and a race for every read.
 */
class HeadRead {
  readonly #reader: ByteReader;
  readonly #parser: Http1RequestParser;
  readonly #timing: { firstByte: number } | undefined;
  readonly #resolve: (head: Http1Request) => void;
  readonly #reject: (error: unknown) => void;
  readonly #onRead: (result: ReadableStreamReadResult<Uint8Array>) => void;
  readonly #onError: (error: unknown) => void;
  #deadlines: DeadlineQueue | undefined;
  #deadline: Deadline | undefined;
  #settled = false;

  constructor(
    reader: ByteReader,
    options: ServeOptions,
    timing: { firstByte: number } | undefined,
    resolve: (head: Http1Request) => void,
    reject: (error: unknown) => void,
  ) {
    this.#reader = reader;
    this.#parser = new Http1RequestParser(options.limits);
    this.#timing = timing;
    this.#resolve = resolve;
    this.#reject = reject;
    this.#onRead = (result) => this.#received(result);
    this.#onError = (error) => this.fail(error);
  }

  start(deadlines: DeadlineQueue): void {
    this.#deadlines = deadlines;
    this.#deadline = deadlines.add(timedOut, this);
    this.#read();
  }

  fail(error: unknown): void {
    if (this.#settled) return;
    this.#settle();
    this.#reject(error);
  }

  #read(): void {
    let reading: Promise<ReadableStreamReadResult<Uint8Array>>;
    try {
      reading = this.#reader.read();
    } catch (error) {
      this.fail(error);
      return;
    }
    reading.then(this.#onRead, this.#onError);
  }

  #received(result: ReadableStreamReadResult<Uint8Array>): void {
    if (this.#settled) return;
    let request: Http1Request | null;
    try {
      if (result.done) {
        this.#parser.end();
        throw new HandshakeError("Cannot read request: the connection ended", 400);
      }
      const timing = this.#timing;
      if (timing !== undefined && timing.firstByte < 0) timing.firstByte = performance.now();
      request = this.#parser.push(result.value);
    } catch (error) {
      this.fail(error);
      return;
    }
    if (request === null) {
      this.#read();
      return;
    }
    this.#settle();
    this.#resolve(request);
  }

  #settle(): void {
    this.#settled = true;
    this.#deadlines!.cancel(this.#deadline!);
  }
}
