/**
 * Writing to a socket channel: the one write queue behind both the direct writer a
 * `Connection` uses and the `writable` a byte pair makes on demand, and what the server and a
 * `Connection` use of any byte pair's writer ({@linkcode ByteWriter}).
 *
 * @module
 */

import { noop } from "./noop.ts";

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * What the server and a `Connection` use of a byte pair's writer: a
 * `WritableStreamDefaultWriter<Uint8Array>` is one.
 *
 * @example
 * ```ts
 * import type { ByteWriter } from "./channel_writer.ts";
 * const writer: ByteWriter = new WritableStream<Uint8Array>().getWriter();
 * await writer.write(new Uint8Array([1]));
 * ```
 */
export interface ByteWriter {
  /** How many more writes may be queued before `ready` waits; `null` once errored. */
  readonly desiredSize: number | null;
  /** Resolves when the queue has room again. */
  readonly ready: Promise<void>;
  /** Resolves once closed, rejects once errored or aborted. */
  readonly closed: Promise<void>;
  /**
   * Queues a chunk.
   * @param chunk The bytes; the socket may hold them until the promise settles.
   * @returns Settles once written.
   */
  write(chunk: Uint8Array): Promise<void>;
  /**
   * Ends the stream after the queued chunks.
   * @returns Settles once closed.
   */
  close(): Promise<void>;
  /**
   * Tears the stream down, dropping queued chunks.
   * @param reason Why.
   * @returns Settles once aborted.
   */
  abort(reason?: unknown): Promise<void>;
  /** Lets another writer take over; queued chunks are still written. */
  releaseLock(): void;
  /**
   * Queues a chunk like `write`, but tells `done` when it is written (or failed) rather than
   * settling a promise: what a caller that writes often uses to make no promise per write. Told
   * in order, possibly before this returns; a failure is told a microtask later at the soonest.
   * Only a channel's writer has it.
   * @param chunk The bytes; the socket may hold them until `done` is told.
   * @param done Told once.
   */
  pushThen?(chunk: Uint8Array, done: WriteDone): void;
  /**
   * Whether a chunk is no longer referenced once its write has settled (a socket's writer: the
   * kernel has a copy), so that its memory may be reused at once, for any connection. When not
   * set, a chunk may still be read after its write settled (a stream whose consumer reads it
   * later), and is never written over.
   */
  readonly keepsNoBytes?: boolean;
}

/**
 * The writing side of a socket channel (`SocketChannel` in `socket_channel.ts` extends it).
 *
 * @example
 * ```ts
 * import type { ChannelSink } from "./channel_writer.ts";
 * const sink: ChannelSink = {
 *   write: () => Promise.resolve(),
 *   end: () => Promise.resolve(),
 *   abort: () => {},
 * };
 * await sink.write(new Uint8Array([1]));
 * ```
 */
export interface ChannelSink {
  /** Writes `chunk`; settles once the socket is done with it. One write at a time. */
  write(chunk: Uint8Array): Promise<void>;
  /**
   * Writes `chunk` as `write` does, but tells `done` once instead of settling a promise: at
   * once when the socket took the whole chunk (Bun's), or later from its completion callback
   * (Node's). The channel's writer then holds no continuations of its own between writes.
   */
  writeThen?(chunk: Uint8Array, done: WriteDone): void;
  /** Ends the sending side after what was written, as closing the adapter's writable would. */
  end(): Promise<void>;
  /** Tears the socket down at once, as aborting the adapter's writable would. */
  abort(): void;
}

/**
 * What a channel's {@linkcode ChannelSink.writeThen} tells, once per write.
 *
 * @example
 * ```ts
 * import type { WriteDone } from "./channel_writer.ts";
 * const done: WriteDone = {
 *   written: () => console.log("written"),
 *   writeFailed: (error) => console.log("failed:", error),
 * };
 * done.written(); // written
 * ```
 */
export interface WriteDone {
  /** The socket is done with the chunk. */
  written(): void;
  /**
   * The write failed.
   * @param error Why.
   */
  writeFailed(error: unknown): void;
}

/**
 * Calls `lost(owner)` once `writer` fails: through {@linkcode ChannelWriter.prototype.watch}
 * on a channel's writer (no promise), otherwise as a rejection handler on its `closed`.
 *
 * @example
 * ```ts
 * import { watchFailure } from "./channel_writer.ts";
 * const writer = new WritableStream<Uint8Array>().getWriter();
 * watchFailure(writer, "connection", (owner) => console.log(owner, "lost its transport"));
 * await writer.abort(new Error("reset")); // connection lost its transport
 * ```
 * @param writer The transport's writer.
 * @param owner What `lost` is called with.
 * @param lost Called once, if the writer fails.
 */
export function watchFailure<Owner>(
  writer: ByteWriter,
  owner: Owner,
  lost: (owner: Owner) => void,
): void {
  if (writer instanceof ChannelWriter) writer.watch(owner, lost);
  else writer.closed.then(undefined, () => lost(owner));
}

/**
 * The error of a call on a reader or writer that was released.
 *
 * @example
 * ```ts
 * import { released } from "./channel_writer.ts";
 * console.log(released("write").message); // Cannot write: the reader or writer was released
 * ```
 * @param verb What was called.
 * @returns The error.
 */
export function released(verb: string): TypeError {
  return new TypeError(`Cannot ${verb}: the reader or writer was released`);
}

interface QueuedWrite {
  readonly chunk: Uint8Array;
  readonly done: WriteDone;
}

// What a promise channel's write settles through, made once per writer.
interface PromiseHooks {
  readonly written: () => void;
  readonly failed: (error: unknown) => void;
}

// ChannelWriter's flags.
const HELD = 1; // the direct writer was taken and not released
const WRITING = 2; // a write is at the socket
const CLOSING = 4; // `close` was called

/** What settles a promise made when first asked for. */
interface Settle {
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * The one write queue of a socket channel, with a `WritableStream`'s rules: writes go to the
 * socket one at a time in order, `desiredSize` is 1 less the writes not yet done (a high-water
 * mark of one write), a failed write errors it, and `close` ends the socket after the queue.
 * Both the direct writer and the `writable` made on demand write through it.
 *
 * @example
 * ```ts ignore
 * const writer = new ChannelWriter(channel);
 * writer.held = true;
 * await writer.write(new Uint8Array([1]));
 * ```
 */
export class ChannelWriter implements ByteWriter, WriteDone {
  // The stream's `writable`, locked while this writer is held, if it was made meanwhile.
  lock: WritableStreamDefaultWriter<Uint8Array> | undefined;
  readonly #channel: ChannelSink;
  // Writes accepted and not yet done, the one at the socket included.
  #size = 0;
  // HELD, WRITING and CLOSING: one field for three (8 bytes each on Node).
  #flags = 0;
  #queue: QueuedWrite[] | undefined;
  #state: "writable" | "closed" | "errored" = "writable";
  #error: unknown;
  #ready: Promise<void> | undefined;
  // Settles `ready` when it was asked for while writes were in flight.
  #readySettle: Settle | undefined;
  #closed: Promise<void> | undefined;
  // Settles `closed` when it was asked for while writable. One field for both functions: on
  // JavaScriptCore a writer of 19 fields took a 224-byte cell, of 18 a 160-byte one.
  #closedSettle: Settle | undefined;
  // Told when the writer fails (see `watch`).
  #watcher: ((owner: unknown) => void) | undefined;
  #watcherOwner: unknown;

  // Who is told when the write at the socket is done: nothing in between writes, so an idle
  // connection holds nothing here.
  #current: WriteDone | undefined;
  // Over a promise channel, the continuations of its writes, made once per writer: bound
  // methods, which hold the writer and nothing else (two arrow functions held a context
  // besides: ~50 bytes more per writer); not closures named by a field initializer either:
  // under tsx (esbuild's keepNames) a named closure carries a ~250-byte property array per
  // writer. None over a channel that calls back (`writeThen`).
  readonly #promiseHooks: PromiseHooks | undefined;

  /**
   * A queue over `channel`.
   *
   * @param channel The socket's writing side.
   */
  constructor(channel: ChannelSink) {
    this.#channel = channel;
    if (channel.writeThen === undefined) {
      this.#promiseHooks = {
        written: this.written.bind(this),
        failed: this.writeFailed.bind(this),
      };
    }
  }

  /**
   * Whether this writer is held (the stream's direct writer was taken, and not released).
   *
   * @returns `true` while held.
   */
  get held(): boolean {
    return (this.#flags & HELD) !== 0;
  }

  /** @param held Whether the writer is now held. */
  set held(held: boolean) {
    this.#flags = held ? this.#flags | HELD : this.#flags & ~HELD;
  }

  /**
   * Calls `lost(owner)` once the writer fails (a write failed, or it was aborted), a microtask
   * later, as a rejection handler on `closed` would be called, but without making `closed`.
   *
   * @param owner What `lost` is called with.
   * @param lost Called once, if the writer fails.
   */
  watch<Owner>(owner: Owner, lost: (owner: Owner) => void): void {
    this.#watcher = lost as (owner: unknown) => void;
    this.#watcherOwner = owner;
    if (this.#state === "errored") this.#notify();
  }

  /** A channel's write settles once the socket is done with the bytes (`ChannelSink.write`). */
  get keepsNoBytes(): boolean {
    return true;
  }

  get desiredSize(): number | null {
    if (this.#state === "errored") return null;
    return this.#state === "closed" ? 0 : 1 - this.#size;
  }

  get ready(): Promise<void> {
    if (this.#state === "errored") return handled(Promise.reject(this.#error));
    if (this.#size === 0) return RESOLVED;
    return this.#ready ??= handled(
      new Promise<void>((resolve, reject) => {
        this.#readySettle = { resolve, reject };
      }),
    );
  }

  get closed(): Promise<void> {
    if (this.#closed === undefined) {
      if (this.#state === "closed") this.#closed = RESOLVED;
      else if (this.#state === "errored") this.#closed = handled(Promise.reject(this.#error));
      else {
        this.#closed = handled(
          new Promise<void>((resolve, reject) => {
            this.#closedSettle = { resolve, reject };
          }),
        );
      }
    }
    return this.#closed;
  }

  write(chunk: Uint8Array): Promise<void> {
    return this.held ? this.push(chunk) : Promise.reject(released("write"));
  }

  close(): Promise<void> {
    return this.held ? this.end() : Promise.reject(released("close"));
  }

  abort(reason?: unknown): Promise<void> {
    return this.held ? this.teardown(reason) : Promise.reject(released("abort"));
  }

  releaseLock(): void {
    this.held = false;
    this.lock?.releaseLock();
    this.lock = undefined;
  }

  // What the direct writer and the `writable` made on demand both do.

  push(chunk: Uint8Array): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pushThen(chunk, { written: resolve, writeFailed: reject });
    });
  }

  pushThen(chunk: Uint8Array, done: WriteDone): void {
    if (this.#state === "errored" || (this.#flags & CLOSING) !== 0) {
      const error = this.#state === "errored"
        ? this.#error
        : new TypeError("Cannot write: the stream is closing");
      queueMicrotask(() => done.writeFailed(error));
      return;
    }
    this.#size++;
    if ((this.#flags & WRITING) === 0) this.#begin(chunk, done);
    else (this.#queue ??= []).push({ chunk, done });
  }

  end(): Promise<void> {
    if (this.#state === "errored") return Promise.reject(this.#error);
    if ((this.#flags & CLOSING) !== 0) {
      return Promise.reject(new TypeError("Cannot close: the stream is closing"));
    }
    this.#flags |= CLOSING;
    // With no write in flight the socket ends now, rather than a turn later.
    const ended = this.#size === 0
      ? endNow(this.#channel)
      : this.ready.then(() => this.#channel.end());
    return ended.then(() => {
      if (this.#state !== "writable") return;
      this.#state = "closed";
      this.#closedSettle?.resolve();
    }, (error: unknown) => this.#promiseFailed(error));
  }

  teardown(reason?: unknown): Promise<void> {
    if (this.#state !== "writable") return RESOLVED;
    this.#fail(reason);
    this.#channel.abort();
    return RESOLVED;
  }

  #afterWrite(): void {
    this.#size--;
    this.#flags &= ~WRITING;
    const queue = this.#queue;
    if (queue !== undefined) {
      const next = queue.shift()!;
      if (queue.length === 0) this.#queue = undefined;
      this.#begin(next.chunk, next.done);
      return;
    }
    if (this.#size === 0 && this.#readySettle !== undefined) {
      const settle = this.#readySettle;
      this.#ready = this.#readySettle = undefined;
      settle.resolve();
    }
  }

  /** Starts the write of `chunk` at the socket; `done` is told when it is over. */
  #begin(chunk: Uint8Array, done: WriteDone): void {
    this.#flags |= WRITING;
    this.#current = done;
    const channel = this.#channel;
    if (channel.writeThen === undefined) {
      const hooks = this.#promiseHooks!;
      channel.write(chunk).then(hooks.written, hooks.failed);
    } else channel.writeThen(chunk, this);
  }

  /**
   * The socket is done with the chunk being written (a channel's `writeThen` says so, possibly
   * within the call): the next one starts, then this one's writer is told.
   */
  written(): void {
    const done = this.#current;
    this.#current = undefined;
    this.#afterWrite();
    done?.written();
  }

  /**
   * The write at the socket failed: the writer is errored, and the write and every queued one
   * fail with `error`.
   *
   * @param error Why.
   */
  writeFailed(error: unknown): void {
    const done = this.#current;
    this.#current = undefined;
    this.#fail(error);
    done?.writeFailed(error);
  }

  #promiseFailed(error: unknown): never {
    this.#fail(error);
    throw error;
  }

  #fail(error: unknown): void {
    if (this.#state !== "writable") return;
    this.#state = "errored";
    this.#error = error;
    const queue = this.#queue;
    this.#queue = undefined;
    if (queue !== undefined) { for (const write of queue) write.done.writeFailed(error); }
    this.#readySettle?.reject(error);
    this.#ready = this.#readySettle = undefined;
    this.#closedSettle?.reject(error);
    this.#notify();
  }

  #notify(): void {
    const lost = this.#watcher;
    if (lost === undefined) return;
    const owner = this.#watcherOwner;
    this.#watcher = this.#watcherOwner = undefined;
    queueMicrotask(() => lost(owner));
  }
}

// A channel's `end` that throws rejects, as it did from a continuation.
function endNow(channel: ChannelSink): Promise<void> {
  try {
    return channel.end();
  } catch (error) {
    return Promise.reject(error);
  }
}

function handled(promise: Promise<void>): Promise<void> {
  promise.catch(noop);
  return promise;
}
