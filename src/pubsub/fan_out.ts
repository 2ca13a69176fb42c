/**
 * The interface between a topic registry and whatever carries its messages to other processes
 * (Redis, or an in-memory hub in tests).
 *
 * @module
 */

import type { PreparedFrame } from "../protocol/prepared_frame.ts";

/**
 * Where a fan-out hands what it receives from other processes, and reports trouble: the
 * registry passes one to {@linkcode FanOut.open}.
 *
 * @example
 * ```ts
 * import type { FanOutSink } from "@wsflow/wsflow";
 * const sink: FanOutSink = {
 *   deliver: (topic, frame) => console.log(topic, frame.payload.length),
 *   error: (error, stage) => console.error(stage, error),
 * };
 * ```
 */
export interface FanOutSink {
  /**
   * A message another process published to `topic`: the registry delivers it to its local
   * subscribers (and never publishes it again).
   */
  deliver(topic: string, frame: PreparedFrame): void;
  /** Something went wrong in the backend; `stage` says what it was doing. */
  error(error: unknown, stage: FanOutStage, topic?: string): void;
}

/**
 * What a fan-out was doing when it reported an error: connecting, (re)subscribing a topic,
 * unsubscribing one, publishing, or reading a received message.
 *
 * @example
 * ```ts
 * import type { FanOutStage } from "@wsflow/wsflow";
 * const stage: FanOutStage = "subscribe";
 * console.log(stage); // subscribe
 * ```
 */
export type FanOutStage = "connection" | "subscribe" | "unsubscribe" | "publish" | "receive";

/**
 * Carries topic messages between processes. A registry ({@linkcode Topics}) calls
 * `subscribe` when a topic gets its first local subscriber (0→1) and `unsubscribe` when it
 * loses its last (1→0), and `publish` for every message published here; messages from other
 * processes come back through the sink given to `open`.
 *
 * Rules every implementation keeps, which the registry's guarantees rest on:
 *
 * - **No echo**: a message published by this process never comes back through the sink.
 * - **At most once**: a message is delivered to each other process once, or not at all (when
 *   the backend is unreachable); never twice.
 * - **Per-publisher order**: messages one process publishes to one topic reach every other
 *   process in the order published.
 * - **Never throws, never waits**: `publish` hands the message over (or reports `false`) and
 *   returns; failures go to the sink's `error`.
 * - **Recovers by itself**: after the backend comes back, every topic still subscribed is
 *   subscribed again without being asked.
 *
 * @example A fan-out that only counts what it is given
 * ```ts
 * import { type FanOut, Topics } from "@wsflow/wsflow";
 * let published = 0;
 * const counting: FanOut = {
 *   open() {},
 *   subscribe: () => Promise.resolve(),
 *   unsubscribe() {},
 *   publish() {
 *     published++;
 *     return true;
 *   },
 *   close: () => Promise.resolve(),
 * };
 * const topics = new Topics({ fanOut: counting });
 * console.log(topics.publish("news", "hello").fanOut, published); // sent 1
 * ```
 */
export interface FanOut {
  /** Called once by the registry that uses this fan-out. */
  open(sink: FanOutSink): void;
  /**
   * Starts receiving `topic` from other processes. Settles once its messages flow, or at once
   * when the backend is unreachable (it subscribes again once back); never rejects.
   */
  subscribe(topic: string): Promise<void>;
  /** Stops receiving `topic`. */
  unsubscribe(topic: string): void;
  /**
   * Hands one message to the backend without waiting.
   *
   * @returns `false` when it could not be handed over now (the backend is unreachable): other
   *   processes will not get it.
   */
  publish(topic: string, frame: PreparedFrame): boolean;
  /** Stops receiving and frees what the fan-out opened (not the clients it was given). */
  close(): Promise<void>;
}
