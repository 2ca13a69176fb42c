/**
 * Received messages as streams: each message a `ReadableStream<Uint8Array>` that fills while the
 * message arrives, and whose reading paces reading the socket.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-5.4}
 */

import { Opcode } from "../protocol/opcode.ts";
import { DONE } from "./inbound_queue.ts";

/**
 * One received message as a stream (a connection opened with `streaming`): its opcode, and its
 * bytes as they arrive. Text has been checked as UTF-8 before its bytes are enqueued; a broken
 * sequence fails the connection with 1007 and errors the stream. Bytes may split a character.
 *
 * Read it to its end or cancel it: the socket is read only as fast as the stream is, so a
 * stream left unread stops the connection. Cancelling discards the rest of the message (it is
 * still read from the socket) and leaves the connection open.
 *
 * @example Count a message's bytes
 * ```ts
 * import type { IncomingMessageStream } from "@wsflow/wsflow";
 * async function size(message: IncomingMessageStream): Promise<number> {
 *   let bytes = 0;
 *   for await (const chunk of message.readable) bytes += chunk.length;
 *   return bytes;
 * }
 * ```
 */
export interface IncomingMessageStream {
  /** `Opcode.Text` (1) or `Opcode.Binary` (2): the opcode of the message's first frame. */
  readonly opcode: typeof Opcode.Text | typeof Opcode.Binary;
  /** The message's bytes, as they arrive; it closes when the message is complete. */
  readonly readable: ReadableStream<Uint8Array>;
}

type Reader = (result: IteratorResult<IncomingMessageStream>) => void;

/**
 * The streams of a connection's received messages, and the demand that paces reading.
 *
 * The read pump waits ({@linkcode IncomingStreams.prototype.isFull}) while a started message's
 * stream has not been taken by the handler, or while the current stream holds more than
 * `highWaterMark` unread bytes; reading the stream (its `pull`) or cancelling it lets the pump
 * go on. So at most about one socket chunk past `highWaterMark` waits in a stream.
 *
 * @example
 * ```ts ignore
 * const incoming = new IncomingStreams(65_536);
 * incoming.start(true);
 * incoming.data(new TextEncoder().encode("hi"));
 * incoming.end();
 * const { value } = await incoming.next();
 * console.log(await new Response(value!.readable).text()); // hi
 * ```
 */
export class IncomingStreams {
  readonly #highWaterMark: number;
  // Started but not yet taken by the handler: the pump waits while any is here, so only the
  // messages that began in one chunk of bytes can pile up.
  #pending: IncomingMessageStream[] = [];
  #readers: Reader[] = [];
  // The message being received, until its end.
  #controller: ReadableByteStreamController | undefined;
  #discarding = false;
  // Set once the current stream's reader has read into a buffer of its own (BYOB).
  #ownBuffers = false;
  #demand: (() => void) | undefined;
  #ended = false;

  /**
   * Creates the instance.
   *
   * @param highWaterMark Unread bytes of the current stream beyond which the socket is not read.
   */
  constructor(highWaterMark: number) {
    this.#highWaterMark = highWaterMark;
  }

  /**
   * Whether the socket should not be read now.
   *
   * @returns `true` while a stream waits to be taken or the current one is past its mark.
   */
  get isFull(): boolean {
    if (this.#pending.length > 0) return true;
    const controller = this.#controller;
    if (controller === undefined || this.#discarding) return false;
    // A reader that brings its own buffers is given bytes only while one of them waits, so
    // that they go straight into it instead of into a chunk of the stream's queue first.
    if (this.#ownBuffers) return controller.byobRequest === null;
    return (controller.desiredSize ?? 0) <= 0;
  }

  /**
   * Whether the handler has taken every stream delivered so far: what a deferred Close reply
   * waits for, as it waits for whole messages to be read.
   *
   * @returns `true` when caught up.
   */
  get caughtUp(): boolean {
    return this.#pending.length === 0;
  }

  /**
   * Settles when the stream has been read from, taken or cancelled, or the connection ended.
   *
   * @returns A promise for the read pump to await.
   */
  demand(): Promise<void> {
    return new Promise<void>((resolve) => this.#demand = resolve);
  }

  /**
   * A message starts: makes its stream and hands it to a waiting reader, or keeps it for the
   * next one.
   *
   * @param text Whether it is a Text message.
   */
  start(text: boolean): void {
    let controller!: ReadableByteStreamController;
    // A byte stream, so a reader can bring its own buffer (BYOB) and read a message of any size
    // without a new buffer per chunk.
    const readable: ReadableStream<Uint8Array> = new ReadableStream({
      type: "bytes",
      start: (c) => {
        controller = c;
      },
      pull: (c) => {
        if (c.byobRequest !== null && this.#controller === c) this.#ownBuffers = true;
        this.#wake();
      },
      cancel: () => {
        if (this.#controller === controller) {
          this.#discarding = true;
          this.#wake();
        }
      },
    }, { highWaterMark: this.#highWaterMark });
    this.#controller = controller;
    this.#discarding = false;
    this.#ownBuffers = false;
    const stream: IncomingMessageStream = {
      opcode: text ? Opcode.Text : Opcode.Binary,
      readable,
    };
    const reader = this.#readers.shift();
    if (reader !== undefined) reader({ done: false, value: stream });
    else this.#pending.push(stream);
  }

  /**
   * The next bytes of the current message: copied into the buffer of a waiting BYOB read, and
   * what does not fit (or everything, when no such read waits) into a new chunk. They are
   * copied because they are a view of the socket's read buffer, which is read into again (and
   * which a byte stream's `enqueue` would take over).
   *
   * @param bytes The bytes; not kept.
   */
  data(bytes: Uint8Array): void {
    const controller = this.#controller;
    if (this.#discarding || controller === undefined || bytes.length === 0) return;
    try {
      const request = controller.byobRequest;
      const view = request?.view;
      if (view !== null && view !== undefined && view.byteLength > 0) {
        const fits = Math.min(view.byteLength, bytes.length);
        new Uint8Array(view.buffer, view.byteOffset, fits).set(
          fits === bytes.length ? bytes : bytes.subarray(0, fits),
        );
        request!.respond(fits);
        if (fits === bytes.length) return;
        bytes = bytes.subarray(fits);
      }
      controller.enqueue(bytes.slice());
    } catch {
      // The stream was cancelled or errored by its reader: drop the rest of the message.
      this.#discarding = true;
    }
  }

  /** The current message is complete: its stream closes once its bytes are read. */
  end(): void {
    const controller = this.#controller;
    this.#controller = undefined;
    if (controller !== undefined && !this.#discarding) {
      controller.close();
      // A BYOB read still waiting ends only when told so (Streams: a closed byte stream's
      // pending read is committed with respond(0)).
      controller.byobRequest?.respond(0);
    }
  }

  /**
   * A whole message at once (one that had to be held, such as a compressed one).
   *
   * @param text Whether it is a Text message.
   * @param bytes Its bytes.
   */
  whole(text: boolean, bytes: Uint8Array): void {
    this.start(text);
    if (bytes.length > 0) this.data(bytes);
    this.end();
  }

  /**
   * The next message's stream, once it starts.
   *
   * @returns The next read's result: done once the connection has ended.
   */
  next(): Promise<IteratorResult<IncomingMessageStream>> {
    const pending = this.#pending.shift();
    if (pending !== undefined) {
      if (this.#pending.length === 0) this.#wake();
      return Promise.resolve({ done: false, value: pending });
    }
    if (this.#ended) return Promise.resolve(DONE);
    return new Promise((resolve) => this.#readers.push(resolve));
  }

  /**
   * The connection has ended: errors the stream of an unfinished message with `error`, ends
   * every waiting read and releases the read pump. A stream not yet taken stays readable.
   *
   * @param error What the stream of an unfinished message fails with.
   */
  close(error: Error): void {
    this.#ended = true;
    const controller = this.#controller;
    this.#controller = undefined;
    if (controller !== undefined && !this.#discarding) controller.error(error);
    const readers = this.#readers;
    this.#readers = [];
    for (const reader of readers) reader(DONE);
    this.#wake();
  }

  #wake(): void {
    const demand = this.#demand;
    this.#demand = undefined;
    demand?.();
  }
}
