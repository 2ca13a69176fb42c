/**
 * A byte pair over an adapter's socket whose web streams are made only when something asks for
 * them. The server reads a request head and writes its answer, and a `Connection` reads and
 * writes its frames, through {@linkcode readerOf} and {@linkcode writerOf}: on a
 * {@linkcode ChannelByteStream} they go straight to the socket ({@linkcode SocketChannel}), so
 * a connection that never touches `readable` or `writable` never builds a `ReadableStream` or
 * a `WritableStream` (their construction was about 5% of a handshake on Node, and their reads
 * and writes cost more than the socket's own). On any other byte pair they are the pair's own
 * reader and writer: every `{ readable, writable }` can still be served.
 *
 * Once a pair's `readable` (or `writable`) has been made, it is the only way in: the direct
 * path steps aside, so bytes are never split between the two.
 *
 * @module
 */

import type { ByteStream, NetAddr } from "./byte_stream.ts";
import { type ByteWriter, type ChannelSink, ChannelWriter, released } from "./channel_writer.ts";

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * The result of a read at the end of the bytes, as a reader gives it: one shared object.
 *
 * @example
 * ```ts
 * import { READ_DONE } from "./socket_channel.ts";
 * console.log(READ_DONE.done); // true
 * ```
 */
export const READ_DONE: ReadableStreamReadResult<Uint8Array> = Object.freeze({
  done: true,
  // What a web stream's reader gives; Deno's types leave `value` out instead.
  value: undefined,
}) as unknown as ReadableStreamReadResult<Uint8Array>;

/**
 * What takes a pushing socket's bytes as they arrive, rather than reading them: a
 * `Connection`'s read pump, over a socket that delivers by callback (Node's, Bun's). See
 * {@linkcode SocketChannel.listen}.
 *
 * @example
 * ```ts
 * import type { ReadSink } from "./socket_channel.ts";
 * const received: Uint8Array[] = [];
 * const sink: ReadSink = {
 *   pushed: (chunk) => received.push(chunk) < 4, // takes no more once it holds four
 *   ended: () => console.log("ended after", received.length),
 * };
 * sink.pushed(new Uint8Array([1]));
 * sink.ended(); // ended after 1
 * ```
 */
export interface ReadSink {
  /**
   * Takes the next chunk.
   *
   * @param chunk The bytes, as the socket handed them over.
   * @returns Whether it takes more now. When it does not, what arrives is queued (and the
   *   socket paused at the channel's high-water mark) until it listens again.
   */
  pushed(chunk: Uint8Array): boolean;
  /** Reading has ended: the peer ended, the socket failed, or reading was cancelled. */
  ended(): void;
}

/**
 * The socket under a {@linkcode ChannelByteStream}, as an adapter implements it.
 *
 * @example A channel over an in-memory queue
 * ```ts
 * import { READ_DONE, type SocketChannel } from "./socket_channel.ts";
 * const chunks = [new Uint8Array([1, 2])];
 * const channel: SocketChannel = {
 *   read: () => {
 *     const value = chunks.shift();
 *     return Promise.resolve(value === undefined ? READ_DONE : { done: false, value });
 *   },
 *   cancel: () => {},
 *   write: () => Promise.resolve(),
 *   end: () => Promise.resolve(),
 *   abort: () => {},
 * };
 * console.log((await channel.read()).value); // Uint8Array(2) [ 1, 2 ]
 * ```
 */
export interface SocketChannel extends ChannelSink {
  /**
   * The next bytes, `{ done: true }` once the peer has ended; rejects once the socket fails.
   * One read at a time.
   */
  read(): Promise<ReadableStreamReadResult<Uint8Array>>;
  /**
   * Reads into `view`, the caller's own buffer, where the socket can (Deno's `conn.read`): the
   * bytes come back as a view of it, so the caller may read into it again once it is done with
   * them. Otherwise as {@linkcode SocketChannel.read}.
   */
  readInto?(view: Uint8Array): Promise<ReadableStreamReadResult<Uint8Array>>;
  /**
   * Reads into what is left of the buffer the last {@linkcode SocketChannel.read} read into,
   * when at least `min` bytes of it are left (Deno's): a connection's first reads after the
   * request head then need no buffer of their own. `undefined` otherwise, when nothing is read.
   * Bytes already handed out are never read over.
   */
  readSpare?(min: number): Promise<ReadableStreamReadResult<Uint8Array>> | undefined;
  /**
   * Hands what arrives to `sink` as it arrives, where the socket pushes its bytes (Node's,
   * Bun's): no pending read, no promise, while nothing arrives. First what arrived before,
   * then the end once there is one; after `sink.pushed` returns `false`, nothing until it is
   * called again. Reads are not used once it has been called.
   */
  listen?(sink: ReadSink): void;
  /** Stops reading, as cancelling the adapter's readable would: a pending read ends (done). */
  cancel(): void;
  /**
   * Received payloads of at most this many bytes are best copied out of the chunks this
   * channel reads rather than viewed (see `SessionOptions.copyUpTo`): the adapter knows its
   * runtime's engine.
   */
  readonly copyUpTo?: number;
  /**
   * Received payloads are best unmasked 64 bits at a time (see `SessionOptions.wideUnmask`):
   * the adapter knows its runtime's engine.
   */
  readonly wideUnmask?: boolean;
  /**
   * Whether it may be closed before the peer has ended its side, with nothing lost and no error
   * for either end: a TCP or TLS socket may (the kernel takes the peer's FIN), an HTTP/2 stream
   * may not (closing it first resets it). A server then closes it as soon as the closing
   * handshake is done (rfc6455#section-7.1.1), rather than reading on until the peer's end.
   */
  readonly closesAtOnce?: boolean;
}

/**
 * What the server and a `Connection` use of a byte pair's reader: a
 * `ReadableStreamDefaultReader<Uint8Array>` is one.
 *
 * @example
 * ```ts
 * import type { ByteReader } from "./socket_channel.ts";
 * const reader: ByteReader = new Blob(["hi"]).stream().getReader();
 * console.log((await reader.read()).done); // false
 * ```
 */
export interface ByteReader {
  /**
   * Reads the next chunk.
   * @returns The chunk, or `{ done: true }` at the end.
   */
  read(): Promise<ReadableStreamReadResult<Uint8Array>>;
  /**
   * Reads into `view`, the caller's own buffer, when the source can; absent otherwise.
   * @param view Where the bytes go.
   * @returns A view of `view` holding the bytes read, or `{ done: true }` at the end.
   */
  readInto?(view: Uint8Array): Promise<ReadableStreamReadResult<Uint8Array>>;
  /**
   * Reads into what is left of the source's own last buffer, when it can and at least `min`
   * bytes of it are left; absent, or `undefined` (nothing read), otherwise.
   * @param min The fewest bytes worth reading into.
   * @returns A view of that buffer holding the bytes read, `{ done: true }` at the end, or
   *   `undefined`.
   */
  readSpare?(min: number): Promise<ReadableStreamReadResult<Uint8Array>> | undefined;
  /**
   * Hands what arrives to `sink` as it arrives, when the source pushes its bytes; absent
   * otherwise. See {@linkcode SocketChannel.listen}.
   * @param sink Takes the chunks and the end.
   */
  listen?(sink: ReadSink): void;
  /**
   * Stops reading and lets go of the source.
   * @param reason Why.
   * @returns Settles once cancelled.
   */
  cancel(reason?: unknown): Promise<void>;
  /** Lets another reader take over. */
  releaseLock(): void;
  /** Payloads of at most this many bytes are best copied out of the chunks read, when set. */
  readonly copyUpTo?: number;
  /** Whether payloads are best unmasked 64 bits at a time, when set. */
  readonly wideUnmask?: boolean;
  /** Whether the source may be let go before its end, when set (see `SocketChannel`). */
  readonly closesAtOnce?: boolean;
}

/**
 * A reader of `stream`: straight from its socket when it is a {@linkcode ChannelByteStream}
 * whose `readable` nobody has asked for, else its `readable`'s own.
 *
 * @example
 * ```ts
 * import { readerOf } from "./socket_channel.ts";
 * const reader = readerOf({ readable: new Blob(["hi"]).stream(), writable: new WritableStream() });
 * console.log((await reader.read()).value?.length); // 2
 * ```
 * @param stream The byte pair; its readable must not be locked.
 * @returns The reader, holding the pair's read side until released.
 * @throws {TypeError} When the read side is already locked.
 */
export function readerOf(stream: ByteStream): ByteReader {
  return (stream instanceof ChannelByteStream ? stream.directReader() : undefined) ??
    stream.readable.getReader();
}

/**
 * A writer of `stream`: straight to its socket when it is a {@linkcode ChannelByteStream}
 * whose `writable` nobody has asked for, else its `writable`'s own.
 *
 * @example
 * ```ts
 * import { writerOf } from "./socket_channel.ts";
 * const writer = writerOf({ readable: new ReadableStream(), writable: new WritableStream() });
 * await writer.write(new Uint8Array([1]));
 * ```
 * @param stream The byte pair; its writable must not be locked.
 * @returns The writer, holding the pair's write side until released.
 * @throws {TypeError} When the write side is already locked.
 */
export function writerOf(stream: ByteStream): ByteWriter {
  return (stream instanceof ChannelByteStream ? stream.directWriter() : undefined) ??
    stream.writable.getWriter();
}

/**
 * A byte pair over a {@linkcode SocketChannel}: `readable` and `writable` are made on first
 * access (a pull-based `ReadableStream` and a `WritableStream` over the same channel, with
 * the same backpressure), and until then {@linkcode readerOf} and {@linkcode writerOf} use the
 * channel directly. An adapter's listener yields these.
 *
 * @example
 * ```ts
 * import { ChannelByteStream, READ_DONE, readerOf } from "./socket_channel.ts";
 * const chunks = [new Uint8Array([7])];
 * const stream = new ChannelByteStream({
 *   read: () => {
 *     const value = chunks.shift();
 *     return Promise.resolve(value === undefined ? READ_DONE : { done: false, value });
 *   },
 *   cancel: () => {},
 *   write: () => Promise.resolve(),
 *   end: () => Promise.resolve(),
 *   abort: () => {},
 * }, { hostname: "127.0.0.1", port: 1234 });
 * console.log((await readerOf(stream).read()).value); // Uint8Array(1) [ 7 ]
 * ```
 */
export class ChannelByteStream implements ByteStream {
  /** The peer's address. */
  readonly remoteAddr: NetAddr;
  /** This end's address, when the adapter gives it. */
  readonly localAddr?: NetAddr;
  readonly #channel: SocketChannel;
  #reader: ChannelReader | undefined;
  #writer: ChannelWriter | undefined;
  #readable: ReadableStream<Uint8Array> | undefined;
  #writable: WritableStream<Uint8Array> | undefined;

  /**
   * Wraps a channel.
   *
   * @param channel The socket.
   * @param remoteAddr The peer's address.
   * @param localAddr This end's address.
   */
  constructor(channel: SocketChannel, remoteAddr: NetAddr, localAddr?: NetAddr) {
    this.#channel = channel;
    this.remoteAddr = remoteAddr;
    if (localAddr !== undefined) this.localAddr = localAddr;
  }

  /**
   * Bytes from the peer, as a stream made on first access.
   *
   * @returns The stream.
   */
  get readable(): ReadableStream<Uint8Array> {
    if (this.#readable === undefined) {
      const channel = this.#channel;
      // highWaterMark 0: it pulls only for a read, so it never takes bytes ahead of one.
      this.#readable = new ReadableStream<Uint8Array>({
        pull: (controller): Promise<void> =>
          channel.read().then((result) => {
            if (result.done) controller.close();
            else controller.enqueue(result.value);
          }, (error: unknown) => controller.error(error)),
        cancel: (): void => channel.cancel(),
      }, { highWaterMark: 0 });
      // A direct reader holds the read side: the stream is locked until it is released.
      const reader = this.#reader;
      if (reader?.held) reader.lock = this.#readable.getReader();
    }
    return this.#readable;
  }

  /**
   * Bytes to the peer, as a stream made on first access.
   *
   * @returns The stream.
   */
  get writable(): WritableStream<Uint8Array> {
    if (this.#writable === undefined) {
      const queue = this.#writer ??= new ChannelWriter(this.#channel);
      this.#writable = new WritableStream<Uint8Array>({
        write: (chunk): Promise<void> => queue.push(chunk),
        close: (): Promise<void> => queue.end(),
        abort: (reason): Promise<void> => queue.teardown(reason),
      });
      if (queue.held) queue.lock = this.#writable.getWriter();
    }
    return this.#writable;
  }

  /**
   * The channel's own reader, unless `readable` was made or the reader is held.
   *
   * @returns The reader, now held, or `undefined`.
   */
  directReader(): ByteReader | undefined {
    if (this.#readable !== undefined || this.#reader?.held) return undefined;
    const channel = this.#channel;
    const reader = this.#reader ??= channel.readInto !== undefined
      ? new OwnBufferChannelReader(channel)
      : channel.listen !== undefined
      ? new PushedChannelReader(channel)
      : new ChannelReader(channel);
    reader.held = true;
    return reader;
  }

  /**
   * The channel's own writer, unless `writable` was made or the writer is held.
   *
   * @returns The writer, now held, or `undefined`.
   */
  directWriter(): ByteWriter | undefined {
    if (this.#writable !== undefined || this.#writer?.held) return undefined;
    const writer = this.#writer ??= new ChannelWriter(this.#channel);
    writer.held = true;
    return writer;
  }
}

/** The channel's reader; one per stream, taken and released in turn. */
class ChannelReader implements ByteReader {
  held = false;
  // The stream's `readable`, locked while this reader is held, if it was made meanwhile.
  lock: ReadableStreamDefaultReader<Uint8Array> | undefined;
  readonly channel: SocketChannel;

  constructor(channel: SocketChannel) {
    this.channel = channel;
  }

  get copyUpTo(): number {
    return this.channel.copyUpTo ?? 0;
  }

  get wideUnmask(): boolean {
    return this.channel.wideUnmask ?? false;
  }

  get closesAtOnce(): boolean {
    return this.channel.closesAtOnce ?? false;
  }

  read(): Promise<ReadableStreamReadResult<Uint8Array>> {
    if (!this.held) return Promise.reject(released("read"));
    return this.channel.read();
  }

  cancel(): Promise<void> {
    if (!this.held) return Promise.reject(released("cancel"));
    this.channel.cancel();
    return RESOLVED;
  }

  releaseLock(): void {
    this.held = false;
    this.lock?.releaseLock();
    this.lock = undefined;
  }
}

/** The reader of a channel that can read into the caller's buffer. */
class OwnBufferChannelReader extends ChannelReader {
  readInto(view: Uint8Array): Promise<ReadableStreamReadResult<Uint8Array>> {
    if (!this.held) return Promise.reject(released("read"));
    return this.channel.readInto!(view);
  }

  readSpare(min: number): Promise<ReadableStreamReadResult<Uint8Array>> | undefined {
    if (!this.held) return Promise.reject(released("read"));
    return this.channel.readSpare?.(min);
  }
}

/** The reader of a channel that pushes what arrives to a listening sink. */
class PushedChannelReader extends ChannelReader {
  listen(sink: ReadSink): void {
    if (!this.held) throw released("listen");
    this.channel.listen!(sink);
  }
}
