// Topics in one process over in-memory connection pairs: subscribing, leaving, publishing
// (except, from outside a handler), the honest result, slow subscribers under each send-buffer
// policy, one compressed frame shared by subscribers, and fan-out transitions (0→1, 1→0).
import { describe, expect, it } from "vitest";
import type { Message } from "../../src/protocol/message.ts";
import { Opcode } from "../../src/protocol/opcode.ts";
import { PreparedFrame } from "../../src/protocol/prepared_frame.ts";
import type { DeflateParams } from "../../src/protocol/permessage_deflate.ts";
import { Connection } from "../../src/streams/connection.ts";
import type { ConnectionOptions } from "../../src/streams/connection_options.ts";
import { connectionDeflate } from "../../src/streams/connection_setup.ts";
import type { DeflateEngine } from "../../src/streams/deflate_engine.ts";
import { byteStreamPair } from "../../src/testing/byte_stream_pair.ts";
import { connectedPair } from "../../src/testing/connected_pair.ts";
import { zlibDeflateEngine } from "../../src/adapters/zlib_deflate.ts";
import type { FanOut, FanOutSink } from "../../src/pubsub/fan_out.ts";
import { MemoryHub } from "../../src/pubsub/memory_fan_out.ts";
import { Topics } from "../../src/pubsub/topics.ts";

const QUIET = { heartbeatInterval: 0 } as const;

function pair(server: Omit<ConnectionOptions, "role"> = {}): {
  server: Connection;
  client: Connection;
} {
  return connectedPair({ server: { ...QUIET, ...server }, client: QUIET });
}

async function take(ws: Connection, count: number): Promise<Message[]> {
  const messages: Message[] = [];
  if (count === 0) return messages;
  for await (const message of ws) {
    messages.push(message);
    if (messages.length === count) break;
  }
  return messages;
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

describe("Topics: subscriptions", () => {
  it("subscribes, reports and unsubscribes, each once", async () => {
    const topics = new Topics();
    const { server, client } = pair();
    expect(topics.subscribe(server, "a")).toBe(true);
    expect(topics.subscribe(server, "a")).toBe(false);
    expect(topics.subscribe(server, "b")).toBe(true);
    expect(topics.isSubscribed(server, "a")).toBe(true);
    expect(topics.topicsOf(server)).toEqual(["a", "b"]);
    expect(topics.subscriberCount("a")).toBe(1);
    expect(topics.unsubscribe(server, "a")).toBe(true);
    expect(topics.unsubscribe(server, "a")).toBe(false);
    expect(topics.subscriberCount("a")).toBe(0);
    expect(topics.isSubscribed(server, "a")).toBe(false);
    await client.close();
  });

  it("a connection leaves every topic by itself when it closes, however it closes", async () => {
    const topics = new Topics();
    const a = pair();
    const b = pair();
    topics.subscribe(a.server, "x");
    topics.subscribe(a.server, "y");
    topics.subscribe(b.server, "x");
    a.client.terminate();
    await a.server.closed;
    expect(topics.subscriberCount("x")).toBe(1);
    expect(topics.subscriberCount("y")).toBe(0);
    expect(topics.topicsOf(a.server)).toEqual([]);
    expect(topics.subscribe(a.server, "x")).toBe(false); // closed: refused
    await b.client.close();
  });

  it("leaving loses no publish already queued, for the one who left nor for the others", async () => {
    const topics = new Topics();
    const a = pair();
    const b = pair();
    topics.subscribe(a.server, "room");
    topics.subscribe(b.server, "room");
    topics.publish("room", "one");
    topics.publish("room", "two");
    // Unsubscribed (a) and closing (b) in the same turn as the publishes.
    topics.unsubscribe(a.server, "room");
    topics.publish("room", "after");
    expect(await take(a.client, 2)).toEqual(["one", "two"]);
    expect(await take(b.client, 3)).toEqual(["one", "two", "after"]);
    await Promise.all([a.client.close(), b.client.close()]);
  });
});

describe("Topics: publish", () => {
  it("reaches every subscriber once, text as text and binary as binary", async () => {
    const topics = new Topics();
    const pairs = [pair(), pair(), pair()];
    for (const p of pairs) topics.subscribe(p.server, "t");
    const bytes = new Uint8Array([0, 1, 2, 255]);
    const first = topics.publish("t", "héllo");
    const second = topics.publish("t", bytes);
    expect(first).toEqual({
      subscribers: 3,
      queued: 3,
      dropped: 0,
      evicted: 0,
      closed: 0,
      fanOut: "none",
    });
    expect(second.queued).toBe(3);
    for (const p of pairs) {
      const [text, binary] = await take(p.client, 2);
      expect(text).toBe("héllo");
      expect(binary).toEqual(bytes);
    }
    await Promise.all(pairs.map((p) => p.client.close()));
  });

  it("excludes `except`, subscribed or not, and works with no connection at all", async () => {
    const topics = new Topics();
    const alice = pair();
    const bob = pair();
    const outsider = pair();
    topics.subscribe(alice.server, "room");
    topics.subscribe(bob.server, "room");
    const result = topics.publish("room", "from alice", { except: alice.server });
    expect(result.subscribers).toBe(1);
    expect(result.queued).toBe(1);
    // A connection that is on no topic may still be excluded (Bun's ws.publish could not).
    expect(topics.publish("room", "from outsider", { except: outsider.server }).queued).toBe(2);
    expect(topics.publish("room", "from a timer").queued).toBe(2);
    expect(await take(alice.client, 2)).toEqual(["from outsider", "from a timer"]);
    expect(await take(bob.client, 3)).toEqual(["from alice", "from outsider", "from a timer"]);
    await Promise.all([alice.client.close(), bob.client.close(), outsider.client.close()]);
  });

  it("keeps order with the connection's own sends", async () => {
    const topics = new Topics();
    const { server, client } = pair();
    topics.subscribe(server, "t");
    void server.send("1");
    topics.publish("t", "2");
    void server.send("3");
    topics.publish("t", new Uint8Array(70_000)); // a zero-copy payload
    void server.send("5");
    const got = await take(client, 5);
    expect(got.map((m) => typeof m === "string" ? m : m.length)).toEqual([
      "1",
      "2",
      "3",
      70_000,
      "5",
    ]);
    await client.close();
  });

  it("counts subscribers that are closing in `closed`", async () => {
    const topics = new Topics();
    const a = pair();
    const b = pair();
    topics.subscribe(a.server, "t");
    topics.subscribe(b.server, "t");
    void a.server.close(1000);
    const result = topics.publish("t", "x");
    expect(result.closed).toBe(1);
    expect(result.queued).toBe(1);
    await a.client.closed;
    await b.client.close();
  });

  it("calls listeners with the message, and counts them as subscribers", () => {
    const topics = new Topics();
    const heard: [Message, string][] = [];
    const stop = topics.listen("news", (message, topic) => heard.push([message, topic]));
    topics.publish("news", "a");
    topics.publish("news", new Uint8Array([7]));
    stop();
    topics.publish("news", "b");
    expect(heard).toEqual([["a", "news"], [new Uint8Array([7]), "news"]]);
  });

  it("reports a listener that throws to onError and goes on", () => {
    const errors: string[] = [];
    const topics = new Topics({ onError: (_error, { stage }) => errors.push(stage) });
    const heard: Message[] = [];
    topics.listen("t", () => {
      throw new Error("boom");
    });
    topics.listen("t", (message) => heard.push(message));
    topics.publish("t", "x");
    expect(errors).toEqual(["listener"]);
    expect(heard).toEqual(["x"]);
  });
});

describe("Topics: slow subscribers", () => {
  const LIMIT = 64 * 1024;
  const MESSAGE = new Uint8Array(1024);

  for (const policy of ["drop", "wait"] as const) {
    it(`policy "${policy}": a subscriber that never reads misses messages, counted, and memory stays bounded; the others get all`, async () => {
      const topics = new Topics();
      const [stuckEnd] = byteStreamPair(); // the peer never reads
      const stuck = new Connection(stuckEnd, {
        role: "server",
        ...QUIET,
        sendBuffer: { limit: LIMIT, policy },
      });
      const reader = pair();
      topics.subscribe(stuck, "t");
      topics.subscribe(reader.server, "t");
      const received = take(reader.client, 500);
      let dropped = 0;
      let maxBuffered = 0;
      for (let i = 0; i < 500; i++) {
        const result = topics.publish("t", MESSAGE);
        dropped += result.dropped;
        maxBuffered = Math.max(maxBuffered, stuck.bufferedAmount);
        if (i % 50 === 0) await nextTurn();
      }
      expect((await received).length).toBe(500);
      expect(dropped).toBeGreaterThan(400);
      expect(stuck.droppedMessages).toBe(dropped);
      expect(topics.stats.dropped).toBe(dropped);
      expect(maxBuffered).toBeLessThanOrEqual(LIMIT + MESSAGE.length + 16);
      stuck.terminate();
      await reader.client.close();
    });
  }

  it('policy "close": a subscriber that falls behind is closed with 1008 (evicted) and leaves', async () => {
    const topics = new Topics();
    const [stuckEnd] = byteStreamPair();
    const stuck = new Connection(stuckEnd, {
      role: "server",
      ...QUIET,
      closeTimeout: 100,
      sendBuffer: { limit: LIMIT, policy: "close" },
    });
    const reader = pair();
    topics.subscribe(stuck, "t");
    topics.subscribe(reader.server, "t");
    const received = take(reader.client, 300);
    let evicted = 0;
    for (let i = 0; i < 300; i++) {
      evicted += topics.publish("t", MESSAGE).evicted;
      if (i % 50 === 0) await nextTurn();
    }
    expect(evicted).toBe(1);
    expect((await received).length).toBe(300);
    expect((await stuck.closed).code).toBe(1008);
    expect(topics.subscriberCount("t")).toBe(1);
    await reader.client.close();
  });
});

describe("Topics: permessage-deflate", () => {
  const shared: DeflateParams = {
    serverNoContextTakeover: true,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
  };
  const takeover: DeflateParams = { ...shared, serverNoContextTakeover: false };

  function countingEngine(): { engine: DeflateEngine; compressed: () => number } {
    let count = 0;
    return {
      compressed: () => count,
      engine: {
        deflater(params, role) {
          const inner = zlibDeflateEngine.deflater(params, role);
          return {
            compress(data) {
              count++;
              return inner.compress(data);
            },
            close: () => inner.close(),
          };
        },
        inflater: (params, role) => zlibDeflateEngine.inflater(params, role),
      },
    };
  }

  function deflatePair(engine: DeflateEngine, params: DeflateParams): {
    server: Connection;
    client: Connection;
  } {
    return connectedPair({
      server: { ...QUIET, deflate: connectionDeflate(engine, "server", { params }) },
      client: { ...QUIET, deflate: connectionDeflate(zlibDeflateEngine, "client", { params }) },
    });
  }

  it("rfc7692#section-7.1.1.1: subscribers without server context takeover share one compressed frame; the others compress their own", async () => {
    const { engine, compressed } = countingEngine();
    const topics = new Topics();
    const sharing = [
      deflatePair(engine, shared),
      deflatePair(engine, shared),
      deflatePair(engine, shared),
    ];
    const own = deflatePair(engine, takeover);
    const plain = pair();
    for (const p of [...sharing, own, plain]) topics.subscribe(p.server, "t");
    const text = "compress me ".repeat(500);
    const small = "tiny";
    topics.publish("t", text);
    topics.publish("t", small);
    topics.publish("t", text);
    for (const p of [...sharing, own, plain]) {
      expect(await take(p.client, 3)).toEqual([text, small, text]);
    }
    // Two large messages: once each for the three sharing subscribers, once each for `own`.
    expect(compressed()).toBe(4);
    await Promise.all([...sharing, own, plain].map((p) => p.client.close()));
  });
});

describe("Topics: fan-out", () => {
  function recordingFanOut(): { fanOut: FanOut; calls: string[]; sink: () => FanOutSink } {
    const calls: string[] = [];
    let sink: FanOutSink | undefined;
    return {
      calls,
      sink: () => sink!,
      fanOut: {
        open: (s) => {
          sink = s;
        },
        subscribe: (topic) => {
          calls.push(`subscribe ${topic}`);
          return Promise.resolve();
        },
        unsubscribe: (topic) => {
          calls.push(`unsubscribe ${topic}`);
        },
        publish: (topic) => {
          calls.push(`publish ${topic}`);
          return topic !== "down";
        },
        close: () => Promise.resolve(),
      },
    };
  }

  it("subscribes the backend on 0→1 and unsubscribes on 1→0, listeners included", async () => {
    const { fanOut, calls } = recordingFanOut();
    const topics = new Topics({ fanOut });
    const a = pair();
    const b = pair();
    topics.subscribe(a.server, "t");
    topics.subscribe(b.server, "t");
    const stop = topics.listen("t", () => {});
    topics.unsubscribe(a.server, "t");
    topics.unsubscribe(b.server, "t");
    expect(calls).toEqual(["subscribe t"]);
    stop();
    expect(calls).toEqual(["subscribe t", "unsubscribe t"]);
    topics.subscribe(a.server, "t");
    b.client.terminate();
    a.client.terminate();
    await a.server.closed;
    expect(calls).toEqual(["subscribe t", "unsubscribe t", "subscribe t", "unsubscribe t"]);
  });

  it("hold() keeps a topic subscribed with no subscriber, until released", () => {
    const { fanOut, calls } = recordingFanOut();
    const topics = new Topics({ fanOut });
    const release = topics.hold("h");
    const again = topics.hold("h");
    expect(calls).toEqual(["subscribe h"]);
    release();
    release();
    expect(calls).toEqual(["subscribe h"]);
    again();
    expect(calls).toEqual(["subscribe h", "unsubscribe h"]);
  });

  it("says whether the backend took the message, and delivers what it receives to everyone", async () => {
    const { fanOut, sink } = recordingFanOut();
    const topics = new Topics({ fanOut });
    const a = pair();
    topics.subscribe(a.server, "t");
    expect(topics.publish("t", "x").fanOut).toBe("sent");
    expect(topics.publish("down", "x").fanOut).toBe("unavailable");
    expect(topics.stats.unavailable).toBe(1);
    sink().deliver("t", new PreparedFrame(Opcode.Text, new TextEncoder().encode("remote")));
    expect(await take(a.client, 2)).toEqual(["x", "remote"]);
    expect(topics.stats.received).toBe(1);
    await a.client.close();
  });

  it("MemoryHub: every subscriber in every registry gets each message exactly once, in order, with no echo", async () => {
    const hub = new MemoryHub();
    const registries = [
      new Topics({ fanOut: hub.fanOut() }),
      new Topics({ fanOut: hub.fanOut() }),
      new Topics({ fanOut: hub.fanOut() }),
    ];
    const members = registries.map((topics) => {
      const p = pair();
      topics.subscribe(p.server, "room");
      return { topics, ...p };
    });
    for (let i = 0; i < 20; i++) {
      const from = members[i % 3]!;
      from.topics.publish("room", `${i % 3}:${i}`, { except: from.server });
    }
    for (const [index, member] of members.entries()) {
      // Every message but its own, each once, and each sender's in order.
      const expected = Array.from({ length: 20 }, (_, i) => `${i % 3}:${i}`)
        .filter((m) => !m.startsWith(`${index}:`));
      const got = (await take(member.client, expected.length)) as string[];
      expect([...got].sort()).toEqual([...expected].sort());
      for (let sender = 0; sender < 3; sender++) {
        const numbers = got.filter((m) => m.startsWith(`${sender}:`))
          .map((m) => Number(m.split(":")[1]));
        expect(numbers).toEqual([...numbers].sort((x, y) => x - y));
      }
    }
    hub.up = false;
    expect(registries[0]!.publish("room", "lost").fanOut).toBe("unavailable");
    await Promise.all(members.map((m) => m.client.close()));
  });
});
