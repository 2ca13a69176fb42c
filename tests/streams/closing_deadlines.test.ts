// The deadlines of Connection's closing phase, each its own timer of closeTimeout ms: the peer's
// answer to our Close, the Close reply and the protocol failure that wait for the handler to
// read what came before them, and the TCP close. In memory with a FakeClock: nothing sleeps.
import { describe, expect, it } from "vitest";
import type { Opcode } from "../../src/protocol/opcode.ts";
import type { CloseEvent } from "../../src/protocol/session_events.ts";
import { Connection } from "../../src/streams/connection.ts";
import { byteStreamPair } from "../../src/testing/byte_stream_pair.ts";
import { FakeClock } from "../../src/testing/fake_clock.ts";
import { CLOSE, closeCode, MemoryPeer, TEXT } from "../_helpers/memory_peer.ts";

const CLOSE_TIMEOUT = 1_000;

function serverWithPeer(clock: FakeClock): {
  server: Connection;
  peer: MemoryPeer;
  settled: () => CloseEvent | undefined;
} {
  const [serverEnd, peerEnd] = byteStreamPair();
  const server = new Connection(serverEnd, {
    role: "server",
    clock,
    heartbeatInterval: 0,
    closeTimeout: CLOSE_TIMEOUT,
  });
  let event: CloseEvent | undefined;
  void server.closed.then((e) => event = e);
  return { server, peer: new MemoryPeer(peerEnd), settled: () => event };
}

describe("Connection closing deadlines", () => {
  it("rfc6455#section-7.1.1 drops with 1006 a peer that does not answer our Close in time", async () => {
    const clock = new FakeClock();
    const { server, peer, settled } = serverWithPeer(clock);
    void server.close(1000, "bye");
    expect(closeCode(await peer.nextFrame())).toBe(1000);
    await clock.advance(CLOSE_TIMEOUT - 1);
    expect(settled()).toBeUndefined();
    await clock.advance(1);
    const event = await server.closed;
    expect(event).toMatchObject({ code: 1006, wasClean: false });
    expect(event.error).toMatchObject({ name: "TimeoutError", timeout: "close" });
  });

  it("rfc6455#section-7.1.1 ends cleanly when the peer answers before the deadline", async () => {
    const clock = new FakeClock();
    const { server, peer } = serverWithPeer(clock);
    void server.close(1000);
    expect(closeCode(await peer.nextFrame())).toBe(1000);
    await clock.advance(CLOSE_TIMEOUT - 1);
    peer.sendClose(1000);
    expect(await server.closed).toMatchObject({ code: 1000, wasClean: true });
    expect(clock.pendingTimers).toBe(0);
  });

  it("rfc6455#section-7.1.1 aborts the TCP close when the peer never closes its side", async () => {
    const clock = new FakeClock();
    const [serverEnd, peerEnd] = byteStreamPair();
    const server = new Connection(serverEnd, {
      role: "server",
      clock,
      heartbeatInterval: 0,
      closeTimeout: CLOSE_TIMEOUT,
    });
    let settled = false;
    void server.closed.then(() => settled = true);
    // A peer that answers the Close but keeps its side of the byte stream open.
    const reader = peerEnd.readable.getReader();
    const writer = peerEnd.writable.getWriter();
    void server.close(1000);
    await reader.read();
    await writer.write(new Uint8Array([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8])); // masked Close 1000
    await clock.advance(CLOSE_TIMEOUT - 1);
    expect(settled).toBe(false);
    await clock.advance(1);
    expect(await server.closed).toMatchObject({ code: 1000, wasClean: true });
  });

  it("rfc6455#section-5.5.1 holds the Close reply until the handler reads what came first, at most closeTimeout", async () => {
    const clock = new FakeClock();
    const { server, peer } = serverWithPeer(clock);
    peer.send(TEXT, "before the close");
    peer.sendClose(1000);
    await clock.advance(CLOSE_TIMEOUT - 1);
    // The handler never reads: no reply yet.
    expect(peer.received).toBe(0);
    await clock.advance(1);
    const reply = await peer.nextFrame();
    expect(reply?.opcode).toBe(CLOSE);
    expect(closeCode(reply)).toBe(1000);
    expect(await server.closed).toMatchObject({ code: 1000, wasClean: true });
    // The message is still readable after the close.
    const { value } = await server[Symbol.asyncIterator]().next();
    expect(value).toBe("before the close");
  });

  it("rfc6455#section-5.5.1 replies at once when the handler reads the messages before the Close", async () => {
    const clock = new FakeClock();
    const { server, peer } = serverWithPeer(clock);
    peer.send(TEXT, "before the close");
    peer.sendClose(1000);
    await clock.settle();
    const messages = server[Symbol.asyncIterator]();
    expect((await messages.next()).value).toBe("before the close");
    expect((await messages.next()).done).toBe(true);
    expect(closeCode(await peer.nextFrame())).toBe(1000);
    expect(await server.closed).toMatchObject({ code: 1000, wasClean: true });
  });

  it("rfc6455#section-7.1.7 holds a protocol failure until the handler reads what came first, at most closeTimeout", async () => {
    const clock = new FakeClock();
    const { server, peer } = serverWithPeer(clock);
    peer.send(TEXT, "before the error");
    peer.send(0x3 as Opcode, "reserved opcode"); // rfc6455#section-5.2: 0x3 is reserved, 1002
    await clock.advance(CLOSE_TIMEOUT - 1);
    expect(peer.received).toBe(0);
    await clock.advance(1);
    expect(closeCode(await peer.nextFrame())).toBe(1002);
    const event = await server.closed;
    expect(event).toMatchObject({ code: 1002, wasClean: false });
    expect(event.error?.name).toBe("ProtocolError");
  });

  it("rfc6455#section-7.1.7 fails at once when the handler has read the messages before the error", async () => {
    const clock = new FakeClock();
    const { server, peer } = serverWithPeer(clock);
    peer.send(TEXT, "before the error");
    peer.send(0x3 as Opcode, "reserved opcode");
    await clock.settle();
    const messages = server[Symbol.asyncIterator]();
    expect((await messages.next()).value).toBe("before the error");
    expect((await messages.next()).done).toBe(true);
    expect(closeCode(await peer.nextFrame())).toBe(1002);
    expect(await server.closed).toMatchObject({ code: 1002 });
  });
});
