/**
 * The connection a handler holds: a byte stream bound to a protocol session.
 *
 * This file keeps the public API; `connection_parts.ts` wires the parts behind it and holds the
 * state they share. What happens to received events is in `event_dispatch.ts` (with
 * `deferred_failure.ts`, what waits for the handler), sending and the send-buffer policy in
 * `send_policy.ts`, the end of a connection in `connection_end.ts`. The parts each own one
 * concept: `frame_writer.ts` (output batching and congestion), `inbound_queue.ts` (received
 * messages and read demand), `read_pump.ts` (reading the socket, its three backpressure waits and
 * the memory budget), `closing_deadlines.ts` (what waits in the closing phase, and its timers),
 * `message_deflate.ts` (compression and inflation kept in order), `keepalive.ts` (heartbeat and
 * idle timers), `ping_tracker.ts` (round-trip times), `transport_close.ts` (the order of the TCP
 * close), `message_streams.ts` (the WebSocketStream-shaped streams), `message_streaming.ts`
 * (receiving messages as streams, and the compressed ones held whole), `incoming_streams.ts` and
 * `outgoing_stream.ts` (one message as a stream, received and sent), `streamed_send.ts` (the
 * message being sent from a stream, which later sends wait for), `prepared_sends.ts` (topics'
 * frames built once), `observer_bookkeeping.ts` (who ended the connection, for the observer),
 * `limit_diagnostic.ts` (which limit ended it, as a diagnostics event) and `clock.ts` (where time
 * comes from). Its options are in `connection_options.ts`, the deflate engine's interfaces in
 * `deflate_engine.ts`.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-7.1}
 */

import type { Message } from "../protocol/message.ts";
import type { PreparedFrame } from "../protocol/prepared_frame.ts";
import { Opcode } from "../protocol/opcode.ts";
import type { CloseEvent } from "../protocol/session_events.ts";
import type { ByteStream, NetAddr } from "./byte_stream.ts";
import { closeConnection, terminate } from "./connection_end.ts";
import type { ConnectionOptions, ConnectionWiring, HeaderFields } from "./connection_options.ts";
import { ConnectionParts } from "./connection_parts.ts";
import type { IncomingMessageStream } from "./incoming_streams.ts";
import { streamingOnly } from "./message_streaming.ts";
import { MessageIterator } from "./message_iterator.ts";
import { messageReadable, messageWritable } from "./message_streams.ts";
import { noop } from "./noop.ts";
import type { MessageSource } from "./outgoing_stream.ts";
import { PingTracker } from "./ping_tracker.ts";
import { sendMessage } from "./send_policy.ts";

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
  /** The peer's address, when the transport has one. */
  readonly remoteAddr: NetAddr | undefined;

  readonly #parts: ConnectionParts;
  // The handshake's URL and request headers, as given, or in the form they arrived in until
  // first read: most connections never read them, and a `URL` and a `Headers` cost a
  // connection more than the string and the header lines they are made from.
  #url: URL | string | undefined;
  // The header lines as one string (`name: value\r\n` each), as they arrived where the head
  // reader kept them so: one string costs a fraction of the arrays and slices of the lines.
  #headers: Headers | string | undefined;
  #readable: ReadableStream<Message> | undefined;
  #writable: WritableStream<Message> | undefined;

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
    const wiring: ConnectionWiring = options;
    this.#url = options.url ?? wiring.href;
    const fields = wiring.headerFields;
    this.#headers = options.headers ??
      (fields === undefined || typeof fields === "string" ? fields : joinFields(fields));
    this.remoteAddr = stream.remoteAddr;
    const parts = this.#parts = new ConnectionParts(this, stream, options);
    parts.start(options.head);
  }

  /**
   * The URL of the opening handshake, with its query.
   *
   * @returns The URL (the same object at every read).
   */
  get url(): URL {
    const url = this.#url;
    if (typeof url === "object") return url;
    return this.#url = new URL(url ?? "ws://localhost/");
  }

  /**
   * The opening handshake's request headers.
   *
   * @returns The headers (the same object at every read).
   */
  get headers(): Headers {
    const headers = this.#headers;
    if (typeof headers === "object") return headers;
    return this.#headers = headersOf(headers);
  }

  /**
   * Settles once, with how the connection ended; never rejects.
   *
   * @returns The promise (the same one at every read).
   */
  get closed(): Promise<CloseEvent> {
    return this.#parts.closedPromise();
  }

  /**
   * The connection's state.
   *
   * @returns `"open"`, `"closing"` once a Close frame was sent, or `"closed"`.
   */
  get readyState(): "open" | "closing" | "closed" {
    const state = this.#parts.session.readyState;
    return state === "connecting" ? "open" : state;
  }

  /**
   * Bytes of frames queued and not yet handed to the socket.
   *
   * @returns The count.
   */
  get bufferedAmount(): number {
    return this.#parts.frames.buffered;
  }

  /**
   * Messages dropped by the `"drop"` send-buffer policy.
   *
   * @returns The count.
   */
  get droppedMessages(): number {
    return this.#parts.dropped;
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
    return sendMessage(this.#parts, data);
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
    const parts = this.#parts;
    if (parts.closeEvent !== undefined || parts.session.readyState !== "open") return "closed";
    return parts.preparedSends().send(frame, parts.streamed?.current);
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
    return this.#parts.streamedSend().send(source, opcode);
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
    const parts = this.#parts;
    const pings = parts.pings ??= new PingTracker(parts.clock);
    const payload = data === undefined
      ? pings.nextPayload()
      : typeof data === "string"
      ? new TextEncoder().encode(data)
      : data.slice();
    try {
      parts.session.ping(payload);
    } catch (error) {
      return Promise.reject(error);
    }
    const rtt = pings.track(payload);
    parts.frames.flush();
    const observer = parts.observer;
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
    this.#parts.session.pong(data);
    this.#parts.frames.flush();
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
    this.#parts.onControl = listener;
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
    return closeConnection(this.#parts, code, reason);
  }

  /**
   * Drops the connection without a closing handshake: the connection ends with 1006.
   */
  terminate(): void {
    terminate(this.#parts);
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
    if (this.#parts.streaming !== undefined) throw streamingOnly();
    return new MessageIterator(this.#parts);
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
    const streaming = this.#parts.streaming;
    if (streaming === undefined) {
      throw new TypeError(
        "Cannot read message streams: the connection was not opened with the streaming option",
      );
    }
    return streaming.iterator();
  }
}

/**
 * Header lines as one flat string, `name:value` each, ended by CRLF, as a head arrives: a field
 * name holds no `:` and no line holds a CR or LF (the head parser refuses them), so it splits
 * back unchanged. `join` makes a flat string, so it keeps none of the strings it was made from.
 */
function joinFields(fields: HeaderFields): string {
  const lines: string[] = [];
  for (const [name, value] of fields) lines.push(`${name}:${value}\r\n`);
  return lines.join("");
}

/**
 * The `Headers` of header lines as `joinFields` joins them or as they arrived (the head
 * parser's checks passed: a token name, its colon, the value between optional whitespace,
 * rfc7230#section-3.2); `append` drops that whitespace, as it normalizes every value (Fetch).
 * Several lines of one field are combined with `", "`, as the head parser combines them.
 */
function headersOf(block: string | undefined): Headers {
  const headers = new Headers();
  if (block === undefined) return headers;
  for (let start = 0; start < block.length;) {
    const colon = block.indexOf(":", start);
    const end = block.indexOf("\r\n", colon);
    headers.append(block.slice(start, colon), block.slice(colon + 1, end));
    start = end + 2;
  }
  return headers;
}
