/**
 * The waits of a connection's closing phase, each bounded by the close timeout: a protocol
 * failure and the reply to the peer's Close, which wait for the handler to read what arrived
 * before them, and the peer's answer to our own Close.
 *
 * The connection decides what waits (see `event_dispatch.ts` and `deferred_failure.ts`); these
 * functions hold what is waiting, its timers, and how each is finally carried out. What they
 * hold lives in the connection's parts (`ClosingParts`), beside the session, clock and writer
 * these waits use, so the closing phase costs a connection no object of its own.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-7.1.7}
 */

import { TimeoutError, type WebSocketError } from "../protocol/errors.ts";
import type { Session } from "../protocol/session.ts";
import type { SessionEvent } from "../protocol/session_events.ts";
import type { Clock } from "./clock.ts";
import type { FrameWriter } from "./frame_writer.ts";
import type { MessageDeflate } from "./message_deflate.ts";

/**
 * What the closing phase hands back to the connection. Each function takes the connection's
 * parts as an argument, so one object serves every connection rather than closures each.
 *
 * @example
 * ```ts ignore
 * const hooks: ClosingHooks<ConnectionParts> = {
 *   events: (parts, events) => handleEvents(parts, events),
 *   timedOut: (parts, error) => terminate(parts),
 * };
 * ```
 */
export interface ClosingHooks<Owner> {
  /** Handles the session events that failing, or replying to a Close, produced. */
  events(owner: Owner, events: readonly SessionEvent[]): void;
  /** The peer did not answer our Close within the close timeout (`error.timeout` is `"close"`). */
  timedOut(owner: Owner, error: TimeoutError): void;
}

/**
 * The deferred failure, the deferred Close reply and the closing-handshake deadline of one
 * connection, and what they use. A connection's `ConnectionParts` is one.
 *
 * - A failure (rfc6455#section-7.1.7) or the reply to the peer's Close (rfc6455#section-5.5.1)
 *   waits until {@linkcode closingCaughtUp} (the handler has read what came before it) or the
 *   close timeout, whichever is first. Either waits behind sends still being compressed, so
 *   answers the handler gave go out before the Close.
 * - After our Close, the peer has the close timeout to answer it (rfc6455#section-7.1.1).
 *
 * @example
 * ```ts ignore
 * holdFailure(parts, new ProtocolError("Cannot accept frame: reserved bit set"), false);
 * closingCaughtUp(parts); // the handler read everything: the Close frame goes out now
 * cancelClosing(parts); // when the connection ends
 * ```
 */
export interface ClosingParts {
  /** Where the deadlines are measured. */
  readonly clock: Clock;
  /** The close timeout, in milliseconds: the bound of each wait. */
  readonly closeTimeout: number;
  /** Fails, and replies to the peer's Close. */
  readonly session: Session;
  /** Flushed before the Close frame, so earlier answers go first. */
  readonly frames: FrameWriter;
  /** The permessage-deflate side, when agreed: its pending sends go first. */
  readonly deflate: MessageDeflate | undefined;
  /** The connection's reactions. */
  readonly closingHooks: ClosingHooks<ClosingParts>;
  /** What the closing phase waits for, once it has begun. */
  closing: ClosingWaits | undefined;
}

/**
 * What the closing phase of one connection waits for: made when the first wait begins, so that
 * a connection that is not closing holds one field for them rather than five.
 *
 * @example
 * ```ts
 * import { ClosingWaits } from "./closing_deadlines.ts";
 * const waits = new ClosingWaits();
 * console.log(waits.replyDue, waits.failure); // false undefined
 * ```
 */
export class ClosingWaits {
  /** The failure that waits, if one does. */
  failure: WebSocketError | undefined;
  /** Its timer. */
  failureDeadline: unknown;
  /** Whether the peer's Close waits for our reply. */
  replyDue = false;
  /** Its timer. */
  replyDeadline: unknown;
  /** The peer's time to answer our Close. */
  handshakeDeadline: unknown;
}

/**
 * Fails the connection with `error`, now or once the handler has caught up.
 *
 * @example
 * ```ts ignore
 * holdFailure(parts, error, parts.inbox.isEmpty);
 * ```
 * @param c The connection's parts.
 * @param error The failure; its code goes in the Close frame.
 * @param now Whether nothing waits to be read, so the failure need not wait.
 */
export function holdFailure(c: ClosingParts, error: WebSocketError, now: boolean): void {
  const waits = c.closing ??= new ClosingWaits();
  waits.failure = error;
  if (now) applyFailure(c);
  else waits.failureDeadline = c.clock.setTimeout(() => applyFailure(c), c.closeTimeout);
}

/**
 * Replies to the peer's Close, now or once the handler has caught up.
 *
 * @example
 * ```ts ignore
 * holdCloseReply(parts, parts.inbox.isEmpty);
 * ```
 * @param c The connection's parts.
 * @param now Whether nothing waits to be read, so the reply need not wait.
 */
export function holdCloseReply(c: ClosingParts, now: boolean): void {
  const waits = c.closing ??= new ClosingWaits();
  waits.replyDue = true;
  if (now) applyCloseReply(c);
  else waits.replyDeadline = c.clock.setTimeout(() => applyCloseReply(c), c.closeTimeout);
}

/**
 * The handler has read everything that arrived: what waited for it goes out now.
 *
 * @example
 * ```ts ignore
 * if (parts.inbox.isEmpty) closingCaughtUp(parts);
 * ```
 * @param c The connection's parts.
 */
export function closingCaughtUp(c: ClosingParts): void {
  const waits = c.closing;
  if (waits === undefined) return;
  if (waits.failure !== undefined) applyFailure(c);
  if (waits.replyDue) applyCloseReply(c);
}

/**
 * Replies to the peer's Close now, if it waits for a reply.
 *
 * @example
 * ```ts ignore
 * if (parts.replyDue) applyCloseReply(parts); // close() answers the peer's Close
 * ```
 * @param c The connection's parts.
 */
export function applyCloseReply(c: ClosingParts): void {
  const waits = c.closing;
  if (waits === undefined || !waits.replyDue) return;
  waits.replyDue = false;
  if (waits.replyDeadline !== undefined) {
    c.clock.clearTimeout(waits.replyDeadline);
    waits.replyDeadline = undefined;
  }
  const outbound = c.deflate?.outbound;
  if (outbound !== undefined) {
    // Replies still being compressed go first.
    void outbound.then(() => c.closingHooks.events(c, c.session.replyToClose()));
    return;
  }
  c.frames.flush();
  c.closingHooks.events(c, c.session.replyToClose());
}

/**
 * Our Close was sent: starts the peer's time to answer it.
 *
 * @example
 * ```ts ignore
 * parts.session.close(1000, "bye");
 * awaitCloseAnswer(parts);
 * ```
 * @param c The connection's parts.
 */
export function awaitCloseAnswer(c: ClosingParts): void {
  const waits = c.closing ??= new ClosingWaits();
  waits.handshakeDeadline = c.clock.setTimeout(() => {
    waits.handshakeDeadline = undefined;
    // rfc6455#section-7.1.1: the peer did not complete the closing handshake in time
    c.closingHooks.timedOut(
      c,
      new TimeoutError(
        "close",
        `Cannot close cleanly: the peer did not answer the Close frame within ${c.closeTimeout} ms`,
      ),
    );
  }, c.closeTimeout);
}

/**
 * The connection has ended: nothing waits any more.
 *
 * @example
 * ```ts ignore
 * cancelClosing(parts);
 * ```
 * @param c The connection's parts.
 */
export function cancelClosing(c: ClosingParts): void {
  const waits = c.closing;
  if (waits === undefined) return;
  const clock = c.clock;
  if (waits.handshakeDeadline !== undefined) clock.clearTimeout(waits.handshakeDeadline);
  if (waits.failureDeadline !== undefined) clock.clearTimeout(waits.failureDeadline);
  if (waits.replyDeadline !== undefined) clock.clearTimeout(waits.replyDeadline);
  waits.failure = undefined;
  waits.replyDue = false;
}

function applyFailure(c: ClosingParts): void {
  const waits = c.closing;
  const error = waits?.failure;
  if (waits === undefined || error === undefined) return;
  const outbound = c.deflate?.outbound;
  if (outbound !== undefined) {
    // Answers still being compressed go out before the Close.
    void outbound.then(() => applyFailure(c));
    return;
  }
  waits.failure = undefined;
  if (waits.failureDeadline !== undefined) {
    c.clock.clearTimeout(waits.failureDeadline);
    waits.failureDeadline = undefined;
  }
  c.frames.flush();
  c.closingHooks.events(c, c.session.fail(error));
}
