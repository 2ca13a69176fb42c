/**
 * Reading the socket under a connection: only as fast as the handler, inflation and the peer's
 * own reading keep up, and within the shared budget for messages that have not fully arrived.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-7.4.1}
 */

import { CloseCode } from "../protocol/close_code.ts";
import { WebSocketError } from "../protocol/errors.ts";
import type { Session, SessionEvent } from "../protocol/session.ts";
import type { FrameWriter } from "./frame_writer.ts";
import type { InboundQueue } from "./inbound_queue.ts";
import type { IncomingStreams } from "./incoming_streams.ts";
import type { Keepalive } from "./keepalive.ts";
import type { MemoryBudget } from "./memory_budget.ts";
import type { MessageDeflate } from "./message_deflate.ts";
import { noop } from "./noop.ts";
import type { ByteReader } from "./socket_channel.ts";

// Bytes of replies (Pongs, Close) waiting to be written beyond which the socket is not read.
const REPLY_BACKLOG = 1024 * 1024;

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
 * @example
 * ```ts ignore
 * const pump = new ReadPump(reader, session, inbox, undefined, frames, undefined, undefined, budget,
 *   connection, HOOKS);
 * pump.start(head);
 * // when the connection ends:
 * pump.stop();
 * await closeTransport(pump.reader, writer, "server", true, pump.peerClosed(), clock, 10_000);
 * ```
 */
export class ReadPump<Owner> {
  /** The transport's reader; the pump owns it until the transport is closed. */
  readonly reader: ByteReader;
  readonly #session: Session;
  readonly #inbox: InboundQueue;
  readonly #incoming: IncomingStreams | undefined;
  readonly #frames: FrameWriter;
  readonly #deflate: MessageDeflate | undefined;
  readonly #keepalive: Keepalive<Owner> | undefined;
  readonly #budget: MemoryBudget;
  readonly #owner: Owner;
  readonly #hooks: ReadPumpHooks<Owner>;
  // Bytes of unfinished messages counted against the budget.
  #held = 0;
  // Bytes of replies queued by the session since they were last known written. Only replies
  // count: the application's own sends wait for the socket themselves, and counting them would
  // stop reading while both ends send large messages at once, each waiting for the other.
  #replies = 0;
  // Set when the connection has ended: what still arrives is read and dropped.
  #stopped = false;
  #transportEnded = false;
  #transportEndWaiter: (() => void) | undefined;

  /**
   * Creates the pump; {@linkcode ReadPump.prototype.start} starts it.
   *
   * @param reader The transport's reader.
   * @param session Where received bytes go.
   * @param inbox Received messages; its demand paces reading.
   * @param incoming Received message streams, when messages are streamed; their demand paces
   *   reading.
   * @param frames Outgoing frames; replies are flushed promptly and their backlog paces reading.
   * @param deflate The permessage-deflate side, when agreed: reading waits for inflation.
   * @param keepalive Told of every chunk that arrives, when there are keep-alive timers.
   * @param budget The shared budget for bytes of unfinished messages.
   * @param owner What the hooks are called with.
   * @param hooks The connection's reactions.
   */
  constructor(
    reader: ByteReader,
    session: Session,
    inbox: InboundQueue,
    incoming: IncomingStreams | undefined,
    frames: FrameWriter,
    deflate: MessageDeflate | undefined,
    keepalive: Keepalive<Owner> | undefined,
    budget: MemoryBudget,
    owner: Owner,
    hooks: ReadPumpHooks<Owner>,
  ) {
    this.reader = reader;
    this.#session = session;
    this.#inbox = inbox;
    this.#incoming = incoming;
    this.#frames = frames;
    this.#deflate = deflate;
    this.#keepalive = keepalive;
    this.#budget = budget;
    this.#owner = owner;
    this.#hooks = hooks;
  }

  /**
   * Starts reading; the pump runs until the transport's readable ends.
   *
   * @param head Bytes that arrived with the opening handshake, handled first.
   */
  start(head: Uint8Array | undefined): void {
    void this.#run(head);
  }

  /**
   * The connection has ended: gives its bytes back to the budget, stops waiting for the
   * handler and drops whatever still arrives (the pump reads on until the peer closes).
   */
  stop(): void {
    this.#stopped = true;
    this.#budget.adjust(-this.#held);
    this.#held = 0;
  }

  /**
   * When the peer closes its side of the transport.
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
        if (this.#inbox.isFull && !this.#stopped) {
          // A slow consumer: stop reading so TCP pushes back on the peer.
          await this.#inbox.demand();
        }
        // A message stream's reader sets the pace, as the handler does for whole messages.
        const incoming = this.#incoming;
        if (incoming !== undefined) {
          while (incoming.isFull && !this.#stopped) await incoming.demand();
        }
        // While a message is being inflated, read no further ahead.
        const inbound = this.#deflate?.inbound;
        if (inbound !== undefined) await inbound;
        // A peer that sends pings (or anything that needs replies) but never reads them would
        // make the replies pile up: while too much waits to be written, read nothing more.
        if (this.#replies > REPLY_BACKLOG && !this.#stopped) {
          this.#frames.flush();
          await this.#frames.written.catch(noop);
          this.#replies = 0;
        }
        const { value, done } = await this.reader.read();
        if (done) break;
        if (!this.#stopped) this.#receive(value);
      }
    } catch {
      // A reset or a cancelled read: the transport is gone either way.
    }
    this.#transportEnded = true;
    this.#transportEndWaiter?.();
    this.#hooks.ended(this.#owner);
  }

  #receive(chunk: Uint8Array): void {
    this.#keepalive?.heard();
    const pending = this.#session.pendingBytes;
    const events = this.#session.receive(chunk);
    this.#replies += this.#session.pendingBytes - pending;
    this.#hooks.events(this.#owner, events);
    const held = this.#session.heldBytes;
    if (held !== this.#held) {
      if (this.#budget.adjust(held - this.#held)) {
        this.#held = held;
      } else if (!this.#stopped) {
        // rfc6455#section-7.4.1: 1013, try again later: the server as a whole holds too much
        this.#hooks.fail(
          this.#owner,
          new WebSocketError(
            `Cannot hold more of unfinished messages: the budget of ${this.#budget.limit} bytes is used up`,
            CloseCode.TryAgainLater,
          ),
        );
      }
    }
    // Pongs and Close replies go out promptly.
    if (this.#session.pendingBytes > 0) this.#frames.scheduleFlush(!this.#inbox.isEmpty);
  }
}
