/**
 * Sending one message, and what happens past the send-buffer limit: wait for the socket
 * (`"wait"`), drop the message (`"drop"`), or fail the connection with 1008 (`"close"`). A
 * message waits behind one being sent from a stream, and goes through permessage-deflate when
 * it is worth compressing.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-5.4}
 */

import { PolicyViolationError } from "../protocol/errors.ts";
import type { Message } from "../protocol/message.ts";
import { closedError } from "./connection_end.ts";
import type { SendDropReason } from "./connection_observer.ts";
import { type DispatchParts, failNow } from "./event_dispatch.ts";

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * What sending touches. A connection's `ConnectionParts` is one.
 *
 * @example
 * ```ts ignore
 * const parts: SendParts = new ConnectionParts(connection, stream, { role: "server" });
 * await sendMessage(parts, "hello");
 * ```
 */
export interface SendParts extends DispatchParts {
  /** The message being sent from a stream, once `sendStream` was called. */
  readonly streamed: { readonly current: Promise<void> | undefined } | undefined;
  /** Bytes waiting to be written beyond which the policy applies. */
  readonly sendLimit: number;
  /** What a send past the limit does. */
  readonly sendPolicy: "wait" | "drop" | "close";
  /** Messages dropped by the policy. */
  dropped: number;
}

/**
 * Sends a message: what `Connection.send` does.
 *
 * @example
 * ```ts ignore
 * await sendMessage(parts, new Uint8Array([1, 2, 3]));
 * ```
 * @param c The connection's parts.
 * @param data Text (`string`) or binary (`Uint8Array`).
 * @returns Resolves when more may be sent; rejects once the connection is closing or closed.
 */
export function sendMessage(c: SendParts, data: Message): Promise<void> {
  // rfc6455#section-5.4: the fragments of a message being streamed may not be interleaved
  // with another message's frames
  const streamed = c.streamed?.current;
  if (streamed !== undefined) return streamed.then(() => sendMessage(c, data));
  const buffered = c.frames.buffered;
  if (buffered > 0 && buffered + data.length > c.sendLimit && c.closeEvent === undefined) {
    switch (c.sendPolicy) {
      case "drop":
        drop(c, "send_buffer");
        return RESOLVED;
      case "close":
        failNow(
          c,
          new PolicyViolationError(
            `Cannot send: ${buffered} bytes are waiting to be written, limit is ${c.sendLimit}`,
          ),
        );
        return Promise.reject(closedError(c));
      default:
        // Write what is queued and try again once the socket has taken it.
        c.frames.flush();
        return c.frames.written.then(() => sendMessage(c, data));
    }
  }
  if (c.deflate?.wants(data)) {
    c.observer?.sent(c.connection, data);
    return c.deflate.send(data).then(() => c.frames.afterWrite(!c.inbox.isEmpty));
  }
  try {
    c.session.send(data);
  } catch (error) {
    return Promise.reject(error);
  }
  c.observer?.sent(c.connection, data);
  return c.frames.afterWrite(!c.inbox.isEmpty);
}

/**
 * Counts a message that was not sent, by the send-buffer policy.
 *
 * @example
 * ```ts ignore
 * drop(parts, "topic_backlog");
 * ```
 * @param c The connection's parts.
 * @param reason Why, for the observer.
 */
export function drop(c: SendParts, reason: SendDropReason): void {
  c.dropped++;
  c.observer?.dropped(c.connection, reason);
}
