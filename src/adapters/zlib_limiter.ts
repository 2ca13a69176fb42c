/**
 * The process-wide cap on zlib work of the permessage-deflate engine (`zlib_deflate.ts`): at
 * most `limit` compressions and decompressions run at once, the rest wait first in, first out.
 * That bounds zlib's memory and the fragmentation unbounded parallel zlib work causes.
 *
 * @module
 */

/**
 * At most `limit` tasks at once; the others wait first in, first out.
 *
 * @example
 * ```ts
 * import { Limiter } from "./zlib_limiter.ts";
 * const limiter = new Limiter(2);
 * const result = await limiter.run(() => Promise.resolve(42));
 * console.log(result, limiter.running); // 42 0
 * ```
 */
export class Limiter {
  #limit: number;
  #running = 0;
  #queue: (() => void)[] = [];
  #head = 0;

  /** @param limit How many tasks may run at once. */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /** How many tasks may run at once. */
  get limit(): number {
    return this.#limit;
  }

  /** Tasks running now. */
  get running(): number {
    return this.#running;
  }

  /** Tasks waiting for a place. */
  get waiting(): number {
    return this.#queue.length - this.#head;
  }

  /** Sets the limit: a higher one starts waiting tasks at once, a lower one lets running finish. */
  setLimit(limit: number): void {
    this.#limit = limit;
    while (this.#running < this.#limit && this.waiting > 0) {
      this.#running++;
      this.#shift()();
    }
  }

  /** Runs `task` once a place is free, and frees the place when it settles. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running < this.#limit) {
      this.#running++;
    } else {
      // The place is handed over by #release, which leaves #running as it is.
      await new Promise<void>((resolve) => this.#queue.push(resolve));
    }
    try {
      return await task();
    } finally {
      this.#release();
    }
  }

  #release(): void {
    if (this.#running <= this.#limit && this.waiting > 0) this.#shift()();
    else this.#running--;
  }

  #shift(): () => void {
    const next = this.#queue[this.#head]!;
    this.#head++;
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    return next;
  }
}
