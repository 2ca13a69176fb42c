/**
 * Reads over a socket that pushes what arrives (Node's `data` events, Bun's `data` handler):
 * the read side of an adapter's `SocketChannel`.
 *
 * @module
 */

import { READ_DONE, type ReadSink } from "./socket_channel.ts";

/**
 * How a {@linkcode PushedReads} slows its socket down: a `node:net` socket is one as it is, and
 * a channel that extends `PushedReads` may be its own (overriding these methods).
 *
 * @example
 * ```ts
 * import type { ReadFlow } from "./pushed_reads.ts";
 * let paused = false;
 * const flow: ReadFlow = {
 *   pause: () => void (paused = true),
 *   resume: () => void (paused = false),
 *   isPaused: () => paused,
 * };
 * flow.pause();
 * console.log(flow.isPaused()); // true
 * ```
 */
export interface ReadFlow {
  /** Stops taking bytes from the peer (TCP then pushes back). */
  pause(): unknown;
  /** Takes bytes from the peer again. */
  resume(): unknown;
  /** Whether it is paused. */
  isPaused(): boolean;
}

// PushedReads' flags.
const ENDED = 1; // nothing more will be read: the peer's end, a failure, or a cancel
const LISTENING = 2; // the sink takes what arrives
// A chunk is being handed to the sink: what arrives meanwhile (the sink's own doing, when it
// closes or resets the socket) waits its turn.
const DELIVERING = 4;

// The settling functions of a read that waits.
interface WaitingRead {
  resolve(result: ReadableStreamReadResult<Uint8Array>): void;
  reject(error: unknown): void;
}

/**
 * What arrives is handed to the waiting read, or queued until read; the socket is paused while
 * the queue holds `highWaterMark` bytes or more, and resumed once a read finds less, as a
 * readable with that high-water mark would. Once the peer has ended, what is queued is still
 * read, then every read is done; once the socket has failed, what is queued is dropped and
 * reads reject, as an errored readable's do.
 *
 * Rather than read, a consumer may {@linkcode PushedReads.prototype.listen}: then what arrives
 * is handed to its {@linkcode ReadSink} as it arrives, with no promise and no suspended reader
 * in between (an idle connection then waits on nothing), until the sink says it takes no more
 * for now; what arrives meanwhile is queued, with the same high-water mark, until it listens
 * again. The queue, the end and a failure reach the sink in the order a reader would see them.
 *
 * @example
 * ```ts
 * import { PushedReads } from "./pushed_reads.ts";
 * let paused = false;
 * const reads = new PushedReads({
 *   pause: () => void (paused = true),
 *   resume: () => void (paused = false),
 *   isPaused: () => paused,
 * }, 4);
 * reads.push(new Uint8Array([1, 2, 3, 4]));
 * console.log(paused); // true
 * console.log((await reads.read()).value); // Uint8Array(4) [ 1, 2, 3, 4 ]
 * reads.pushEnd();
 * console.log((await reads.read()).done); // true
 * ```
 */
export class PushedReads implements ReadFlow {
  // The socket's flow, unless a subclass is its own (overriding `pause`, `resume`, `isPaused`).
  readonly #flow: ReadFlow | undefined;
  readonly #highWaterMark: number;
  // Made when a chunk must wait: an idle connection holds no array.
  #queue: Uint8Array[] | undefined;
  #queued = 0;
  // ENDED, LISTENING and DELIVERING: one field for three (8 bytes each on Node).
  #flags = 0;
  #error: Error | undefined;
  // The read that waits for bytes, if one does.
  #waiting: WaitingRead | undefined;
  // The listening consumer, once there is one; LISTENING while it takes what arrives.
  #sink: ReadSink | undefined;

  /**
   * Creates the reads of one socket. An adapter's channel may extend this class, so that one
   * object per connection holds both its socket and its reads.
   *
   * @param flow Pauses and resumes the socket; `undefined` for a subclass that overrides
   *   `pause`, `resume` and `isPaused`.
   * @param highWaterMark Queued bytes at which the socket is paused.
   */
  constructor(flow: ReadFlow | undefined, highWaterMark: number) {
    this.#flow = flow;
    this.#highWaterMark = highWaterMark;
  }

  /** Stops taking bytes from the peer: the flow's `pause`. */
  pause(): unknown {
    return this.#flow!.pause();
  }

  /** Takes bytes from the peer again: the flow's `resume`. */
  resume(): unknown {
    return this.#flow!.resume();
  }

  /**
   * Whether the socket is paused: the flow's `isPaused`.
   *
   * @returns `true` while paused.
   */
  isPaused(): boolean {
    return this.#flow!.isPaused();
  }

  /**
   * Whether nothing more will arrive.
   *
   * @returns `true` after {@linkcode PushedReads.prototype.pushEnd}, `fail` or `cancelReads`.
   */
  get readsEnded(): boolean {
    return (this.#flags & ENDED) !== 0;
  }

  /**
   * Bytes arrived: to the waiting read, or into the queue.
   *
   * @param chunk The bytes; handed out as they are.
   */
  push(chunk: Uint8Array): void {
    const flags = this.#flags;
    if ((flags & (ENDED | LISTENING | DELIVERING)) === LISTENING) {
      this.#deliver(chunk);
      return;
    }
    if ((flags & ENDED) !== 0) return;
    const waiting = this.#waiting;
    if (waiting !== undefined) {
      this.#waiting = undefined;
      waiting.resolve({ done: false, value: chunk });
      return;
    }
    (this.#queue ??= []).push(chunk);
    this.#queued += chunk.byteLength;
    if (this.#queued >= this.#highWaterMark && !this.isPaused()) this.pause();
  }

  /** The peer ended: the waiting read is done; what is queued is still read. */
  pushEnd(): void {
    if ((this.#flags & ENDED) !== 0) return;
    this.#flags |= ENDED;
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.resolve(READ_DONE);
    if ((this.#flags & (LISTENING | DELIVERING)) === LISTENING) this.#drain();
  }

  /**
   * The socket failed: what is queued is dropped, and the waiting read and every later one
   * reject with `error`. Nothing changes once it has ended.
   *
   * @param error What reads reject with.
   */
  fail(error: Error): void {
    if ((this.#flags & ENDED) !== 0) return;
    this.#flags |= ENDED;
    this.#error = error;
    this.#queue = undefined;
    this.#queued = 0;
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.reject(error);
    if ((this.#flags & (LISTENING | DELIVERING)) === LISTENING) this.#drain();
  }

  /**
   * The next bytes, as `SocketChannel.read` gives them.
   *
   * @returns The next chunk, `{ done: true }` at the end, or the failure.
   */
  read(): Promise<ReadableStreamReadResult<Uint8Array>> {
    const chunk = this.#take();
    if (chunk !== undefined) return Promise.resolve({ done: false, value: chunk });
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if ((this.#flags & ENDED) !== 0) return Promise.resolve(READ_DONE);
    if (this.isPaused()) this.resume();
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
    });
  }

  /**
   * Stops reading: the waiting read is done and what is queued is dropped.
   *
   * @returns Whether reading had already come to its end (the peer ended and everything was
   *   read), when a readable would have been closed and cancelling it would do nothing more.
   */
  cancelReads(): boolean {
    const closed = (this.#flags & ENDED) !== 0 && this.#queue === undefined;
    // Dropped first, so that a listening sink is told of the end and of nothing more.
    this.#queue = undefined;
    this.#queued = 0;
    this.pushEnd();
    return closed;
  }

  /**
   * Hands what arrives to `sink`, from now on, instead of to reads: first what is queued, then
   * the end (`sink.ended()`) once there is one. Called again after the sink said it takes no
   * more for now, it goes on where it stopped. No read may be waiting.
   *
   * @param sink Takes the chunks and the end.
   */
  listen(sink: ReadSink): void {
    this.#sink = sink;
    this.#flags |= LISTENING;
    if ((this.#flags & DELIVERING) === 0) this.#drain();
  }

  /** The oldest queued chunk, if any; resumes the socket once the queue is below the mark. */
  #take(): Uint8Array | undefined {
    const queue = this.#queue;
    if (queue === undefined) return undefined;
    const chunk = queue.shift()!;
    if (queue.length === 0) this.#queue = undefined;
    this.#queued -= chunk.byteLength;
    if (this.#queued < this.#highWaterMark && (this.#flags & ENDED) === 0 && this.isPaused()) {
      this.resume();
    }
    return chunk;
  }

  /** Hands `chunk` to the sink, then what waited meanwhile, while the sink takes more. */
  #deliver(chunk: Uint8Array): void {
    this.#pushToSink(chunk);
    // What arrived meanwhile, or the end, goes on to the sink now.
    const flags = this.#flags;
    if ((flags & LISTENING) !== 0 && (this.#queue !== undefined || (flags & ENDED) !== 0)) {
      this.#drain();
    }
  }

  /** Hands `chunk` to the sink, which says whether it takes more (LISTENING). */
  #pushToSink(chunk: Uint8Array): void {
    this.#flags |= DELIVERING;
    let more: boolean;
    try {
      more = this.#sink!.pushed(chunk);
    } catch (error) {
      this.#flags &= ~DELIVERING;
      throw error;
    }
    this.#flags = more
      ? (this.#flags & ~DELIVERING) | LISTENING
      : this.#flags & ~(DELIVERING | LISTENING);
  }

  /** Hands the queue, then the end, to the sink while it takes more. */
  #drain(): void {
    for (;;) {
      const chunk = this.#take();
      if (chunk === undefined) break;
      this.#pushToSink(chunk);
      if ((this.#flags & LISTENING) === 0) return;
    }
    if ((this.#flags & ENDED) !== 0) {
      this.#flags &= ~LISTENING;
      this.#sink!.ended();
    } else if (this.isPaused()) {
      // Nothing queued and a sink that takes more: as a read that finds nothing does.
      this.resume();
    }
  }
}
