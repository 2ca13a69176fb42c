/**
 * Local delivery of a published (or received) message: its one prepared frame handed to each
 * subscriber's connection, counted by what the connection did with it, and the message to this
 * process's listeners.
 *
 * @module
 */

import type { Message } from "../protocol/message.ts";
import { Opcode } from "../protocol/opcode.ts";
import type { PreparedFrame } from "../protocol/prepared_frame.ts";
import type { Connection } from "../streams/connection.ts";
import type { PublishResult } from "./publish_result.ts";
import type { TopicSubscriptions } from "./topic_subscriptions.ts";
import type { TopicErrorContext, TopicStats } from "./topics_options.ts";

const decoder = new TextDecoder();

/**
 * Delivers `frame` to every subscriber of `topic` but `except`, and to its listeners; adds
 * what the subscribers' connections did to `stats`. A listener that throws goes to `onError`,
 * and the others still hear the message.
 *
 * @example
 * ```ts
 * import { PreparedFrame } from "@wsflow/wsflow";
 * import { connectedPair } from "@wsflow/wsflow/testing";
 * import { deliverLocally } from "./topic_delivery.ts";
 * import { TopicSubscriptions } from "./topic_subscriptions.ts";
 * const { server } = connectedPair();
 * const subscriptions = new TopicSubscriptions(undefined, console.error);
 * subscriptions.subscribe(server, "news");
 * const stats = { published: 0, queued: 0, dropped: 0, evicted: 0, received: 0, unavailable: 0 };
 * const frame = PreparedFrame.of("hello");
 * const result = deliverLocally(subscriptions, "news", frame, undefined, "hello", stats, console.error);
 * console.log(result.queued, stats.queued); // 1 1
 * ```
 * @param subscriptions Who is on which topic.
 * @param topic The topic.
 * @param frame The message, prepared once for every subscriber.
 * @param except A connection that must not get it.
 * @param message The message as published, for listeners; `undefined` to read it from `frame`.
 * @param stats The registry's totals, added to.
 * @param onError Where a listener's exception goes.
 * @returns What happened, subscriber by subscriber counted; `fanOut` is `"none"`.
 */
export function deliverLocally(
  subscriptions: TopicSubscriptions,
  topic: string,
  frame: PreparedFrame,
  except: Connection | undefined,
  message: Message | undefined,
  stats: TopicStats,
  onError: (error: unknown, context: TopicErrorContext) => void,
): PublishResult {
  const result: PublishResult = {
    subscribers: 0,
    queued: 0,
    dropped: 0,
    evicted: 0,
    closed: 0,
    fanOut: "none",
  };
  const subscribers = subscriptions.subscribersOf(topic);
  if (subscribers !== undefined) {
    for (const ws of subscribers) {
      if (ws === except) continue;
      result.subscribers++;
      switch (ws.sendPrepared(frame)) {
        case "queued":
          result.queued++;
          break;
        case "dropped":
          result.dropped++;
          break;
        case "evicted":
          result.evicted++;
          break;
        default:
          result.closed++;
      }
    }
    stats.queued += result.queued;
    stats.dropped += result.dropped;
    stats.evicted += result.evicted;
  }
  const listeners = subscriptions.listenersOf(topic);
  if (listeners !== undefined) {
    const value = message ??
      (frame.opcode === Opcode.Text ? decoder.decode(frame.payload) : frame.payload.slice());
    for (const listener of listeners) {
      try {
        listener(value, topic);
      } catch (error) {
        onError(error, { stage: "listener", topic });
      }
    }
  }
  return result;
}
