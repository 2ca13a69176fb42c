/**
 * Received messages handed to a connection's {@linkcode MessageListener} (a server route's
 * message hooks), the push twin of the handler asking for the next message: one at a time, in
 * order, the next held back while a thenable the listener returned is pending, and the
 * listener told last that the messages ended. Holds nothing per connection between messages:
 * no suspended function, no pending promise, no closure.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-6.2}
 */

import type { CloseEvent } from "../protocol/session_events.ts";
import { closingCaughtUp, type ClosingParts } from "./closing_deadlines.ts";
import type { InboundQueue } from "./inbound_queue.ts";
import { isThenable } from "./thenable.ts";

/**
 * What handing messages over touches. A connection's `ConnectionParts` is one.
 *
 * @example
 * ```ts ignore
 * const parts: HandOverParts = new ConnectionParts(connection, stream, options);
 * handOver(parts);
 * ```
 */
export interface HandOverParts extends ClosingParts {
  /** Where received messages wait, and the listener they go to. */
  readonly inbox: InboundQueue;
  /** Set once the connection has ended. */
  readonly closeEvent: CloseEvent | undefined;
}

/**
 * Hands the listener what waits for it, unless it is busy with a message: each message in turn
 * while it returns at once; when it returns a thenable, the rest once that settles. Once the
 * queue is empty, what the listener queued goes out, and so does what waited for it to catch
 * up (rfc6455#section-5.5.1: a Close reply held behind the messages before it); once the
 * connection has ended too, the listener is told, once. Does nothing without a listener.
 *
 * @example
 * ```ts ignore
 * parts.inbox.deliver(message);
 * handOver(parts);
 * ```
 * @param c The connection's parts.
 */
export function handOver(c: HandOverParts): void {
  const inbox = c.inbox;
  const listener = inbox.listener;
  if (listener === undefined || inbox.handing) return;
  while (!inbox.isEmpty) {
    // Marked busy during the call as well: a message that the call makes arrive (a close that
    // ends the connection, say) waits its turn rather than being handed over inside it.
    inbox.handing = true;
    let returned: unknown;
    try {
      returned = listener.messageArrived(inbox.shift());
    } catch (error) {
      listener.messageFailed(error);
    }
    if (isThenable(returned)) {
      // Promise.resolve: a thenable's own `then` is called in a job of its own, where what it
      // throws is a rejection like any other.
      Promise.resolve(returned).then(() => letIn(c), (error: unknown) => {
        listener.messageFailed(error);
        letIn(c);
      });
      return;
    }
    inbox.handing = false;
  }
  const event = c.closeEvent;
  if (event === undefined) {
    if (c.session.pendingBytes > 0) c.frames.flush();
    closingCaughtUp(c);
  } else {
    inbox.listener = undefined;
    listener.messagesEnded(event);
  }
}

/**
 * Lets the listener in: from now on messages are handed to it. The parts hold it back until
 * the microtask after the connection is made, so that whoever made it has it by then.
 *
 * @example
 * ```ts ignore
 * parts.inbox.handing = true;
 * queueMicrotask(() => letIn(parts));
 * ```
 * @param c The connection's parts.
 */
export function letIn(c: HandOverParts): void {
  c.inbox.handing = false;
  handOver(c);
}
