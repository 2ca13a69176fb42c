/**
 * How a connection ends: our Close, a timer running out, a drop without a handshake, and the one
 * end that settles everything that waits and then closes the transport.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-7.1}
 */

import { CloseCode } from "../protocol/close_code.ts";
import { ConnectionClosedError, type TimeoutError } from "../protocol/errors.ts";
import type { CloseEvent } from "../protocol/session_events.ts";
import {
  applyCloseReply,
  awaitCloseAnswer,
  cancelClosing,
  type ClosingParts,
} from "./closing_deadlines.ts";
import type { ObservedConnection } from "./connection_observer.ts";
import { diagnosticsWanted } from "./diagnostics.ts";
import type { InboundQueue } from "./inbound_queue.ts";
import type { Keepalive, KeepaliveParts } from "./keepalive.ts";
import { publishLimitDiagnostic } from "./limit_diagnostic.ts";
import { handOver } from "./message_hand_over.ts";
import type { MessageStreaming } from "./message_streaming.ts";
import { noop } from "./noop.ts";
import type { ObserverBookkeeping } from "./observer_bookkeeping.ts";
import type { PingTracker } from "./ping_tracker.ts";
import type { PumpParts, ReadPump } from "./read_pump.ts";
import type { ByteWriter } from "./channel_writer.ts";
import { closeTransport } from "./transport_close.ts";

/**
 * What ending a connection touches: every part that holds something to settle or stop. A
 * connection's `ConnectionParts` is one.
 *
 * @example
 * ```ts ignore
 * const parts: EndingParts = new ConnectionParts(connection, stream, { role: "server" });
 * terminate(parts);
 * ```
 */
export interface EndingParts extends ClosingParts {
  /** What the diagnostics event names. */
  readonly connection: ObservedConnection;
  /** The transport's writer. */
  readonly writer: ByteWriter;
  /** Received messages; ended so that readers see the end. */
  readonly inbox: InboundQueue;
  /** The read loop; stopped, and its reader handed to the transport close. */
  readonly pump: Pick<ReadPump<PumpParts>, "reader" | "stop" | "peerClosed">;
  /** Heartbeat and idle timers, when on. */
  readonly keepalive: Pick<Keepalive<KeepaliveParts>, "stop"> | undefined;
  /** The streaming receive side, with the `streaming` option. */
  readonly streaming: MessageStreaming | undefined;
  /** Who ended the connection, with an observer. */
  readonly bookkeeping: ObserverBookkeeping | undefined;
  /** Pings awaiting their Pong, once `ping()` was called. */
  readonly pings: PingTracker | undefined;
  /** The connection's `closed`, made at the first call. */
  closedPromise(): Promise<CloseEvent>;
  /** The transport has closed: settles `closed`. */
  finish(event: CloseEvent): void;
  /** How the connection ended, once it has. */
  closeEvent: CloseEvent | undefined;
  /** Set when a timer ends the connection, so `closed` can say which. */
  endedBy: TimeoutError | undefined;
}

/**
 * Starts the closing handshake (rfc6455#section-7.1.2), or answers the peer's Close if it
 * waits for our reply: what `Connection.close` does.
 *
 * @example
 * ```ts ignore
 * const { code, wasClean } = await closeConnection(parts, 1000, "bye");
 * ```
 * @param c The connection's parts.
 * @param code The status code, or `undefined` (1000 when a reason is given).
 * @param reason At most 123 bytes of UTF-8.
 * @returns The connection's `closed`; rejects when the code or reason may not be sent.
 */
export function closeConnection(
  c: EndingParts,
  code: number | undefined,
  reason: string | undefined,
): Promise<CloseEvent> {
  const outbound = c.deflate?.outbound;
  if (outbound !== undefined) {
    // Messages still being compressed go first.
    return outbound.then(() => closeConnection(c, code, reason));
  }
  if (c.closing?.replyDue === true) {
    // The peer already sent its Close: answering it ends the closing handshake.
    applyCloseReply(c);
    return c.closedPromise();
  }
  if (c.closeEvent === undefined && c.session.readyState === "open") {
    const sent = code ?? (reason ? CloseCode.NormalClosure : undefined);
    try {
      c.session.close(sent, reason);
    } catch (error) {
      return Promise.reject(error);
    }
    c.bookkeeping?.sentClose(sent ?? CloseCode.NoStatusReceived);
    c.frames.flush();
    awaitCloseAnswer(c);
  }
  return c.closedPromise();
}

/**
 * Drops the connection without a closing handshake (1006): what `Connection.terminate` does.
 *
 * @example
 * ```ts ignore
 * terminate(parts);
 * ```
 * @param c The connection's parts.
 */
export function terminate(c: EndingParts): void {
  if (c.closeEvent !== undefined) return;
  c.bookkeeping?.ownEnd();
  endConnection(c, { code: CloseCode.AbnormalClosure, reason: "", wasClean: false }, false);
}

/**
 * A timer ran out: a silent peer (heartbeat), or one that did not answer our Close
 * (rfc6455#section-7.1.1), is dropped (1006); an idle one is closed (1001).
 *
 * @example
 * ```ts ignore
 * timedOut(parts, new TimeoutError("idle", "Closing: idle for 60000 ms"));
 * ```
 * @param c The connection's parts.
 * @param error Which timer, and why.
 */
export function timedOut(c: EndingParts, error: TimeoutError): void {
  if (c.closeEvent !== undefined) return;
  if (error.timeout !== "idle") {
    c.bookkeeping?.ownEnd();
    const event = { code: CloseCode.AbnormalClosure, reason: "", wasClean: false, error };
    endConnection(c, event, false);
    return;
  }
  c.endedBy = error;
  closeConnection(c, CloseCode.GoingAway, "idle timeout").catch(noop);
}

/**
 * Ends the connection once: settles everything that waits, then closes the transport and
 * settles `closed`.
 *
 * @example
 * ```ts ignore
 * endConnection(parts, { code: 1006, reason: "", wasClean: false }, false);
 * ```
 * @param c The connection's parts.
 * @param event How it ended.
 * @param graceful Whether the transport is closed in order (after the close handshake) rather
 *   than aborted.
 */
export function endConnection(c: EndingParts, event: CloseEvent, graceful: boolean): void {
  if (c.closeEvent !== undefined) return;
  if (c.endedBy !== undefined && event.error === undefined) {
    event = { ...event, error: c.endedBy };
  }
  c.closeEvent = event;
  c.bookkeeping?.closed(event);
  if (event.error !== undefined && diagnosticsWanted()) {
    publishLimitDiagnostic(event.error, c.session.role, c.connection);
  }
  c.keepalive?.stop();
  c.pump.stop();
  c.deflate?.close();
  if (c.session.readyState !== "closed") c.session.transportClosed();
  cancelClosing(c);
  // Made only when something is rejected with it: most connections end with nothing waiting.
  // (Inline arrows, not a named one: under tsx every named closure gets its name set per call.)
  let error: ConnectionClosedError | undefined;
  c.frames.end(() => error ??= closedError(c));
  if (c.pings !== undefined) c.pings.rejectAll(error ??= closedError(c));
  c.inbox.end();
  // A listener is told after what waits for it.
  if (c.inbox.listener !== undefined) handOver(c);
  if (c.streaming !== undefined) c.streaming.close(event.error ?? (error ??= closedError(c)));
  if (graceful) c.frames.flush();
  closeTransport(
    c.pump.reader,
    c.writer,
    c.session.role,
    graceful,
    graceful ? c.pump.peerClosed() : undefined,
    c.clock,
    c.closeTimeout,
    c,
    transportClosed,
  );
}

// The transport under a connection has closed: `closed` settles with how it ended.
function transportClosed(c: EndingParts): void {
  c.finish(c.closeEvent!);
}

/**
 * The error that sends and pings get once the connection is closing or closed.
 *
 * @example
 * ```ts ignore
 * return Promise.reject(closedError(parts));
 * ```
 * @param c The connection's parts.
 * @returns The error, with the code the connection ended (or is ending) with.
 */
export function closedError(
  c: Pick<EndingParts, "closeEvent" | "session">,
): ConnectionClosedError {
  const event = c.closeEvent ?? c.session.closeEvent;
  return new ConnectionClosedError(
    event?.code ?? CloseCode.AbnormalClosure,
    event?.reason ?? "",
    event?.wasClean ?? false,
  );
}
