// RedisFanOut against a real redis-server (started here on a free loopback port), with each
// Redis client a user may bring (node-redis and ioredis), under each runtime: registries stand
// in for processes (each with its own client and subscriber connection, as a process has);
// tests/examples/pubsub_contract.test.ts runs real processes on the three runtimes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "redis";
import { Redis } from "ioredis";
import type { Message } from "../../src/protocol/message.ts";
import type { Connection } from "../../src/streams/connection.ts";
import { connectedPair } from "../../src/testing/connected_pair.ts";
import { Topics } from "../../src/pubsub/topics.ts";
import {
  type IORedisClient,
  type NodeRedisClient,
  RedisFanOut,
} from "../../src/pubsub/redis_fan_out.ts";
import { runtime } from "../_helpers/adapter_for_runtime.ts";
import { type RedisServer, startRedis } from "../_helpers/redis_server.ts";
import { useCrashGuard } from "../_helpers/security_harness.ts";
import { delay, withTimeout } from "../_helpers/with_timeout.ts";

/** A Redis client as a user would make it, plus what the tests ask Redis directly. */
interface ClientKind {
  name: string;
  make(url: string): Promise<{
    client: NodeRedisClient | IORedisClient;
    numSub(channel: string, sharded?: boolean): Promise<number>;
    close(): Promise<void>;
  }>;
}

// Reconnect quickly, so the restart test takes a second, not the default back-off.
const KINDS: ClientKind[] = [
  {
    name: "node-redis",
    async make(url) {
      const client = createClient({
        url,
        socket: { reconnectStrategy: (retries: number) => Math.min(50 + retries * 50, 300) },
      });
      client.on("error", () => {}); // reconnects by itself; the adapter reports the outage
      await client.connect();
      return {
        client,
        async numSub(channel, sharded = false) {
          const reply = await client.sendCommand(
            sharded ? ["PUBSUB", "SHARDNUMSUB", channel] : ["PUBSUB", "NUMSUB", channel],
          ) as unknown[];
          return Number(reply[1]);
        },
        close() {
          if (client.isOpen) client.destroy();
          return Promise.resolve();
        },
      };
    },
  },
  {
    name: "ioredis",
    async make(url) {
      const client = new Redis(url, {
        retryStrategy: (times: number) => Math.min(50 + times * 50, 300),
      });
      client.on("error", () => {});
      await withTimeout(
        new Promise<void>((resolve) => client.once("ready", () => resolve())),
        10_000,
        "ioredis ready",
      );
      return {
        client,
        async numSub(channel, sharded = false) {
          const reply = await client.call(
            "PUBSUB",
            sharded ? "SHARDNUMSUB" : "NUMSUB",
            channel,
          ) as unknown[];
          return Number(reply[1]);
        },
        close() {
          client.disconnect();
          return Promise.resolve();
        },
      };
    },
  },
];

/** Everything a connection receives, as it arrives. */
function collect(ws: Connection): Message[] {
  const got: Message[] = [];
  void (async () => {
    for await (const message of ws) got.push(message);
  })();
  return got;
}

async function until(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms: ${what}`);
    await delay(10);
  }
}

function text(messages: readonly Message[]): string[] {
  return messages.map((m) => typeof m === "string" ? m : `bin:${[...m].join(",")}`);
}

for (const kind of KINDS) {
  describe(`RedisFanOut with ${kind.name} on ${runtime}, against redis-server`, () => {
    const guard = useCrashGuard();
    let redis: RedisServer;
    const cleanups: (() => Promise<void>)[] = [];

    beforeAll(async () => {
      redis = await startRedis();
    });

    afterAll(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
      await redis?.stop();
    });

    /** A "process": its own client, adapter and registry. */
    async function process(options: { sharded?: boolean; prefix?: string } = {}) {
      const made = await kind.make(redis.url);
      const errors: string[] = [];
      const fanOut = new RedisFanOut({ client: made.client, ...options });
      const topics = new Topics({
        fanOut,
        onError: (error, { stage }) => errors.push(`${stage}: ${String(error)}`),
      });
      await withTimeout(fanOut.ready, 10_000, "the subscriber connection");
      cleanups.push(async () => {
        await topics.close();
        await made.close();
      });
      return { ...made, fanOut, topics, errors };
    }

    function member(topics: Topics, topic: string): { ws: Connection; got: Message[] } {
      const { server, client } = connectedPair({
        server: { heartbeatInterval: 0 },
        client: { heartbeatInterval: 0 },
      });
      topics.subscribe(server, topic);
      cleanups.push(async () => void await client.close());
      return { ws: server, got: collect(client) };
    }

    it("every subscriber in every process gets each message exactly once, in each publisher's order, text and binary, with no echo", async () => {
      const processes = await Promise.all([process(), process(), process()]);
      const members = processes.map((p) => [member(p.topics, "room"), member(p.topics, "room")]);
      await Promise.all(processes.map((p) => p.topics.ready("room")));
      const sent: string[] = [];
      for (let i = 0; i < 60; i++) {
        const from = i % 3;
        const message: Message = i % 2 === 0 ? `${from}:${i}` : new Uint8Array([from, i]);
        // The sender is the first member of its process: everyone else gets it.
        const result = processes[from]!.topics.publish("room", message, {
          except: members[from]![0]!.ws,
        });
        expect(result.fanOut).toBe("sent");
        expect(result.queued).toBe(1);
        sent.push(...text([message]));
      }
      for (const [p, pair] of members.entries()) {
        for (const [index, { got }] of pair.entries()) {
          const expected = index === 0
            ? sent.filter((_, i) => i % 3 !== p) // not its own
            : sent;
          await until(() => got.length >= expected.length, 10_000, "every message");
          await delay(100); // a duplicate would arrive by now
          const received = text(got);
          expect([...received].sort()).toEqual([...expected].sort());
          // Per publisher, in order.
          for (let from = 0; from < 3; from++) {
            const mine = (list: string[]) =>
              list.filter((_, i) => sent.indexOf(list[i]!) % 3 === from);
            expect(mine(received)).toEqual(mine(expected));
          }
        }
      }
      for (const p of processes) expect(p.errors).toEqual([]);
    });

    it("subscribes a topic's channel on the first local subscriber (0→1) and unsubscribes on the last (1→0)", async () => {
      const p = await process({ prefix: "t01:" });
      expect(await p.numSub("t01:lobby")).toBe(0);
      const a = member(p.topics, "lobby");
      const b = member(p.topics, "lobby");
      await p.topics.ready("lobby");
      expect(await p.numSub("t01:lobby")).toBe(1); // one subscription per process, not per member
      p.topics.unsubscribe(a.ws, "lobby");
      await delay(50);
      expect(await p.numSub("t01:lobby")).toBe(1);
      p.topics.unsubscribe(b.ws, "lobby");
      await withTimeout(
        (async () => {
          while (await p.numSub("t01:lobby") !== 0) await delay(20);
        })(),
        5_000,
        "UNSUBSCRIBE",
      );
    });

    it("sharded pub/sub (SSUBSCRIBE, SPUBLISH) delivers the same way", async () => {
      const a = await process({ sharded: true, prefix: "shard:" });
      const b = await process({ sharded: true, prefix: "shard:" });
      const onA = member(a.topics, "s");
      const onB = member(b.topics, "s");
      await Promise.all([a.topics.ready("s"), b.topics.ready("s")]);
      expect(await a.numSub("shard:s", true)).toBe(2);
      for (let i = 0; i < 10; i++) a.topics.publish("s", `m${i}`);
      const expected = Array.from({ length: 10 }, (_, i) => `m${i}`);
      await until(() => onB.got.length >= 10, 10_000, "sharded delivery");
      await delay(100);
      expect(onA.got).toEqual(expected);
      expect(onB.got).toEqual(expected);
    });

    it("Redis stopped and restarted: local delivery goes on, the process resubscribes by itself, remote delivery resumes, nothing twice", async () => {
      const a = await process({ prefix: "restart:" });
      const b = await process({ prefix: "restart:" });
      const onA = member(a.topics, "r");
      const onB = member(b.topics, "r");
      await Promise.all([a.topics.ready("r"), b.topics.ready("r")]);
      a.topics.publish("r", "before");
      await until(() => onB.got.length === 1, 5_000, "delivery before the outage");

      await redis.stop();
      // Until the client notices, a publish may still be "sent" (and lost): at most once.
      let i = 0;
      let result;
      do {
        result = a.topics.publish("r", `down${i++}`);
        await delay(20);
      } while (result.fanOut === "sent" && i < 200);
      expect(result.fanOut).toBe("unavailable");
      expect(result.queued).toBe(1); // local delivery all along
      const whileDown = i;

      await redis.start();
      // Resubscribed by itself (the contract allows 10 s): probe until b hears a.
      let probes = 0;
      await withTimeout(
        (async () => {
          while (!onB.got.some((m) => typeof m === "string" && m.startsWith("probe"))) {
            a.topics.publish("r", `probe${probes++}`);
            await delay(100);
          }
        })(),
        10_000,
        "remote delivery after Redis came back",
      );
      for (let k = 0; k < 20; k++) a.topics.publish("r", `after${k}`);
      await until(
        () => onB.got.filter((m) => String(m).startsWith("after")).length === 20,
        5_000,
        "the messages after the restart",
      );
      await delay(100);
      const local = text(onA.got);
      expect(local.filter((m) => m.startsWith("down")).length).toBe(whileDown);
      const remote = text(onB.got);
      expect(new Set(remote).size).toBe(remote.length); // never twice
      expect(remote.filter((m) => m.startsWith("after"))).toEqual(
        Array.from({ length: 20 }, (_, k) => `after${k}`),
      );
      // An outage is reported once, not once per reconnect attempt (a client that reconnects
      // before its first failed attempt reports none).
      expect(a.errors.filter((e) => e.startsWith("connection")).length).toBeLessThanOrEqual(1);
    });

    it("close() unsubscribes and closes only the subscriber connection it made", async () => {
      const p = await process({ prefix: "close:" });
      member(p.topics, "c");
      await p.topics.ready("c");
      expect(await p.numSub("close:c")).toBe(1);
      await p.topics.close();
      expect(await p.numSub("close:c")).toBe(0);
      expect(p.topics.publish("c", "x").fanOut).toBe("unavailable");
    });

    it("no unhandled rejection or uncaught exception", () => {
      expect(guard.records).toEqual([]);
    });
  });
}
