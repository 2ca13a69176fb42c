/**
 * The messages a reconnecting client keeps while it has no open connection, sent in order once
 * the next one opens. It is bounded, and it fails loudly: what it cannot keep is counted and
 * handed back to be reported, never lost in silence (the complaint against
 * reconnecting-websocket's queue, whose limit had no effect and whose overflow was silent).
 *
 * @module
 */

import type { Message } from "../protocol/message.ts";

/**
 * Bounds of the offline queue, and what a full queue does with one more message.
 *
 * @example Keep at most 100 messages; refuse more rather than forget old ones
 * ```ts
 * import type { OfflineQueueOptions } from "@wsflow/wsflow";
 * const queue: OfflineQueueOptions = { maxMessages: 100, overflow: "reject" };
 * console.log(queue.overflow); // "reject"
 * ```
 */
export interface OfflineQueueOptions {
  /**
   * The most messages kept. 0 keeps none: `send` while disconnected drops or rejects at once,
   * for protocols where a late message is a wrong one.
   * @default {1_000}
   */
  maxMessages?: number | undefined;
  /**
   * The most bytes kept (UTF-8 bytes of text messages).
   * @default {1_048_576}
   */
  maxBytes?: number | undefined;
  /**
   * A full queue either drops its oldest messages to make room (`"drop-oldest"`; they are
   * counted and reported) or refuses the new one (`"reject"`: `send` rejects with a
   * {@linkcode QueueFullError}).
   * @default {"drop-oldest"}
   */
  overflow?: "drop-oldest" | "reject" | undefined;
}

/**
 * A message could not be queued: the offline queue is full and its policy is `"reject"`, or the
 * message alone is larger than the queue.
 *
 * @example
 * ```ts
 * import { QueueFullError } from "@wsflow/wsflow";
 * const error = new QueueFullError("Cannot queue message: the queue holds 100 messages, limit is 100");
 * console.log(error.name); // "QueueFullError"
 * ```
 */
export class QueueFullError extends Error {
  /**
   * Creates the instance.
   * @param message What was refused and why.
   */
  constructor(message: string) {
    super(message);
    this.name = "QueueFullError";
  }
}

/**
 * A bounded first-in first-out queue of messages with a drop count.
 *
 * @example The oldest message makes room for the newest
 * ```ts
 * import { OfflineQueue } from "@wsflow/wsflow";
 * const queue = new OfflineQueue({ maxMessages: 2 });
 * queue.push("a");
 * queue.push("b");
 * console.log(queue.push("c")); // ["a"]: dropped, to be reported
 * console.log(queue.shift(), queue.shift(), queue.dropped); // "b" "c" 1
 * ```
 */
export class OfflineQueue {
  readonly #maxMessages: number;
  readonly #maxBytes: number;
  readonly #reject: boolean;
  #items: Message[] = [];
  #sizes: number[] = [];
  #head = 0;
  #bytes = 0;
  #dropped = 0;

  /**
   * Creates an empty queue.
   * @param options Its bounds and overflow policy.
   */
  constructor(options: OfflineQueueOptions = {}) {
    this.#maxMessages = options.maxMessages ?? 1_000;
    this.#maxBytes = options.maxBytes ?? 1_048_576;
    this.#reject = options.overflow === "reject";
  }

  /**
   * Messages waiting.
   * @returns The count.
   */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /**
   * Bytes waiting.
   * @returns The count.
   */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Messages dropped since the queue was made: for overflow, and by {@linkcode clear}.
   * @returns The count.
   */
  get dropped(): number {
    return this.#dropped;
  }

  /**
   * Appends a message. Under `"drop-oldest"`, drops the oldest messages until it fits (a message
   * larger than the whole queue is itself dropped) and returns what was dropped; under
   * `"reject"`, throws instead of dropping.
   *
   * @param message The message.
   * @returns The messages dropped to make room, oldest first; usually none.
   * @throws {QueueFullError} Under `"reject"`, when the message does not fit.
   */
  push(message: Message): Message[] {
    const size = typeof message === "string" ? utf8Length(message) : message.byteLength;
    const fits = (): boolean =>
      this.length < this.#maxMessages && this.#bytes + size <= this.#maxBytes;
    if (this.#reject && !fits()) {
      throw new QueueFullError(
        `Cannot queue message: the queue holds ${this.length} messages and ${this.#bytes} bytes, limits are ${this.#maxMessages} and ${this.#maxBytes}`,
      );
    }
    if (size > this.#maxBytes || this.#maxMessages === 0) {
      this.#dropped++;
      return [message];
    }
    const dropped: Message[] = [];
    while (!fits()) dropped.push(this.#take()!);
    this.#dropped += dropped.length;
    this.#items.push(message);
    this.#sizes.push(size);
    this.#bytes += size;
    return dropped;
  }

  /**
   * Takes the oldest message.
   * @returns It, or `undefined` when the queue is empty.
   */
  shift(): Message | undefined {
    return this.#take();
  }

  /**
   * Empties the queue, counting what it held as dropped.
   * @returns The messages it held, oldest first.
   */
  clear(): Message[] {
    const rest = this.#items.slice(this.#head);
    this.#dropped += rest.length;
    this.#items = [];
    this.#sizes = [];
    this.#head = 0;
    this.#bytes = 0;
    return rest;
  }

  #take(): Message | undefined {
    if (this.#head === this.#items.length) return undefined;
    const message = this.#items[this.#head]!;
    this.#bytes -= this.#sizes[this.#head]!;
    this.#head++;
    // Compact now and then, so taking is O(1) and memory follows what is held.
    if (this.#head > 64 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#sizes = this.#sizes.slice(this.#head);
      this.#head = 0;
    }
    return message;
  }
}

function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // A surrogate pair is 2 units and 4 bytes; any other unit from 0x800 is 3 bytes (a lone
    // surrogate becomes U+FFFD, also 3).
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      bytes += 2;
      i++;
    } else if (unit >= 0x800) bytes += 2;
    else if (unit >= 0x80) bytes += 1;
  }
  return bytes;
}
