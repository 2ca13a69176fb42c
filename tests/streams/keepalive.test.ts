// Heartbeat and idle timeout of Connection (src/streams/keepalive.ts), over an in-memory byte
// pair with a FakeClock: time moves only when the test advances it, so nothing sleeps.
// (tests/adapters/contract.ts keeps one real-socket check of each timer.)
import { describe, expect, it } from "vitest";
import { Connection } from "../../src/streams/connection.ts";
import { byteStreamPair } from "../../src/testing/byte_stream_pair.ts";
import { connectedPair } from "../../src/testing/connected_pair.ts";
import { FakeClock } from "../../src/testing/fake_clock.ts";
import { CLOSE, closeCode, MemoryPeer, PING, PONG, TEXT } from "../_helpers/memory_peer.ts";

/** A server Connection with a raw peer on the other end. */
function serverWithPeer(
  options: Omit<ConstructorParameters<typeof Connection>[1], "role">,
): { server: Connection; peer: MemoryPeer } {
  const [serverEnd, peerEnd] = byteStreamPair();
  return {
    server: new Connection(serverEnd, { role: "server", ...options }),
    peer: new MemoryPeer(peerEnd),
  };
}

describe("Connection heartbeat", () => {
  it("rfc6455#section-5.5.2 sends a Ping every interval, and a peer that answers stays connected", async () => {
    const clock = new FakeClock();
    const { server, peer } = serverWithPeer({ clock, heartbeatInterval: 100 });
    for (let beat = 1; beat <= 5; beat++) {
      await clock.advance(100);
      const ping = await peer.nextFrame();
      expect(ping?.opcode).toBe(PING);
      expect(new TextDecoder().decode(ping?.payload)).toBe("wsflow-heartbeat");
      peer.send(PONG, ping!.payload);
      await clock.settle();
    }
    expect(server.readyState).toBe("open");
    server.terminate();
    await server.closed;
  });

  it("keeps a connection whose peer is a Connection (which answers pings itself)", async () => {
    const clock = new FakeClock();
    const { server, client } = connectedPair({
      server: { clock, heartbeatInterval: 100 },
      client: { clock, heartbeatInterval: 0 },
    });
    await clock.advance(500);
    expect(server.readyState).toBe("open");
    await client.close(1000);
    const event = await server.closed;
    expect(event).toMatchObject({ code: 1000, wasClean: true });
    expect(event.error).toBeUndefined();
  });

  it("drops with 1006 a peer from which nothing arrives for a whole interval, and closed says so", async () => {
    const clock = new FakeClock();
    const { server, peer } = serverWithPeer({ clock, heartbeatInterval: 100 });
    let settled = false;
    void server.closed.then(() => settled = true);
    await clock.advance(100);
    expect((await peer.nextFrame())?.opcode).toBe(PING);
    // No Pong, nothing else: the next tick finds the interval silent.
    await clock.advance(99);
    expect(settled).toBe(false);
    await clock.advance(1);
    const event = await server.closed;
    expect(event.code).toBe(1006);
    expect(event.wasClean).toBe(false);
    expect(event.error).toMatchObject({ name: "TimeoutError", timeout: "heartbeat" });
    // Dropped, not closed: no Close frame, the transport is torn down.
    expect(await peer.nextFrame()).toBeUndefined();
    await peer.ended;
  });

  it("counts any data as a sign of life, not only the Pong", async () => {
    const clock = new FakeClock();
    const { server, peer } = serverWithPeer({ clock, heartbeatInterval: 100 });
    await clock.advance(100);
    expect((await peer.nextFrame())?.opcode).toBe(PING);
    peer.send(TEXT, "still here");
    await clock.advance(100);
    expect(server.readyState).toBe("open");
    server.terminate();
  });
});

describe("Connection idle timeout", () => {
  it("closes a quiet connection with 1001 and closed reports the idle TimeoutError", async () => {
    const clock = new FakeClock();
    const { server, client } = connectedPair({
      server: { clock, heartbeatInterval: 0, idleTimeout: 200 },
      client: { clock, heartbeatInterval: 0 },
    });
    await clock.advance(199);
    expect(server.readyState).toBe("open");
    await clock.advance(1);
    const event = await server.closed;
    expect(event).toMatchObject({ code: 1001, wasClean: true });
    expect(event.error).toMatchObject({ name: "TimeoutError", timeout: "idle" });
    expect(await client.closed).toMatchObject({ code: 1001, reason: "idle timeout" });
  });

  it('sends the Close with reason "idle timeout" to the peer', async () => {
    const clock = new FakeClock();
    const { server, peer } = serverWithPeer({ clock, heartbeatInterval: 0, idleTimeout: 200 });
    await clock.advance(200);
    const close = await peer.nextFrame();
    expect(close?.opcode).toBe(CLOSE);
    expect(closeCode(close)).toBe(1001);
    expect(new TextDecoder().decode(close?.payload.subarray(2))).toBe("idle timeout");
    peer.sendClose(1001);
    expect(await server.closed).toMatchObject({ code: 1001, wasClean: true });
  });

  it("counts the quiet time from the last data that arrived", async () => {
    const clock = new FakeClock();
    const { server, peer } = serverWithPeer({ clock, heartbeatInterval: 0, idleTimeout: 200 });
    await clock.advance(150);
    peer.send(0x1, "hello");
    await clock.settle();
    await clock.advance(199); // 349: 199 ms after the data
    expect(server.readyState).toBe("open");
    await clock.advance(1);
    expect(server.readyState).toBe("closing");
    server.terminate();
  });

  it("with the heartbeat on, a peer that answers pings never goes idle", async () => {
    const clock = new FakeClock();
    const { server, client } = connectedPair({
      server: { clock, heartbeatInterval: 100, idleTimeout: 250 },
      client: { clock, heartbeatInterval: 0 },
    });
    await clock.advance(1_000);
    expect(server.readyState).toBe("open");
    client.terminate();
    await server.closed;
  });
});
