/**
 * What a connection does with the session's events, in order: messages to the handler (inflated
 * first when compressed, and nothing after them handled before they are), Pongs to the pings
 * they answer, the peer's Close and protocol errors to the closing phase, the end to
 * `connection_end.ts`. And the other way: the handler asking for the next message, which is when
 * what it queued goes out and what waited for it may proceed.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-7.1.7}
 */

import type { WebSocketError } from "../protocol/errors.ts";
import type { Message } from "../protocol/message.ts";
import type { SessionEvent } from "../protocol/session_events.ts";
import type { ConnectionObserver } from "./connection_observer.ts";
import { closingCaughtUp, holdCloseReply } from "./closing_deadlines.ts";
import { endConnection, type EndingParts } from "./connection_end.ts";
import { caughtUp, deferFailure } from "./deferred_failure.ts";
import { DONE } from "./inbound_queue.ts";
import { handOver } from "./message_hand_over.ts";
import { joinHeld, streamingOnly } from "./message_streaming.ts";

/**
 * Told of a Ping or Pong that arrived (see `Connection.observeControlFrames`).
 *
 * @example
 * ```ts ignore
 * const listener: ControlFrameListener = (type, data) => console.log(type, data.length);
 * ```
 */
export type ControlFrameListener = (type: "ping" | "pong", data: Uint8Array) => void;

/**
 * What dispatching events touches. A connection's `ConnectionParts` is one.
 *
 * @example
 * ```ts ignore
 * const parts: DispatchParts = new ConnectionParts(connection, stream, { role: "server" });
 * handleEvents(parts, parts.session.receive(bytes));
 * ```
 */
export interface DispatchParts extends EndingParts {
  /** Told of each message received, when there is one. */
  readonly observer: ConnectionObserver | undefined;
  /** Told of each Ping and Pong, when there is one. */
  readonly onControl: ControlFrameListener | undefined;
}

/**
 * Handles session events in order, waiting behind any message still being inflated.
 *
 * @example
 * ```ts ignore
 * handleEvents(parts, parts.session.receive(bytes));
 * ```
 * @param c The connection's parts.
 * @param events What the session reported.
 */
export function handleEvents(c: DispatchParts, events: readonly SessionEvent[]): void {
  if (events.length === 0) return;
  // Only permessage-deflate makes handling wait (see inflate).
  const deflate = c.deflate;
  const inbound = deflate?.inbound;
  if (inbound !== undefined) {
    deflate!.trackInbound(inbound.then(() => run(c, events, 0, false)));
    return;
  }
  const pending = run(c, events, 0, false);
  if (pending !== undefined) deflate!.trackInbound(pending);
}

/**
 * Fails the connection now because of a local limit.
 *
 * @example
 * ```ts ignore
 * failNow(parts, new PolicyViolationError("Cannot send: the send buffer is full"));
 * ```
 * @param c The connection's parts.
 * @param error The failure; its code goes in the Close frame.
 */
export function failNow(c: DispatchParts, error: WebSocketError): void {
  c.bookkeeping?.ownEnd();
  c.frames.flush();
  handleEvents(c, c.session.fail(error));
}

/**
 * The transport's readable or writable ended or failed: the peer is gone.
 *
 * @example
 * ```ts ignore
 * writer.closed.then(undefined, () => transportLost(parts));
 * ```
 * @param c The connection's parts.
 */
export function transportLost(c: DispatchParts): void {
  if (c.closeEvent !== undefined) return;
  c.bookkeeping?.peerEnd();
  handleEvents(c, c.session.transportClosed());
}

/**
 * The handler asks for the next message (the async iterator's `next`). Once it has dealt with
 * everything that arrived, what it queued goes out in one write, then what waited for it.
 *
 * @example
 * ```ts ignore
 * const { done, value } = await nextMessage(parts);
 * ```
 * @param c The connection's parts.
 * @returns The next message, or done once the connection has ended.
 */
export function nextMessage(c: DispatchParts): Promise<IteratorResult<Message>> {
  const inbox = c.inbox;
  if (inbox.listener !== undefined) return Promise.reject(listenedTo());
  if (!inbox.isEmpty) return Promise.resolve({ done: false, value: inbox.shift() });
  if (c.session.pendingBytes > 0) c.frames.flush();
  closingCaughtUp(c);
  if (c.closeEvent !== undefined) return Promise.resolve(DONE);
  if (c.streaming !== undefined) return Promise.reject(streamingOnly());
  return inbox.wait();
}

/** Handles `events` from `from` on; returns a promise when it must wait for inflation. */
function run(
  c: DispatchParts,
  events: readonly SessionEvent[],
  from: number,
  delivered: boolean,
): Promise<void> | undefined {
  for (let i = from; i < events.length; i++) {
    const event = events[i]!;
    switch (event.type) {
      case "message":
        delivered = true;
        deliver(c, event.data);
        break;
      case "compressed":
        return inflateThenRun(c, event.text, event.data, events, i, delivered);
      case "pong":
        c.pings?.settle(event.data);
        c.bookkeeping?.pong(event.data);
        c.onControl?.("pong", event.data);
        break;
      case "closed":
        endConnection(c, event.event, true);
        break;
      case "error":
        deferFailure(c, event.error, delivered);
        break;
      case "closing":
        c.bookkeeping?.peerEnd();
        // rfc6455#section-5.5.1: the Close reply may wait until the messages that arrived
        // before the peer's Close have been read and answered
        holdCloseReply(c, caughtUp(c, delivered) && (c.streaming?.caughtUp ?? true));
        break;
      case "ping":
        c.onControl?.("ping", event.data);
        break;
      case "streamStart":
        c.streaming!.start(event.text, event.compressed, c.closeEvent === undefined);
        break;
      case "streamData": {
        const error = c.streaming!.data(event.data);
        if (error === undefined) break;
        deferFailure(c, error, false);
        return undefined;
      }
      case "streamEnd": {
        const held = c.streaming!.end();
        if (held === undefined) break;
        return inflateThenRun(c, held.text, joinHeld(held), events, i, delivered);
      }
    }
  }
  // A listener takes what arrived once the whole batch has been handled, as a handler that
  // awaits the next message would, so that what it sends goes out together.
  if (delivered) handOver(c);
  return undefined;
}

function listenedTo(): TypeError {
  return new TypeError(
    "Cannot read messages: this connection's messages go to its route's message hooks",
  );
}

function deliver(c: DispatchParts, data: Message): void {
  if (c.closeEvent !== undefined) return;
  const streaming = c.streaming;
  if (streaming === undefined) c.inbox.deliver(data);
  else streaming.whole(data);
  c.observer?.received(c.connection, data);
}

/** Inflates and delivers one message, then handles the rest of its batch (`events` after `i`). */
function inflateThenRun(
  c: DispatchParts,
  text: boolean,
  payload: Uint8Array,
  events: readonly SessionEvent[],
  i: number,
  delivered: boolean,
): Promise<void> {
  return inflate(c, text, payload).then((error) => {
    if (error === undefined) return run(c, events, i + 1, true);
    // Fails like a protocol error: after what arrived before it has been answered.
    deferFailure(c, error, delivered);
    return undefined;
  });
}

/** Inflates and delivers one message; returns the error when it cannot be. */
async function inflate(c: DispatchParts, text: boolean, payload: Uint8Array): Promise<unknown> {
  if (c.closeEvent !== undefined || c.deflate === undefined) return undefined;
  let message: Message;
  try {
    message = await c.deflate.inflate(text, payload);
  } catch (error) {
    return error ?? new Error("Cannot inflate message");
  }
  deliver(c, message);
  return undefined;
}
