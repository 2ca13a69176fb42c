/**
 * Moving a session's encoded frames to the socket: batching, bytes in flight and congestion.
 *
 * @module
 */

import type { Session } from "../protocol/session.ts";
import type { ByteWriter, WriteDone } from "./channel_writer.ts";

const RESOLVED: Promise<void> = Promise.resolve();
// FrameWriter's flags.
const FLUSH_SCHEDULED = 1; // a flush is due (scheduleFlush)
const IN_TURN = 2; // in the list of writers flushed at the end of this turn

function noop(): void {}

// Frames published to many connections go out together once per turn of the event loop
// (uWS's design): a publisher that sends many messages in one turn costs each subscriber one
// write, not one per message. setImmediate runs after the turn's I/O; every runtime has it,
// but it is not a web standard, so a timer stands in where it is missing.
const nextTurn: (task: () => void) => unknown =
  (globalThis as { setImmediate?: (task: () => void) => unknown }).setImmediate ??
    ((task) => setTimeout(task, 0));
let turn: FrameWriter[] = [];

function flushTurn(): void {
  const writers = turn;
  turn = [];
  for (const writer of writers) writer.flushTurn();
}

// Writers with a flush due in a microtask, flushed by one task for all of them: a writer holds
// no closure of its own for it (a connection kept one for as long as it lived, once it had
// sent anything: about 100 bytes on V8).
let soon: FrameWriter[] = [];

function flushSoon(): void {
  const writers = soon;
  soon = [];
  for (const writer of writers) writer.flushIfScheduled();
}

/**
 * Writes what a {@linkcode Session} has queued to the transport's writer.
 *
 * Output is batched: a send schedules one flush (a microtask, or a macrotask while received
 * messages still wait to be handled, since the handler then flushes when it asks for more), and
 * everything queued by then goes out in one write. Once the last write completes the session
 * may reuse its output buffer (`releaseOutgoing`). While the writer applies backpressure,
 * {@linkcode FrameWriter.prototype.afterWrite} returns a promise that waits for it.
 *
 * @example
 * ```ts ignore
 * const frames = new FrameWriter(session, stream.writable.getWriter(), 65_536);
 * session.send("hi");
 * await frames.afterWrite(false);
 * ```
 */
export class FrameWriter {
  readonly #session: Session;
  readonly #writer: ByteWriter;
  readonly #highWaterMark: number;
  #inFlight = 0;
  // FLUSH_SCHEDULED and IN_TURN: one field for both (8 bytes each on Node).
  #flags = 0;
  // The last flush, until it is written (see `FlushDone`); once one of its writes failed, the
  // rejection.
  #last: FlushDone | Promise<void> | undefined;
  // While a sender waits for the congested writer, settles once it takes more; otherwise the
  // shared resolved promise (so no flag of its own says which).
  #ready: Promise<void> = RESOLVED;
  // Set when the connection has ended: makes what a failed write reports from then on. A
  // function, so that the error (and its stack trace) is built only if a write does fail.
  #endError: (() => Error) | undefined;

  /**
   * Creates the instance.
   *
   * @param session Where the frames come from.
   * @param writer The transport's writer.
   * @param highWaterMark Bytes queued in the session beyond which a send flushes at once.
   */
  constructor(
    session: Session,
    writer: ByteWriter,
    highWaterMark: number,
  ) {
    this.#session = session;
    this.#writer = writer;
    this.#highWaterMark = highWaterMark;
  }

  /**
   * Bytes queued in the session or handed to the writer and not yet written.
   *
   * @returns The count.
   */
  get buffered(): number {
    return this.#session.pendingBytes + this.#inFlight;
  }

  /**
   * Settles when the last flush has been written; rejects when that write failed.
   *
   * @returns The promise (already handled: awaiting it is optional).
   */
  get written(): Promise<void> {
    const last = this.#last;
    if (last === undefined) return RESOLVED;
    return last instanceof FlushDone ? last.wait() : last;
  }

  /**
   * Flushes or schedules a flush after a send, and says when the sender may go on.
   *
   * @param handlerBusy Whether received messages wait to be read.
   * @returns A promise that settles once the writer takes more.
   */
  afterWrite(handlerBusy: boolean): Promise<void> {
    if (this.#session.pendingBytes >= this.#highWaterMark) this.flush();
    else this.scheduleFlush(handlerBusy);
    if (this.#ready !== RESOLVED) return this.#ready;
    // Congested while the writer has as many writes in flight as it takes.
    return (this.#writer.desiredSize ?? 1) <= 0 ? this.#waitReady() : RESOLVED;
  }

  /**
   * Flushes after a frame published to many connections: at once past the high-water mark,
   * otherwise together with every connection published to in this turn of the event loop.
   */
  afterPrepared(): void {
    if (this.#session.pendingBytes >= this.#highWaterMark) {
      this.flush();
    } else this.#joinTurn();
  }

  /** Flushes at the end of this turn of the event loop, with the other connections. */
  #joinTurn(): void {
    if ((this.#flags & IN_TURN) !== 0) return;
    this.#flags |= IN_TURN;
    if (turn.push(this) === 1) nextTurn(flushTurn);
  }

  /**
   * The end of a turn in which frames were published to this connection, or in which a flush
   * was left to it (see {@linkcode FrameWriter.prototype.scheduleFlush}).
   */
  flushTurn(): void {
    this.#flags &= ~IN_TURN;
    if (this.#session.pendingBytes > 0 || (this.#flags & FLUSH_SCHEDULED) !== 0) this.flush();
  }

  /**
   * Flushes soon, once.
   *
   * @param handlerBusy Whether received messages wait to be read.
   */
  scheduleFlush(handlerBusy: boolean): void {
    if ((this.#flags & FLUSH_SCHEDULED) !== 0) return;
    this.#flags |= FLUSH_SCHEDULED;
    if (handlerBusy) {
      // While received messages wait to be read, the handler is working through a batch and
      // flushes when it asks for more; the end of the turn only covers a handler that stops
      // reading. One task per turn for every connection, as for published frames, rather than
      // a timer each (one per chunk read, ~1.5% of a small-message echo on Bun). It is a turn
      // of the event loop, not a deadline, so it does not go through the Clock.
      this.#joinTurn();
      return;
    }
    if (soon.push(this) === 1) queueMicrotask(flushSoon);
  }

  /** The microtask of {@linkcode FrameWriter.prototype.scheduleFlush}: flushes unless done. */
  flushIfScheduled(): void {
    if ((this.#flags & FLUSH_SCHEDULED) !== 0) this.flush();
  }

  /** Hands everything the session has queued to the writer, in one batch. */
  flush(): void {
    this.#flags &= ~FLUSH_SCHEDULED;
    const chunks = this.#session.takeOutgoing();
    if (chunks === undefined) return;
    const writer = this.#writer;
    let bytes = 0;
    for (const chunk of chunks) bytes += chunk.length;
    this.#inFlight += bytes;
    // One object per flush counts its writes down; its count is set before the first write,
    // which may be done within the call.
    const done = this.#last = new FlushDone(this, bytes, chunks.length);
    if (writer.pushThen !== undefined) {
      // A channel's writer tells it, in order: no promise per write.
      for (const chunk of chunks) writer.pushThen(chunk, done);
    } else {
      const written = (): void => done.written();
      const failed = (error: unknown): void => done.writeFailed(error);
      for (const chunk of chunks) writer.write(chunk).then(written, failed);
    }
  }

  /**
   * Settles once the writer takes more: made when a sender is told to wait, and shared by the
   * senders until then (a flush that nobody waits on makes no promise).
   */
  #waitReady(): Promise<void> {
    const ready = this.#ready = this.#writer.ready.then(() => {
      this.#ready = RESOLVED;
    }, (error: unknown) => {
      this.#ready = RESOLVED;
      throw this.#endError?.() ?? error;
    });
    ready.catch(noop);
    return ready;
  }

  /**
   * Marks the connection ended: writes that fail from now on report `error()` (the close)
   * rather than the transport's error. Most connections end with no write failing, so the error
   * is made only when one does.
   *
   * @param error Makes what a failed write rejects with.
   */
  end(error: () => Error): void {
    this.#endError = error;
  }

  /**
   * A flush's writes are all done.
   *
   * @param done Its done.
   */
  flushWritten(done: FlushDone): void {
    this.#inFlight -= done.bytes;
    if (this.#last === done) this.#allWritten();
  }

  /**
   * A write of a flush failed.
   *
   * @param done Its done.
   * @param error Why.
   * @returns What `written` rejects with: the close's error once the connection has ended.
   */
  flushFailed(done: FlushDone, error: unknown): unknown {
    this.#inFlight -= done.bytes;
    const failure = this.#endError?.() ?? error;
    if (this.#last === done) {
      const rejected = Promise.reject(failure);
      rejected.catch(noop);
      this.#last = rejected;
    }
    return failure;
  }

  // Everything flushed is written: the session's output buffer goes back to be reused if the
  // writer keeps no reference to it, and the connection holds none while it is quiet.
  #allWritten(): void {
    this.#last = undefined;
    this.#session.releaseOutgoing(this.#writer.keepsNoBytes === true);
  }
}

/**
 * What a flush's writes tell (a channel's writer through `ByteWriter.pushThen`, any other
 * through its promises): counts them down, and tells the frame writer once all are done, or the
 * first failed. A promise for them is made only if `written` is asked for while they are in
 * flight.
 */
class FlushDone implements WriteDone {
  readonly #frames: FrameWriter;
  /** The flush's bytes. */
  readonly bytes: number;
  #left: number;
  #promise: Promise<void> | undefined;
  #settle: { resolve(): void; reject(error: unknown): void } | undefined;

  constructor(frames: FrameWriter, bytes: number, writes: number) {
    this.#frames = frames;
    this.bytes = bytes;
    this.#left = writes;
  }

  written(): void {
    if (--this.#left !== 0) return;
    this.#frames.flushWritten(this);
    this.#settle?.resolve();
  }

  writeFailed(error: unknown): void {
    if (this.#left <= 0) return; // told of its first failure already
    this.#left = -1;
    const failure = this.#frames.flushFailed(this, error);
    this.#settle?.reject(failure);
  }

  /** Settles once the flush is written; rejects if a write failed (already handled). */
  wait(): Promise<void> {
    if (this.#promise === undefined) {
      this.#promise = new Promise<void>((resolve, reject) => {
        this.#settle = { resolve, reject };
      });
      this.#promise.catch(noop);
    }
    return this.#promise;
  }
}
