// A connection's messages as web streams (src/streams/message_streams.ts), over an in-memory byte
// pair with a raw peer: the writable sends each chunk as one message and, closed or aborted,
// starts the closing handshake without a code, as WebSocketStream's writable does (the same
// function: tests/client/websocket_stream.test.ts checks it over real sockets); cancelling
// the readable does the same.
import { describe, expect, it } from "vitest";
import { Connection } from "../../src/streams/connection.ts";
import { messageWritable } from "../../src/streams/message_streams.ts";
import { byteStreamPair } from "../../src/testing/byte_stream_pair.ts";
import { CLOSE, closeCode, MemoryPeer, TEXT } from "../_helpers/memory_peer.ts";

function serverWithPeer(): { server: Connection; peer: MemoryPeer } {
  const [serverEnd, peerEnd] = byteStreamPair();
  return {
    server: new Connection(serverEnd, { role: "server", heartbeatInterval: 0 }),
    peer: new MemoryPeer(peerEnd),
  };
}

describe("Connection.writable", () => {
  it("sends each chunk as one message", async () => {
    const { server, peer } = serverWithPeer();
    // The peer reads first: the in-memory pair, like a socket, holds a write until it is read.
    const reading = peer.nextFrame();
    const writer = server.writable.getWriter();
    await writer.write("one");
    await writer.write(new Uint8Array([1, 2]));
    const first = await reading;
    expect(first?.opcode).toBe(TEXT);
    expect(new TextDecoder().decode(first?.payload)).toBe("one");
    expect([...(await peer.nextFrame())!.payload]).toEqual([1, 2]);
    server.terminate();
  });

  it("rfc6455#section-7.1.2 closing it sends a Close frame without a code (the peer sees 1005)", async () => {
    const { server, peer } = serverWithPeer();
    const closing = server.writable.getWriter().close();
    const close = await peer.nextFrame();
    expect(close?.opcode).toBe(CLOSE);
    expect(close?.payload.length).toBe(0);
    expect(closeCode(close)).toBeUndefined();
    peer.send(CLOSE);
    await closing;
    expect(await server.closed).toMatchObject({ code: 1005, wasClean: true });
  });

  it("aborting it starts the same closing handshake", async () => {
    const { server, peer } = serverWithPeer();
    const aborting = server.writable.getWriter().abort(new Error("producer failed"));
    const close = await peer.nextFrame();
    expect(close?.opcode).toBe(CLOSE);
    expect(close?.payload.length).toBe(0);
    peer.send(CLOSE);
    await aborting;
    expect((await server.closed).wasClean).toBe(true);
  });
});

describe("Connection.readable", () => {
  it("cancelling it sends a Close frame without a code, like the writable", async () => {
    const { server, peer } = serverWithPeer();
    const cancelling = server.readable.cancel();
    const close = await peer.nextFrame();
    expect(close?.opcode).toBe(CLOSE);
    expect(close?.payload.length).toBe(0);
    peer.send(CLOSE);
    await cancelling;
    expect((await server.closed).code).toBe(1005);
  });
});

describe("messageWritable", () => {
  it("passes each chunk to the sink's send, in order, and closes it once", async () => {
    const sent: number[] = [];
    let closes = 0;
    const writer = messageWritable<number>({
      send: (chunk) => {
        sent.push(chunk);
        return Promise.resolve();
      },
      close: () => {
        closes++;
        return Promise.resolve();
      },
    }).getWriter();
    await writer.write(1);
    await writer.write(2);
    await writer.close();
    expect(sent).toEqual([1, 2]);
    expect(closes).toBe(1);
  });
});
