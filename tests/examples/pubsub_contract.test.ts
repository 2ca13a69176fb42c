// ../shared/PUBSUB-CONTRACT.md with Redis: the chat and broadcast examples as three processes,
// one per runtime (deno, bun, tsx: the commands a user types), sharing one redis-server that
// this file starts on a free loopback port. Clients are this runtime's wsflow client. The Redis
// client alternates between node-redis and ioredis across the processes (shifted per runtime, so
// each runtime's run puts both clients on different runtimes).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect as tcpConnect, type Socket } from "node:net";
import type { Message } from "../../src/protocol/message.ts";
import type { Connection } from "../../src/streams/connection.ts";
import { runtime } from "../_helpers/adapter_for_runtime.ts";
import { loadClient } from "../_helpers/client_for_runtime.ts";
import { type ExampleProcess, startExample } from "../_helpers/example_process.ts";
import { type RedisServer, startRedis } from "../_helpers/redis_server.ts";
import { delay, withTimeout } from "../_helpers/with_timeout.ts";

const RUNTIMES = ["deno", "bun", "node"] as const;
const SHIFT = RUNTIMES.indexOf(runtime);
const CLIENTS = ["redis", "ioredis"] as const;

interface ChatEvent {
  event: "joined" | "left" | "message";
  name: string;
  text?: string;
}

/** A chat member: its connection and every event it received. */
interface Member {
  ws: Connection;
  events: ChatEvent[];
}

async function until(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms: ${what}`);
    await delay(10);
  }
}

function collect<T>(ws: Connection, parse: (message: Message) => T): T[] {
  const got: T[] = [];
  void (async () => {
    for await (const message of ws) got.push(parse(message));
  })();
  return got;
}

async function startAll(file: string, redis: RedisServer): Promise<ExampleProcess[]> {
  return await Promise.all(RUNTIMES.map((on, i) =>
    startExample(file, {
      PORT: "0",
      REDIS_URL: `${redis.url}/0`,
      REDIS_CLIENT: CLIENTS[(i + SHIFT) % 2]!,
    }, { on, timeout: 25_000 })
  ));
}

describe(`PUBSUB-CONTRACT, chat over Redis: deno, bun and node processes (clients on ${runtime})`, () => {
  let redis: RedisServer;
  let servers: ExampleProcess[] = [];
  const open: Connection[] = [];
  let connectTo: (url: string) => Promise<Connection>;

  beforeAll(async () => {
    redis = await startRedis();
    servers = await startAll("examples/chat/server.ts", redis);
    const client = await loadClient();
    connectTo = (url) => client.connect(url, { heartbeatInterval: 0 });
  });

  afterAll(async () => {
    for (const ws of open) ws.terminate();
    await Promise.all(servers.map((s) => s.stop()));
    await redis?.stop();
  });

  async function join(server: number, room: string, name: string): Promise<Member> {
    const url = servers[server]!.urls[0]!.replace("http:", "ws:");
    const ws = await connectTo(`${url}/rooms/${room}?name=${name}`);
    open.push(ws);
    const events = collect(ws, (m) => JSON.parse(m as string) as ChatEvent);
    await until(
      () => events.some((e) => e.event === "joined" && e.name === name),
      10_000,
      `${name} hears its own joined`,
    );
    return { ws, events };
  }

  const messages = (member: Member, from?: string): string[] =>
    member.events.filter((e) => e.event === "message" && (from === undefined || e.name === from))
      .map((e) => e.text!);

  it("a room spread over three processes: every joined, message and left reaches every member exactly once, each sender's in order", async () => {
    const members: Member[] = [];
    const names = ["ann", "bob", "cy"];
    for (const [i, name] of names.entries()) {
      members.push(await join(i, "spread", name));
      for (const member of members) {
        await until(
          () => member.events.some((e) => e.event === "joined" && e.name === name),
          10_000,
          `every member hears ${name} join`,
        );
      }
    }
    for (let k = 0; k < 10; k++) {
      for (const [i, member] of members.entries()) void member.ws.send(`${names[i]}-${k}`);
    }
    for (const member of members) {
      await until(() => messages(member).length >= 30, 10_000, "30 messages each");
    }
    members[1]!.ws.terminate(); // however it ends
    for (const member of [members[0]!, members[2]!]) {
      await until(
        () => member.events.some((e) => e.event === "left" && e.name === "bob"),
        10_000,
        "bob's left",
      );
    }
    await delay(300); // duplicates would have arrived by now
    for (const [i, member] of members.entries()) {
      expect(messages(member).length).toBe(30);
      for (const name of names) {
        expect(messages(member, name)).toEqual(
          Array.from({ length: 10 }, (_, k) => `${name}-${k}`),
        );
      }
      const joins = member.events.filter((e) => e.event === "joined");
      expect(joins.map((e) => e.name)).toEqual(names.slice(i)); // from its own on
      if (i !== 1) expect(member.events.filter((e) => e.event === "left").length).toBe(1);
    }
  });

  it("Redis stops: members on one process still talk; it comes back: rooms span processes again within 10 s, nothing twice", async () => {
    const a = await join(0, "outage", "a");
    const b = await join(0, "outage", "b");
    const c = await join(1, "outage", "c");
    await until(() => a.events.some((e) => e.name === "c"), 10_000, "a hears c join");
    await redis.stop();
    await delay(200);
    for (let k = 0; k < 5; k++) void a.ws.send(`down-${k}`);
    await until(() => messages(b, "a").length >= 5, 5_000, "local delivery while Redis is down");
    expect(messages(a, "a")).toEqual(messages(b, "a"));

    await redis.start();
    let probes = 0;
    await withTimeout(
      (async () => {
        while (!messages(c, "a").some((t) => t.startsWith("probe"))) {
          void a.ws.send(`probe-${probes++}`);
          await delay(250);
        }
      })(),
      10_000,
      "cross-process delivery after Redis came back",
    );
    for (let k = 0; k < 5; k++) void a.ws.send(`after-${k}`);
    await until(
      () => messages(c, "a").filter((t) => t.startsWith("after")).length === 5,
      5_000,
      "after",
    );
    await delay(300);
    for (const member of [a, b, c]) {
      const got = messages(member, "a");
      expect(new Set(got).size).toBe(got.length); // never twice
      expect(got.filter((t) => t.startsWith("after"))).toEqual(
        Array.from({ length: 5 }, (_, k) => `after-${k}`),
      );
    }
    // Local members missed nothing.
    expect(messages(b, "a")).toEqual(messages(a, "a"));
  });

  it("a member that never reads does not slow the room: the others get everything", async () => {
    const talker = await join(0, "slow", "talker");
    const listener = await join(0, "slow", "listener");
    const remote = await join(2, "slow", "remote");
    // A member that completes the handshake and then never reads a byte.
    const port = Number(new URL(servers[0]!.urls[0]!).port);
    const stuck: Socket = tcpConnect(port, "127.0.0.1");
    await new Promise<void>((resolve) => stuck.once("connect", () => resolve()));
    stuck.write(
      "GET /rooms/slow?name=stuck HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n" +
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
        "Sec-WebSocket-Version: 13\r\n\r\n",
    );
    await until(() => talker.events.some((e) => e.name === "stuck"), 10_000, "stuck joins");
    const text = "x".repeat(15_000);
    const count = 600; // 9 MB to the stuck member: past any socket buffer and the 1 MiB backlog
    const started = Date.now();
    // In batches that the readers keep up with (a chat, not a flood): the stuck member falls
    // further behind with each, the others never do.
    for (let k = 0; k < count; k++) {
      await talker.ws.send(`${k}:${text}`);
      if (k % 30 === 29) {
        await until(() => messages(remote, "talker").length > k, 10_000, `batch ${k}`);
      }
    }
    for (const [name, member] of Object.entries({ talker, listener, remote })) {
      await until(
        () => messages(member, "talker").length === count,
        20_000,
        `every message to ${name} (has ${messages(member, "talker").length})`,
      );
    }
    const elapsed = Date.now() - started;
    stuck.destroy();
    expect(elapsed).toBeLessThan(20_000);
    expect(messages(remote, "talker").map((t) => Number(t.split(":")[0]))).toEqual(
      Array.from({ length: count }, (_, k) => k),
    );
  });
});

describe(`PUBSUB-CONTRACT, broadcast over Redis: deno, bun and node processes (clients on ${runtime})`, () => {
  let redis: RedisServer;
  let servers: ExampleProcess[] = [];
  const open: Connection[] = [];
  let connectTo: (url: string) => Promise<Connection>;

  beforeAll(async () => {
    redis = await startRedis();
    servers = await startAll("examples/broadcast.ts", redis);
    const client = await loadClient();
    connectTo = (url) => client.connect(url, { heartbeatInterval: 0 });
  });

  afterAll(async () => {
    for (const ws of open) ws.terminate();
    await Promise.all(servers.map((s) => s.stop()));
    await redis?.stop();
  });

  it("every message reaches every other /broadcast client on every process exactly once, byte for byte, with its opcode; other paths echo", async () => {
    const clients: { ws: Connection; got: Message[] }[] = [];
    for (let i = 0; i < 6; i++) {
      const ws = await connectTo(`${servers[i % 3]!.urls[0]!}/broadcast`);
      open.push(ws);
      clients.push({ ws, got: collect(ws, (m) => m) });
    }
    const binary = new Uint8Array(100_000).map((_, k) => k * 7);
    await clients[0]!.ws.send("hello from 0");
    await clients[4]!.ws.send(binary);
    for (const [i, client] of clients.entries()) {
      const expected = (i === 0 ? 0 : 1) + (i === 4 ? 0 : 1);
      await until(() => client.got.length >= expected, 10_000, `client ${i} gets ${expected}`);
    }
    await delay(300);
    for (const [i, client] of clients.entries()) {
      const texts = client.got.filter((m) => typeof m === "string");
      const bins = client.got.filter((m) => typeof m !== "string");
      expect(texts).toEqual(i === 0 ? [] : ["hello from 0"]);
      expect(bins).toEqual(i === 4 ? [] : [binary]);
    }
    const echo = await connectTo(`${servers[1]!.urls[0]!}/other`);
    open.push(echo);
    await echo.send("echo me");
    for await (const message of echo) {
      expect(message).toBe("echo me");
      break;
    }
  });
});
