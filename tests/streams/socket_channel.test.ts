// ChannelByteStream: the direct reader and writer over an adapter's socket, and the web streams
// made only on demand over the same socket, with a hand-made channel.
import { describe, expect, it } from "vitest";
import type { WriteDone } from "../../src/streams/channel_writer.ts";
import { Connection } from "../../src/streams/connection.ts";
import {
  ChannelByteStream,
  READ_DONE,
  readerOf,
  type SocketChannel,
  writerOf,
} from "../../src/streams/socket_channel.ts";

/** A channel over an array of chunks; writes are recorded and settle when `settle` is called. */
class FakeChannel implements SocketChannel {
  chunks: Uint8Array[] = [];
  written: number[] = [];
  pendingWrites: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  ended = false;
  cancelled = false;
  aborted = false;
  #waiting: ((result: ReadableStreamReadResult<Uint8Array>) => void) | undefined;

  push(...bytes: number[]): void {
    const chunk = new Uint8Array(bytes);
    if (this.#waiting !== undefined) {
      const resolve = this.#waiting;
      this.#waiting = undefined;
      resolve({ done: false, value: chunk });
    } else this.chunks.push(chunk);
  }

  read(): Promise<ReadableStreamReadResult<Uint8Array>> {
    const chunk = this.chunks.shift();
    if (chunk !== undefined) return Promise.resolve({ done: false, value: chunk });
    if (this.cancelled) return Promise.resolve(READ_DONE);
    return new Promise((resolve) => (this.#waiting = resolve));
  }

  cancel(): void {
    this.cancelled = true;
    this.#waiting?.(READ_DONE);
  }

  write(chunk: Uint8Array): Promise<void> {
    this.written.push(...chunk);
    return new Promise((resolve, reject) => this.pendingWrites.push({ resolve, reject }));
  }

  end(): Promise<void> {
    this.ended = true;
    return Promise.resolve();
  }

  abort(): void {
    this.aborted = true;
  }

  settle(): void {
    this.pendingWrites.shift()?.resolve();
  }
}

/** The same channel with a callback write, as Node's socket channel writes. */
class CallbackChannel extends FakeChannel {
  writeThen(chunk: Uint8Array, done: WriteDone): void {
    this.written.push(...chunk);
    this.pendingWrites.push({
      resolve: () => done.written(),
      reject: (error) => done.writeFailed(error),
    });
  }
}

// Each write test runs over a channel whose writes settle a promise, and one that calls back.
const WRITES: readonly [string, () => FakeChannel][] = [
  ["promise writes", () => new FakeChannel()],
  ["callback writes", () => new CallbackChannel()],
];

const ADDR = { hostname: "127.0.0.1", port: 4000 };
const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

describe("ChannelByteStream", () => {
  it("reads through the channel directly, then through a readable made after the reader is released", async () => {
    const channel = new FakeChannel();
    const stream = new ChannelByteStream(channel, ADDR);
    channel.push(1, 2);
    channel.push(3);
    const reader = readerOf(stream);
    expect(await reader.read()).toEqual({ done: false, value: new Uint8Array([1, 2]) });
    reader.releaseLock();
    await expect(reader.read()).rejects.toThrow(TypeError);
    const web = stream.readable.getReader();
    expect(await web.read()).toEqual({ done: false, value: new Uint8Array([3]) });
    // Once made, the readable is the only way in.
    web.releaseLock();
    const again = readerOf(stream);
    channel.push(4);
    expect((await again.read()).value).toEqual(new Uint8Array([4]));
    expect(stream.remoteAddr).toEqual(ADDR);
  });

  it("keeps its readable locked while the direct reader is held", () => {
    const stream = new ChannelByteStream(new FakeChannel(), ADDR);
    const reader = readerOf(stream);
    expect(stream.readable.locked).toBe(true);
    expect(() => readerOf(stream)).toThrow(TypeError);
    reader.releaseLock();
    expect(stream.readable.locked).toBe(false);
  });

  it("cancelling the direct reader cancels the channel and ends a pending read", async () => {
    const channel = new FakeChannel();
    const reader = readerOf(new ChannelByteStream(channel, ADDR));
    const pending = reader.read();
    await reader.cancel();
    expect(channel.cancelled).toBe(true);
    expect((await pending).done).toBe(true);
  });

  for (const [kind, channelOf] of WRITES) {
    it(`${kind}: writes one at a time in order, with a WritableStream's desiredSize and ready`, async () => {
      const channel = channelOf();
      const writer = writerOf(new ChannelByteStream(channel, ADDR));
      expect(writer.desiredSize).toBe(1);
      const first = writer.write(new Uint8Array([1]));
      const second = writer.write(new Uint8Array([2]));
      expect(writer.desiredSize).toBe(-1);
      let ready = false;
      void writer.ready.then(() => (ready = true));
      await tick();
      // The second waits for the first to be done with.
      expect(channel.written).toEqual([1]);
      channel.settle();
      await first;
      expect(channel.written).toEqual([1, 2]);
      expect(ready).toBe(false);
      channel.settle();
      await second;
      await tick();
      expect(ready).toBe(true);
      expect(writer.desiredSize).toBe(1);
    });

    it(`${kind}: a writer taken after another was released shares its queue; a released writer cannot write`, async () => {
      const channel = channelOf();
      const stream = new ChannelByteStream(channel, ADDR);
      const head = writerOf(stream);
      const written = head.write(new Uint8Array([1]));
      head.releaseLock();
      await expect(head.write(new Uint8Array([9]))).rejects.toThrow(TypeError);
      const writer = writerOf(stream);
      const next = writer.write(new Uint8Array([2]));
      await tick();
      expect(channel.written).toEqual([1]);
      channel.settle();
      await written;
      expect(channel.written).toEqual([1, 2]);
      channel.settle();
      await next;
    });

    it(`${kind}: a failed write errors the writer: closed and later writes reject with the error`, async () => {
      const channel = channelOf();
      const writer = writerOf(new ChannelByteStream(channel, ADDR));
      let closedWith: unknown;
      writer.closed.catch((error) => (closedWith = error));
      const failure = new Error("reset");
      const write = writer.write(new Uint8Array([1]));
      channel.pendingWrites.shift()!.reject(failure);
      await expect(write).rejects.toBe(failure);
      await tick();
      expect(closedWith).toBe(failure);
      expect(writer.desiredSize).toBe(null);
      await expect(writer.write(new Uint8Array([2]))).rejects.toBe(failure);
    });

    it(`${kind}: close ends the channel after the queued writes; abort tears it down`, async () => {
      const channel = channelOf();
      const writer = writerOf(new ChannelByteStream(channel, ADDR));
      void writer.write(new Uint8Array([1]));
      const closing = writer.close();
      await tick();
      expect(channel.ended).toBe(false);
      channel.settle();
      await closing;
      await writer.closed;
      expect(channel.ended).toBe(true);
      await expect(writer.write(new Uint8Array([2]))).rejects.toThrow(TypeError);

      const other = channelOf();
      const aborted = writerOf(new ChannelByteStream(other, ADDR));
      const closed = aborted.closed.then(() => "closed", () => "rejected");
      await aborted.abort(new Error("gone"));
      expect(other.aborted).toBe(true);
      expect(await closed).toBe("rejected");
    });

    it(`${kind}: a writable made on demand writes through the same queue, locked while the direct writer is held`, async () => {
      const channel = channelOf();
      const stream = new ChannelByteStream(channel, ADDR);
      const direct = writerOf(stream);
      void direct.write(new Uint8Array([1]));
      expect(stream.writable.locked).toBe(true);
      direct.releaseLock();
      const web = stream.writable.getWriter();
      const written = web.write(new Uint8Array([2]));
      channel.settle();
      await tick();
      channel.settle();
      await written;
      expect(channel.written).toEqual([1, 2]);
      // Made once: the direct path has stepped aside.
      web.releaseLock();
      expect(writerOf(stream)).not.toBe(direct);
    });
  }

  it("a channel that says a write is done at once (Bun's, when the socket took it whole): nothing stays in flight", async () => {
    const failure = new Error("reset");
    let fail = false;
    const channel = new (class extends FakeChannel {
      writeThen(chunk: Uint8Array, done: WriteDone): void {
        if (fail) return done.writeFailed(failure);
        this.written.push(...chunk);
        done.written();
      }
    })();
    const writer = writerOf(new ChannelByteStream(channel, ADDR));
    const first = writer.write(new Uint8Array([1]));
    expect(writer.desiredSize).toBe(1);
    const second = writer.write(new Uint8Array([2]));
    await Promise.all([first, second, writer.ready]);
    expect(channel.written).toEqual([1, 2]);
    fail = true;
    let closedWith: unknown;
    writer.closed.catch((error) => (closedWith = error));
    await expect(writer.write(new Uint8Array([3]))).rejects.toBe(failure);
    await tick();
    expect(closedWith).toBe(failure);
    expect(writer.desiredSize).toBe(null);
  });

  it("a channel that answers later, then at once: the writes queued meanwhile go out in order and all settle", async () => {
    let later: WriteDone | undefined;
    const channel = new (class extends FakeChannel {
      writeThen(chunk: Uint8Array, done: WriteDone): void {
        this.written.push(...chunk);
        if (this.written.length === 1) later = done;
        else done.written();
      }
    })();
    const writer = writerOf(new ChannelByteStream(channel, ADDR));
    const writes = [1, 2, 3].map((byte) => writer.write(new Uint8Array([byte])));
    expect(channel.written).toEqual([1]);
    later!.written();
    await Promise.all([...writes, writer.ready]);
    expect([channel.written, writer.desiredSize]).toEqual([[1, 2, 3], 1]);
  });

  it("readerOf and writerOf give any other byte pair's own reader and writer", async () => {
    const readable = new ReadableStream<Uint8Array>({
      start(controller): void {
        controller.enqueue(new Uint8Array([5]));
        controller.close();
      },
    });
    const chunks: number[] = [];
    const writable = new WritableStream<Uint8Array>({
      write: (chunk) => void chunks.push(...chunk),
    });
    const reader = readerOf({ readable, writable });
    expect(readable.locked).toBe(true);
    expect((await reader.read()).value).toEqual(new Uint8Array([5]));
    const writer = writerOf({ readable, writable });
    await writer.write(new Uint8Array([6]));
    expect(chunks).toEqual([6]);
  });

  it("a connection copies received payloads up to the channel's copyUpTo out of the chunk, and views larger ones", async () => {
    const channel = Object.assign(new FakeChannel(), { copyUpTo: 4 });
    const connection = new Connection(new ChannelByteStream(channel, ADDR), {
      role: "client",
      heartbeatInterval: 0,
    });
    // Two unmasked binary frames in one chunk: 3 bytes, then 5.
    channel.push(0x82, 3, 1, 2, 3, 0x82, 5, 4, 5, 6, 7, 8);
    const messages = connection[Symbol.asyncIterator]();
    const small = (await messages.next()).value as Uint8Array;
    const large = (await messages.next()).value as Uint8Array;
    expect([small, large]).toEqual([new Uint8Array([1, 2, 3]), new Uint8Array([4, 5, 6, 7, 8])]);
    // The larger one is a view of the 12-byte chunk; the small one has a buffer of its own.
    expect([small.buffer.byteLength, large.buffer.byteLength]).toEqual([3, 12]);
    connection.terminate();
  });

  it("a connection unmasks 64 bits at a time over a channel with wideUnmask, to the same message", async () => {
    const channel = Object.assign(new FakeChannel(), { wideUnmask: true });
    const connection = new Connection(new ChannelByteStream(channel, ADDR), {
      role: "server",
      heartbeatInterval: 0,
    });
    const key = [0x37, 0xfa, 0x21, 0x3d];
    const payload = Array.from({ length: 100 }, (_, i) => (i * 7) & 0xff);
    channel.push(0x82, 0x80 | 100, ...key, ...payload.map((byte, i) => byte ^ key[i & 3]!));
    const message = (await connection[Symbol.asyncIterator]().next()).value as Uint8Array;
    expect(Array.from(message)).toEqual(payload);
    connection.terminate();
  });
});
