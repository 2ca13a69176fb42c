/**
 * Closing the transport under a connection, in the order RFC 6455 gives each role.
 *
 * Every connection goes through this once, so it is one object with one continuation, and the
 * deadline is an entry in the shared queue: no promise of its own, and no race per step.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-7.1.1}
 */

import type { Role } from "../protocol/frame.ts";
import type { Clock } from "./clock.ts";
import { type Deadline, type DeadlineQueue, deadlineQueue } from "./deadline_queue.ts";
import type { TransportReader } from "./read_pump.ts";
import type { ByteWriter } from "./channel_writer.ts";
import { noop } from "./noop.ts";

/**
 * Closes the transport once the connection has ended, then calls `closed(owner)`.
 *
 * Graceful (the closing handshake is done or the connection failed with a Close frame sent):
 * the final writes are let out, then the TCP connection closes in the role's order, all within
 * one deadline: a peer that stops reading could otherwise keep the final writes (and `closed`)
 * pending forever. Past the deadline, or when not graceful, the transport is aborted.
 *
 * @example
 * ```ts ignore
 * closeTransport(reader, writer, "server", true, undefined, REAL_CLOCK, 10_000, parts, done);
 * ```
 * @param reader The transport's reader.
 * @param writer The transport's writer.
 * @param role This endpoint's role.
 * @param graceful Whether to close in order rather than abort.
 * @param peerClosed Settles when the peer has closed its side; `undefined` when it already has.
 * @param clock Where the deadline is measured.
 * @param timeout Milliseconds the graceful close may take.
 * @param owner What `closed` is called with.
 * @param closed Called once the transport is closed.
 */
export function closeTransport<Owner>(
  reader: TransportReader,
  writer: ByteWriter,
  role: Role,
  graceful: boolean,
  peerClosed: Promise<void> | undefined,
  clock: Clock,
  timeout: number,
  owner: Owner,
  closed: (owner: Owner) => void,
): void {
  const closing = new TransportClose(
    reader,
    writer,
    role,
    peerClosed,
    owner as unknown,
    closed as (owner: unknown) => void,
  );
  if (graceful) closing.start(deadlineQueue(clock, timeout));
  else closing.abort();
}

// The steps of a graceful close, in order; each waits for what it started.
const SERVER_END = 0;
const PEER_END = 1;
const CLIENT_END = 2;
const DONE = 3;
// Torn down: what a step still waited for is dropped when it settles.
const ABORTED = 4;

function timedOut(closing: TransportClose): void {
  closing.abort();
}

class TransportClose {
  readonly #reader: TransportReader;
  readonly #writer: ByteWriter;
  readonly #role: Role;
  readonly #peerClosed: Promise<void> | undefined;
  readonly #owner: unknown;
  readonly #closed: (owner: unknown) => void;
  // The step a settled wait goes on to; DONE once the deadline or the end has come.
  #step = SERVER_END;
  // What each wait continues with, made once: a settled wait goes on either way.
  readonly #next: () => void;
  // Reports the end once the reader is let go. (Both continuations are assigned in the
  // constructor: under tsx a named closure gets its name set each time one is made.)
  readonly #finished: () => void;
  #deadlines: DeadlineQueue | undefined;
  #deadline: Deadline | undefined;

  constructor(
    reader: TransportReader,
    writer: ByteWriter,
    role: Role,
    peerClosed: Promise<void> | undefined,
    owner: unknown,
    closed: (owner: unknown) => void,
  ) {
    this.#reader = reader;
    this.#writer = writer;
    this.#role = role;
    this.#peerClosed = peerClosed;
    this.#owner = owner;
    this.#closed = closed;
    this.#next = () => this.step();
    this.#finished = () => this.#closed(this.#owner);
  }

  /** Starts a graceful close, within the deadline. */
  start(deadlines: DeadlineQueue): void {
    // Every connection of a server has the same close timeout: one timer serves them all.
    this.#deadlines = deadlines;
    this.#deadline = deadlines.add(timedOut, this);
    this.step();
  }

  /** Takes the next step of a graceful close, or finishes it. */
  step(): void {
    const next = this.#next;
    while (true) {
      switch (this.#step++) {
        // rfc6455#section-7.1.1: the server closes the TCP connection first; a client waits
        // for the server to do so. A server that has the peer's Close closes at once (its pump
        // stopped reading there: `peerClosed` is undefined), where the transport allows it.
        // Otherwise (it failed the connection, or the transport is an HTTP/2 stream) it keeps
        // reading (and dropping) until the peer closes too, so that unread bytes do not make
        // the kernel reset the connection before the peer has read the Close frame.
        case SERVER_END:
          if (this.#role !== "server") continue;
          this.#writer.close().then(next, next);
          return;
        case PEER_END:
          if (this.#peerClosed === undefined) continue;
          this.#peerClosed.then(next);
          return;
        case CLIENT_END:
          if (this.#role !== "client") continue;
          this.#writer.close().then(next, next);
          return;
        case DONE:
          this.#deadlines!.cancel(this.#deadline!);
          this.#finish();
          return;
        default:
          // The deadline came first: what was waited for settled after the abort.
          return;
      }
    }
  }

  /** Past the deadline, or not graceful: tears the transport down. */
  abort(): void {
    this.#step = ABORTED;
    this.#writer.abort().catch(noop).then(() => this.#finish());
  }

  #finish(): void {
    this.#reader.cancel().then(this.#finished, this.#finished);
  }
}
