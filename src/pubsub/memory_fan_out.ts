/**
 * An in-memory fan-out: registries in one process, joined as if they were processes.
 *
 * @module
 */

import type { PreparedFrame } from "../protocol/prepared_frame.ts";
import type { FanOut, FanOutSink } from "./fan_out.ts";

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Joins registries in one process as a Redis server joins processes: each
 * {@linkcode MemoryHub.prototype.fanOut} is one "process", which gets what the others publish
 * to the topics it is subscribed to, never its own, in order, a moment later (a microtask, as
 * from a network). For tests of code that uses topics across processes, and to try a
 * fan-out design without a backend.
 *
 * @example Two registries, one topic
 * ```ts
 * import { MemoryHub, Topics } from "@wsflow/wsflow";
 * const hub = new MemoryHub();
 * const a = new Topics({ fanOut: hub.fanOut() });
 * const b = new Topics({ fanOut: hub.fanOut() });
 * b.listen("news", (message) => console.log("b heard", message));
 * console.log(a.publish("news", "hello").fanOut); // sent
 * await new Promise((resolve) => setTimeout(resolve, 0)); // b heard hello
 * ```
 */
export class MemoryHub {
  /** Topic → the members subscribed to it. */
  readonly #topics = new Map<string, Set<MemoryFanOut>>();
  #up = true;

  /**
   * A new member: the fan-out of one registry.
   *
   * @returns The fan-out.
   */
  fanOut(): FanOut {
    return new MemoryFanOut(this.#topics, () => this.#up);
  }

  /**
   * Whether the hub passes messages on; while it is down, publishes report `"unavailable"`
   * and are lost for other members, as with a Redis server that is down. Subscriptions are
   * kept (a member needs no resubscribe here).
   *
   * @returns `true` while up.
   */
  get up(): boolean {
    return this.#up;
  }

  set up(value: boolean) {
    this.#up = value;
  }
}

/** One member of a {@linkcode MemoryHub}. */
class MemoryFanOut implements FanOut {
  readonly #topics: Map<string, Set<MemoryFanOut>>;
  readonly #up: () => boolean;
  sink: FanOutSink | undefined;

  constructor(topics: Map<string, Set<MemoryFanOut>>, up: () => boolean) {
    this.#topics = topics;
    this.#up = up;
  }

  open(sink: FanOutSink): void {
    this.sink = sink;
  }

  subscribe(topic: string): Promise<void> {
    let members = this.#topics.get(topic);
    if (members === undefined) this.#topics.set(topic, members = new Set());
    members.add(this);
    return RESOLVED;
  }

  unsubscribe(topic: string): void {
    const members = this.#topics.get(topic);
    if (members?.delete(this) && members.size === 0) this.#topics.delete(topic);
  }

  publish(topic: string, frame: PreparedFrame): boolean {
    if (!this.#up()) return false;
    for (const member of this.#topics.get(topic) ?? []) {
      if (member === this) continue; // no echo
      // Later, as from a network; the microtasks of one publisher run in order.
      queueMicrotask(() => member.sink?.deliver(topic, frame));
    }
    return true;
  }

  close(): Promise<void> {
    for (const [topic, members] of this.#topics) {
      if (members.delete(this) && members.size === 0) this.#topics.delete(topic);
    }
    this.sink = undefined;
    return RESOLVED;
  }
}
