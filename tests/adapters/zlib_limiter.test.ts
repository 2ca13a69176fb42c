// The process-wide queue of the zlib engine (src/adapters/zlib_limiter.ts) on its own: never
// more than `limit` tasks at once, the rest first in, first out; a raised limit starts waiting
// tasks at once, a lowered one lets running tasks finish; a failing task frees its place.
import { describe, expect, it } from "vitest";
import { Limiter } from "../../src/adapters/zlib_limiter.ts";

/** A task that runs until released, recording when it starts. */
function gate(name: string, started: string[]) {
  let release!: () => void;
  const done = new Promise<void>((resolve) => release = resolve);
  return {
    release: (): void => release(),
    task: async (): Promise<string> => {
      started.push(name);
      await done;
      return name;
    },
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

describe("Limiter", () => {
  it("runs at most `limit` tasks and starts the others in order", async () => {
    const started: string[] = [];
    const limiter = new Limiter(2);
    const gates = ["a", "b", "c", "d"].map((name) => gate(name, started));
    const results = gates.map((g) => limiter.run(g.task));
    await tick();
    expect(started).toEqual(["a", "b"]);
    expect([limiter.running, limiter.waiting]).toEqual([2, 2]);
    gates[1]!.release();
    await tick();
    expect(started).toEqual(["a", "b", "c"]);
    for (const g of gates) g.release();
    expect(await Promise.all(results)).toEqual(["a", "b", "c", "d"]);
    expect([limiter.running, limiter.waiting]).toEqual([0, 0]);
  });

  it("starts waiting tasks when the limit rises, and lets running ones finish when it falls", async () => {
    const started: string[] = [];
    const limiter = new Limiter(1);
    const gates = ["a", "b", "c"].map((name) => gate(name, started));
    const results = gates.map((g) => limiter.run(g.task));
    await tick();
    limiter.setLimit(3);
    await tick();
    expect(started).toEqual(["a", "b", "c"]);
    limiter.setLimit(1);
    expect(limiter.running).toBe(3);
    const late = gate("d", started);
    const lateResult = limiter.run(late.task);
    gates[0]!.release();
    gates[1]!.release();
    await tick();
    expect(started).toEqual(["a", "b", "c"]);
    gates[2]!.release();
    await tick();
    expect(started).toEqual(["a", "b", "c", "d"]);
    late.release();
    await Promise.all([...results, lateResult]);
    expect(limiter.running).toBe(0);
  });

  it("frees the place of a task that fails", async () => {
    const limiter = new Limiter(1);
    await expect(limiter.run(() => Promise.reject(new Error("zlib failed")))).rejects.toThrow(
      "zlib failed",
    );
    expect(await limiter.run(() => Promise.resolve(7))).toBe(7);
    expect([limiter.running, limiter.waiting]).toEqual([0, 0]);
  });
});
