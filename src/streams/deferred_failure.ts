/**
 * When a connection fails for a protocol error, the messages that arrived before the error still
 * reach the handler and may be answered first (rfc6455#section-7.1.7): this decides whether the
 * failure waits, and `closing_deadlines.ts` holds it while it does.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-7.1.7}
 */

import { CloseCode } from "../protocol/close_code.ts";
import { WebSocketError } from "../protocol/errors.ts";
import type { CloseEvent } from "../protocol/session_events.ts";
import { type ClosingParts, holdFailure } from "./closing_deadlines.ts";
import type { InboundQueue } from "./inbound_queue.ts";
import type { ObserverBookkeeping } from "./observer_bookkeeping.ts";

/**
 * What deferring a failure looks at. A connection's `ConnectionParts` is one.
 *
 * @example
 * ```ts ignore
 * const parts: DeferredFailureParts = new ConnectionParts(connection, stream, { role: "server" });
 * deferFailure(parts, new ProtocolError("Cannot accept frame: reserved bit set"), false);
 * ```
 */
export interface DeferredFailureParts extends ClosingParts {
  /** How the connection ended, once it has: nothing is deferred after that. */
  readonly closeEvent: CloseEvent | undefined;
  /** Received messages not yet read. */
  readonly inbox: InboundQueue;
  /** Who ended the connection, with an observer. */
  readonly bookkeeping: ObserverBookkeeping | undefined;
}

/**
 * Fails the connection with `error` once the handler has read what arrived before it, or after
 * the close timeout.
 *
 * @example
 * ```ts ignore
 * deferFailure(parts, error, true); // a message of this batch was delivered: wait for the read
 * ```
 * @param c The connection's parts.
 * @param error The failure; anything but a `WebSocketError` is sent as 1011.
 * @param delivered Whether the batch at hand delivered a message before the error.
 */
export function deferFailure(c: DeferredFailureParts, error: unknown, delivered: boolean): void {
  if (c.closeEvent !== undefined) return;
  c.bookkeeping?.ownEnd();
  holdFailure(
    c,
    error instanceof WebSocketError
      ? error
      : new WebSocketError("Cannot continue: internal error", CloseCode.InternalError, {
        cause: error,
      }),
    caughtUp(c, delivered),
  );
}

/**
 * Whether the handler has read everything that came before the event at hand. A message
 * delivered by this batch is still being handled, unless the handler already asks for the
 * next one: after an inflated message, the rest of its batch runs later, once the handler may
 * have read it.
 *
 * @example
 * ```ts ignore
 * holdCloseReply(parts, caughtUp(parts, delivered));
 * ```
 * @param c The connection's parts.
 * @param delivered Whether the batch at hand delivered a message.
 * @returns `true` when nothing waits to be read.
 */
export function caughtUp(c: Pick<DeferredFailureParts, "inbox">, delivered: boolean): boolean {
  return c.inbox.isEmpty && (!delivered || c.inbox.isWaiting);
}
