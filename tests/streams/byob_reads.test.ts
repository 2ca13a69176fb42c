// Reading and writing through buffers of one's own (BYOB): a transport whose readable is a byte
// stream (`ByteStream.byob`, as Deno's sockets are) is read into a buffer the read pump reuses
// while nothing refers to it, a received message's stream can be read into the reader's own
// buffer, and `sendStream` reads a byte stream into buffers of its own. Over an in-memory
// transport built here: the byte stream records what each read's buffer held before it was
// filled, which shows whether a buffer was reused or new.
import { describe, expect, it } from "vitest";
import type { Frame } from "../../src/protocol/frame.ts";
import { FrameParser } from "../../src/protocol/frame_parser.ts";
import { Opcode } from "../../src/protocol/opcode.ts";
import type { ByteStream } from "../../src/streams/byte_stream.ts";
import { Connection } from "../../src/streams/connection.ts";
import type { ConnectionOptions } from "../../src/streams/connection_options.ts";
import { ChannelByteStream, type SocketChannel } from "../../src/streams/socket_channel.ts";
import { FakeClock } from "../../src/testing/fake_clock.ts";
import { concatBytes, frame } from "../_helpers/conformance_peer.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

interface ByobTransport {
  stream: ByteStream;
  /** Bytes from the peer, handed to the next read. */
  push(bytes: Uint8Array): void;
  /** What each BYOB read's buffer held before it was filled, in order. */
  before: Uint8Array[];
  /** The server's frames, as the peer parses them. */
  frames: Frame[];
}

function byobTransport(): ByobTransport {
  const waiting: Uint8Array[] = [];
  let wake: (() => void) | undefined;
  const before: Uint8Array[] = [];
  const frames: Frame[] = [];
  const parser = new FrameParser({ role: "client" });
  const readable = new ReadableStream({
    type: "bytes",
    async pull(controller): Promise<void> {
      const request = controller.byobRequest;
      const view = request?.view;
      if (view !== null && view !== undefined) {
        before.push(new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice());
      }
      while (waiting.length === 0) await new Promise<void>((resolve) => wake = resolve);
      const bytes = waiting.shift()!;
      if (request === null || request === undefined || view === null || view === undefined) {
        controller.enqueue(bytes.slice());
        return;
      }
      const target = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
      const fits = Math.min(target.length, bytes.length);
      target.set(bytes.subarray(0, fits));
      if (fits < bytes.length) waiting.unshift(bytes.subarray(fits));
      request.respond(fits);
    },
  });
  const writable = new WritableStream<Uint8Array>({
    write(chunk): void {
      parser.push(chunk.slice(), (f) => frames.push({ ...f, payload: f.payload.slice() }));
    },
  });
  return {
    stream: { readable, writable, byob: true },
    push(bytes): void {
      waiting.push(bytes);
      wake?.();
      wake = undefined;
    },
    before,
    frames,
  };
}

function server(
  transport: ByobTransport,
  options: Omit<ConnectionOptions, "role" | "clock"> = {},
): Connection {
  return new Connection(transport.stream, {
    role: "server",
    clock: new FakeClock(),
    heartbeatInterval: 0,
    ...options,
  });
}

/** Bytes from the peer: `push` hands them to the next `next()`, which waits for them. */
function peerBytes(): { push(bytes: Uint8Array): void; next(): Promise<Uint8Array> } {
  const waiting: Uint8Array[] = [];
  let wake: (() => void) | undefined;
  return {
    push(bytes): void {
      waiting.push(bytes);
      wake?.();
      wake = undefined;
    },
    async next(): Promise<Uint8Array> {
      while (waiting.length === 0) await new Promise<void>((resolve) => wake = resolve);
      return waiting.shift()!;
    },
  };
}

// A channel's sending side and cancel, for tests about its reads: writes succeed, the rest does
// nothing.
const QUIET_SIDE: Pick<SocketChannel, "cancel" | "write" | "end" | "abort"> = {
  cancel: () => {},
  write: () => Promise.resolve(),
  end: () => Promise.resolve(),
  abort: () => {},
};

/** A server `Connection` over `channel` (no web streams between them). */
function channelServer(
  channel: SocketChannel,
  options: Omit<ConnectionOptions, "role" | "clock"> = {},
): Connection {
  return new Connection(new ChannelByteStream(channel, { hostname: "127.0.0.1", port: 1 }), {
    role: "server",
    clock: new FakeClock(),
    heartbeatInterval: 0,
    ...options,
  });
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 0));
  expect(condition()).toBe(true);
}

describe("a BYOB transport (ByteStream.byob)", () => {
  it("is read into one buffer again and again while nothing refers to it (streamed bytes are copied on)", async () => {
    const transport = byobTransport();
    const ws = server(transport, { streaming: {} });
    const streams = ws.messageStreams();
    transport.push(frame(Opcode.Binary, new Uint8Array(1000).fill(0xaa), { fin: false }));
    const { value: message } = await streams.next();
    const reader = message!.readable.getReader();
    const first = await reader.read();
    await until(() => transport.before.length === 2);
    transport.push(frame(Opcode.Continuation, new Uint8Array(10).fill(0xbb)));
    const second = await reader.read();
    // The second read's buffer is the first one: it still holds the first frame's header
    // (0x02: a Binary frame without FIN) and its unmasked payload.
    expect(transport.before[1]![0]).toBe(0x02);
    expect(transport.before[1]![8]).toBe(0xaa); // after 2 + 2 + 4 header bytes
    // What the message's reader got are copies, unchanged by the reuse.
    expect(first.value).toEqual(new Uint8Array(1000).fill(0xaa));
    expect(second.value).toEqual(new Uint8Array(10).fill(0xbb));
    expect((await reader.read()).done).toBe(true);
    ws.terminate();
  });

  it("gets a new buffer while a delivered message is a view of the last one", async () => {
    const transport = byobTransport();
    const ws = server(transport);
    const messages = ws[Symbol.asyncIterator]();
    transport.push(concatBytes(
      frame(Opcode.Binary, new Uint8Array(100).fill(1)),
      frame(Opcode.Binary, new Uint8Array(100).fill(2)),
      frame(Opcode.Binary, new Uint8Array(100).fill(3)),
    ));
    const kept = [];
    for (let i = 0; i < 3; i++) kept.push((await messages.next()).value as Uint8Array);
    await until(() => transport.before.length === 2);
    transport.push(frame(Opcode.Binary, new Uint8Array(100).fill(4)));
    const fourth = (await messages.next()).value as Uint8Array;
    // A new buffer (all zeros), so the three messages still read as they arrived.
    expect(transport.before[1]!.every((byte) => byte === 0)).toBe(true);
    expect(kept.map((m) => [m.length, m[0], m[99]])).toEqual([[100, 1, 1], [100, 2, 2], [
      100,
      3,
      3,
    ]]);
    expect([fourth.length, fourth[0]]).toEqual([100, 4]);
    ws.terminate();
  });

  it("reads into the same buffer while a frame that spans reads is held: the parser copied its bytes", async () => {
    const transport = byobTransport();
    const ws = server(transport);
    const messages = ws[Symbol.asyncIterator]();
    const whole = frame(Opcode.Binary, new Uint8Array(3000).map((_, i) => i & 0xff));
    // Less than the smallest read (1 KiB), so it arrives in one read.
    transport.push(whole.subarray(0, 700));
    await until(() => transport.before.length === 2);
    transport.push(whole.subarray(700));
    const message = (await withTimeout(messages.next(), 5_000, "the message")).value as Uint8Array;
    // The first read's buffer again (it still holds the frame's first bytes: 0x82, Binary).
    expect(transport.before[1]![0]).toBe(0x82);
    expect(message).toEqual(new Uint8Array(3000).map((_, i) => i & 0xff));
    ws.terminate();
  });

  it("gets a new buffer while the fragments of an unfinished message are held", async () => {
    const transport = byobTransport();
    const ws = server(transport);
    const messages = ws[Symbol.asyncIterator]();
    transport.push(frame(Opcode.Binary, new Uint8Array(100).fill(5), { fin: false }));
    await until(() => transport.before.length === 2);
    transport.push(frame(Opcode.Continuation, new Uint8Array(50).fill(6)));
    const message = (await withTimeout(messages.next(), 5_000, "the message")).value as Uint8Array;
    // A new buffer (all zeros): the first fragment is a view of the first one.
    expect(transport.before[1]!.every((byte) => byte === 0)).toBe(true);
    expect(message).toEqual(
      concatBytes(new Uint8Array(100).fill(5), new Uint8Array(50).fill(6)),
    );
    ws.terminate();
  });
});

describe("a received message's stream read with a BYOB reader", () => {
  it("fills the reader's own buffer, read into again and again", async () => {
    const transport = byobTransport();
    const ws = server(transport, { streaming: {} });
    const streams = ws.messageStreams();
    const payload = new Uint8Array(20_000).map((_, i) => i % 251);
    transport.push(frame(Opcode.Binary, payload));
    const { value: message } = await streams.next();
    const reader = message!.readable.getReader({ mode: "byob" });
    const received: Uint8Array[] = [];
    let buffer = new ArrayBuffer(16_384);
    for (let i = 0; i < 100; i++) {
      const { value, done } = await reader.read(new Uint8Array(buffer));
      if (done) break;
      // The bytes are in the buffer the reader brought (transferred back to it).
      expect(value!.buffer.byteLength).toBe(16_384);
      received.push(value!.slice());
      buffer = value!.buffer as ArrayBuffer;
    }
    expect(concatBytes(...received)).toEqual(payload);
    ws.terminate();
  });
});

describe("sendStream from a byte stream", () => {
  it("sends its bytes, read into buffers of its own, as one fragmented message in order", async () => {
    const transport = byobTransport();
    const ws = server(transport);
    const parts = [
      new Uint8Array(70_000).fill(7),
      new Uint8Array(5).fill(8),
      new Uint8Array(300).fill(9),
    ];
    let next = 0;
    const source = new ReadableStream({
      type: "bytes",
      pull(controller): void {
        const part = parts[next++];
        if (part === undefined) {
          controller.close();
          controller.byobRequest?.respond(0);
          return;
        }
        const view = controller.byobRequest!.view!;
        const target = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
        const fits = Math.min(target.length, part.length);
        target.set(part.subarray(0, fits));
        if (fits < part.length) parts.splice(next, 0, part.subarray(fits));
        controller.byobRequest!.respond(fits);
      },
    });
    await withTimeout(ws.sendStream(source, Opcode.Binary), 5_000, "the streamed send");
    await until(() => transport.frames.at(-1)?.fin === true);
    const frames = transport.frames;
    expect(frames[0]!.opcode).toBe(Opcode.Binary);
    expect(frames.slice(1).every((f) => f.opcode === Opcode.Continuation)).toBe(true);
    expect(frames.slice(0, -1).every((f) => !f.fin)).toBe(true);
    expect(concatBytes(...frames.map((f) => f.payload))).toEqual(concatBytes(
      new Uint8Array(70_000).fill(7),
      new Uint8Array(5).fill(8),
      new Uint8Array(300).fill(9),
    ));
    ws.terminate();
  });
});

describe("a socket channel that reads into the caller's buffer (SocketChannel.readInto, Deno's)", () => {
  it("is read into the read pump's own buffer, reused while nothing refers to it", async () => {
    const peer = peerBytes();
    const before: Uint8Array[] = [];
    const channel: SocketChannel = {
      read: () => Promise.reject(new Error("read() is not used when readInto is there")),
      async readInto(view) {
        before.push(view.slice());
        const bytes = await peer.next();
        view.set(bytes);
        return { done: false, value: view.subarray(0, bytes.length) };
      },
      ...QUIET_SIDE,
    };
    const push = peer.push;
    const ws = channelServer(channel, { streaming: {} });
    const streams = ws.messageStreams();
    push(frame(Opcode.Binary, new Uint8Array(1000).fill(0xaa), { fin: false }));
    const { value: message } = await streams.next();
    const reader = message!.readable.getReader();
    expect((await reader.read()).value).toEqual(new Uint8Array(1000).fill(0xaa));
    await until(() => before.length === 2);
    push(frame(Opcode.Continuation, new Uint8Array(10).fill(0xbb)));
    expect((await reader.read()).value).toEqual(new Uint8Array(10).fill(0xbb));
    // The second read went into the first read's buffer: its header byte (0x02) and payload.
    expect([before[1]![0], before[1]![8]]).toEqual([0x02, 0xaa]);
    ws.terminate();
  });
});

describe("a socket channel that reads into what the head's read left (SocketChannel.readSpare, Deno's)", () => {
  it("takes the first reads there while enough is left, then reads into the pump's own buffers", async () => {
    const peer = peerBytes();
    const next = peer.next;
    // What the head's read left of a 1 KiB buffer: 700 bytes.
    const head = new Uint8Array(1024);
    let spare: Uint8Array | undefined = head.subarray(324);
    const reads: string[] = [];
    const channel: SocketChannel = {
      read: () => Promise.reject(new Error("read() is not used by the pump")),
      readSpare(min) {
        if (spare === undefined || spare.length < min) return undefined;
        const into = spare;
        spare = undefined;
        reads.push(`spare ${into.length}`);
        return next().then((bytes) => {
          into.set(bytes);
          if (bytes.length < into.length) spare = into.subarray(bytes.length);
          return { done: false, value: into.subarray(0, bytes.length) };
        });
      },
      async readInto(view) {
        reads.push(`own ${view.length}`);
        const bytes = await next();
        view.set(bytes);
        return { done: false, value: view.subarray(0, bytes.length) };
      },
      ...QUIET_SIDE,
    };
    const push = peer.push;
    const ws = channelServer(channel);
    const messages = ws[Symbol.asyncIterator]();
    push(frame(Opcode.Binary, new Uint8Array(100).fill(0xaa)));
    const first = (await messages.next()).value as Uint8Array;
    push(frame(Opcode.Binary, new Uint8Array(100).fill(0xbb)));
    const second = (await messages.next()).value as Uint8Array;
    push(frame(Opcode.Binary, new Uint8Array(400).fill(0xcc)));
    const third = (await messages.next()).value as Uint8Array;
    await until(() => reads.length === 4);
    // 700 bytes left, then 594: each at least half the pump's 1 KiB; then 488, too few. The
    // third message is a view of the pump's buffer: the next read gets a new one.
    expect(reads).toEqual(["spare 700", "spare 594", "own 1024", "own 1024"]);
    // Messages read there are never read over.
    expect([first, second, third]).toEqual([
      new Uint8Array(100).fill(0xaa),
      new Uint8Array(100).fill(0xbb),
      new Uint8Array(400).fill(0xcc),
    ]);
    ws.terminate();
  });
});
