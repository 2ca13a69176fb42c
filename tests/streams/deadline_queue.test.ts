// DeadlineQueue: deadlines of one length sharing one timer, each still firing at its own time.
import { describe, expect, it } from "vitest";
import { DeadlineQueue, deadlineQueue } from "../../src/streams/deadline_queue.ts";
import { FakeClock } from "../../src/testing/fake_clock.ts";

describe("DeadlineQueue", () => {
  it("fires each deadline at its own time, with one timer", async () => {
    const clock = new FakeClock();
    const queue = new DeadlineQueue(clock, 100);
    const fired: string[] = [];
    queue.add(() => fired.push("a"));
    await clock.advance(30);
    queue.add(() => fired.push("b"));
    queue.add(() => fired.push("c"));
    expect(clock.pendingTimers).toBe(1);
    expect(queue.size).toBe(3);
    await clock.advance(69);
    expect(fired).toEqual([]);
    await clock.advance(1);
    expect(fired).toEqual(["a"]);
    await clock.advance(29);
    expect(fired).toEqual(["a"]);
    await clock.advance(1);
    expect(fired).toEqual(["a", "b", "c"]);
    expect(clock.pendingTimers).toBe(0);
    expect(queue.size).toBe(0);
  });

  it("skips cancelled deadlines and lets go of its timer once none is left", async () => {
    const clock = new FakeClock();
    const queue = new DeadlineQueue(clock, 100);
    const fired: string[] = [];
    const a = queue.add(() => fired.push("a"));
    await clock.advance(50);
    const b = queue.add(() => fired.push("b"));
    queue.cancel(a);
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(100);
    expect(fired).toEqual(["b"]);
    const c = queue.add(() => fired.push("c"));
    queue.cancel(c);
    queue.cancel(b); // already fired: nothing happens
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(1_000);
    expect(fired).toEqual(["b"]);
  });

  it("lets go of the owner of a deadline that ran or was cancelled while others still wait", async () => {
    const clock = new FakeClock();
    const queue = new DeadlineQueue(clock, 100);
    const owners: string[] = [];
    const first = queue.add((owner: string) => owners.push(owner), "first");
    const cancelled = queue.add((owner: string) => owners.push(owner), "cancelled");
    const last = queue.add((owner: string) => owners.push(owner), "last");
    // Queued behind a live deadline, a cancelled one stays in the queue: without its owner.
    queue.cancel(cancelled);
    expect([first.owner, cancelled.owner, last.owner]).toEqual(["first", undefined, "last"]);
    await clock.advance(100);
    expect(owners).toEqual(["first", "last"]);
    expect([first.owner, last.owner]).toEqual([undefined, undefined]);
  });

  it("keeps firing the others when a callback throws", async () => {
    const clock = new FakeClock();
    const queue = new DeadlineQueue(clock, 10);
    const fired: string[] = [];
    const errors: unknown[] = [];
    const original = globalThis.queueMicrotask;
    globalThis.queueMicrotask = (task) =>
      original(() => {
        try {
          task();
        } catch (error) {
          errors.push(error);
        }
      });
    try {
      queue.add(() => {
        throw new Error("boom");
      });
      queue.add(() => fired.push("after"));
      await clock.advance(10);
      await Promise.resolve();
    } finally {
      globalThis.queueMicrotask = original;
    }
    expect(fired).toEqual(["after"]);
    expect((errors[0] as Error).message).toBe("boom");
  });

  it("is one queue per clock and length", () => {
    const clock = new FakeClock();
    expect(deadlineQueue(clock, 5)).toBe(deadlineQueue(clock, 5));
    expect(deadlineQueue(clock, 5)).not.toBe(deadlineQueue(clock, 6));
    expect(deadlineQueue(clock, 5)).not.toBe(deadlineQueue(new FakeClock(), 5));
  });
});
