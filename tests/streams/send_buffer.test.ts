// The send-buffer policies of Connection (ConnectionOptions.sendBuffer): what a handler that
// never awaits send() can queue while the peer does not read. Over an in-memory byte pair whose
// other end never reads, so the writer's backpressure is exact; the closing deadline runs on a
// FakeClock.
import { describe, expect, it } from "vitest";
import type { CloseEvent } from "../../src/protocol/session_events.ts";
import { Connection } from "../../src/streams/connection.ts";
import { byteStreamPair } from "../../src/testing/byte_stream_pair.ts";
import { FakeClock } from "../../src/testing/fake_clock.ts";

const LIMIT = 256 * 1024;
const CHUNK = new Uint8Array(64 * 1024);

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

async function floodWithoutAwaiting(ws: Connection): Promise<number[]> {
  const buffered: number[] = [];
  // Fire and forget: the policy, not the handler, keeps memory bounded.
  for (let i = 0; i < 2000 && ws.readyState === "open"; i++) {
    ws.send(CHUNK).catch(() => {});
    if (i % 100 === 0) await nextTurn();
    buffered.push(ws.bufferedAmount);
  }
  return buffered;
}

describe("Connection send buffer", () => {
  for (const policy of ["drop", "close"] as const) {
    it(`policy "${policy}" bounds what a handler that never awaits can queue`, async () => {
      const clock = new FakeClock();
      const [serverEnd] = byteStreamPair(); // the peer never reads
      const server = new Connection(serverEnd, {
        role: "server",
        clock,
        heartbeatInterval: 0,
        closeTimeout: 1_000,
        sendBuffer: { limit: LIMIT, policy },
      });
      const buffered = await floodWithoutAwaiting(server);
      expect(Math.max(...buffered)).toBeLessThanOrEqual(LIMIT + CHUNK.length + 1024);
      if (policy === "drop") {
        expect(buffered.length).toBe(2000);
        expect(server.droppedMessages).toBeGreaterThan(1000);
        expect(server.readyState).toBe("open");
        server.terminate();
      } else {
        // rfc6455#section-7.4.1: 1008, policy violation
        expect(server.readyState).toBe("closed");
        expect(server.droppedMessages).toBe(0);
        // The Close frame cannot be written to a peer that does not read: the TCP close gives
        // up after closeTimeout.
        let event: CloseEvent | undefined;
        void server.closed.then((e) => event = e);
        await clock.advance(999);
        expect(event).toBeUndefined();
        await clock.advance(1);
        expect(await server.closed).toMatchObject({ code: 1008, wasClean: false });
        expect(event?.error?.name).toBe("PolicyViolationError");
      }
    });
  }

  it('policy "close" rejects the send that goes over the limit with ConnectionClosedError', async () => {
    const [serverEnd] = byteStreamPair();
    const server = new Connection(serverEnd, {
      role: "server",
      clock: new FakeClock(),
      heartbeatInterval: 0,
      sendBuffer: { limit: LIMIT, policy: "close" },
    });
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 6; i++) sends.push(server.send(CHUNK));
    const results = await Promise.allSettled(sends);
    const rejected = results.filter((r) => r.status === "rejected");
    expect(rejected.length).toBeGreaterThan(0);
    expect((rejected[0] as PromiseRejectedResult).reason).toMatchObject({
      name: "ConnectionClosedError",
      code: 1008,
    });
    server.terminate();
  });

  it('policy "wait" (the default) accepts every message and waits while the peer does not read', async () => {
    const [serverEnd, peerEnd] = byteStreamPair();
    const server = new Connection(serverEnd, {
      role: "server",
      clock: new FakeClock(),
      heartbeatInterval: 0,
      sendBuffer: { limit: LIMIT },
    });
    let done = false;
    const sending = (async () => {
      for (let i = 0; i < 8; i++) await server.send(CHUNK);
      done = true;
    })();
    for (let turn = 0; turn < 20; turn++) await nextTurn();
    expect(done).toBe(false);
    expect(server.droppedMessages).toBe(0);
    // Once the peer reads, everything goes out: 8 frames with a 10-byte header each
    // (rfc6455#section-5.2: a 64 KiB payload takes the 8-byte extended length).
    const reader = peerEnd.readable.getReader();
    let bytes = 0;
    while (bytes < 8 * (CHUNK.length + 10)) {
      const { value } = await reader.read();
      bytes += value!.length;
    }
    await sending;
    expect(done).toBe(true);
    expect(bytes).toBe(8 * (CHUNK.length + 10));
    server.terminate();
  });

  it("connections made in turn with other send limits keep their own (connections share their settings only when they are the same)", async () => {
    const clock = new FakeClock(); // one clock, so that only the limit differs
    const make = (limit: number): Connection =>
      new Connection(byteStreamPair()[0], {
        role: "server",
        clock,
        heartbeatInterval: 0,
        sendBuffer: { limit, policy: "drop" },
      });
    const small = make(LIMIT);
    const large = make(8 * LIMIT);
    const again = make(LIMIT);
    for (
      const [connection, limit] of [[small, LIMIT], [large, 8 * LIMIT], [again, LIMIT]] as const
    ) {
      const buffered = await floodWithoutAwaiting(connection);
      expect(Math.max(...buffered)).toBeLessThanOrEqual(limit + CHUNK.length + 1024);
      expect(Math.max(...buffered)).toBeGreaterThan(limit - CHUNK.length);
      connection.terminate();
    }
  });
});
