// ReconnectingConnection over in-memory connections and a FakeClock: the policy by cause
// (../shared/CLIENT-CONTRACT.md section 1), backoff and Retry-After, the attempt limit, the
// onOpen hook before the queue, the offline queue's order and drops, at-most-once delivery,
// per-attempt URL and headers, and stopping by signal. No sockets, no waiting on real time.
import { describe, expect, it } from "vitest";
import type { ConnectOptions } from "../../src/client/connect.ts";
import { ReconnectingConnection } from "../../src/client/reconnecting_connection.ts";
import type { ReconnectEvents, ReconnectOptions } from "../../src/client/reconnect_options.ts";
import { HandshakeError } from "../../src/protocol/errors.ts";
import type { Message } from "../../src/protocol/message.ts";
import type { Connection } from "../../src/streams/connection.ts";
import { connectedPair } from "../../src/testing/connected_pair.ts";
import { FakeClock } from "../../src/testing/fake_clock.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

type Outcome = "accept" | Error;

interface Harness {
  clock: FakeClock;
  rc: ReconnectingConnection;
  /** The server ends of accepted connections, in order. */
  servers: Connection[];
  /** Every connect call's URL and options. */
  calls: { url: string; options: ConnectOptions | undefined }[];
  events: string[];
  /** Waits (in real time, bounded) until `check` holds. */
  until(check: () => boolean, what: string): Promise<void>;
  /** The next message the i-th server receives. */
  receive(i: number): Promise<Message>;
}

function harness(outcomes: Outcome[], options: ReconnectOptions = {}, url = "ws://test/"): Harness {
  const clock = new FakeClock();
  const servers: Connection[] = [];
  const calls: Harness["calls"] = [];
  const events: string[] = [];
  const rc = new ReconnectingConnection(url, {
    clock,
    random: () => 0.5,
    now: () => Date.parse("2026-01-01T00:00:00Z"),
    connect: (target, connectOptions) => {
      calls.push({ url: String(target), options: connectOptions });
      const outcome = outcomes.shift() ?? "accept";
      if (outcome !== "accept") return Promise.reject(outcome);
      const pair = connectedPair({
        server: { heartbeatInterval: 0, closeTimeout: 1_000 },
        client: { heartbeatInterval: 0, closeTimeout: 1_000 },
      });
      servers.push(pair.server);
      return Promise.resolve(pair.client);
    },
    ...options,
  });
  const record = <K extends keyof ReconnectEvents>(
    type: K,
    show: (event: ReconnectEvents[K]) => string,
  ) => rc.on(type, (event) => events.push(`${type} ${show(event)}`.trimEnd()));
  record("open", (e) => `attempt ${e.attempt}${e.reopened ? " reopened" : ""}`);
  record("close", (e) => `${e.code}`);
  record("reconnecting", (e) => `in ${e.delay} ms (attempt ${e.attempt}) after ${describe(e)}`);
  record("dropped", (e) => `${e.messages.join(",")} (total ${e.total})`);
  record("gave-up", (e) => `after ${e.failures} failures`);
  const iterators = new Map<number, AsyncIterator<Message>>();
  return {
    clock,
    rc,
    servers,
    calls,
    events,
    until: (check, what) =>
      withTimeout(
        (async () => {
          while (!check()) await new Promise((resolve) => setTimeout(resolve, 1));
        })(),
        5_000,
        what,
      ),
    async receive(i) {
      let iterator = iterators.get(i);
      if (iterator === undefined) {
        iterator = servers[i]![Symbol.asyncIterator]();
        iterators.set(i, iterator);
      }
      const result = await withTimeout(iterator.next(), 5_000, `a message to server ${i}`);
      if (result.done) throw new Error(`server ${i} closed`);
      return result.value;
    },
  };

  function describe(event: ReconnectEvents["reconnecting"]): string {
    const cause = event.cause;
    return cause.kind === "close"
      ? `close ${cause.code}`
      : cause.kind === "handshake"
      ? `status ${cause.status}`
      : cause.kind;
  }
}

const refused = (): Error => new HandshakeError("Cannot connect: refused", 0);
const status = (code: number, headers?: HeadersInit): Error =>
  new HandshakeError(`Cannot connect: ${code}`, code, headers);

describe("ReconnectingConnection", () => {
  it("retries a refused first attempt after a jittered delay within 1 s, runs onOpen before the queued messages, in order", async () => {
    const hookSaw: string[] = [];
    const h = harness([refused()], {
      onOpen: async (connection, info) => {
        hookSaw.push(`queued ${h.rc.queued} attempt ${info.attempt}`);
        await connection.send("auth");
      },
    });
    await h.rc.send("a");
    await h.rc.send("b");
    await h.until(() => h.rc.state === "waiting", "the first wait");
    expect(h.events).toEqual(["reconnecting in 500 ms (attempt 2) after network"]);
    await h.clock.advance(499);
    expect(h.calls.length).toBe(1);
    await h.clock.advance(1);
    await h.until(() => h.rc.state === "open", "the connection opens");
    expect(hookSaw).toEqual(["queued 2 attempt 2"]);
    expect([await h.receive(0), await h.receive(0), await h.receive(0)]).toEqual([
      "auth",
      "a",
      "b",
    ]);
    await h.rc.send("c");
    expect(await h.receive(0)).toBe("c");
    expect(h.events.at(-1)).toBe("open attempt 2");
    await h.rc.close();
    expect(await h.rc.closed).toEqual({ reason: "closed" });
  });

  it("rfc6455#section-7.4.1 reconnects after a Close with 1012 and delivers messages from both connections in order", async () => {
    const h = harness([]);
    const reader = h.rc[Symbol.asyncIterator]();
    await h.until(() => h.rc.state === "open", "the first connection");
    // Read as a user does: a connection whose messages nobody reads reads no further.
    const first = reader.next();
    await h.servers[0]!.send("one");
    expect((await first).value).toBe("one");
    const second = reader.next();
    await h.servers[0]!.close(1012, "restarting");
    await h.until(() => h.rc.state === "waiting", "the wait");
    await h.clock.advance(500);
    await h.until(() => h.rc.state === "open", "the second connection");
    await h.servers[1]!.send("two");
    expect((await second).value).toBe("two");
    expect(h.events).toEqual([
      "open attempt 1",
      "close 1012",
      "reconnecting in 500 ms (attempt 2) after close 1012",
      "open attempt 2 reopened",
    ]);
    await h.rc.close();
    expect((await reader.next()).done).toBe(true);
  });

  it("rfc6455#section-7.4.1 gives up after a Close with 1008, dropping and reporting what was queued", async () => {
    const h = harness([]);
    await h.until(() => h.rc.state === "open", "the connection");
    await h.servers[0]!.close(1008, "go away");
    const end = await withTimeout(h.rc.closed, 5_000, "the end");
    expect(end).toEqual({
      reason: "gave-up",
      cause: { kind: "close", code: 1008, reason: "go away" },
    });
    expect(h.events).toEqual(["open attempt 1", "close 1008", "gave-up after 1 failures"]);
    expect(h.rc.state).toBe("closed");
    await expect(h.rc.send("late")).rejects.toMatchObject({ name: "ConnectionClosedError" });
  });

  it("waits what Retry-After asks on 503 and 429, and gives up at once on 404", async () => {
    const h = harness([status(503, { "retry-after": "7" }), status(429, { "retry-after": "2" })]);
    await h.until(() => h.rc.state === "waiting", "the first wait");
    await h.clock.advance(7_000);
    await h.until(() => h.calls.length === 2 && h.rc.state === "waiting", "the second wait");
    await h.clock.advance(2_000);
    await h.until(() => h.rc.state === "open", "the connection");
    expect(h.events.slice(0, 2)).toEqual([
      "reconnecting in 7000 ms (attempt 2) after status 503",
      "reconnecting in 2000 ms (attempt 3) after status 429",
    ]);
    await h.rc.close();

    const refusedForGood = harness([status(404)]);
    expect(await withTimeout(refusedForGood.rc.closed, 5_000, "the end")).toMatchObject({
      reason: "gave-up",
      cause: { kind: "handshake", status: 404 },
    });
    expect(refusedForGood.calls.length).toBe(1);
  });

  it("gives up after maxRetries consecutive failures, with delays growing to the cap", async () => {
    const h = harness([refused(), refused(), refused(), refused()], {
      maxRetries: 3,
      random: () => 0,
      backoff: { initialDelay: 100, maxDelay: 250 },
    });
    for (const delay of [100, 200, 250]) {
      await h.until(() => h.rc.state === "waiting", "a wait");
      await h.clock.advance(delay);
    }
    expect(await withTimeout(h.rc.closed, 5_000, "the end")).toMatchObject({ reason: "gave-up" });
    expect(h.calls.length).toBe(4);
    expect(h.events.at(-1)).toBe("gave-up after 4 failures");
  });

  it("computes the URL and the headers for each attempt", async () => {
    const h2 = harness([refused()], {
      headers: ({ attempt }) => ({ authorization: `Bearer token-${attempt}` }),
    });
    await h2.until(() => h2.rc.state === "waiting", "the wait");
    await h2.clock.advance(500);
    await h2.until(() => h2.rc.state === "open", "the connection");
    expect(h2.calls.map((c) => new Headers(c.options?.headers).get("authorization"))).toEqual([
      "Bearer token-1",
      "Bearer token-2",
    ]);
    await h2.rc.close();

    const clock = new FakeClock();
    const urls: string[] = [];
    const rc = new ReconnectingConnection(
      ({ attempt, failures }) => `ws://test/?a=${attempt}&f=${failures}`,
      {
        clock,
        random: () => 0,
        connect: (url) => {
          urls.push(String(url));
          return Promise.reject(refused());
        },
        maxRetries: 1,
      },
    );
    await withTimeout(
      (async () => {
        while (rc.state !== "waiting") await new Promise((r) => setTimeout(r, 1));
      })(),
      5_000,
      "the wait",
    );
    await clock.advance(1_000);
    await withTimeout(rc.closed, 5_000, "the end");
    expect(urls).toEqual(["ws://test/?a=1&f=0", "ws://test/?a=2&f=1"]);
  });

  it("drops the oldest queued messages when the queue is full, reporting each drop, and sends the rest once", async () => {
    const h = harness([refused()], { queue: { maxMessages: 2 } });
    for (const line of ["1", "2", "3", "4"]) await h.rc.send(line);
    expect(h.rc.dropped).toBe(2);
    expect(h.events.filter((e) => e.startsWith("dropped"))).toEqual([
      "dropped 1 (total 1)",
      "dropped 2 (total 2)",
    ]);
    await h.until(() => h.rc.state === "waiting", "the wait");
    await h.clock.advance(500);
    await h.until(() => h.rc.state === "open", "the connection");
    expect([await h.receive(0), await h.receive(0)]).toEqual(["3", "4"]);
    await h.rc.close();
  });

  it('rejects a send with QueueFullError when the queue is full under overflow "reject"', async () => {
    const h = harness([refused()], { queue: { maxMessages: 1, overflow: "reject" } });
    await h.rc.send("1");
    await expect(h.rc.send("2")).rejects.toMatchObject({ name: "QueueFullError" });
    await h.rc.close();
  });

  it("sends each message at most once: one handed to a connection that then broke is not sent again", async () => {
    const h = harness([]);
    await h.until(() => h.rc.state === "open", "the first connection");
    await h.rc.send("handed");
    expect(await h.receive(0)).toBe("handed");
    h.servers[0]!.terminate(); // 1006 on the client's side
    await h.until(() => h.rc.state === "waiting", "the wait");
    await h.rc.send("queued");
    await h.clock.advance(500);
    await h.until(() => h.rc.state === "open", "the second connection");
    expect(await h.receive(1)).toBe("queued");
    expect(h.events).toContain("reconnecting in 500 ms (attempt 2) after close 1006");
    await h.rc.close();
  });

  it("resets the failure count only after a connection stayed open for resetAfter", async () => {
    const h = harness([], { random: () => 0, resetAfter: 5_000 });
    const delays: number[] = [];
    h.rc.on("reconnecting", ({ delay }) => delays.push(delay));
    for (let i = 0; i < 2; i++) {
      await h.until(() => h.rc.state === "open" && h.servers.length === i + 1, "open");
      await h.servers[i]!.close(1013);
      await h.until(() => h.rc.state === "waiting", "wait");
      await h.clock.advance(delays.at(-1)!);
    }
    await h.until(() => h.rc.state === "open" && h.servers.length === 3, "open");
    await h.clock.advance(5_000);
    await h.servers[2]!.close(1013);
    await h.until(() => delays.length === 3, "the third wait");
    expect(delays).toEqual([1_000, 2_000, 1_000]);
    await h.rc.close();
  });

  it("stops for good when its signal aborts during a wait, and closes the open connection when aborted while open", async () => {
    const controller = new AbortController();
    const h = harness([refused()], { signal: controller.signal });
    await h.until(() => h.rc.state === "waiting", "the wait");
    controller.abort();
    expect(await withTimeout(h.rc.closed, 5_000, "the end")).toEqual({ reason: "closed" });
    expect(h.calls.length).toBe(1);

    const second = new AbortController();
    const open = harness([], { signal: second.signal });
    await open.until(() => open.rc.state === "open", "the connection");
    second.abort();
    await withTimeout(open.rc.closed, 5_000, "the end");
    expect((await open.servers[0]!.closed).code).toBe(1000);
  });

  it("closes with 1011 and gives up when the onOpen hook throws, by default", async () => {
    const h = harness([], {
      onOpen: () => {
        throw new Error("cannot authenticate");
      },
    });
    const end = await withTimeout(h.rc.closed, 5_000, "the end");
    expect(end).toMatchObject({ reason: "gave-up", cause: { kind: "error" } });
    expect((await h.servers[0]!.closed).code).toBe(1011);
  });
});
