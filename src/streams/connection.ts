/**
 * The connection a handler holds: a byte stream bound to a protocol session.
 *
 * This file keeps the public API, the dispatch of session events and the deferral policy (what
 * waits for the handler, and how long). The parts it composes each own one concept:
 * `frame_writer.ts` (output batching and congestion), `inbound_queue.ts` (received messages and
 * read demand), `read_pump.ts` (reading the socket, its three backpressure waits and the memory
 * budget), `closing_deadlines.ts` (what waits in the closing phase, and its timers),
 * `message_deflate.ts` (compression and inflation kept in order), `keepalive.ts` (heartbeat and
 * idle timers), `ping_tracker.ts` (round-trip times), `transport_close.ts` (the order of the TCP
 * close), `message_streams.ts` (the WebSocketStream-shaped streams), `message_streaming.ts`
 * (receiving messages as streams, and the compressed ones held whole), `incoming_streams.ts` and
 * `outgoing_stream.ts` (one message as a stream, received and sent), `streamed_send.ts` (the
 * message being sent from a stream, which later sends wait for), `prepared_sends.ts` (topics'
 * frames built once), `observer_bookkeeping.ts` (who ended the connection, for the observer),
 * `limit_diagnostic.ts` (which limit ended it, as a diagnostics event) and `clock.ts` (where time
 * comes from). Its options are in `connection_options.ts`, the deflate engine's interfaces in
 * `deflate_engine.ts`. The parts call back through one static hooks object, so no part holds a
 * closure per connection.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-7.1}
 */

import { CloseCode } from "../protocol/close_code.ts";
import {
  ConnectionClosedError,
  PolicyViolationError,
  type TimeoutError,
  WebSocketError,
} from "../protocol/errors.ts";
import { type Limits, resolveLimits, resolveStreamingLimits } from "../protocol/limits.ts";
import type { Message } from "../protocol/message.ts";
import type { PreparedFrame } from "../protocol/prepared_frame.ts";
import { Opcode } from "../protocol/opcode.ts";
import { type CloseEvent, Session, type SessionEvent } from "../protocol/session.ts";
import type { ByteStream, NetAddr } from "./byte_stream.ts";
import { type Clock, REAL_CLOCK } from "./clock.ts";
import { ClosingDeadlines, type ClosingHooks } from "./closing_deadlines.ts";
import type { ConnectionObserver, SendDropReason } from "./connection_observer.ts";
import type { ConnectionOptions } from "./connection_options.ts";
import { diagnosticsWanted } from "./diagnostics.ts";
import { FrameWriter } from "./frame_writer.ts";
import { DONE, InboundQueue } from "./inbound_queue.ts";
import type { IncomingMessageStream } from "./incoming_streams.ts";
import { Keepalive } from "./keepalive.ts";
import { publishLimitDiagnostic } from "./limit_diagnostic.ts";
import { PARTIAL_MESSAGE_BUDGET } from "./memory_budget.ts";
import { MessageDeflate } from "./message_deflate.ts";
import { joinHeld, MessageStreaming, streamingOnly } from "./message_streaming.ts";
import { messageReadable, messageWritable } from "./message_streams.ts";
import { noop } from "./noop.ts";
import { ObserverBookkeeping } from "./observer_bookkeeping.ts";
import type { MessageSource } from "./outgoing_stream.ts";
import { PingTracker } from "./ping_tracker.ts";
import { type PreparedSendHooks, PreparedSends } from "./prepared_sends.ts";
import { ReadPump, type ReadPumpHooks } from "./read_pump.ts";
import { StreamedSend, type StreamedSendHooks } from "./streamed_send.ts";
import { type ByteWriter, readerOf, writerOf } from "./socket_channel.ts";
import { closeTransport } from "./transport_close.ts";

const RESOLVED: Promise<void> = Promise.resolve();

/** Told of a Ping or Pong that arrived (see `Connection.observeControlFrames`). */
type ControlFrameListener = (type: "ping" | "pong", data: Uint8Array) => void;

/**
 * One WebSocket connection, server or client side, after the opening handshake.
 *
 * Read messages with `for await`, or through the WebSocketStream-shaped `readable`; send with
 * `send` or through `writable`. Backpressure works both ways: while the handler does not read,
 * the socket is not read either, so TCP slows the peer down; while the peer does not read,
 * `send` waits.
 *
 * Output is batched: frames queued while the handler works through the messages that are
 * already here go out in one write, when it has handled them all.
 *
 * `closed` settles exactly once, however the connection ends: a clean close handshake, a
 * protocol error (the Close frame sent carries its code), the peer vanishing (1006) or a close
 * timeout (1006).
 *
 * @example Echo every message
 * ```ts
 * import type { Connection } from "@wsflow/wsflow";
 * async function echo(ws: Connection): Promise<void> {
 *   for await (const message of ws) await ws.send(message);
 *   const { code, reason, wasClean } = await ws.closed;
 *   console.log(code, reason, wasClean);
 * }
 * ```
 */
export class Connection implements AsyncIterable<Message> {
  /** The negotiated subprotocol, or `""`. */
  readonly protocol: string;
  /** The negotiated extensions, or `""`. */
  readonly extensions: string;
  /** The URL of the opening handshake, with its query. */
  readonly url: URL;
  /** The opening handshake's request headers. */
  readonly headers: Headers;
  /** The peer's address, when the transport has one. */
  readonly remoteAddr: NetAddr | undefined;
  /** Settles once, with how the connection ended; never rejects. */
  readonly closed: Promise<CloseEvent>;

  // What the parts call back: one object for every connection.
  static readonly #hooks:
    & ReadPumpHooks<Connection>
    & ClosingHooks<Connection>
    & PreparedSendHooks<Connection>
    & StreamedSendHooks<Connection> = {
      events: (connection, events) => connection.#handle(events),
      fail: (connection, error) => connection.#applyPolicyFailure(error),
      ended: (connection) => connection.#transportLost(),
      timedOut: Connection.#timedOut,
      open: (connection) =>
        connection.#closeEvent === undefined && connection.#session.readyState === "open",
      dropped: (connection, reason) => connection.#drop(reason),
    };

  readonly #session: Session;
  readonly #pump: ReadPump<Connection>;
  readonly #writer: ByteWriter;
  readonly #frames: FrameWriter;
  readonly #inbox: InboundQueue;
  // Set when messages are received as streams (the `streaming` option).
  readonly #streaming: MessageStreaming | undefined;
  // Made on the first `sendStream` and `sendPrepared`.
  #streamed: StreamedSend<Connection> | undefined;
  #prepared: PreparedSends<Connection> | undefined;
  readonly #keepalive: Keepalive<Connection> | undefined;
  #pings: PingTracker | undefined;
  readonly #clock: Clock;
  readonly #closeTimeout: number;
  #resolveClosed!: (event: CloseEvent) => void;
  #closeEvent: CloseEvent | undefined;
  // Set when a timer ends the connection, so `closed` can say which.
  #endedBy: TimeoutError | undefined;

  readonly #deflate: MessageDeflate | undefined;
  readonly #sendLimit: number;
  readonly #sendPolicy: "wait" | "drop" | "close";
  #dropped = 0;

  // The deferral policy: a protocol error, or the peer's Close, waits until the handler has
  // read the messages that came before it (and answered them), but each at most closeTimeout.
  readonly #closing: ClosingDeadlines<Connection>;

  #readable: ReadableStream<Message> | undefined;
  #writable: WritableStream<Message> | undefined;
  #onControl: ControlFrameListener | undefined;

  // Metrics: consulted with one `if` at each point, and nothing is built without one.
  readonly #observer: ConnectionObserver | undefined;
  readonly #bookkeeping: ObserverBookkeeping | undefined;

  /**
   * Binds `stream` to a new session and starts reading. The stream's readable and writable
   * must not be locked.
   *
   * @param stream The transport's byte pair.
   * @param options Role, handshake results, limits and timeouts.
   */
  constructor(stream: ByteStream, options: ConnectionOptions) {
    this.protocol = options.protocol ?? "";
    this.extensions = options.extensions ?? "";
    this.url = options.url ?? new URL("ws://localhost/");
    this.headers = options.headers ?? new Headers();
    this.remoteAddr = stream.remoteAddr;
    this.#clock = options.clock ?? REAL_CLOCK;
    this.#closeTimeout = options.closeTimeout ?? 10_000;
    this.#sendLimit = options.sendBuffer?.limit ?? 16 * 1024 * 1024;
    this.#sendPolicy = options.sendBuffer?.policy ?? "wait";
    this.#observer = options.observer;
    const { maxMessageSize } = resolveLimits(options.limits);
    const streaming = options.streaming ?? false;
    let limits: Partial<Limits> | undefined = options.limits;
    if (streaming !== false) {
      // Streamed messages have limits of their own: nothing of them is held.
      limits = { ...limits, ...resolveStreamingLimits(streaming === true ? undefined : streaming) };
    }
    this.#session = new Session({
      role: options.role,
      deferFailure: true,
      deferCloseReply: true,
      perMessageDeflate: options.deflate !== undefined,
      streamMessages: streaming !== false,
      ...(limits === undefined ? {} : { limits }),
    });
    if (options.deflate !== undefined) {
      this.#deflate = new MessageDeflate(this.#session, options.deflate, maxMessageSize);
    }
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    this.#inbox = new InboundQueue(options.readHighWaterMark ?? 65_536);
    // Straight to an adapter's socket where it offers that (no web streams per connection).
    const reader = readerOf(stream);
    this.#writer = writerOf(stream);
    this.#frames = new FrameWriter(
      this.#session,
      this.#writer,
      options.writeHighWaterMark ?? 65_536,
    );
    const heartbeatInterval = options.heartbeatInterval ?? 30_000;
    const idleTimeout = options.idleTimeout ?? 0;
    if (heartbeatInterval > 0 || idleTimeout > 0) {
      this.#keepalive = new Keepalive<Connection>(
        this.#clock,
        this.#session,
        this.#frames,
        heartbeatInterval,
        idleTimeout,
        this,
        Connection.#timedOut,
      );
    }
    this.#closing = new ClosingDeadlines(
      this.#clock,
      this.#closeTimeout,
      this.#session,
      this.#frames,
      this.#deflate,
      this,
      Connection.#hooks,
    );
    if (streaming !== false) {
      this.#streaming = new MessageStreaming(
        options.readHighWaterMark ?? 65_536,
        maxMessageSize,
        this.#session,
        this.#frames,
        this.#closing,
      );
    }
    this.#pump = new ReadPump(
      reader,
      this.#session,
      this.#inbox,
      this.#streaming?.incoming,
      this.#frames,
      this.#deflate,
      this.#keepalive,
      options.partialMessageBudget ?? PARTIAL_MESSAGE_BUDGET,
      this,
      Connection.#hooks,
    );
    this.#writer.closed.then(undefined, () => this.#transportLost());
    if (this.#observer !== undefined) {
      this.#bookkeeping = new ObserverBookkeeping(
        this.#observer,
        this,
        this.#session.role,
        this.#keepalive,
      );
      this.#observer.opened(this);
    }
    this.#pump.start(options.head);
  }

  /**
   * The connection's state.
   *
   * @returns `"open"`, `"closing"` once a Close frame was sent, or `"closed"`.
   */
  get readyState(): "open" | "closing" | "closed" {
    const state = this.#session.readyState;
    return state === "connecting" ? "open" : state;
  }

  /**
   * Bytes of frames queued and not yet handed to the socket.
   *
   * @returns The count.
   */
  get bufferedAmount(): number {
    return this.#frames.buffered;
  }

  /**
   * Messages dropped by the `"drop"` send-buffer policy.
   *
   * @returns The count.
   */
  get droppedMessages(): number {
    return this.#dropped;
  }

  /**
   * Sends a message: text for a `string`, binary for a `Uint8Array`.
   *
   * The returned promise resolves once the frame is queued for the socket and the socket is not
   * applying backpressure: await it to send no faster than the peer reads. A large binary
   * payload is not copied: leave it unchanged until the promise resolves.
   *
   * @param data The message.
   * @returns A promise that resolves when more may be sent.
   * @throws {ConnectionClosedError} (rejects) Once the connection is closing or closed.
   */
  send(data: Message): Promise<void> {
    // rfc6455#section-5.4: the fragments of a message being streamed may not be interleaved
    // with another message's frames
    const streamed = this.#streamed?.current;
    if (streamed !== undefined) return streamed.then(() => this.send(data));
    const buffered = this.#frames.buffered;
    if (
      buffered > 0 && buffered + data.length > this.#sendLimit && this.#closeEvent === undefined
    ) {
      switch (this.#sendPolicy) {
        case "drop":
          this.#drop("send_buffer");
          return RESOLVED;
        case "close":
          this.#applyPolicyFailure(
            new PolicyViolationError(
              `Cannot send: ${buffered} bytes are waiting to be written, limit is ${this.#sendLimit}`,
            ),
          );
          return Promise.reject(this.#closedError());
        default:
          // Write what is queued and try again once the socket has taken it.
          this.#frames.flush();
          return this.#frames.written.then(() => this.send(data));
      }
    }
    if (this.#deflate?.wants(data)) {
      this.#observer?.sent(this, data);
      return this.#deflate.send(data).then(() => this.#frames.afterWrite(!this.#inbox.isEmpty));
    }
    try {
      this.#session.send(data);
    } catch (error) {
      return Promise.reject(error);
    }
    this.#observer?.sent(this, data);
    return this.#frames.afterWrite(!this.#inbox.isEmpty);
  }

  /**
   * Queues a frame built once for many connections (a topic's message) and never waits: what
   * topics deliver through. Past the send-buffer limit the `"close"` policy closes the connection
   * with 1008 (`"evicted"`); `"drop"` and `"wait"` drop the message and count it in
   * `droppedMessages` (`"dropped"`), since a publisher must not wait for its slowest subscriber.
   * Frames queued this way leave with everything published in the same turn of the event loop.
   *
   * @example
   * ```ts
   * import { PreparedFrame } from "@wsflow/wsflow";
   * import { connectedPair } from "@wsflow/wsflow/testing";
   * const { server, client } = connectedPair();
   * const frame = PreparedFrame.of("to everyone");
   * console.log(server.sendPrepared(frame)); // queued
   * for await (const message of client) {
   *   console.log(message); // to everyone
   *   break;
   * }
   * await client.close();
   * ```
   * @param frame The frame; its buffers are shared: never change them.
   * @returns `"queued"`, `"dropped"`, `"evicted"`, or `"closed"` when the connection was
   *   already closing or closed.
   */
  sendPrepared(frame: PreparedFrame): "queued" | "dropped" | "evicted" | "closed" {
    if (this.#closeEvent !== undefined || this.#session.readyState !== "open") return "closed";
    this.#prepared ??= new PreparedSends(
      this.#session,
      this.#frames,
      this.#deflate,
      this.#sendLimit,
      this.#sendPolicy,
      this,
      Connection.#hooks,
    );
    return this.#prepared.send(frame, this.#streamed?.current);
  }

  /**
   * Sends one message from a stream, as fragments (rfc6455#section-5.4): each chunk goes out as
   * soon as it is read, and the next is read only once the socket takes more, so a message of
   * any size is sent without being held. Chunks over 1 MiB are split. The message ends with an
   * empty final fragment once the source ends. Other sends wait until it is complete; Pings,
   * Pongs and Close may go out between its fragments. It is sent uncompressed even when
   * permessage-deflate was agreed (rfc7692 lets each message choose).
   *
   * For text, strings are sent as their UTF-8; bytes must be UTF-8 (they may split characters
   * between chunks), or the peer fails the connection with 1007.
   *
   * @example Echo each message as it arrives (a connection opened with `streaming`)
   * ```ts
   * import type { Connection } from "@wsflow/wsflow";
   * async function echo(ws: Connection): Promise<void> {
   *   for await (const { opcode, readable } of ws.messageStreams()) {
   *     await ws.sendStream(readable, opcode);
   *   }
   * }
   * ```
   * @param source The message's chunks: a `ReadableStream` or an async iterable of
   *   `Uint8Array` or `string`.
   * @param opcode `Opcode.Text` (1) or `Opcode.Binary` (2).
   * @returns Resolves once the final fragment is queued and the socket takes more.
   * @throws {ConnectionClosedError} (rejects) Once the connection is closing or closed; the
   *   source is cancelled.
   * @throws (rejects) With the source's error when it fails; once fragments were sent, the
   *   message cannot be finished, so the connection is then closed with 1011.
   */
  sendStream(
    source: MessageSource,
    opcode: typeof Opcode.Text | typeof Opcode.Binary = Opcode.Binary,
  ): Promise<void> {
    this.#streamed ??= new StreamedSend(
      this.#session,
      this.#frames,
      this.#deflate,
      this,
      Connection.#hooks,
    );
    return this.#streamed.send(source, opcode);
  }

  /**
   * Sends a Ping and resolves with the round-trip time, in milliseconds, when the matching Pong
   * arrives (rfc6455#section-5.5.2).
   *
   * @param data Application data of at most 125 bytes; by default a sequence number.
   * @returns The round-trip time in milliseconds.
   * @throws {ConnectionClosedError} (rejects) When the connection closes before the Pong.
   * @throws {RangeError} (rejects) When `data` is longer than 125 bytes.
   */
  ping(data?: Message): Promise<number> {
    const pings = this.#pings ??= new PingTracker(this.#clock);
    const payload = data === undefined
      ? pings.nextPayload()
      : typeof data === "string"
      ? new TextEncoder().encode(data)
      : data.slice();
    try {
      this.#session.ping(payload);
    } catch (error) {
      return Promise.reject(error);
    }
    const rtt = pings.track(payload);
    this.#frames.flush();
    const observer = this.#observer;
    if (observer !== undefined) rtt.then((ms) => observer.roundTrip(this, ms), noop);
    return rtt;
  }

  /**
   * Sends an unsolicited Pong, a unidirectional heartbeat that expects no answer
   * (rfc6455#section-5.5.3). Pings need no call: the connection answers them itself.
   *
   * @param data Application data of at most 125 bytes.
   * @throws {ConnectionClosedError} Once the connection is closing or closed.
   * @throws {RangeError} When `data` is longer than 125 bytes.
   */
  pong(data?: Message): void {
    this.#session.pong(data);
    this.#frames.flush();
  }

  /**
   * Calls `listener` with every Ping and Pong that arrives, after the connection has dealt with
   * it (a Ping is already answered, a Pong has settled its `ping()`): for layers that report
   * control frames as events, such as a `ws`-compatible socket. One listener; `undefined` removes
   * it.
   *
   * @param listener Called with `"ping"` or `"pong"` and the frame's application data.
   */
  observeControlFrames(
    listener: ((type: "ping" | "pong", data: Uint8Array) => void) | undefined,
  ): void {
    this.#onControl = listener;
  }

  /**
   * Starts the closing handshake (rfc6455#section-7.1.2) and resolves when the connection has
   * closed: when the peer's Close arrives and the TCP connection is closed, or after the close
   * timeout. Calling it again, or after the connection closed, just waits for `closed`.
   *
   * @param code The status code: 1000 (default when a reason is given), 3000-4999, or another
   *   code that may be sent. Omit both arguments to send a Close frame without a code.
   * @param reason At most 123 bytes of UTF-8.
   * @returns How the connection ended.
   * @throws {RangeError} (rejects) When the code may not be sent or the reason is too long.
   */
  close(code?: number, reason?: string): Promise<CloseEvent> {
    const outbound = this.#deflate?.outbound;
    if (outbound !== undefined) {
      // Messages still being compressed go first.
      return outbound.then(() => this.close(code, reason));
    }
    if (this.#closing.replyDue) {
      // The peer already sent its Close: answering it ends the closing handshake.
      this.#closing.applyCloseReply();
      return this.closed;
    }
    if (this.#closeEvent === undefined && this.#session.readyState === "open") {
      const sent = code ?? (reason ? CloseCode.NormalClosure : undefined);
      try {
        this.#session.close(sent, reason);
      } catch (error) {
        return Promise.reject(error);
      }
      this.#bookkeeping?.sentClose(sent ?? CloseCode.NoStatusReceived);
      this.#frames.flush();
      this.#closing.awaitAnswer();
    }
    return this.closed;
  }

  /**
   * Drops the connection without a closing handshake: the connection ends with 1006.
   */
  terminate(): void {
    if (this.#closeEvent !== undefined) return;
    this.#bookkeeping?.ownEnd();
    this.#end({ code: CloseCode.AbnormalClosure, reason: "", wasClean: false }, false);
  }

  /**
   * Received messages, as a stream (WebSocketStream's shape). It shares one queue with the
   * async iterator: each message goes to whichever reads first. Cancelling it closes the
   * connection.
   *
   * @returns The stream of messages.
   */
  get readable(): ReadableStream<Message> {
    return this.#readable ??= messageReadable(this);
  }

  /**
   * A sink for messages (WebSocketStream's shape): each chunk is sent as one message, with
   * backpressure; closing or aborting it starts the closing handshake without a code (the peer
   * sees 1005), as WebSocketStream's writable does.
   *
   * @returns The stream.
   */
  get writable(): WritableStream<Message> {
    return this.#writable ??= messageWritable(this);
  }

  /**
   * Iterates over received messages until the connection closes. Messages that arrived before
   * the close are still delivered. Leaving the loop early does not close the connection.
   *
   * @returns An async iterator of messages.
   */
  [Symbol.asyncIterator](): AsyncIterator<Message> {
    if (this.#streaming !== undefined) throw streamingOnly();
    return {
      next: (): Promise<IteratorResult<Message>> => this.#next(),
      return: (): Promise<IteratorResult<Message>> => Promise.resolve(DONE),
    };
  }

  /**
   * Received messages as streams, one at a time, until the connection closes: only on a
   * connection opened with `streaming` (a route's or `connect`'s option). Each message's stream
   * fills while the message arrives, and the socket is read only as fast as it is read: read
   * each to its end (or cancel it, which discards the rest of that message) before the next.
   * A broken UTF-8 sequence in text fails the connection with 1007 at once and errors the
   * stream; so does any other failure while a message is unfinished.
   *
   * @example Store each message, whatever its size
   * ```ts
   * import type { Connection } from "@wsflow/wsflow";
   * async function store(ws: Connection, sink: (m: ReadableStream<Uint8Array>) => Promise<void>) {
   *   for await (const message of ws.messageStreams()) {
   *     console.log(message.opcode === 1 ? "text" : "binary");
   *     await sink(message.readable);
   *   }
   * }
   * ```
   * @returns An async iterable of message streams.
   * @throws {TypeError} When the connection was not opened with `streaming`.
   */
  messageStreams(): AsyncIterableIterator<IncomingMessageStream> {
    if (this.#streaming === undefined) {
      throw new TypeError(
        "Cannot read message streams: the connection was not opened with the streaming option",
      );
    }
    return this.#streaming.iterator();
  }

  #next(): Promise<IteratorResult<Message>> {
    if (!this.#inbox.isEmpty) return Promise.resolve({ done: false, value: this.#inbox.shift() });
    // The handler has dealt with everything that arrived: send what it queued in one write,
    // then what waited for it to get here.
    if (this.#session.pendingBytes > 0) this.#frames.flush();
    this.#closing.caughtUp();
    if (this.#closeEvent !== undefined) return Promise.resolve(DONE);
    if (this.#streaming !== undefined) return Promise.reject(streamingOnly());
    return this.#inbox.wait();
  }

  /** Handles session events in order, waiting behind any message still being inflated. */
  #handle(events: readonly SessionEvent[]): void {
    if (events.length === 0) return;
    // Only permessage-deflate makes handling wait (see #inflate).
    const deflate = this.#deflate;
    const inbound = deflate?.inbound;
    if (inbound !== undefined) {
      deflate!.trackInbound(inbound.then(() => this.#run(events, 0)));
      return;
    }
    const pending = this.#run(events, 0);
    if (pending !== undefined) deflate!.trackInbound(pending);
  }

  /** Handles `events` from `from` on; returns a promise when it must wait for inflation. */
  #run(
    events: readonly SessionEvent[],
    from: number,
    delivered = false,
  ): Promise<void> | undefined {
    for (let i = from; i < events.length; i++) {
      const event = events[i]!;
      switch (event.type) {
        case "message":
          delivered = true;
          this.#deliver(event.data);
          break;
        case "compressed":
          return this.#inflateThenRun(event.text, event.data, events, i, delivered);
        case "pong":
          this.#pings?.settle(event.data);
          this.#bookkeeping?.pong(event.data);
          this.#onControl?.("pong", event.data);
          break;
        case "closed":
          this.#end(event.event, true);
          break;
        case "error":
          this.#deferFailure(event.error, delivered);
          break;
        case "closing":
          this.#bookkeeping?.peerEnd();
          // rfc6455#section-5.5.1: the Close reply may wait until the messages that arrived
          // before the peer's Close have been read and answered
          this.#closing.deferCloseReply(
            this.#caughtUp(delivered) && (this.#streaming?.caughtUp ?? true),
          );
          break;
        case "ping":
          this.#onControl?.("ping", event.data);
          break;
        case "streamStart":
          this.#streaming!.start(event.text, event.compressed, this.#closeEvent === undefined);
          break;
        case "streamData": {
          const error = this.#streaming!.data(event.data);
          if (error === undefined) break;
          this.#deferFailure(error, false);
          return undefined;
        }
        case "streamEnd": {
          const held = this.#streaming!.end();
          if (held === undefined) break;
          return this.#inflateThenRun(held.text, joinHeld(held), events, i, delivered);
        }
      }
    }
    return undefined;
  }

  #deliver(data: Message): void {
    if (this.#closeEvent !== undefined) return;
    const streaming = this.#streaming;
    if (streaming === undefined) this.#inbox.deliver(data);
    else streaming.whole(data);
    this.#observer?.received(this, data);
  }

  /** A message was not sent, by the send-buffer policy. */
  #drop(reason: SendDropReason): void {
    this.#dropped++;
    this.#observer?.dropped(this, reason);
  }

  /** Inflates and delivers one message, then handles the rest of its batch (`events` after `i`). */
  #inflateThenRun(
    text: boolean,
    payload: Uint8Array,
    events: readonly SessionEvent[],
    i: number,
    delivered: boolean,
  ): Promise<void> {
    return this.#inflate(text, payload).then((error) => {
      if (error === undefined) return this.#run(events, i + 1, true);
      // Fails like a protocol error: after what arrived before it has been answered.
      this.#deferFailure(error, delivered);
      return undefined;
    });
  }

  /** Inflates and delivers one message; returns the error when it cannot be. */
  async #inflate(text: boolean, payload: Uint8Array): Promise<unknown> {
    if (this.#closeEvent !== undefined || this.#deflate === undefined) return undefined;
    let message: Message;
    try {
      message = await this.#deflate.inflate(text, payload);
    } catch (error) {
      return error ?? new Error("Cannot inflate message");
    }
    this.#deliver(message);
    return undefined;
  }

  /**
   * rfc6455#section-7.1.7: the connection fails, but messages that arrived before the error
   * still reach the handler and may be answered first: the failure waits until the handler has
   * read them (or the close timeout).
   */
  #deferFailure(error: unknown, delivered: boolean): void {
    if (this.#closeEvent !== undefined) return;
    this.#bookkeeping?.ownEnd();
    this.#closing.deferFailure(
      error instanceof WebSocketError
        ? error
        : new WebSocketError("Cannot continue: internal error", CloseCode.InternalError, {
          cause: error,
        }),
      this.#caughtUp(delivered),
    );
  }

  /**
   * Whether the handler has read everything that came before the event at hand. A message
   * delivered by this batch is still being handled, unless the handler already asks for the
   * next one: after an inflated message, the rest of its batch runs later, once the handler may
   * have read it.
   */
  #caughtUp(delivered: boolean): boolean {
    return this.#inbox.isEmpty && (!delivered || this.#inbox.isWaiting);
  }

  /** Fails the connection now because of a local limit. */
  #applyPolicyFailure(error: WebSocketError): void {
    this.#bookkeeping?.ownEnd();
    this.#frames.flush();
    this.#handle(this.#session.fail(error));
  }

  /**
   * A timer ran out: a silent peer (heartbeat), or one that did not answer our Close
   * (rfc6455#section-7.1.1), is dropped (1006); an idle one is closed (1001).
   */
  static #timedOut(connection: Connection, error: TimeoutError): void {
    if (connection.#closeEvent !== undefined) return;
    if (error.timeout !== "idle") {
      connection.#bookkeeping?.ownEnd();
      const event = { code: CloseCode.AbnormalClosure, reason: "", wasClean: false, error };
      connection.#end(event, false);
      return;
    }
    connection.#endedBy = error;
    connection.close(CloseCode.GoingAway, "idle timeout").catch(noop);
  }

  #transportLost(): void {
    if (this.#closeEvent !== undefined) return;
    this.#bookkeeping?.peerEnd();
    this.#handle(this.#session.transportClosed());
  }

  /** Ends the connection once: settles everything that waits, then closes the transport. */
  #end(event: CloseEvent, graceful: boolean): void {
    if (this.#closeEvent !== undefined) return;
    if (this.#endedBy !== undefined && event.error === undefined) {
      event = { ...event, error: this.#endedBy };
    }
    this.#closeEvent = event;
    this.#bookkeeping?.closed(event);
    if (event.error !== undefined && diagnosticsWanted()) {
      publishLimitDiagnostic(event.error, this.#session.role, this);
    }
    this.#keepalive?.stop();
    this.#pump.stop();
    this.#deflate?.close();
    if (this.#session.readyState !== "closed") this.#session.transportClosed();
    this.#closing.cancel();
    // Made only when something is rejected with it: most connections end with nothing waiting.
    let error: ConnectionClosedError | undefined;
    const closedError = (): ConnectionClosedError => error ??= this.#closedError();
    this.#frames.end(closedError);
    this.#pings?.rejectAll(closedError());
    this.#inbox.end();
    this.#streaming?.close(event.error ?? closedError());
    if (graceful) this.#frames.flush();
    void closeTransport(
      this.#pump.reader,
      this.#writer,
      this.#session.role,
      graceful,
      graceful ? this.#pump.peerClosed() : undefined,
      this.#clock,
      this.#closeTimeout,
    ).then(() => this.#resolveClosed(event));
  }

  #closedError(): ConnectionClosedError {
    const event = this.#closeEvent ?? this.#session.closeEvent;
    return new ConnectionClosedError(
      event?.code ?? CloseCode.AbnormalClosure,
      event?.reason ?? "",
      event?.wasClean ?? false,
    );
  }
}
