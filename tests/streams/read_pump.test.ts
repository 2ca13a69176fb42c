// The read pump under Connection (src/streams/read_pump.ts): the shared budget for unfinished
// messages, and reading no further while the handler does not read. Over an in-memory byte pair:
// nothing sleeps. (tests/adapters/contract.ts keeps the real-socket check of the budget.)
import { describe, expect, it } from "vitest";
import { Opcode } from "../../src/protocol/opcode.ts";
import type { CloseEvent } from "../../src/protocol/session_events.ts";
import { Connection } from "../../src/streams/connection.ts";
import { MemoryBudget } from "../../src/streams/memory_budget.ts";
import { byteStreamPair } from "../../src/testing/byte_stream_pair.ts";
import { FakeClock } from "../../src/testing/fake_clock.ts";
import { PushedReads } from "../../src/streams/pushed_reads.ts";
import {
  ChannelByteStream,
  type ReadSink,
  type SocketChannel,
} from "../../src/streams/socket_channel.ts";
import { frame } from "../_helpers/conformance_peer.ts";
import { CLOSE, closeCode, serverWithPeer } from "../_helpers/memory_peer.ts";

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await nextTurn();
  expect(condition()).toBe(true);
}

describe("ReadPump memory budget", () => {
  it("rfc6455#section-7.4.1 a connection that would overdraw the partial-message budget is closed with 1013", async () => {
    const budget = new MemoryBudget(1024);
    const first = serverWithPeer({ partialMessageBudget: budget });
    first.peer.send(Opcode.Binary, new Uint8Array(600), false);
    await until(() => budget.used >= 600);

    const second = serverWithPeer({ partialMessageBudget: budget });
    let secondClosed: CloseEvent | undefined;
    void second.server.closed.then((event) => secondClosed = event);
    second.peer.send(Opcode.Binary, new Uint8Array(600), false);
    const close = await second.peer.nextFrame();
    expect(close?.opcode).toBe(CLOSE);
    expect(closeCode(close)).toBe(1013);
    second.peer.closeTransport();
    await until(() => secondClosed !== undefined);
    expect(secondClosed?.code).toBe(1013);

    // The first connection still completes its message, and gives its bytes back.
    first.peer.send(Opcode.Continuation, new Uint8Array(10));
    const iterator = first.server[Symbol.asyncIterator]();
    const message = await iterator.next();
    expect((message.value as Uint8Array).length).toBe(610);
    expect(budget.used).toBe(0);
    first.server.terminate();
    await first.server.closed;
  });

  it("gives the held bytes back when the connection ends mid-message", async () => {
    const budget = new MemoryBudget(1024);
    const { server, peer } = serverWithPeer({ partialMessageBudget: budget });
    peer.send(Opcode.Binary, new Uint8Array(500), false);
    await until(() => budget.used === 500);
    server.terminate();
    await server.closed;
    expect(budget.used).toBe(0);
  });
});

describe("ReadPump backpressure", () => {
  it("stops reading the transport while the handler does not read, and goes on once it does", async () => {
    const [serverEnd, peerEnd] = byteStreamPair();
    const server = new Connection(serverEnd, {
      role: "server",
      clock: new FakeClock(),
      heartbeatInterval: 0,
      readHighWaterMark: 100,
    });
    const writer = peerEnd.writable.getWriter();
    // A fresh buffer each time: the receiver unmasks in place.
    const message = (): Uint8Array => frame(Opcode.Text, "x".repeat(60));
    // Each write completes only once the Connection's side has read it, as a socket's does.
    let written = 0;
    for (let i = 0; i < 10; i++) void writer.write(message()).then(() => written++);
    for (let i = 0; i < 20; i++) await nextTurn();
    // Two 60-byte messages pass the 100-byte mark: the pump waits, the rest stays unread.
    expect(written).toBeLessThan(5);

    const iterator = server[Symbol.asyncIterator]();
    for (let i = 0; i < 10; i++) expect((await iterator.next()).value).toBe("x".repeat(60));
    await until(() => written === 10);
    server.terminate();
    await server.closed;
  });

  it("over a socket that pushes its bytes: no read waits, the socket pauses while the handler does not read, and resumes once it does", async () => {
    const channel = new PushingChannel(100);
    const server = new Connection(new ChannelByteStream(channel, { hostname: "", port: 0 }), {
      role: "server",
      clock: new FakeClock(),
      heartbeatInterval: 0,
      readHighWaterMark: 100,
    });
    expect(channel.listening).toBe(true);
    // Two 60-byte messages pass the 100-byte mark: the pump takes no more; the rest queues
    // in the channel, which pauses the socket at its own mark.
    for (let i = 0; i < 4; i++) channel.arrive(frame(Opcode.Text, "x".repeat(60)));
    expect(channel.paused).toBe(true);
    const iterator = server[Symbol.asyncIterator]();
    for (let i = 0; i < 4; i++) expect((await iterator.next()).value).toBe("x".repeat(60));
    await until(() => !channel.paused);
    // Messages arrive as they come once the handler keeps up; the end of the socket ends it.
    const next = iterator.next();
    channel.arrive(frame(Opcode.Text, "y"));
    expect((await next).value).toBe("y");
    let closed: CloseEvent | undefined;
    void server.closed.then((event) => closed = event);
    channel.reads.pushEnd();
    await until(() => closed !== undefined);
    expect(closed?.code).toBe(1006);
  });

  it("over a socket that pushes its bytes: the handshake's trailing bytes first, then what was queued before the pump listened, in order", async () => {
    const channel = new PushingChannel(1024);
    // Arrived while the 101 was on its way: queued in the channel until the pump listens.
    channel.arrive(frame(Opcode.Text, "second"));
    const server = new Connection(new ChannelByteStream(channel, { hostname: "", port: 0 }), {
      role: "server",
      clock: new FakeClock(),
      heartbeatInterval: 0,
      head: frame(Opcode.Text, "first"),
    });
    channel.arrive(frame(Opcode.Text, "third"));
    const iterator = server[Symbol.asyncIterator]();
    const received = [];
    for (let i = 0; i < 3; i++) received.push((await iterator.next()).value);
    expect(received).toEqual(["first", "second", "third"]);
    server.terminate();
    await server.closed;
  });
});

/** A socket channel that pushes what arrives, as the Node and Bun adapters' do. */
class PushingChannel implements SocketChannel {
  paused = false;
  listening = false;
  readonly reads: PushedReads;
  constructor(highWaterMark: number) {
    this.reads = new PushedReads({
      pause: () => this.paused = true,
      resume: () => this.paused = false,
      isPaused: () => this.paused,
    }, highWaterMark);
  }
  arrive(chunk: Uint8Array): void {
    this.reads.push(chunk);
  }
  read(): Promise<ReadableStreamReadResult<Uint8Array>> {
    return this.reads.read();
  }
  listen(sink: ReadSink): void {
    this.listening = true;
    this.reads.listen(sink);
  }
  cancel(): void {
    this.reads.cancelReads();
  }
  write(): Promise<void> {
    return Promise.resolve();
  }
  end(): Promise<void> {
    return Promise.resolve();
  }
  abort(): void {}
}
