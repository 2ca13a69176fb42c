/**
 * Reading the socket under a connection: only as fast as the handler, inflation and the peer's
 * own reading keep up, and within the shared budget for messages that have not fully arrived.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-7.4.1}
 */

import { CloseCode } from "../protocol/close_code.ts";
import { WebSocketError } from "../protocol/errors.ts";
import type { Session } from "../protocol/session.ts";
import type { SessionEvent } from "../protocol/session_events.ts";
import type { ByteStream } from "./byte_stream.ts";
import type { FrameWriter } from "./frame_writer.ts";
import type { InboundQueue } from "./inbound_queue.ts";
import type { IncomingStreams } from "./incoming_streams.ts";
import type { MemoryBudget } from "./memory_budget.ts";
import type { MessageDeflate } from "./message_deflate.ts";
import { noop } from "./noop.ts";
import { type ByteReader, readerOf, type ReadSink } from "./socket_channel.ts";

// Bytes of replies (Pongs, Close) waiting to be written beyond which the socket is not read.
const REPLY_BACKLOG = 1024 * 1024;
// Sizes of the buffers a BYOB transport is read into: small for a connection that mostly
// idles (its pending read holds one all the while), doubled while reads fill them.
const MIN_READ = 1024;
const MAX_READ = 64 * 1024;
// While a frame spans reads (a large message), reads may grow further: fewer reads (each an
// async op on Deno) for the same bytes. Back to MAX_READ once nothing is held.
const MAX_HELD_READ = 256 * 1024;
const NO_EVENTS: readonly SessionEvent[] = [];
// ReadPump's flags.
const STOPPED = 1;
const TRANSPORT_ENDED = 2;

// The state of a BYOB transport's reads.
interface OwnBufferReads {
  // The buffer the next read may reuse.
  spare: ArrayBuffer | undefined;
  // The size to read.
  size: number;
  // The last read went into what was left of the reader's own buffer (the request head's, on
  // Deno): not the pump's to read into again.
  borrowed: boolean;
}

/**
 * The reader of a connection's transport: a BYOB reader when the transport says its readable
 * is a byte stream ({@linkcode ByteStream.byob}), otherwise its socket's own (which may read
 * into the caller's buffer too) or its readable's default one.
 *
 * @example
 * ```ts ignore
 * const reader = transportReader(stream);
 * ```
 */
export type TransportReader = ByteReader | ReadableStreamBYOBReader;

/**
 * Takes the reader of a connection's transport.
 *
 * @example
 * ```ts ignore
 * const pump = new ReadPump(transportReader(stream), session, ...);
 * ```
 * @param stream The transport.
 * @returns A BYOB reader when `stream.byob` is set, otherwise what `readerOf` gives.
 */
export function transportReader(stream: ByteStream): TransportReader {
  return stream.byob === true ? stream.readable.getReader({ mode: "byob" }) : readerOf(stream);
}

/**
 * What a {@linkcode ReadPump} hands back to the connection that owns it. Each function takes
 * the owner as an argument, so one object serves every connection rather than closures each.
 *
 * @example
 * ```ts ignore
 * const hooks: ReadPumpHooks<Connection> = {
 *   events: (connection, events) => connection.handle(events),
 *   fail: (connection, error) => connection.fail(error),
 *   ended: (connection) => connection.transportLost(),
 * };
 * ```
 */
export interface ReadPumpHooks<Owner> {
  /** Handles the session events that one chunk of bytes produced. */
  events(owner: Owner, events: readonly SessionEvent[]): void;
  /** Fails the connection now because of a local limit (the budget). */
  fail(owner: Owner, error: WebSocketError): void;
  /** The transport's readable ended, or failed: the peer is gone. */
  ended(owner: Owner): void;
}

/**
 * The parts of a connection a {@linkcode ReadPump} reads from and paces itself by: its owner
 * holds them, and the pump reaches them through it rather than keeping its own copies (an idle
 * connection holds one pointer for them, not six).
 *
 * @example
 * ```ts ignore
 * const parts: PumpParts = { session, inbox, streaming: undefined, frames, deflate: undefined,
 *   keepalive: undefined, budget, readHooks };
 * ```
 */
export interface PumpParts {
  /** Where received bytes go. */
  readonly session: Session;
  /** Received messages; its demand paces reading. */
  readonly inbox: InboundQueue;
  /** Receiving messages as streams, when they are: their demand paces reading. */
  readonly streaming: { readonly incoming: IncomingStreams } | undefined;
  /** Outgoing frames; replies are flushed promptly and their backlog paces reading. */
  readonly frames: FrameWriter;
  /** The permessage-deflate side, when agreed: reading waits for inflation. */
  readonly deflate: MessageDeflate | undefined;
  /** Told of every chunk that arrives, when there are keep-alive timers. */
  readonly keepalive: { heard(): void } | undefined;
  /** The budget for bytes of unfinished messages, shared by a server's connections. */
  readonly budget: MemoryBudget;
  /** The connection's reactions, called with these parts. */
  readonly readHooks: ReadPumpHooks<this>;
}

/**
 * The read side of one connection: a loop that reads the transport and feeds the session.
 *
 * Three things make it stop reading for a while, so TCP slows the peer down:
 * - the handler has fallen behind (the inbound queue is past its high-water mark, or, for
 *   messages received as streams, the current stream is);
 * - a message is being inflated (reading no further ahead than that message);
 * - more than 1 MiB of replies (Pongs, Close) waits to be written: a peer that sends Pings but
 *   never reads the Pongs would otherwise make them pile up.
 *
 * After every chunk it counts the bytes the session holds in unfinished messages against the
 * shared {@linkcode MemoryBudget}; a chunk that would overdraw it fails the connection with 1013
 * (try again later).
 *
 * A BYOB transport is read into a buffer of the pump's own, which is read into again as long as
 * nothing that was handed on keeps a view of it: no message or control payload made of its bytes
 * and no fragments of an unfinished message held as views (streamed message bytes, and the frame
 * the parser is reading, are copied on). Otherwise
 * the buffer is left to its views and the next read gets a new one.
 *
 * A socket that pushes its bytes (a reader with `listen`: Node's and Bun's sockets) is not read
 * in a loop: the pump is its {@linkcode ReadSink}, handed each chunk as it arrives, and it says
 * "no more for now" while one of the waits above holds, and listens again once it is over. An
 * idle connection then holds no suspended async function and no pending read. Other transports
 * (any `{ readable, writable }`, and Deno's sockets, read into the pump's buffer) are read in a
 * loop, with the same waits before each read.
 *
 * @example
 * ```ts ignore
 * const pump = new ReadPump(reader, parts);
 * pump.start(head);
 * // when the connection ends:
 * pump.stop();
 * await closeTransport(pump.reader, writer, "server", true, pump.peerClosed(), clock, 10_000);
 * ```
 */
export class ReadPump<Owner extends PumpParts> implements ReadSink {
  /** The transport's reader; the pump owns it until the transport is closed. */
  readonly reader: TransportReader;
  // The connection's parts; the budget and the hooks are reached through them, not held here.
  readonly #owner: Owner;
  // Bytes of unfinished messages counted against the budget.
  #held = 0;
  // Bytes of replies queued by the session since they were last known written. Only replies
  // count: the application's own sends wait for the socket themselves, and counting them would
  // stop reading while both ends send large messages at once, each waiting for the other.
  #replies = 0;
  // STOPPED and TRANSPORT_ENDED: one field for both (8 bytes each on Node).
  #flags = 0;
  #transportEndWaiter: (() => void) | undefined;
  // A BYOB transport's reads (Deno's); none for a transport that pushes or reads into buffers
  // of its own (Node's, Bun's): three fields fewer on each of their connections.
  readonly #own: OwnBufferReads | undefined;

  // Set when the connection has ended: what still arrives is read and dropped.
  get #stopped(): boolean {
    return (this.#flags & STOPPED) !== 0;
  }

  // Set once reading has ended: the peer's end, a failure, or the peer's Close (#closeHeard).
  get #transportEnded(): boolean {
    return (this.#flags & TRANSPORT_ENDED) !== 0;
  }

  /**
   * Creates the pump; {@linkcode ReadPump.prototype.start} starts it.
   *
   * @param reader The transport's reader.
   * @param owner The connection's parts, which its hooks are called with.
   */
  constructor(reader: TransportReader, owner: Owner) {
    this.reader = reader;
    const byob = "readInto" in reader ||
      (typeof ReadableStreamBYOBReader === "function" &&
        reader instanceof ReadableStreamBYOBReader);
    if (byob) this.#own = { spare: undefined, size: MIN_READ, borrowed: false };
    this.#owner = owner;
  }

  /**
   * Starts reading; the pump runs until the transport's readable ends.
   *
   * @param head Bytes that arrived with the opening handshake, handled first.
   */
  start(head: Uint8Array | undefined): void {
    const reader = this.reader;
    if ("listen" in reader && reader.listen !== undefined) {
      if (head !== undefined && head.length > 0 && !this.pushed(head)) return;
      reader.listen(this);
      return;
    }
    void this.#run(head);
  }

  /**
   * A pushing socket's next chunk (the pump is its {@linkcode ReadSink}).
   *
   * @param chunk The bytes.
   * @returns Whether it takes more now; otherwise it listens again once it does.
   */
  pushed(chunk: Uint8Array): boolean {
    if (this.#transportEnded) return false;
    try {
      if (!this.#stopped) this.#receive(chunk);
    } catch {
      // As the read loop: a failure here ends reading.
      this.#end();
      return false;
    }
    if (this.#closeHeard()) return false;
    if (!this.#mustWait()) return true;
    void this.#waitThenListen();
    return false;
  }

  /** A pushing socket's reading has ended: the peer is gone, or reading was cancelled. */
  ended(): void {
    this.#end();
  }

  /**
   * The connection has ended: gives its bytes back to the budget, stops waiting for the
   * handler and drops whatever still arrives (the pump reads on until the peer closes, unless
   * it stopped at the peer's Close).
   */
  stop(): void {
    this.#flags |= STOPPED;
    this.#owner.budget.adjust(-this.#held);
    this.#held = 0;
  }

  /**
   * When the peer closes its side of the transport, or reading stopped at its Close frame
   * (a server over a transport that {@linkcode ByteReader.closesAtOnce}): what a graceful close
   * waits for before it lets go of the transport.
   *
   * @returns A promise that settles then, or `undefined` when it already has.
   */
  peerClosed(): Promise<void> | undefined {
    if (this.#transportEnded) return undefined;
    return new Promise<void>((resolve) => this.#transportEndWaiter = resolve);
  }

  async #run(head: Uint8Array | undefined): Promise<void> {
    if (head !== undefined && head.length > 0) this.#receive(head);
    try {
      while (true) {
        // Reading has stopped at the peer's Close, with no read left pending: done.
        if (this.#closeHeard()) return;
        if (this.#mustWait()) await this.#waitForDemand();
        const own = this.#own;
        if (own !== undefined) {
          const { value, done } = await this.#readOwn(this.reader, own);
          if (done) break;
          this.#recycle(value, this.#stopped ? NO_EVENTS : this.#receive(value), own);
          continue;
        }
        const { value, done } = await (this.reader as ByteReader).read();
        if (done) break;
        if (!this.#stopped) this.#receive(value);
      }
    } catch {
      // A reset or a cancelled read: the transport is gone either way.
    }
    this.#end();
  }

  /**
   * rfc6455#section-7.1.1: once a server has the peer's Close frame, nothing the peer sends is
   * processed any more (rfc6455#section-1.4), the closing handshake is done as soon as it has
   * replied, and then "the server MUST close the underlying TCP connection immediately". Over a
   * transport that may be closed before the peer's end, reading stops here: no read waits for
   * that end (on Deno, closing under a pending read makes it fail with an error, which costs
   * more than the close), and the close does not wait for it. A client, or a server over an
   * HTTP/2 stream, reads on (dropping what comes) until the peer ends.
   *
   * @returns Whether reading has stopped.
   */
  #closeHeard(): boolean {
    const session = this.#owner.session;
    if (!session.closeReceived || session.role !== "server") return false;
    const reader = this.reader;
    if (!("closesAtOnce" in reader) || reader.closesAtOnce !== true) return false;
    this.#flags |= TRANSPORT_ENDED;
    this.#transportEndWaiter?.();
    return true;
  }

  /** Whether one of the waits of {@linkcode ReadPump.prototype.#waitForDemand} holds now. */
  #mustWait(): boolean {
    const owner = this.#owner;
    if (owner.deflate?.inbound !== undefined) return true;
    if (this.#stopped) return false;
    return owner.inbox.isFull || owner.streaming?.incoming.isFull === true ||
      this.#replies > REPLY_BACKLOG;
  }

  /** Waits until the socket may be read again. */
  async #waitForDemand(): Promise<void> {
    const owner = this.#owner;
    if (owner.inbox.isFull && !this.#stopped) {
      // A slow consumer: stop reading so TCP pushes back on the peer.
      await owner.inbox.demand();
    }
    // A message stream's reader sets the pace, as the handler does for whole messages.
    const incoming = owner.streaming?.incoming;
    if (incoming !== undefined) {
      while (incoming.isFull && !this.#stopped) await incoming.demand();
    }
    // While a message is being inflated, read no further ahead.
    const inbound = owner.deflate?.inbound;
    if (inbound !== undefined) await inbound;
    // A peer that sends pings (or anything that needs replies) but never reads them would
    // make the replies pile up: while too much waits to be written, read nothing more.
    if (this.#replies > REPLY_BACKLOG && !this.#stopped) {
      owner.frames.flush();
      await owner.frames.written.catch(noop);
      this.#replies = 0;
    }
  }

  /** A pushing socket: waits as the read loop would before its next read, then listens again. */
  async #waitThenListen(): Promise<void> {
    try {
      await this.#waitForDemand();
    } catch {
      this.#end();
      return;
    }
    (this.reader as ByteReader).listen!(this);
  }

  /** The transport's reading has ended, however: once. */
  #end(): void {
    if (this.#transportEnded) return;
    this.#flags |= TRANSPORT_ENDED;
    this.#transportEndWaiter?.();
    const owner = this.#owner;
    owner.readHooks.ended(owner);
  }

  /** Reads a BYOB transport into the spare buffer, or a new one. */
  #readOwn(
    reader: TransportReader,
    own: OwnBufferReads,
  ): Promise<ReadableStreamReadResult<Uint8Array>> {
    const size = own.size;
    const spare = own.spare;
    own.spare = undefined;
    // What the head's read left of its buffer first, while enough is left: on Deno, allocating
    // a buffer costs about as much as a read.
    if (spare === undefined && "readSpare" in reader && reader.readSpare !== undefined) {
      const reading = reader.readSpare(size >> 1);
      own.borrowed = reading !== undefined;
      if (reading !== undefined) return reading;
    }
    // A spare much larger than needed is let go too, so an idle connection waits on a small one.
    const buffer = spare !== undefined && spare.byteLength >= size && spare.byteLength <= 2 * size
      ? spare
      : new ArrayBuffer(size);
    const view = new Uint8Array(buffer, 0, size);
    // A socket's own reader reads into the view; a BYOB reader takes it over and gives it back.
    return "readInto" in reader ? reader.readInto!(view) : reader.read(view);
  }

  /** After a BYOB read: keeps its buffer for the next read unless something still refers to it. */
  #recycle(chunk: Uint8Array, events: readonly SessionEvent[], own: OwnBufferReads): void {
    const size = own.size;
    const cap = this.#owner.session.heldBytes > 0 ? MAX_HELD_READ : MAX_READ;
    if (size > cap) own.size = cap;
    else if (chunk.length === size && size < cap) own.size = size * 2;
    else if (chunk.length < size >> 2 && size > MIN_READ) own.size = size >> 1;
    // Events still waiting for an inflation to finish are handled later: keep off until then.
    if (
      !own.borrowed && this.#owner.deflate?.inbound === undefined &&
      !this.#retained(chunk.buffer, events)
    ) {
      own.spare = chunk.buffer as ArrayBuffer;
    }
  }

  /**
   * Whether the session or the connection may still refer to `buffer`: fragments of an
   * unfinished message are held as views, or an event carries a payload that is a view of it.
   * Streamed message bytes (`streamData`) are not counted: they are copied before they are
   * handed on; nor is the frame being read, which the parser copies as it arrives.
   */
  #retained(buffer: ArrayBufferLike, events: readonly SessionEvent[]): boolean {
    if (this.#owner.session.holdsViews) return true;
    for (const event of events) {
      switch (event.type) {
        case "message":
          if (typeof event.data !== "string" && event.data.buffer === buffer) return true;
          break;
        case "compressed":
        case "ping":
        case "pong":
          if (event.data.buffer === buffer) return true;
          break;
      }
    }
    return false;
  }

  /** Feeds `chunk` to the session and hands on its events; returns them. */
  #receive(chunk: Uint8Array): readonly SessionEvent[] {
    const owner = this.#owner;
    const session = owner.session;
    owner.keepalive?.heard();
    const pending = session.pendingBytes;
    const events = session.receive(chunk);
    this.#replies += session.pendingBytes - pending;
    owner.readHooks.events(owner, events);
    const held = session.heldBytes;
    if (held !== this.#held) {
      const budget = owner.budget;
      if (budget.adjust(held - this.#held)) {
        this.#held = held;
      } else if (!this.#stopped) {
        // rfc6455#section-7.4.1: 1013, try again later: the server as a whole holds too much
        owner.readHooks.fail(
          owner,
          new WebSocketError(
            `Cannot hold more of unfinished messages: the budget of ${budget.limit} bytes is used up`,
            CloseCode.TryAgainLater,
          ),
        );
      }
    }
    // Pongs and Close replies go out promptly.
    if (session.pendingBytes > 0) owner.frames.scheduleFlush(!owner.inbox.isEmpty);
    return events;
  }
}
