/**
 * Deadlines of one length on one clock, with one timer for all of them. A server arms the same
 * deadline for every connection (the handshake timeout while it reads a head, the close timeout
 * while it closes), and almost every one is cancelled long before it is due; a runtime timer
 * for each (made, inserted, cleared) cost up to 5% of a handshake. Deadlines of one length set
 * one after another fall due in the order they were set, so they wait in a queue whose first
 * live deadline the one timer is armed for; each still fires at its own time.
 *
 * @module
 */

import type { Clock } from "./clock.ts";

/**
 * One deadline of a {@linkcode DeadlineQueue}, to cancel it with.
 *
 * @example
 * ```ts
 * import { REAL_CLOCK } from "./clock.ts";
 * import { type Deadline, deadlineQueue } from "./deadline_queue.ts";
 * const queue = deadlineQueue(REAL_CLOCK, 1_000);
 * const deadline: Deadline = queue.add(() => console.log("too late"));
 * queue.cancel(deadline);
 * ```
 */
export interface Deadline {
  /** When it falls due, on its clock. */
  readonly at: number;
  /** What runs then, with `owner`; `undefined` once it ran or was cancelled. */
  callback: ((owner: never) => void) | undefined;
  /**
   * What `callback` is called with; `undefined` once it ran or was cancelled, so that a
   * cancelled deadline still queued keeps nothing of its owner alive.
   */
  owner: unknown;
}

/**
 * Deadlines of one length on one clock, sharing one timer.
 *
 * @example
 * ```ts
 * import { REAL_CLOCK } from "./clock.ts";
 * import { DeadlineQueue } from "./deadline_queue.ts";
 * const queue = new DeadlineQueue(REAL_CLOCK, 10);
 * await new Promise<void>((resolve) => queue.add(resolve));
 * console.log("10 ms later");
 * ```
 */
export class DeadlineQueue {
  readonly #clock: Clock;
  readonly #delay: number;
  #entries: Deadline[] = [];
  // Entries before this index have run or were cancelled.
  #head = 0;
  #timer: unknown;
  #armed = false;

  readonly #fire = (): void => {
    this.#armed = false;
    const now = this.#clock.now();
    const entries = this.#entries;
    while (this.#head < entries.length) {
      const entry = entries[this.#head]!;
      const callback = entry.callback;
      if (callback !== undefined && entry.at > now) break;
      this.#head++;
      const owner = entry.owner;
      entry.callback = entry.owner = undefined;
      if (callback === undefined) continue;
      try {
        (callback as (owner: unknown) => void)(owner);
      } catch (error) {
        // Uncaught, as from a timer of its own, without keeping the other deadlines waiting.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
    this.#compact();
    this.#rearm();
  };

  /**
   * Makes an empty queue.
   *
   * @param clock Where time comes from.
   * @param delay The length of every deadline, in milliseconds.
   */
  constructor(clock: Clock, delay: number) {
    this.#clock = clock;
    this.#delay = delay;
  }

  /**
   * Sets a deadline `delay` milliseconds from now.
   *
   * @param callback Runs when it falls due, unless cancelled first, with `owner`: one function
   *   can serve every deadline of its kind, where a closure each would cost each its memory.
   * @param owner What `callback` is called with.
   * @returns The deadline, to cancel.
   */
  add<Owner = undefined>(callback: (owner: Owner) => void, owner?: Owner): Deadline {
    const entry: Deadline = { at: this.#clock.now() + this.#delay, callback, owner };
    this.#entries.push(entry);
    if (!this.#armed) this.#arm(entry.at);
    return entry;
  }

  /**
   * Cancels a deadline; nothing happens if it already ran.
   *
   * @param entry The deadline.
   */
  cancel(entry: Deadline): void {
    if (entry.callback === undefined) return;
    entry.callback = entry.owner = undefined;
    const entries = this.#entries;
    while (this.#head < entries.length && entries[this.#head]!.callback === undefined) {
      this.#head++;
    }
    this.#compact();
    // Nothing left to wait for: no timer keeps the process (or a test's clock) busy.
    if (this.#head === this.#entries.length && this.#armed) {
      this.#armed = false;
      this.#clock.clearTimeout(this.#timer);
    }
  }

  /** How many deadlines are set and neither ran nor were cancelled. */
  get size(): number {
    let live = 0;
    for (let i = this.#head; i < this.#entries.length; i++) {
      if (this.#entries[i]!.callback !== undefined) live++;
    }
    return live;
  }

  #compact(): void {
    const head = this.#head;
    if (head === this.#entries.length) {
      this.#entries = [];
      this.#head = 0;
    } else if (head >= 1024 && head * 2 >= this.#entries.length) {
      this.#entries = this.#entries.slice(head);
      this.#head = 0;
    }
  }

  #rearm(): void {
    const next = this.#entries[this.#head];
    if (next !== undefined && !this.#armed) this.#arm(next.at);
  }

  #arm(at: number): void {
    this.#armed = true;
    this.#timer = this.#clock.setTimeout(this.#fire, Math.max(0, at - this.#clock.now()));
  }
}

const queues = new WeakMap<Clock, Map<number, DeadlineQueue>>();

/**
 * The queue for deadlines of `delay` milliseconds on `clock`, made on first use.
 *
 * @example
 * ```ts
 * import { REAL_CLOCK } from "./clock.ts";
 * import { deadlineQueue } from "./deadline_queue.ts";
 * console.log(deadlineQueue(REAL_CLOCK, 1_000) === deadlineQueue(REAL_CLOCK, 1_000)); // true
 * ```
 * @param clock Where time comes from.
 * @param delay The deadlines' length, in milliseconds.
 * @returns The queue.
 */
export function deadlineQueue(clock: Clock, delay: number): DeadlineQueue {
  let byDelay = queues.get(clock);
  if (byDelay === undefined) queues.set(clock, byDelay = new Map());
  let queue = byDelay.get(delay);
  if (queue === undefined) byDelay.set(delay, queue = new DeadlineQueue(clock, delay));
  return queue;
}
