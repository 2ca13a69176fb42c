// When a Connection's sends reach the socket (src/streams/frame_writer.ts): what a handler
// sends while working through a batch of received messages goes out in one write once it asks
// for more, and a handler that stops reading half-way still has its sends written, at the end
// of the turn of the event loop. Over a socket channel that records its writes.
import { describe, expect, it } from "vitest";
import { concatBytes, frame } from "../_helpers/conformance_peer.ts";
import { Opcode } from "../../src/protocol/opcode.ts";
import { Connection } from "../../src/streams/connection.ts";
import { PushedReads } from "../../src/streams/pushed_reads.ts";
import {
  ChannelByteStream,
  type ReadSink,
  type SocketChannel,
} from "../../src/streams/socket_channel.ts";
import { FakeClock } from "../../src/testing/fake_clock.ts";

/** The unmasked Text frames in `bytes`, as their texts (payloads under 126 bytes). */
function texts(bytes: Uint8Array): string[] {
  const out: string[] = [];
  for (let at = 0; at < bytes.length;) {
    const length = bytes[at + 1]! & 0x7f;
    out.push(new TextDecoder().decode(bytes.subarray(at + 2, at + 2 + length)));
    at += 2 + length;
  }
  return out;
}

/** A socket channel that pushes what arrives and records what is written. */
class RecordingChannel implements SocketChannel {
  paused = false;
  readonly writes: Uint8Array[] = [];
  // The chunks as written, not copied: views of the connection's output buffer.
  readonly views: Uint8Array[] = [];
  readonly reads: PushedReads = new PushedReads({
    pause: () => this.paused = true,
    resume: () => this.paused = false,
    isPaused: () => this.paused,
  }, 65_536);
  read(): Promise<ReadableStreamReadResult<Uint8Array>> {
    return this.reads.read();
  }
  listen(sink: ReadSink): void {
    this.reads.listen(sink);
  }
  cancel(): void {
    this.reads.cancelReads();
  }
  write(chunk: Uint8Array): Promise<void> {
    this.writes.push(chunk.slice());
    this.views.push(chunk);
    return Promise.resolve();
  }
  end(): Promise<void> {
    return Promise.resolve();
  }
  abort(): void {}
}

function server(channel: RecordingChannel): Connection {
  return new Connection(new ChannelByteStream(channel, { hostname: "", port: 0 }), {
    role: "server",
    clock: new FakeClock(),
    heartbeatInterval: 0,
  });
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

describe("FrameWriter", () => {
  it("writes the replies to a batch of messages in one write, once the handler asks for more", async () => {
    const channel = new RecordingChannel();
    const connection = server(channel);
    const iterator = connection[Symbol.asyncIterator]();
    const echoed = (async () => {
      for (let i = 0; i < 3; i++) {
        const { value } = await iterator.next();
        await connection.send(value!);
      }
    })();
    channel.reads.push(
      concatBytes(frame(Opcode.Text, "a"), frame(Opcode.Text, "b"), frame(Opcode.Text, "c")),
    );
    await echoed;
    // The replies wait for the handler's next read (or the end of the turn).
    expect(channel.writes.length).toBe(0);
    const next = iterator.next();
    expect(channel.writes.map(texts)).toEqual([["a", "b", "c"]]);
    connection.terminate();
    await next;
    await connection.closed;
  });

  it("writes what a handler sent before it stopped reading a batch, at the end of the turn", async () => {
    const channel = new RecordingChannel();
    const connection = server(channel);
    const iterator = connection[Symbol.asyncIterator]();
    const first = iterator.next();
    channel.reads.push(
      concatBytes(frame(Opcode.Text, "a"), frame(Opcode.Text, "b"), frame(Opcode.Text, "c")),
    );
    expect((await first).value).toBe("a");
    // Messages wait to be read, but the handler does something else for a while.
    await connection.send("reply");
    expect(channel.writes.length).toBe(0);
    await nextTurn();
    await nextTurn();
    expect(channel.writes.map(texts)).toEqual([["reply"]]);
    // Later batches are written as before: the writer is not left waiting for a turn.
    expect((await iterator.next()).value).toBe("b");
    await connection.send("again");
    expect((await iterator.next()).value).toBe("c");
    await connection.send("and again");
    const next = iterator.next();
    expect(channel.writes.map(texts)).toEqual([["reply"], ["again", "and again"]]);
    connection.terminate();
    await next;
    await connection.closed;
  });

  it("a connection whose writes are done holds no output buffer: it went back for the next batch of any connection", async () => {
    const channelA = new RecordingChannel();
    const channelB = new RecordingChannel();
    const a = server(channelA);
    const b = server(channelB);
    await a.send(new Uint8Array(3000));
    await nextTurn();
    expect(channelA.views.length).toBe(1);
    // `a` is quiet now; what it wrote into is where `b`'s frames go.
    await b.send(new Uint8Array(3000).fill(7));
    await nextTurn();
    expect(channelB.views.length).toBe(1);
    expect(channelB.views[0]!.buffer).toBe(channelA.views[0]!.buffer);
    for (const connection of [a, b]) {
      connection.terminate();
      await connection.closed;
    }
  });

  it("over a writable that keeps what it was given, a chunk written is never written over", async () => {
    // A plain WritableStream's write settles once its sink has the chunk, which it may keep
    // and read later: unlike a socket's, its chunks must not be reused.
    const kept: Uint8Array[] = [];
    const connection = new Connection({
      readable: new ReadableStream<Uint8Array>(),
      writable: new WritableStream<Uint8Array>({ write: (chunk) => void kept.push(chunk) }),
    }, { role: "server", clock: new FakeClock(), heartbeatInterval: 0 });
    for (const text of ["one", "two", "three"]) {
      await connection.send(text);
      await nextTurn();
    }
    expect(kept.map(texts)).toEqual([["one"], ["two"], ["three"]]);
    connection.terminate();
    await connection.closed;
  });
});
