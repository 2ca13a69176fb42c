/**
 * The iterator a `for await` loop over a connection reads messages with.
 *
 * @module
 */

import type { Message } from "../protocol/message.ts";
import { type DispatchParts, nextMessage } from "./event_dispatch.ts";
import { DONE } from "./inbound_queue.ts";

/**
 * Reads a connection's messages until it closes: what `Connection[Symbol.asyncIterator]`
 * returns. A class rather than an object of two arrow functions, since a handler's loop keeps
 * its iterator for the connection's whole life: one small object, and no closure.
 *
 * @example
 * ```ts ignore
 * const iterator = new MessageIterator(parts);
 * const { done, value } = await iterator.next();
 * ```
 */
export class MessageIterator implements AsyncIterator<Message> {
  readonly #parts: DispatchParts;

  /**
   * Iterates over the messages of a connection.
   *
   * @param parts The connection's parts.
   */
  constructor(parts: DispatchParts) {
    this.#parts = parts;
  }

  /**
   * The next message.
   *
   * @returns The message, or done once the connection has ended.
   */
  next(): Promise<IteratorResult<Message>> {
    return nextMessage(this.#parts);
  }

  /**
   * Leaves the loop; the connection stays open.
   *
   * @returns Done.
   */
  return(): Promise<IteratorResult<Message>> {
    return Promise.resolve(DONE);
  }
}
