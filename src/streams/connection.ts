/**
 * The connection a handler holds: a byte stream bound to a protocol session.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-7.1}
 */

import { CloseCode } from "../protocol/close_code.ts";
import {
  ConnectionClosedError,
  PolicyViolationError,
  TimeoutError,
  WebSocketError,
} from "../protocol/errors.ts";
import type { Role } from "../protocol/frame.ts";
import type { DeflateParams } from "../protocol/permessage_deflate.ts";
import { type Limits, resolveLimits } from "../protocol/limits.ts";
import { decodeUtf8 } from "../protocol/utf8.ts";
import type { Message } from "../protocol/message.ts";
import { type CloseEvent, Session, type SessionEvent } from "../protocol/session.ts";
import type { ByteStream, NetAddr } from "./byte_stream.ts";
import { type MemoryBudget, PARTIAL_MESSAGE_BUDGET } from "./memory_budget.ts";

/** Options of {@linkcode Connection}. */
export interface ConnectionOptions {
  /** Which end this endpoint is. */
  role: Role;
  /**
   * Frame, message and fragment-count limits.
   * @default {DEFAULT_LIMITS}
   */
  limits?: Partial<Limits>;
  /**
   * The negotiated subprotocol.
   * @default {""}
   */
  protocol?: string;
  /**
   * The negotiated extensions, as sent in Sec-WebSocket-Extensions.
   * @default {""}
   */
  extensions?: string;
  /** The URL the connection was opened for (path and query). */
  url?: URL;
  /**
   * The opening handshake's request headers.
   * @default {new Headers()}
   */
  headers?: Headers;
  /**
   * Bytes that arrived with the opening handshake, after its head: the first frames.
   * @default {undefined}
   */
  head?: Uint8Array;
  /**
   * Milliseconds to wait for the peer's part of the closing handshake (its Close frame, and,
   * for a client, the server's TCP close) before dropping the connection with 1006.
   * @default {10_000}
   */
  closeTimeout?: number;
  /**
   * Milliseconds between heartbeat pings; when nothing at all (not even the pong) arrives
   * between two of them, the connection is dropped and `closed` reports a `TimeoutError` with
   * `timeout: "heartbeat"`. 30 s keeps proxies that cut idle connections after about 60 s
   * from doing so, and finds dead peers within a minute. 0 turns it off.
   * @default {30_000}
   */
  heartbeatInterval?: number;
  /**
   * Milliseconds without any data from the peer after which the connection is closed with 1001
   * (`closed` reports a `TimeoutError` with `timeout: "idle"`). Pongs to heartbeat pings count
   * as data, so with the heartbeat on only dead peers go idle. 0 turns it off.
   * @default {0}
   */
  idleTimeout?: number;
  /**
   * permessage-deflate, when negotiated (rfc7692): the compressor and decompressor of this
   * connection, and the size below which messages are sent uncompressed.
   * @default {undefined}
   */
  deflate?: ConnectionDeflate;
  /**
   * What `send` does when more than `limit` bytes are already waiting to be written (not yet
   * taken by the socket): `"wait"` (the promise waits until they are written; the message is
   * kept meanwhile), `"drop"` (the message is dropped and counted in `droppedMessages`) or
   * `"close"` (the connection is closed with 1008). A message is always accepted when nothing
   * is waiting, however large.
   * @default {{ limit: 16_777_216, policy: "wait" }}
   */
  sendBuffer?: SendBufferOptions;
  /**
   * The budget that bytes held in messages not yet fully received count against; a connection
   * that would overdraw it is closed with 1013.
   * @default {PARTIAL_MESSAGE_BUDGET}
   */
  partialMessageBudget?: MemoryBudget;
  /**
   * Bytes of received messages the handler has not read yet beyond which the socket is no
   * longer read (so a slow consumer slows the peer down through TCP).
   * @default {65_536}
   */
  readHighWaterMark?: number;
  /**
   * Bytes of encoded frames not yet handed to the socket beyond which they are handed over
   * at once rather than batched.
   * @default {65_536}
   */
  writeHighWaterMark?: number;
}

/**
 * The send-buffer limit and what happens past it; see {@linkcode ConnectionOptions.sendBuffer}.
 *
 * @example
 * ```ts
 * import type { SendBufferOptions } from "@wsflow/wsflow";
 * const options: SendBufferOptions = { limit: 1 << 20, policy: "drop" };
 * console.log(options.policy);
 * ```
 */
export interface SendBufferOptions {
  /**
   * Bytes waiting to be written beyond which the policy applies.
   * @default {16_777_216}
   */
  limit?: number;
  /**
   * `"wait"`, `"drop"` or `"close"` (1008).
   * @default {"wait"}
   */
  policy?: "wait" | "drop" | "close";
}

/**
 * Compresses one message for permessage-deflate: returns the deflated payload without the
 * trailing 0x00 0x00 0xff 0xff (rfc7692#section-7.2.1).
 *
 * @example
 * ```ts ignore
 * import type { MessageDeflater } from "@wsflow/wsflow";
 * declare const deflater: MessageDeflater;
 * const payload = await deflater.compress(new TextEncoder().encode("Hello"));
 * ```
 */
export interface MessageDeflater {
  /** Compresses one message. */
  compress(data: Uint8Array): Promise<Uint8Array>;
  /** Frees the compressor. */
  close(): void;
}

/**
 * Decompresses one permessage-deflate message (rfc7692#section-7.2.2), failing with a
 * `MessageTooBigError` as soon as the output would exceed `maxBytes`.
 *
 * @example
 * ```ts ignore
 * import type { MessageInflater } from "@wsflow/wsflow";
 * declare const inflater: MessageInflater;
 * const bytes = await inflater.decompress(new Uint8Array([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]), 1024);
 * ```
 */
export interface MessageInflater {
  /** Decompresses one message, appending the 0x00 0x00 0xff 0xff tail. */
  decompress(payload: Uint8Array, maxBytes: number): Promise<Uint8Array>;
  /** Frees the decompressor. */
  close(): void;
}

/**
 * Builds the compressor and decompressor of one connection from the agreed parameters. A
 * `Connection` takes one of each; `role` says which side of {@linkcode DeflateParams} is ours.
 *
 * @example
 * ```ts ignore
 * import { zlibDeflateEngine } from "@wsflow/wsflow/node";
 * const params = {
 *   serverNoContextTakeover: false, clientNoContextTakeover: false,
 *   serverMaxWindowBits: 15, clientMaxWindowBits: 15,
 * };
 * const deflater = zlibDeflateEngine.deflater(params, "server");
 * const payload = await deflater.compress(new TextEncoder().encode("Hello"));
 * deflater.close();
 * ```
 */
export interface DeflateEngine {
  /**
   * The compressor of messages this endpoint sends: our role's window and context takeover.
   * @param params The agreed parameters.
   * @param role This endpoint's role.
   */
  deflater(params: DeflateParams, role: Role): MessageDeflater;
  /**
   * The decompressor of messages the peer sends: the peer's window and context takeover.
   * @param params The agreed parameters.
   * @param role This endpoint's role.
   */
  inflater(params: DeflateParams, role: Role): MessageInflater;
}

/**
 * A connection's permessage-deflate machinery.
 *
 * @example
 * ```ts ignore
 * import type { ConnectionDeflate } from "@wsflow/wsflow";
 * declare const deflate: ConnectionDeflate;
 * console.log(deflate.threshold);
 * ```
 */
export interface ConnectionDeflate {
  /** Compresses outgoing messages. */
  deflater: MessageDeflater;
  /** Decompresses incoming messages. */
  inflater: MessageInflater;
  /** Messages smaller than this many bytes are sent uncompressed. */
  threshold: number;
}

const RESOLVED: Promise<void> = Promise.resolve();
// Bytes waiting to be written beyond which the socket is not read (see #pump).
const REPLY_BACKLOG = 1024 * 1024;
const encoder = new TextEncoder();
const HEARTBEAT = new TextEncoder().encode("wsflow-heartbeat");
const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

interface PendingPing {
  data: Uint8Array;
  start: number;
  resolve: (rtt: number) => void;
  reject: (error: unknown) => void;
}

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
 * ```ts ignore
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

  readonly #session: Session;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #closeTimeout: number;
  readonly #readHighWaterMark: number;
  readonly #writeHighWaterMark: number;
  #resolveClosed!: (event: CloseEvent) => void;
  #closeEvent: CloseEvent | undefined;

  // Received messages not yet read, as a queue with a moving head.
  #queue: Message[] = [];
  #queueHead = 0;
  #queuedBytes = 0;
  #readers: ((result: IteratorResult<Message>) => void)[] = [];
  #demand: (() => void) | undefined;
  #transportEnded = false;
  #transportEndWaiter: (() => void) | undefined;

  #flushScheduled = false;
  #flushes = 0;
  readonly #deflate: ConnectionDeflate | undefined;
  readonly #sendLimit: number;
  readonly #sendPolicy: "wait" | "drop" | "close";
  #inFlight = 0;
  #lastWritten: Promise<void> = RESOLVED;
  #dropped = 0;
  readonly #budget: MemoryBudget;
  #held = 0;
  readonly #maxMessageSize: number;
  // Work of permessage-deflate that later events and sends must wait behind, to keep order.
  #inbound: Promise<void> | undefined;
  #outbound: Promise<void> | undefined;
  // A protocol error, or the peer's Close, waiting until the handler has read the messages
  // that came before it (and answered them).
  #failure: WebSocketError | undefined;
  #failureTimer: ReturnType<typeof setTimeout> | undefined;
  #closeReplyDue = false;
  #congested = false;
  #ready: Promise<void> = RESOLVED;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #heartbeatInterval: number;
  readonly #idleTimeout: number;
  #heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  // Whether anything arrived since the last heartbeat tick, and when the last data arrived.
  #heardSinceTick = true;
  #lastHeard = 0;
  // Set when a timer ends the connection, so `closed` can say which.
  #endedBy: TimeoutError | undefined;
  #pings: PendingPing[] = [];
  #pingCounter = 0;
  #readable: ReadableStream<Message> | undefined;
  #writable: WritableStream<Message> | undefined;

  readonly #flushTask = (): void => {
    this.#flushScheduled = false;
    this.#flush();
  };

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
    this.#closeTimeout = options.closeTimeout ?? 10_000;
    this.#readHighWaterMark = options.readHighWaterMark ?? 65_536;
    this.#writeHighWaterMark = options.writeHighWaterMark ?? 65_536;
    this.#deflate = options.deflate;
    this.#sendLimit = options.sendBuffer?.limit ?? 16 * 1024 * 1024;
    this.#sendPolicy = options.sendBuffer?.policy ?? "wait";
    this.#budget = options.partialMessageBudget ?? PARTIAL_MESSAGE_BUDGET;
    this.#maxMessageSize = resolveLimits(options.limits).maxMessageSize;
    this.#session = new Session({
      role: options.role,
      deferFailure: true,
      deferCloseReply: true,
      perMessageDeflate: options.deflate !== undefined,
      ...(options.limits === undefined ? {} : { limits: options.limits }),
    });
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    this.#heartbeatInterval = options.heartbeatInterval ?? 30_000;
    this.#idleTimeout = options.idleTimeout ?? 0;
    this.#lastHeard = performance.now();
    if (this.#heartbeatInterval > 0) {
      this.#heartbeatTimer = setInterval(() => this.#heartbeat(), this.#heartbeatInterval);
    }
    if (this.#idleTimeout > 0) {
      this.#idleTimer = setTimeout(() => this.#checkIdle(), this.#idleTimeout);
    }
    this.#reader = stream.readable.getReader();
    this.#writer = stream.writable.getWriter();
    this.#writer.closed.then(undefined, () => this.#transportLost());
    void this.#pump(options.head);
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
    return this.#session.pendingBytes + this.#inFlight;
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
    const buffered = this.#session.pendingBytes + this.#inFlight;

    if (
      buffered > 0 && buffered + data.length > this.#sendLimit && this.#closeEvent === undefined
    ) {
      switch (this.#sendPolicy) {
        case "drop":
          this.#dropped++;
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
          this.#flush();
          return this.#lastWritten.then(() => this.send(data));
      }
    }
    // Text may reach the threshold (in bytes) with a third as many UTF-16 units.
    if (
      this.#deflate !== undefined &&
      (this.#outbound !== undefined ||
        (typeof data === "string" ? data.length * 3 : data.length) >= this.#deflate.threshold)
    ) {
      return this.#sendDeflated(data);
    }
    try {
      this.#session.send(data);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#afterWrite();
  }

  /** Compresses (above the threshold) and sends in order behind earlier compressed sends. */
  #sendDeflated(data: Message): Promise<void> {
    const deflate = this.#deflate!;
    // The threshold counts bytes: text is measured as the UTF-8 it is sent as.
    const encoded = typeof data === "string" && data.length < deflate.threshold
      ? encoder.encode(data)
      : undefined;
    const compress = (encoded ?? data).length >= deflate.threshold;
    const previous = this.#outbound ?? RESOLVED;
    const task = previous.then(async (): Promise<void> => {
      if (!compress) {
        this.#session.send(data);
        return;
      }
      const text = typeof data === "string";
      const payload = await deflate.deflater.compress(
        encoded ?? (text ? encoder.encode(data) : data),
      );
      this.#session.sendCompressed(text, payload);
    });
    const tracked = task.then(undefined, noop);
    this.#outbound = tracked;
    void tracked.then(() => {
      if (this.#outbound === tracked) this.#outbound = undefined;
    });
    return task.then(() => this.#afterWrite());
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
    const payload = data === undefined
      ? new TextEncoder().encode(`wsflow-${++this.#pingCounter}`)
      : typeof data === "string"
      ? new TextEncoder().encode(data)
      : data.slice();
    try {
      this.#session.ping(payload);
    } catch (error) {
      return Promise.reject(error);
    }
    const { promise, resolve, reject } = withResolvers<number>();
    this.#pings.push({ data: payload, start: performance.now(), resolve, reject });
    this.#flush();
    return promise;
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
    if (this.#outbound !== undefined) {
      // Messages still being compressed go first.
      return this.#outbound.then(() => this.close(code, reason));
    }
    if (this.#closeReplyDue) {
      // The peer already sent its Close: answering it ends the closing handshake.
      this.#applyCloseReply();
      return this.closed;
    }
    if (this.#closeEvent === undefined && this.#session.readyState === "open") {
      try {
        this.#session.close(code ?? (reason ? CloseCode.NormalClosure : undefined), reason);
      } catch (error) {
        return Promise.reject(error);
      }
      this.#flush();
      this.#closeTimer = setTimeout(() => this.#timeOut(), this.#closeTimeout);
    }
    return this.closed;
  }

  /**
   * Drops the connection without a closing handshake: the connection ends with 1006.
   */
  terminate(): void {
    if (this.#closeEvent !== undefined) return;
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
    this.#readable ??= new ReadableStream<Message>({
      pull: async (controller): Promise<void> => {
        const result = await this.#next();
        if (result.done) controller.close();
        else controller.enqueue(result.value);
      },
      cancel: async (): Promise<void> => {
        await this.close();
      },
    }, { highWaterMark: 0 });
    return this.#readable;
  }

  /**
   * A sink for messages (WebSocketStream's shape): each chunk is sent as one message, with
   * backpressure; closing it closes the connection with 1000.
   *
   * @returns The stream.
   */
  get writable(): WritableStream<Message> {
    this.#writable ??= new WritableStream<Message>({
      write: (chunk): Promise<void> => this.send(chunk),
      close: async (): Promise<void> => {
        await this.close(CloseCode.NormalClosure);
      },
      abort: async (): Promise<void> => {
        await this.close(CloseCode.NormalClosure);
      },
    });
    return this.#writable;
  }

  /**
   * Iterates over received messages until the connection closes. Messages that arrived before
   * the close are still delivered. Leaving the loop early does not close the connection.
   *
   * @returns An async iterator of messages.
   */
  [Symbol.asyncIterator](): AsyncIterator<Message> {
    return {
      next: (): Promise<IteratorResult<Message>> => this.#next(),
      return: (): Promise<IteratorResult<Message>> => Promise.resolve(DONE),
    };
  }

  #next(): Promise<IteratorResult<Message>> {
    if (this.#queueHead < this.#queue.length) {
      return Promise.resolve({ done: false, value: this.#shift() });
    }
    // The handler has dealt with everything that arrived: send what it queued in one write.
    if (this.#session.pendingBytes > 0) this.#flush();
    if (this.#failure !== undefined) this.#applyFailure();
    if (this.#closeReplyDue) this.#applyCloseReply();
    if (this.#closeEvent !== undefined) return Promise.resolve(DONE);
    return new Promise((resolve) => this.#readers.push(resolve));
  }

  #shift(): Message {
    const message = this.#queue[this.#queueHead]!;
    this.#queue[this.#queueHead++] = "";
    if (this.#queueHead === this.#queue.length) {
      this.#queue = [];
      this.#queueHead = 0;
    }
    this.#queuedBytes -= message.length;
    if (this.#demand !== undefined && this.#queuedBytes < this.#readHighWaterMark) {
      const demand = this.#demand;
      this.#demand = undefined;
      demand();
    }
    return message;
  }

  async #pump(head: Uint8Array | undefined): Promise<void> {
    if (head !== undefined && head.length > 0) this.#receive(head);
    try {
      while (true) {
        if (this.#queuedBytes >= this.#readHighWaterMark && this.#closeEvent === undefined) {
          // A slow consumer: stop reading so TCP pushes back on the peer.
          await new Promise<void>((resolve) => this.#demand = resolve);
        }
        // While a message is being inflated, read no further ahead.
        if (this.#inbound !== undefined) await this.#inbound;
        // A peer that sends pings (or anything that needs replies) but never reads them would
        // make the replies pile up: while too much waits to be written, read nothing more.
        while (
          this.#session.pendingBytes + this.#inFlight > REPLY_BACKLOG &&
          this.#closeEvent === undefined
        ) {
          this.#flush();
          await this.#lastWritten.catch(noop);
        }
        const { value, done } = await this.#reader.read();
        if (done) break;
        if (this.#closeEvent === undefined) this.#receive(value);
      }
    } catch {
      // A reset or a cancelled read: the transport is gone either way.
    }
    this.#transportEnded = true;
    this.#transportEndWaiter?.();
    this.#transportLost();
  }

  #receive(chunk: Uint8Array): void {
    this.#heardSinceTick = true;
    if (this.#idleTimer !== undefined) this.#lastHeard = performance.now();
    this.#handle(this.#session.receive(chunk));
    const held = this.#session.heldBytes;
    if (held !== this.#held) {
      if (this.#budget.adjust(held - this.#held)) {
        this.#held = held;
      } else if (this.#closeEvent === undefined) {
        // rfc6455#section-7.4.1: 1013, try again later: the server as a whole holds too much
        this.#applyPolicyFailure(
          new WebSocketError(
            `Cannot hold more of unfinished messages: the budget of ${this.#budget.limit} bytes is used up`,
            CloseCode.TryAgainLater,
          ),
        );
      }
    }
    // Pongs and Close replies go out promptly.
    if (this.#session.pendingBytes > 0) this.#scheduleFlush();
  }

  /** Handles session events in order, waiting behind any message still being inflated. */
  #handle(events: readonly SessionEvent[]): void {
    if (events.length === 0) return;
    if (this.#inbound !== undefined) {
      this.#trackInbound(this.#inbound.then(() => this.#run(events, 0)));
      return;
    }
    const pending = this.#run(events, 0);
    if (pending !== undefined) this.#trackInbound(pending);
  }

  #trackInbound(pending: Promise<void>): void {
    this.#inbound = pending;
    void pending.then(() => {
      if (this.#inbound === pending) this.#inbound = undefined;
    });
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
          return this.#inflate(event.text, event.data).then((error) => {
            if (error === undefined) return this.#run(events, i + 1, true);
            // Fails like a protocol error: after what arrived before it has been answered.
            this.#deferFailure(error, delivered);
            return undefined;
          });
        case "pong":
          this.#settlePings(event.data);
          break;
        case "closed":
          this.#end(event.event, true);
          break;
        case "error":
          this.#deferFailure(event.error, delivered);
          break;
        case "closing":
          // rfc6455#section-5.5.1: the Close reply may wait until the messages that arrived
          // before the peer's Close have been read and answered
          this.#closeReplyDue = true;
          if (!delivered && this.#queueHead === this.#queue.length) this.#applyCloseReply();
          else {
            this.#failureTimer = setTimeout(() => this.#applyCloseReply(), this.#closeTimeout);
          }
          break;
        case "ping":
          break;
      }
    }
    return undefined;
  }

  #applyCloseReply(): void {
    if (!this.#closeReplyDue) return;
    this.#closeReplyDue = false;
    if (this.#failureTimer !== undefined) clearTimeout(this.#failureTimer);
    if (this.#outbound !== undefined) {
      // Replies still being compressed go first.
      void this.#outbound.then(() => this.#handle(this.#session.replyToClose()));
      return;
    }
    this.#flush();
    this.#handle(this.#session.replyToClose());
  }

  #deliver(data: Message): void {
    if (this.#closeEvent !== undefined) return;
    if (this.#readers.length > 0) {
      this.#readers.shift()!({ done: false, value: data });
    } else {
      this.#queue.push(data);
      this.#queuedBytes += data.length;
    }
  }

  /** Inflates and delivers one message; returns the error when it cannot be. */
  async #inflate(text: boolean, payload: Uint8Array): Promise<unknown> {
    if (this.#closeEvent !== undefined || this.#deflate === undefined) return undefined;
    let message: Message;
    try {
      // The message size limit applies to the inflated bytes, checked while inflating
      // (a small compressed bomb fails with 1009 without being inflated).
      const bytes = await this.#deflate.inflater.decompress(payload, this.#maxMessageSize);
      message = text ? decodeUtf8(bytes) : bytes;
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
    this.#failure = error instanceof WebSocketError
      ? error
      : new WebSocketError("Cannot continue: internal error", CloseCode.InternalError, {
        cause: error,
      });
    if (!delivered && this.#queueHead === this.#queue.length) this.#applyFailure();
    else this.#failureTimer = setTimeout(() => this.#applyFailure(), this.#closeTimeout);
  }

  /** Fails the connection now because of a local limit. */
  #applyPolicyFailure(error: WebSocketError): void {
    this.#flush();
    this.#handle(this.#session.fail(error));
  }

  #applyFailure(): void {
    const error = this.#failure;
    if (error === undefined) return;
    if (this.#outbound !== undefined) {
      // Answers still being compressed go out before the Close.
      void this.#outbound.then(() => this.#applyFailure());
      return;
    }
    this.#failure = undefined;
    if (this.#failureTimer !== undefined) clearTimeout(this.#failureTimer);
    this.#flush();
    this.#handle(this.#session.fail(error));
  }

  #settlePings(data: Uint8Array): void {
    const index = this.#pings.findIndex((ping) => sameBytes(ping.data, data));
    if (index === -1) return;
    // rfc6455#section-5.5.3: a peer may answer only the most recent of several Pings, so a
    // Pong also settles the Pings sent before the one it answers.
    const now = performance.now();
    for (const ping of this.#pings.splice(0, index + 1)) ping.resolve(now - ping.start);
  }

  #afterWrite(): Promise<void> {
    if (this.#session.pendingBytes >= this.#writeHighWaterMark) this.#flush();
    else this.#scheduleFlush();
    return this.#congested ? this.#ready : RESOLVED;
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    // While received messages wait to be read, the handler is working through a batch and
    // flushes when it asks for more; the timer only covers a handler that stops reading.
    if (this.#queueHead < this.#queue.length) setTimeout(this.#flushTask, 0);
    else queueMicrotask(this.#flushTask);
  }

  #flush(): void {
    this.#flushScheduled = false;
    const chunks = this.#session.takeOutgoing();
    if (chunks === undefined) return;
    const writer = this.#writer;
    let written: Promise<void> = RESOLVED;
    let bytes = 0;
    for (const chunk of chunks) {
      bytes += chunk.length;
      written = writer.write(chunk);
      written.catch(noop); // failures surface through writer.closed
    }
    this.#inFlight += bytes;
    const generation = ++this.#flushes;
    this.#lastWritten = written.then(() => {
      this.#inFlight -= bytes;
      // Once the last write completes (and no later flush happened) the socket holds none of
      // the session's output buffer any more, so it can be reused rather than reallocated.
      if (generation === this.#flushes) this.#session.releaseOutgoing();
    }, (error: unknown) => {
      this.#inFlight -= bytes;
      throw this.#closeEvent === undefined ? error : this.#closedError();
    });
    this.#lastWritten.catch(noop);
    if (!this.#congested && (writer.desiredSize ?? 1) <= 0) {
      this.#congested = true;
      this.#ready = writer.ready.then(() => {
        this.#congested = false;
      }, (error: unknown) => {
        this.#congested = false;
        throw this.#closeEvent === undefined ? error : this.#closedError();
      });
      this.#ready.catch(noop);
    }
  }

  #timeOut(): void {
    this.#closeTimer = undefined;
    if (this.#closeEvent !== undefined) return;
    // rfc6455#section-7.1.1: the peer did not complete the closing handshake in time
    this.#end({
      code: CloseCode.AbnormalClosure,
      reason: "",
      wasClean: false,
      error: new TimeoutError(
        "close",
        `Cannot close cleanly: the peer did not answer the Close frame within ${this.#closeTimeout} ms`,
      ),
    }, false);
  }

  #heartbeat(): void {
    if (this.#closeEvent !== undefined || this.#session.readyState !== "open") return;
    if (!this.#heardSinceTick) {
      // Nothing arrived for a whole interval, not even the pong to the last heartbeat ping.
      this.#end({
        code: CloseCode.AbnormalClosure,
        reason: "",
        wasClean: false,
        error: new TimeoutError(
          "heartbeat",
          `Cannot keep connection: nothing arrived for ${this.#heartbeatInterval} ms, not even a pong`,
        ),
      }, false);
      return;
    }
    this.#heardSinceTick = false;
    try {
      this.#session.ping(HEARTBEAT);
      this.#flush();
    } catch {
      // closing already
    }
  }

  #checkIdle(): void {
    this.#idleTimer = undefined;
    if (this.#closeEvent !== undefined || this.#session.readyState !== "open") return;
    const quiet = performance.now() - this.#lastHeard;
    if (quiet < this.#idleTimeout) {
      this.#idleTimer = setTimeout(() => this.#checkIdle(), this.#idleTimeout - quiet);
      return;
    }
    this.#endedBy = new TimeoutError(
      "idle",
      `Cannot keep connection: nothing arrived for ${this.#idleTimeout} ms`,
      CloseCode.GoingAway,
    );
    this.close(CloseCode.GoingAway, "idle timeout").catch(noop);
  }

  #transportLost(): void {
    if (this.#closeEvent !== undefined) return;
    this.#handle(this.#session.transportClosed());
  }

  /** Ends the connection once: settles everything that waits, then closes the transport. */
  #end(event: CloseEvent, graceful: boolean): void {
    if (this.#closeEvent !== undefined) return;
    if (this.#endedBy !== undefined && event.error === undefined) {
      event = { ...event, error: this.#endedBy };
    }
    this.#closeEvent = event;
    if (this.#heartbeatTimer !== undefined) clearInterval(this.#heartbeatTimer);
    this.#budget.adjust(-this.#held);
    this.#held = 0;
    this.#deflate?.deflater.close();
    this.#deflate?.inflater.close();
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    if (this.#session.readyState !== "closed") this.#session.transportClosed();
    if (this.#closeTimer !== undefined) clearTimeout(this.#closeTimer);
    if (this.#failureTimer !== undefined) clearTimeout(this.#failureTimer);
    this.#failure = undefined;
    this.#closeReplyDue = false;
    const error = this.#closedError();
    for (const ping of this.#pings) ping.reject(error);
    this.#pings = [];
    for (const reader of this.#readers) reader(DONE);
    this.#readers = [];
    this.#demand?.();
    this.#demand = undefined;
    if (graceful) this.#flush();
    void this.#closeTransport(graceful).then(() => this.#resolveClosed(event));
  }

  async #closeTransport(graceful: boolean): Promise<void> {
    if (graceful) {
      // One deadline for the whole graceful close: a peer that stops reading could otherwise
      // keep the final writes (and `closed`) pending forever.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), this.#closeTimeout);
      });
      const inTime = <T>(promise: Promise<T>): Promise<T | false> =>
        Promise.race([promise, deadline]);
      // rfc6455#section-7.1.1: the server closes the TCP connection first; a client waits for
      // the server to do so. A server keeps reading (and dropping) until the peer closes too,
      // so unread bytes do not make the kernel reset the connection before the Close frame
      // is read.
      let clean = true;
      if (this.#session.role === "server") {
        clean = await inTime(this.#writer.close().then(() => true, () => true));
      }
      if (clean && !this.#transportEnded) {
        clean = await inTime(
          new Promise<true>((resolve) => this.#transportEndWaiter = () => resolve(true)),
        );
      }
      if (clean && this.#session.role === "client") {
        clean = await inTime(this.#writer.close().then(() => true, () => true));
      }
      clearTimeout(timer);
      if (!clean) await this.#writer.abort().catch(noop);
    } else {
      await this.#writer.abort().catch(noop);
    }
    await this.#reader.cancel().catch(noop);
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

function noop(): void {}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function withResolvers<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
