// The `./testing` entry point (testing.ts): FakeClock, byteStreamPair and connectedPair, as a
// user's test would use them.
import { describe, expect, it } from "vitest";
import type { Connection } from "../../src/streams/connection.ts";
import { byteStreamPair, connectedPair, FakeClock } from "../../testing.ts";

describe("FakeClock", () => {
  it("fires timers when time reaches them, earliest first, ties in the order set", async () => {
    const clock = new FakeClock(10);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 20);
    const cancelled = clock.setTimeout(() => fired.push("never"), 5);
    clock.clearTimeout(cancelled);
    expect(clock.pendingTimers).toBe(3);
    await clock.advance(9);
    expect(fired).toEqual([]);
    await clock.advance(21);
    expect(fired).toEqual(["a@20", "b@30", "c@30"]);
    expect(clock.now()).toBe(40);
    expect(clock.pendingTimers).toBe(0);
  });

  it("fires a timer set by a timer when it falls due within the same advance", async () => {
    const clock = new FakeClock();
    const fired: number[] = [];
    clock.setTimeout(() => {
      fired.push(clock.now());
      clock.setTimeout(() => fired.push(clock.now()), 10);
    }, 10);
    await clock.advance(25);
    expect(fired).toEqual([10, 20]);
  });
});

describe("byteStreamPair", () => {
  it("carries bytes both ways and a close as the end of the other side's readable", async () => {
    const [left, right] = byteStreamPair();
    const leftWriter = left.writable.getWriter();
    const rightReader = right.readable.getReader();
    const [, read] = await Promise.all([
      leftWriter.write(new Uint8Array([1, 2])),
      rightReader.read(),
    ]);
    expect(read.value).toEqual(new Uint8Array([1, 2]));
    await leftWriter.close();
    expect((await rightReader.read()).done).toBe(true);
  });

  it("aborts at once even while a write waits for a reader that never reads", async () => {
    const [left, right] = byteStreamPair();
    const writer = left.writable.getWriter();
    const first = writer.write(new Uint8Array(1));
    const second = writer.write(new Uint8Array(1));
    first.catch(() => {});
    second.catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 0));
    await writer.abort(new Error("reset"));
    await expect(right.readable.getReader().read()).rejects.toThrow("reset");
  });
});

describe("connectedPair", () => {
  it("joins a server and a client connection that talk to each other", async () => {
    async function echo(ws: Connection): Promise<void> {
      for await (const message of ws) await ws.send(message);
    }
    const { server, client } = connectedPair({
      server: { heartbeatInterval: 0 },
      client: { heartbeatInterval: 0 },
    });
    const handled = echo(server);
    await client.send("hello");
    await client.send(new Uint8Array([1, 2, 3]));
    const messages = client[Symbol.asyncIterator]();
    expect((await messages.next()).value).toBe("hello");
    expect((await messages.next()).value).toEqual(new Uint8Array([1, 2, 3]));
    expect(await client.close(1000, "done")).toMatchObject({ code: 1000, wasClean: true });
    await handled;
    expect(await server.closed).toMatchObject({ code: 1000, reason: "done", wasClean: true });
  });

  it("measures ping round trips on the fake clock", async () => {
    const clock = new FakeClock();
    const { server, client } = connectedPair({
      server: { clock, heartbeatInterval: 0 },
      client: { clock, heartbeatInterval: 0 },
    });
    expect(await server.ping()).toBe(0);
    client.terminate();
    await server.closed;
  });
});
