/**
 * The parts of one connection, wired from its options, and the state they share: what a
 * `Connection` holds behind its public API. The functions that act on it (`event_dispatch.ts`,
 * `deferred_failure.ts`, `closing_deadlines.ts`, `connection_end.ts`, `send_policy.ts`) each
 * take the small interface they need, which this class fulfils, so none of them imports it or
 * `connection.ts`. The parts it builds call back through one static hooks object, so no part
 * holds a closure per connection, and the functions add no object per connection or message.
 *
 * @module
 */

import { type Limits, resolveLimits, resolveStreamingLimits } from "../protocol/limits.ts";
import { Session } from "../protocol/session.ts";
import type { CloseEvent } from "../protocol/session_events.ts";
import type { SessionOptions } from "../protocol/session_options.ts";
import type { TimeoutError } from "../protocol/errors.ts";
import type { ByteStream } from "./byte_stream.ts";
import { type Clock, REAL_CLOCK } from "./clock.ts";
import { closingCaughtUp, type ClosingHooks, type ClosingWaits } from "./closing_deadlines.ts";
import { timedOut } from "./connection_end.ts";
import type { ConnectionObserver, ObservedConnection } from "./connection_observer.ts";
import type { ClosedListener, ConnectionOptions, ConnectionWiring } from "./connection_options.ts";
import {
  type ControlFrameListener,
  failNow,
  handleEvents,
  transportLost,
} from "./event_dispatch.ts";
import { FrameWriter } from "./frame_writer.ts";
import { InboundQueue } from "./inbound_queue.ts";
import { letIn } from "./message_hand_over.ts";
import { Keepalive } from "./keepalive.ts";
import { type MemoryBudget, PARTIAL_MESSAGE_BUDGET } from "./memory_budget.ts";
import { MessageDeflate } from "./message_deflate.ts";
import { MessageStreaming } from "./message_streaming.ts";
import { ObserverBookkeeping } from "./observer_bookkeeping.ts";
import type { PingTracker } from "./ping_tracker.ts";
import { type PreparedSendHooks, PreparedSends } from "./prepared_sends.ts";
import { ReadPump, type ReadPumpHooks, transportReader } from "./read_pump.ts";
import { type ByteWriter, watchFailure } from "./channel_writer.ts";
import { writerOf } from "./socket_channel.ts";
import { drop, type SendParts } from "./send_policy.ts";
import { StreamedSend, type StreamedSendHooks } from "./streamed_send.ts";

// What the parts call back: one object for every connection.
const HOOKS:
  & ReadPumpHooks<ConnectionParts>
  & ClosingHooks<ConnectionParts>
  & PreparedSendHooks<ConnectionParts>
  & StreamedSendHooks<ConnectionParts> = {
    events: handleEvents,
    fail: failNow,
    ended: transportLost,
    timedOut,
    open: (parts) => parts.closeEvent === undefined && parts.session.readyState === "open",
    dropped: drop,
  };

// What a connection's options set for its whole life, as one object for the connections made
// with the same ones (a server's all are): five fields fewer per connection (40 bytes on V8).
interface PartsSettings {
  readonly clock: Clock;
  readonly closeTimeout: number;
  readonly sendLimit: number;
  readonly sendPolicy: "wait" | "drop" | "close";
  readonly observer: ConnectionObserver | undefined;
  readonly budget: MemoryBudget;
}

// The settings of the connection made last, given to the next one if its are the same.
let lastSettings: PartsSettings | undefined;

function settingsOf(options: ConnectionOptions): PartsSettings {
  const clock = options.clock ?? REAL_CLOCK;
  const closeTimeout = options.closeTimeout ?? 10_000;
  const sendLimit = options.sendBuffer?.limit ?? 16 * 1024 * 1024;
  const sendPolicy = options.sendBuffer?.policy ?? "wait";
  const observer = options.observer;
  const budget = options.partialMessageBudget ?? PARTIAL_MESSAGE_BUDGET;
  const last = lastSettings;
  if (
    last !== undefined && last.clock === clock && last.closeTimeout === closeTimeout &&
    last.sendLimit === sendLimit &&
    last.sendPolicy === sendPolicy && last.observer === observer &&
    last.budget === budget
  ) return last;
  return lastSettings = { clock, closeTimeout, sendLimit, sendPolicy, observer, budget };
}

/**
 * The parts and shared state of one connection. Fields are plain so that the functions in the
 * other files of this folder reach them; nothing outside `src/streams/` sees this class.
 *
 * @example
 * ```ts ignore
 * const parts = new ConnectionParts(connection, stream, { role: "server" });
 * parts.start(undefined); // once the connection can be observed: starts reading
 * ```
 */
export class ConnectionParts implements SendParts {
  /** The public connection, as observers and diagnostics are told of it. */
  readonly connection: ObservedConnection;
  /** The protocol state. */
  readonly session: Session;
  // Settings the connections made with the same options share (see `settingsOf`).
  readonly #settings: PartsSettings;
  /** Told then, without a promise: the server's bookkeeping. */
  readonly closedListener: ClosedListener | undefined;
  // `closed`, made when first asked for: nothing waits on it in most connections' lives; until
  // then, once the transport has closed, how the connection ended. One field for both: on
  // JavaScriptCore parts of 31 fields took a 320-byte cell, of 30 a 256-byte one.
  #closed: Promise<CloseEvent> | CloseEvent | undefined;
  // The parts only some connections need, or only for part of their lives (see `Occasional`).
  #occasional: Occasional | undefined;
  /** The transport's writer. */
  readonly writer: ByteWriter;
  /** Output batching and congestion. */
  readonly frames: FrameWriter;
  /** Received messages and read demand. */
  readonly inbox: InboundQueue;
  /** permessage-deflate, when agreed. */
  readonly deflate: MessageDeflate | undefined;
  /** Receiving messages as streams, with the `streaming` option. */
  readonly streaming: MessageStreaming | undefined;
  /** Heartbeat and idle timers, when either is on. */
  readonly keepalive: Keepalive<ConnectionParts> | undefined;
  /** The read loop. */
  readonly pump: ReadPump<ConnectionParts>;
  // Metrics: consulted with one `if` at each point, and nothing is built without one.
  /** Who ended the connection, with an observer. */
  readonly bookkeeping: ObserverBookkeeping | undefined;
  /** How the connection ended, once it has. */
  closeEvent: CloseEvent | undefined;

  /**
   * Builds the session and the parts; reading starts with {@linkcode ConnectionParts.prototype.start}.
   *
   * @param connection The public connection.
   * @param stream The transport's byte pair; its readable and writable must not be locked.
   * @param options Role, handshake results, limits and timeouts.
   */
  constructor(connection: ObservedConnection, stream: ByteStream, options: ConnectionOptions) {
    this.connection = connection;
    this.#settings = settingsOf(options);
    this.closedListener = (options as ConnectionWiring).closedListener;
    const { maxMessageSize } = resolveLimits(options.limits);
    const streaming = options.streaming ?? false;
    let limits: Partial<Limits> | undefined = options.limits;
    if (streaming !== false) {
      // Streamed messages have limits of their own: nothing of them is held.
      limits = { ...limits, ...resolveStreamingLimits(streaming === true ? undefined : streaming) };
    }
    // Straight to an adapter's socket where it offers that (no web streams per connection).
    const reader = transportReader(stream);
    const sessionOptions: SessionOptions = {
      role: options.role,
      deferFailure: true,
      deferCloseReply: true,
      perMessageDeflate: options.deflate !== undefined,
      streamMessages: streaming !== false,
    };
    // Set rather than spread: a spread copies through a generic path for every connection.
    if (limits !== undefined) sessionOptions.limits = limits;
    // What the adapter knows of its engine: how received payloads are best cut and unmasked.
    if ("copyUpTo" in reader) sessionOptions.copyUpTo = reader.copyUpTo;
    if ("wideUnmask" in reader) sessionOptions.wideUnmask = reader.wideUnmask;
    const session = this.session = new Session(sessionOptions);
    if (options.deflate !== undefined) {
      this.deflate = new MessageDeflate(session, options.deflate, maxMessageSize);
    }
    const inbox = this.inbox = new InboundQueue(options.readHighWaterMark ?? 65_536);
    const listener = (options as ConnectionWiring).messageListener;
    if (listener !== undefined) {
      inbox.listener = listener;
      // Held until the connection is made and in its maker's hands.
      inbox.handing = true;
      queueMicrotask(() => letIn(this));
    }
    this.writer = writerOf(stream);
    const frames = this.frames = new FrameWriter(
      session,
      this.writer,
      options.writeHighWaterMark ?? 65_536,
    );
    const heartbeatInterval = options.heartbeatInterval ?? 30_000;
    const idleTimeout = options.idleTimeout ?? 0;
    if (heartbeatInterval > 0 || idleTimeout > 0) {
      this.keepalive = new Keepalive<ConnectionParts>(
        this.clock,
        heartbeatInterval,
        idleTimeout,
        this,
        timedOut,
      );
    }
    if (streaming !== false) {
      this.streaming = new MessageStreaming(
        options.readHighWaterMark ?? 65_536,
        maxMessageSize,
        session,
        frames,
        this,
      );
    }
    this.pump = new ReadPump(reader, this);
    // A write that fails means the transport is gone (a channel's writer says so without a
    // promise of its own).
    watchFailure(this.writer, this, transportLost);
    if (this.observer !== undefined) {
      this.bookkeeping = new ObserverBookkeeping(
        this.observer,
        connection,
        session.role,
        this.keepalive,
      );
    }
  }

  /**
   * Where timers are measured.
   *
   * @returns The clock.
   */
  get clock(): Clock {
    return this.#settings.clock;
  }

  /**
   * The bound of each wait of the closing phase (`closeTimeout`).
   *
   * @returns Milliseconds.
   */
  get closeTimeout(): number {
    return this.#settings.closeTimeout;
  }

  /**
   * Bytes waiting to be written beyond which the send policy applies.
   *
   * @returns The count.
   */
  get sendLimit(): number {
    return this.#settings.sendLimit;
  }

  /**
   * What a send past the limit does.
   *
   * @returns The policy.
   */
  get sendPolicy(): "wait" | "drop" | "close" {
    return this.#settings.sendPolicy;
  }

  /**
   * The metrics observer, if any.
   *
   * @returns The observer.
   */
  get observer(): ConnectionObserver | undefined {
    return this.#settings.observer;
  }

  /**
   * The budget for bytes of unfinished messages (`partialMessageBudget`).
   *
   * @returns The budget.
   */
  get budget(): MemoryBudget {
    return this.#settings.budget;
  }

  /**
   * What the read pump calls back: the same object for every connection.
   *
   * @returns The hooks.
   */
  get readHooks(): ReadPumpHooks<ConnectionParts> {
    return HOOKS;
  }

  /**
   * Tells the observer the connection opened, and starts reading: once the connection that
   * holds these parts is complete, since both may reach it.
   *
   * @param head Bytes that arrived with the handshake, read before the transport.
   */
  start(head: Uint8Array | undefined): void {
    this.observer?.opened(this.connection);
    this.pump.start(head);
  }

  /**
   * The message being sent from a stream, made on the first `sendStream`.
   *
   * @returns The part, if made.
   */
  get streamed(): StreamedSend<ConnectionParts> | undefined {
    return this.#occasional?.streamed;
  }

  /**
   * Told of each Ping and Pong (`observeControlFrames`).
   *
   * @returns The listener, if any.
   */
  get onControl(): ControlFrameListener | undefined {
    return this.#occasional?.onControl;
  }

  /** @param listener The listener, or `undefined` for none. */
  set onControl(listener: ControlFrameListener | undefined) {
    this.#more().onControl = listener;
  }

  /**
   * The pings sent and the pongs awaited, made on the first `ping`.
   *
   * @returns The tracker, if made.
   */
  get pings(): PingTracker | undefined {
    return this.#occasional?.pings;
  }

  /** @param tracker The tracker. */
  set pings(tracker: PingTracker | undefined) {
    this.#more().pings = tracker;
  }

  /**
   * Set when a timer ends the connection, so `closed` can say which.
   *
   * @returns The timer's error, if a timer ended it.
   */
  get endedBy(): TimeoutError | undefined {
    return this.#occasional?.endedBy;
  }

  /** @param error The timer's error. */
  set endedBy(error: TimeoutError | undefined) {
    this.#more().endedBy = error;
  }

  /**
   * Messages dropped by the send-buffer policy.
   *
   * @returns The count.
   */
  get dropped(): number {
    return this.#occasional?.dropped ?? 0;
  }

  /** @param count The new count. */
  set dropped(count: number) {
    this.#more().dropped = count;
  }

  /**
   * What the closing phase waits for, made when it begins (closing_deadlines.ts): a protocol
   * error, or the peer's Close, waits until the handler has read the messages that came before
   * it (and answered them), but each at most closeTimeout; after our Close, the peer has
   * closeTimeout to answer.
   *
   * @returns The waits, once the closing phase has begun.
   */
  get closing(): ClosingWaits | undefined {
    return this.#occasional?.closing;
  }

  /** @param waits The waits. */
  set closing(waits: ClosingWaits | undefined) {
    this.#more().closing = waits;
  }

  #more(): Occasional {
    return this.#occasional ??= new Occasional();
  }

  /**
   * The connection's `closed`: settles once, with how the connection ended.
   *
   * @returns The promise, made at the first call.
   */
  closedPromise(): Promise<CloseEvent> {
    const closed = this.#closed;
    if (closed instanceof Promise) return closed;
    return this.#closed = closed === undefined
      ? new Promise((resolve) => this.#more().resolveClosed = resolve)
      : Promise.resolve(closed);
  }

  /**
   * The transport has closed: settles `closed` and tells the listener.
   *
   * @param event How the connection ended.
   */
  finish(event: CloseEvent): void {
    const occasional = this.#occasional;
    const resolve = occasional?.resolveClosed;
    if (resolve === undefined) this.#closed ??= event;
    else {
      occasional!.resolveClosed = undefined;
      resolve(event);
    }
    this.closedListener?.connectionClosed(event);
  }

  /**
   * What the closing phase calls back: the same object for every connection.
   *
   * @returns The hooks.
   */
  get closingHooks(): ClosingHooks<ConnectionParts> {
    return HOOKS;
  }

  /**
   * The handler has read everything that arrived: what waited for it goes out now. What
   * `MessageStreaming` calls once every stream delivered so far has been taken.
   */
  caughtUp(): void {
    closingCaughtUp(this);
  }

  /**
   * The message being sent from a stream and the order it imposes, made on first use.
   *
   * @returns The part.
   */
  streamedSend(): StreamedSend<ConnectionParts> {
    const more = this.#more();
    return more.streamed ??= new StreamedSend(this.session, this.frames, this.deflate, this, HOOKS);
  }

  /**
   * Topics' prepared frames on their way into this connection, made on first use.
   *
   * @returns The part.
   */
  preparedSends(): PreparedSends<ConnectionParts> {
    const more = this.#more();
    return more.prepared ??= new PreparedSends(
      this.session,
      this.frames,
      this.deflate,
      this.sendLimit,
      this.sendPolicy,
      this,
      HOOKS,
    );
  }
}

/**
 * The parts of a connection that only some connections need, or only for part of their lives
 * (sending from streams or topics, pings, the closing phase): one object, made when the first
 * of them is, rather than a field each on every connection (on Node, 8 bytes a field).
 */
class Occasional {
  streamed: StreamedSend<ConnectionParts> | undefined;
  prepared: PreparedSends<ConnectionParts> | undefined;
  pings: PingTracker | undefined;
  onControl: ControlFrameListener | undefined;
  endedBy: TimeoutError | undefined;
  dropped = 0;
  closing: ClosingWaits | undefined;
  resolveClosed: ((event: CloseEvent) => void) | undefined;
}
