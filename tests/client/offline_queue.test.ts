// The offline queue: bounded by messages and bytes, oldest dropped first and counted, or a
// loud refusal under "reject".
import { describe, expect, it } from "vitest";
import { OfflineQueue, QueueFullError } from "../../src/client/offline_queue.ts";

describe("OfflineQueue", () => {
  it("keeps messages in order and drops the oldest when full, returning and counting them", () => {
    const queue = new OfflineQueue({ maxMessages: 3 });
    expect(queue.push("a")).toEqual([]);
    queue.push("b");
    queue.push("c");
    expect(queue.push("d")).toEqual(["a"]);
    expect(queue.dropped).toBe(1);
    expect([queue.shift(), queue.shift(), queue.shift(), queue.shift()]).toEqual([
      "b",
      "c",
      "d",
      undefined,
    ]);
  });

  it("bounds bytes, counting text as UTF-8", () => {
    const queue = new OfflineQueue({ maxBytes: 10 });
    queue.push("é€😀"); // 2 + 3 + 4 bytes
    expect(queue.bytes).toBe(9);
    expect(queue.push(new Uint8Array(2))).toEqual(["é€😀"]);
    expect(queue.bytes).toBe(2);
    // A message larger than the whole queue is itself dropped.
    const big = new Uint8Array(11);
    expect(queue.push(big)).toEqual([big]);
    expect(queue.length).toBe(1);
    expect(queue.dropped).toBe(2);
  });

  it('refuses with a QueueFullError under overflow "reject", keeping what it holds', () => {
    const queue = new OfflineQueue({ maxMessages: 1, overflow: "reject" });
    queue.push("a");
    expect(() => queue.push("b")).toThrow(QueueFullError);
    expect(queue.shift()).toBe("a");
    expect(queue.dropped).toBe(0);
  });

  it("keeps nothing with maxMessages 0, and clear() counts what it held as dropped", () => {
    const none = new OfflineQueue({ maxMessages: 0 });
    expect(none.push("a")).toEqual(["a"]);
    const queue = new OfflineQueue();
    queue.push("a");
    queue.push("b");
    expect(queue.clear()).toEqual(["a", "b"]);
    expect(queue.dropped).toBe(2);
    expect(queue.length).toBe(0);
  });

  it("stays first-in first-out across many pushes and shifts", () => {
    const queue = new OfflineQueue({ maxMessages: 1_000 });
    const out: string[] = [];
    for (let i = 0; i < 500; i++) {
      queue.push(String(i));
      if (i % 3 === 0) out.push(queue.shift() as string);
    }
    while (queue.length > 0) out.push(queue.shift() as string);
    expect(out).toEqual(Array.from({ length: 500 }, (_, i) => String(i)));
  });
});
