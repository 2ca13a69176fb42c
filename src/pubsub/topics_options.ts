/**
 * The types around {@linkcode Topics}: its options, the listener of `listen`, where an error
 * came from, and its totals.
 *
 * @module
 */

import type { Message } from "../protocol/message.ts";
import type { FanOut, FanOutStage } from "./fan_out.ts";

/**
 * A function subscriber in this process; see {@linkcode Topics.prototype.listen}.
 *
 * @example
 * ```ts
 * import type { TopicListener } from "@wsflow/wsflow";
 * const log: TopicListener = (message, topic) => console.log(topic, message);
 * ```
 */
export type TopicListener = (message: Message, topic: string) => void;

/**
 * Options of {@linkcode Topics}.
 *
 * @example
 * ```ts
 * import { MemoryHub, type TopicsOptions } from "@wsflow/wsflow";
 * const options: TopicsOptions = {
 *   fanOut: new MemoryHub().fanOut(),
 *   onError: (error, { stage }) => console.error(stage, error),
 * };
 * ```
 */
export interface TopicsOptions {
  /**
   * Carries messages to the other processes that share topics (say, `RedisFanOut` from
   * `wsflow/redis`). Without one, topics are local to this process.
   * @default {undefined}
   */
  fanOut?: FanOut | undefined;
  /**
   * Called with what goes wrong out of anyone's call stack: the fan-out backend's errors, and
   * listeners that throw. Never throws into `publish`.
   * @default {console.error}
   */
  onError?: ((error: unknown, context: TopicErrorContext) => void) | undefined;
}

/**
 * Where a topics error came from: a fan-out stage, or a `listener` that threw.
 *
 * @example
 * ```ts
 * import type { TopicErrorContext } from "@wsflow/wsflow";
 * const context: TopicErrorContext = { stage: "publish", topic: "news" };
 * ```
 */
export interface TopicErrorContext {
  /** What was going on. */
  stage: FanOutStage | "listener";
  /** The topic concerned, when there is one. */
  topic?: string | undefined;
}

/**
 * Totals since the registry was made: what slow subscribers missed, what came from other
 * processes.
 *
 * @example
 * ```ts
 * import { Topics } from "@wsflow/wsflow";
 * console.log(new Topics().stats.published); // 0
 * ```
 */
export interface TopicStats {
  /** Calls of `publish`. */
  published: number;
  /** Frames queued for local subscribers, published here or received. */
  queued: number;
  /** Deliveries dropped because a subscriber's send buffer was full. */
  dropped: number;
  /** Subscribers closed with 1008 for falling behind. */
  evicted: number;
  /** Messages received from other processes. */
  received: number;
  /** Publishes that could not be handed to the fan-out (backend unreachable). */
  unavailable: number;
}
