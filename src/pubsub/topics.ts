/**
 * Topics: a registry of which connections listen to what, and publishing to them.
 *
 * How it differs from the anchors, and why:
 *
 * - **A registry of its own, not a method of the socket or the server.** Bun and uWS hang
 *   topics off one server, so a plain and a TLS listener are two worlds, and publishing from
 *   outside a handler needs the server object. Here any number of servers (and code that is in
 *   no handler: a timer, an HTTP route, a queue consumer) share one `Topics`.
 * - **`except` instead of "the socket publishes".** Bun's `ws.publish` skips the sender but
 *   fails silently when the sender has no subscription (uWS bails out without a subscriber
 *   record), and from a `close` handler; crossws needs `{ self }`. Here exclusion is an option
 *   of one `publish`, with any connection (subscribed or not, open or closing).
 * - **An honest result** ({@linkcode PublishResult}) rather than one number for many sockets.
 * - **Leaving loses nothing.** A publish hands its frame to each subscriber's connection at
 *   once, so unsubscribing (or closing) never drops what was already published to it, unlike
 *   uWS's per-subscriber queue that went with the last topic (Bun PR #32852).
 * - **Publishing never waits** for a slow subscriber: its connection's `sendBuffer` policy
 *   decides (drop, counted; or close with 1008), and memory stays bounded by that limit.
 * - **Listeners in the process** ({@linkcode Topics.prototype.listen}) count as subscribers,
 *   so server code can follow a topic too, and keep it subscribed across processes.
 *
 * @module
 */

import type { Message } from "../protocol/message.ts";
import { PreparedFrame } from "../protocol/prepared_frame.ts";
import type { Connection } from "../streams/connection.ts";
import type { FanOut, FanOutSink } from "./fan_out.ts";
import type { PublishResult } from "./publish_result.ts";
import { deliverLocally } from "./topic_delivery.ts";
import { TopicSubscriptions } from "./topic_subscriptions.ts";
import type {
  TopicErrorContext,
  TopicListener,
  TopicsOptions,
  TopicStats,
} from "./topics_options.ts";

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Which connections listen to which topics, and publishing to them: once per message, to
 * every subscriber, without waiting for any. Topic names are exact strings (no wildcards, as in
 * uWS since v20).
 *
 * Each message is turned into one frame once ({@linkcode PreparedFrame}: encoded, and, for
 * subscribers that negotiated permessage-deflate without context takeover, compressed once
 * per window size), and each subscriber's connection copies those bytes into its output; the
 * writes of one turn of the event loop go out together, one per subscriber.
 *
 * With a `fanOut`, the topics span every process that shares it: this process subscribes to a
 * topic at the backend while some local connection (or listener) is on it, publishes there every
 * message published here, and delivers what other processes publish.
 *
 * @example A room where every member hears every other
 * ```ts
 * import { type Connection, Topics } from "@wsflow/wsflow";
 * const topics = new Topics();
 * async function member(ws: Connection): Promise<void> {
 *   topics.subscribe(ws, "lobby"); // left by itself when the connection closes
 *   for await (const message of ws) topics.publish("lobby", message, { except: ws });
 * }
 * // Anywhere else, say a timer: no connection needed.
 * topics.publish("lobby", "server restarting in 5 minutes");
 * ```
 */
export class Topics {
  readonly #subscriptions: TopicSubscriptions;
  readonly #fanOut: FanOut | undefined;
  readonly #onError: (error: unknown, context: TopicErrorContext) => void;
  /** `#onError` for the bookkeeping and delivery: still called on this registry. */
  readonly #report: (error: unknown, context: TopicErrorContext) => void;
  readonly #stats: TopicStats = {
    published: 0,
    queued: 0,
    dropped: 0,
    evicted: 0,
    received: 0,
    unavailable: 0,
  };

  /**
   * Creates a registry.
   *
   * @param options The fan-out and the error handler.
   */
  constructor(options: TopicsOptions = {}) {
    this.#fanOut = options.fanOut;
    this.#onError = options.onError ?? ((error, { stage, topic }) => {
      console.error(`wsflow topics: ${stage}${topic === undefined ? "" : ` (${topic})`}:`, error);
    });
    // Called as before the split: as a method of this registry.
    this.#report = (error, context) => this.#onError(error, context);
    this.#subscriptions = new TopicSubscriptions(this.#fanOut, this.#report);
    const sink: FanOutSink = {
      deliver: (topic, frame) => {
        this.#stats.received++;
        deliverLocally(
          this.#subscriptions,
          topic,
          frame,
          undefined,
          undefined,
          this.#stats,
          this.#report,
        );
      },
      error: (error, stage, topic) => this.#onError(error, { stage, topic }),
    };
    this.#fanOut?.open(sink);
  }

  /**
   * Subscribes `ws` to `topic`. The connection leaves all its topics by itself when it closes.
   *
   * @example
   * ```ts
   * import { Topics } from "@wsflow/wsflow";
   * import { connectedPair } from "@wsflow/wsflow/testing";
   * const { server } = connectedPair();
   * const topics = new Topics();
   * console.log(topics.subscribe(server, "news"), topics.subscribe(server, "news")); // true false
   * ```
   * @param ws The connection.
   * @param topic The topic.
   * @returns `false` when it was subscribed already, or is closed.
   */
  subscribe(ws: Connection, topic: string): boolean {
    return this.#subscriptions.subscribe(ws, topic);
  }

  /**
   * Unsubscribes `ws` from `topic`. What was published to it before still reaches it.
   *
   * @example
   * ```ts
   * import { Topics } from "@wsflow/wsflow";
   * import { connectedPair } from "@wsflow/wsflow/testing";
   * const { server } = connectedPair();
   * const topics = new Topics();
   * topics.subscribe(server, "news");
   * console.log(topics.unsubscribe(server, "news"), topics.unsubscribe(server, "news")); // true false
   * ```
   * @param ws The connection.
   * @param topic The topic.
   * @returns `false` when it was not subscribed.
   */
  unsubscribe(ws: Connection, topic: string): boolean {
    return this.#subscriptions.unsubscribe(ws, topic);
  }

  /**
   * Whether `ws` is subscribed to `topic`.
   *
   * @example
   * ```ts
   * import { Topics } from "@wsflow/wsflow";
   * import { connectedPair } from "@wsflow/wsflow/testing";
   * const { server } = connectedPair();
   * console.log(new Topics().isSubscribed(server, "news")); // false
   * ```
   * @param ws The connection.
   * @param topic The topic.
   * @returns `true` when it is.
   */
  isSubscribed(ws: Connection, topic: string): boolean {
    return this.#subscriptions.isSubscribed(ws, topic);
  }

  /**
   * The topics `ws` is subscribed to.
   *
   * @example
   * ```ts
   * import { Topics } from "@wsflow/wsflow";
   * import { connectedPair } from "@wsflow/wsflow/testing";
   * const { server } = connectedPair();
   * const topics = new Topics();
   * topics.subscribe(server, "a");
   * topics.subscribe(server, "b");
   * console.log(topics.topicsOf(server)); // ["a", "b"]
   * ```
   * @param ws The connection.
   * @returns The topic names, in the order subscribed.
   */
  topicsOf(ws: Connection): string[] {
    return this.#subscriptions.topicsOf(ws);
  }

  /**
   * Local connections subscribed to `topic` (listeners and other processes not counted).
   *
   * @example
   * ```ts
   * import { Topics } from "@wsflow/wsflow";
   * console.log(new Topics().subscriberCount("news")); // 0
   * ```
   * @param topic The topic.
   * @returns The count; constant time.
   */
  subscriberCount(topic: string): number {
    return this.#subscriptions.subscriberCount(topic);
  }

  /**
   * Totals since the registry was made.
   *
   * @returns A snapshot.
   */
  get stats(): TopicStats {
    return { ...this.#stats };
  }

  /**
   * Calls `listener` with every message published to `topic`, here or (with a fan-out) in any
   * other process. A listener counts as a subscriber: while it is there this process stays
   * subscribed to the topic at the fan-out backend.
   *
   * @example
   * ```ts
   * import { Topics } from "@wsflow/wsflow";
   * const topics = new Topics();
   * const stop = topics.listen("news", (message) => console.log("heard", message));
   * topics.publish("news", "hello"); // heard hello
   * stop();
   * ```
   * @param topic The topic.
   * @param listener Called synchronously with each message; what it throws goes to `onError`.
   * @returns A function that removes the listener.
   */
  listen(topic: string, listener: TopicListener): () => void {
    return this.#subscriptions.listen(topic, listener);
  }

  /**
   * Keeps this process subscribed to `topic` at the fan-out backend while no connection here
   * is on it, until the returned function is called: so a process is ready for a topic before
   * its first subscriber arrives (and misses nothing published elsewhere just after).
   *
   * @example Ready before the first client
   * ```ts
   * import { Topics } from "@wsflow/wsflow";
   * const topics = new Topics();
   * const release = topics.hold("broadcast");
   * await topics.ready("broadcast");
   * release();
   * ```
   * @param topic The topic.
   * @returns A function that ends the hold (once).
   */
  hold(topic: string): () => void {
    return this.#subscriptions.hold(topic);
  }

  /**
   * Settles once the fan-out delivers `topic`'s messages from other processes to this one (or
   * it is unreachable: it subscribes again by itself once back). Without a fan-out, or for a
   * topic nobody here is on, it is settled already. Never rejects.
   *
   * @example Announce a member only once the room is heard across processes
   * ```ts
   * import { type Connection, Topics } from "@wsflow/wsflow";
   * const topics = new Topics();
   * async function join(ws: Connection, room: string): Promise<void> {
   *   topics.subscribe(ws, room);
   *   await topics.ready(room);
   *   topics.publish(room, "someone joined");
   * }
   * ```
   * @param topic The topic.
   * @returns The promise.
   */
  ready(topic: string): Promise<void> {
    return this.#subscriptions.ready(topic);
  }

  /**
   * Publishes `message` to every subscriber of `topic` (but `options.except`), here and, with
   * a fan-out, in every other process. It never waits: each subscriber's connection queues the
   * frame, or past its send-buffer limit drops it (or closes with 1008), as its
   * `sendBuffer.policy` says. Text keeps its opcode, binary its bytes. A large binary
   * message is not copied: leave it unchanged once published.
   *
   * @example Everyone but the sender
   * ```ts
   * import { Topics } from "@wsflow/wsflow";
   * import { connectedPair } from "@wsflow/wsflow/testing";
   * const topics = new Topics();
   * const alice = connectedPair();
   * const bob = connectedPair();
   * topics.subscribe(alice.server, "room");
   * topics.subscribe(bob.server, "room");
   * const result = topics.publish("room", "hi from alice", { except: alice.server });
   * console.log(result.subscribers, result.queued); // 1 1
   * for await (const message of bob.client) {
   *   console.log(message); // hi from alice
   *   break;
   * }
   * ```
   * @param topic The topic.
   * @param message Text, binary, or a frame prepared once for several topics.
   * @param options `except`: a connection that must not get it (usually the sender).
   * @returns What happened, subscriber by subscriber counted.
   */
  publish(
    topic: string,
    message: Message | PreparedFrame,
    options?: { except?: Connection | undefined },
  ): PublishResult {
    this.#stats.published++;
    const frame = message instanceof PreparedFrame ? message : PreparedFrame.of(message);
    const result = deliverLocally(
      this.#subscriptions,
      topic,
      frame,
      options?.except,
      message instanceof PreparedFrame ? undefined : message,
      this.#stats,
      this.#report,
    );
    const fanOut = this.#fanOut;
    if (fanOut !== undefined) {
      if (fanOut.publish(topic, frame)) {
        result.fanOut = "sent";
      } else {
        result.fanOut = "unavailable";
        this.#stats.unavailable++;
      }
    }
    return result;
  }

  /**
   * Stops the fan-out (it unsubscribes and closes what it opened). Local topics go on working.
   *
   * @example
   * ```ts
   * import { MemoryHub, Topics } from "@wsflow/wsflow";
   * const topics = new Topics({ fanOut: new MemoryHub().fanOut() });
   * await topics.close();
   * ```
   * @returns A promise that settles once the fan-out is closed.
   */
  close(): Promise<void> {
    return this.#fanOut?.close() ?? RESOLVED;
  }
}
