// Connection with `streaming`: messages received as streams whose reading paces the socket,
// messages sent from streams with backpressure, and what happens around them (other sends,
// cancelled streams, failing sources, limits, compressed messages). In memory, both ends ours.
import { describe, expect, it } from "vitest";
import { zlibDeflateEngine } from "../../src/adapters/zlib_deflate.ts";
import type { DeflateParams } from "../../src/protocol/permessage_deflate.ts";
import { deflateWorstCase } from "../../src/protocol/deflate_bound.ts";
import { MessageTooBigError } from "../../src/protocol/errors.ts";
import { Opcode } from "../../src/protocol/opcode.ts";
import { PreparedFrame } from "../../src/protocol/prepared_frame.ts";
import { Session } from "../../src/protocol/session.ts";
import { connectionDeflate } from "../../src/streams/connection_setup.ts";
import type { Connection } from "../../src/streams/connection.ts";
import type { ConnectionOptions } from "../../src/streams/connection_options.ts";
import { FrameWriter } from "../../src/streams/frame_writer.ts";
import type { IncomingMessageStream } from "../../src/streams/incoming_streams.ts";
import { joinHeld, MessageStreaming } from "../../src/streams/message_streaming.ts";
import { connectedPair } from "../../src/testing/connected_pair.ts";
import { delay, withTimeout } from "../_helpers/with_timeout.ts";

type Side = Omit<ConnectionOptions, "role">;
const QUIET: Side = { heartbeatInterval: 0 };

function pair(server: Side = {}, client: Side = {}): { server: Connection; client: Connection } {
  return connectedPair({ server: { ...QUIET, ...server }, client: { ...QUIET, ...client } });
}

async function nextStream(ws: Connection): Promise<IncomingMessageStream> {
  const { value, done } = await withTimeout(ws.messageStreams().next(), 5_000, "a stream");
  if (done) throw new Error("The connection ended");
  return value;
}

/** An async iterable of `chunks`. */
async function* from(...chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* chunks;
}

async function bytesOf(readable: ReadableStream<Uint8Array>): Promise<number> {
  let bytes = 0;
  for await (const chunk of readable) bytes += chunk.length;
  return bytes;
}

describe("Connection streaming", () => {
  it("reads messages only one way: messageStreams() with streaming, for await without", async () => {
    const plain = pair();
    expect(() => plain.server.messageStreams()).toThrow(TypeError);
    const streaming = pair({ streaming: true });
    expect(() => streaming.server[Symbol.asyncIterator]()).toThrow(TypeError);
    await plain.client.close(1000);
    await streaming.client.close(1000);
  });

  it("reads the socket only as fast as the stream is read (backpressure), then delivers every byte", async () => {
    const { server, client } = pair({ streaming: true, readHighWaterMark: 16_384 });
    let produced = 0;
    const sending = client.sendStream((async function* () {
      for (let i = 0; i < 256; i++) {
        produced++;
        yield new Uint8Array(16_384).fill(i);
      }
    })());
    const message = await nextStream(server);
    await delay(100);
    // Nothing reads the stream: the sender is held back after a few chunks, not 4 MiB.
    expect(produced).toBeLessThan(16);
    expect(await bytesOf(message.readable)).toBe(256 * 16_384);
    await withTimeout(sending, 5_000, "the send to finish");
    expect(produced).toBe(256);
    await client.close(1000);
  });

  it("delivers every one of several messages that arrive in one chunk, in order", async () => {
    const { server, client } = pair({ streaming: true });
    for (const word of ["one", "two", "three"]) void client.send(word);
    const words: string[] = [];
    for (let i = 0; i < 3; i++) {
      words.push(await new Response((await nextStream(server)).readable).text());
    }
    expect(words).toEqual(["one", "two", "three"]);
    await client.close(1000);
  });

  it("a cancelled stream discards the rest of its message; the next one arrives", async () => {
    const { server, client } = pair({ streaming: true, readHighWaterMark: 1024 });
    const first = client.sendStream(from(new Uint8Array(100_000), new Uint8Array(100_000)));
    const dropped = await nextStream(server);
    await dropped.readable.cancel();
    await first;
    await client.sendStream(
      (async function* () {
        yield "after";
      })(),
      Opcode.Text,
    );
    const next = await nextStream(server);
    expect(next.opcode).toBe(Opcode.Text);
    expect(await new Response(next.readable).text()).toBe("after");
    await client.close(1000);
  });

  it("rfc6455#section-5.4 a send made while a stream is being sent waits for the stream's last fragment", async () => {
    const { server, client } = pair({}, {});
    let release!: () => void;
    const gate = new Promise<void>((resolve) => release = resolve);
    const streamed = client.sendStream(
      (async function* () {
        yield "one ";
        await gate;
        yield "two";
      })(),
      Opcode.Text,
    );
    const after = client.send("after");
    await delay(20);
    release();
    await streamed;
    await after;
    const iterator = server[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toBe("one two");
    expect((await iterator.next()).value).toBe("after");
    await client.close(1000);
  });

  it("rfc6455#section-5.4 a prepared frame (a topic's publish) queued while a stream is being sent waits for its last fragment", async () => {
    const { server, client } = pair({}, {});
    let release!: () => void;
    const gate = new Promise<void>((resolve) => release = resolve);
    const streamed = server.sendStream(
      (async function* () {
        yield "one ";
        await gate;
        yield "two";
      })(),
      Opcode.Text,
    );
    await delay(20); // the first fragment is out
    expect(server.sendPrepared(PreparedFrame.of("published"))).toBe("queued");
    await delay(20);
    release();
    await streamed;
    const iterator = client[Symbol.asyncIterator]();
    expect((await withTimeout(iterator.next(), 5_000, "the streamed message")).value).toBe(
      "one two",
    );
    expect((await withTimeout(iterator.next(), 5_000, "the publish")).value).toBe("published");
    await client.close(1000);
  });

  it("rfc6455#section-7.4.1 a source that fails after its first fragment closes the connection with 1011", async () => {
    const { server, client } = pair();
    const failure = new Error("disk gone");
    const sending = client.sendStream((async function* () {
      yield new Uint8Array(10);
      throw failure;
    })());
    await expect(sending).rejects.toBe(failure);
    expect((await withTimeout(server.closed, 5_000, "the close")).code).toBe(1011);
  });

  it("rfc6455#section-10.4 a streamed message over the streaming maxMessageSize fails with 1009 and errors its stream", async () => {
    const { server, client } = pair({ streaming: { maxMessageSize: 50_000 } });
    void client.sendStream(from(new Uint8Array(40_000), new Uint8Array(40_000))).catch(
      () => {},
    );
    const message = await nextStream(server);
    await expect(bytesOf(message.readable)).rejects.toMatchObject({ closeCode: 1009 });
    expect((await client.closed).code).toBe(1009);
  });

  it("rfc6455#section-8.1 text that turns invalid fails with 1007 and errors its stream with InvalidPayloadError", async () => {
    const { server, client } = pair({ streaming: true });
    void client.sendStream(
      from(new TextEncoder().encode("ok "), new Uint8Array([0xff])),
      Opcode.Text,
    )
      .catch(() => {});
    const message = await nextStream(server);
    await expect(bytesOf(message.readable)).rejects.toMatchObject({
      name: "InvalidPayloadError",
      closeCode: 1007,
    });
    expect((await client.closed).code).toBe(1007);
  });

  it("rfc7692#section-7.2.2 a compressed message is inflated whole, then streamed", async () => {
    const params: DeflateParams = {
      serverNoContextTakeover: true,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
    };
    const { server, client } = pair(
      { streaming: true, deflate: connectionDeflate(zlibDeflateEngine, "server", { params }) },
      { deflate: connectionDeflate(zlibDeflateEngine, "client", { params }) },
    );
    const text = "compressible ".repeat(1000);
    await client.send(text);
    const message = await nextStream(server);
    expect(message.opcode).toBe(Opcode.Text);
    expect(await new Response(message.readable).text()).toBe(text);
    await client.close(1000);
  });
});

describe("MessageStreaming", () => {
  function streaming(maxMessageSize: number): { part: MessageStreaming; caughtUp: () => number } {
    const session = new Session({ role: "server" });
    const frames = new FrameWriter(session, new WritableStream<Uint8Array>().getWriter(), 65_536);
    let caughtUp = 0;
    const part = new MessageStreaming(65_536, maxMessageSize, session, frames, {
      caughtUp: () => caughtUp++,
    });
    return { part, caughtUp: () => caughtUp };
  }

  it("rfc7692#section-7.2.2 holds a compressed message whole and hands it back at its end", () => {
    const { part } = streaming(1024);
    part.start(false, true, true);
    expect(part.data(new Uint8Array([1, 2]))).toBeUndefined();
    expect(part.data(new Uint8Array([3]))).toBeUndefined();
    const held = part.end()!;
    expect(held.text).toBe(false);
    expect(joinHeld(held)).toEqual(new Uint8Array([1, 2, 3]));
    // Nothing is held any more: the next message streams.
    part.start(true, false, true);
    expect(part.end()).toBeUndefined();
  });

  it("rfc6455#section-10.4 a held message over maxMessageSize plus deflate's worst case fails with 1009", () => {
    const { part } = streaming(1024);
    const limit = deflateWorstCase(1024);
    part.start(true, true, true);
    expect(part.data(new Uint8Array(limit))).toBeUndefined();
    const error = part.data(new Uint8Array(1));
    expect(error).toBeInstanceOf(MessageTooBigError);
    expect(error!.closeCode).toBe(1009);
    // The message is dropped: its end hands nothing back.
    expect(part.end()).toBeUndefined();
  });

  it("tells the closing deadlines once the handler has taken every stream", async () => {
    const { part, caughtUp } = streaming(1024);
    part.whole("one");
    const streams = part.iterator();
    const { value } = await streams.next();
    expect(await new Response(value!.readable).text()).toBe("one");
    expect(caughtUp()).toBe(1);
  });
});
