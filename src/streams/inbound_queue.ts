/**
 * Received messages on their way to the handler, and the demand that paces reading the socket.
 *
 * @module
 */

import type { Message } from "../protocol/message.ts";
import type { MessageListener } from "./connection_options.ts";

type Reader = (result: IteratorResult<Message>) => void;

/** What a read gets once the connection has ended. */
export const DONE: IteratorReturnResult<undefined> = Object.freeze({
  done: true,
  value: undefined,
});

/**
 * The messages a connection has received and the handler has not read yet, and the readers
 * waiting for the next one. Backpressure: once more than `highWaterMark` bytes wait here, the
 * read pump awaits {@linkcode InboundQueue.prototype.demand}, which settles when the handler
 * has read enough, so a slow consumer stops the socket being read and TCP slows the peer down.
 *
 * Storage is taken only while it is used: an idle connection holds no array.
 *
 * @example
 * ```ts ignore
 * const queue = new InboundQueue(65_536);
 * queue.deliver("hello");
 * console.log(queue.isEmpty ? "" : queue.shift()); // "hello"
 * ```
 */
export class InboundQueue {
  readonly #highWaterMark: number;
  // A queue with a moving head; `undefined` while empty.
  #queue: Message[] | undefined;
  #head = 0;
  #bytes = 0;
  // One waiting reader is the rule (`for await` and `readable` ask one at a time); more only
  // when both are used at once.
  #reader: Reader | undefined;
  #moreReaders: Reader[] | undefined;
  #demand: (() => void) | undefined;
  /**
   * Told of each message in place of readers, when the connection has one (a server route's
   * message hooks); `undefined` once it has been told that the messages ended.
   */
  listener: MessageListener | undefined;
  /**
   * Whether the listener is busy with a message (or not yet let in): what arrives meanwhile
   * waits here, paced like unread messages.
   */
  handing = false;

  /**
   * Creates the instance.
   *
   * @param highWaterMark Bytes of unread messages beyond which the socket is not read.
   */
  constructor(highWaterMark: number) {
    this.#highWaterMark = highWaterMark;
  }

  /**
   * Whether no received message waits to be read.
   *
   * @returns `true` when empty.
   */
  get isEmpty(): boolean {
    return this.#queue === undefined;
  }

  /**
   * Whether a reader waits for the next message: the handler has read everything delivered.
   *
   * @returns `true` while a read is pending, or while a listener waits for its next message.
   */
  get isWaiting(): boolean {
    return this.#reader !== undefined || (this.listener !== undefined && !this.handing);
  }

  /**
   * Whether the handler has fallen so far behind that the socket should not be read.
   *
   * @returns `true` past the high-water mark.
   */
  get isFull(): boolean {
    return this.#bytes >= this.#highWaterMark;
  }

  /**
   * Hands `message` to a waiting reader, or queues it.
   *
   * @param message A received message.
   */
  deliver(message: Message): void {
    const reader = this.#reader;
    if (reader !== undefined) {
      this.#reader = this.#moreReaders?.shift();
      reader({ done: false, value: message });
    } else if (this.#queue === undefined) {
      this.#queue = [message];
      this.#bytes += message.length;
    } else {
      this.#queue.push(message);
      this.#bytes += message.length;
    }
  }

  /**
   * Takes the oldest message; call only when not {@linkcode InboundQueue.prototype.isEmpty}.
   * Reading below the high-water mark lets the read pump go on.
   *
   * @returns The message.
   */
  shift(): Message {
    const queue = this.#queue!;
    const message = queue[this.#head]!;
    queue[this.#head++] = "";
    if (this.#head === queue.length) {
      this.#queue = undefined;
      this.#head = 0;
    }
    this.#bytes -= message.length;
    if (this.#demand !== undefined && this.#bytes < this.#highWaterMark) {
      const demand = this.#demand;
      this.#demand = undefined;
      demand();
    }
    return message;
  }

  /**
   * Waits for the next delivered message (or the end); call only when empty.
   *
   * @returns The next read's result.
   */
  wait(): Promise<IteratorResult<Message>> {
    return new Promise((resolve) => {
      if (this.#reader === undefined) this.#reader = resolve;
      else (this.#moreReaders ??= []).push(resolve);
    });
  }

  /**
   * Settles once the handler has read the queue below the high-water mark (or the queue ended).
   *
   * @returns A promise for the read pump to await.
   */
  demand(): Promise<void> {
    return new Promise<void>((resolve) => this.#demand = resolve);
  }

  /** Ends every waiting read and releases the read pump; queued messages stay readable. */
  end(): void {
    const reader = this.#reader;
    const more = this.#moreReaders;
    this.#reader = undefined;
    this.#moreReaders = undefined;
    reader?.(DONE);
    if (more !== undefined) { for (const waiting of more) waiting(DONE); }
    this.#demand?.();
    this.#demand = undefined;
  }
}
