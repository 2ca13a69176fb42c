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
import { Opcode } from "../protocol/opcode.ts";
import { PreparedFrame } from "../protocol/prepared_frame.ts";
import type { Connection } from "../streams/connection.ts";
import type { FanOut, FanOutSink, FanOutStage } from "./fan_out.ts";
import type { PublishResult } from "./publish_result.ts";

const RESOLVED: Promise<void> = Promise.resolve();
const decoder = new TextDecoder();

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
  readonly #subscribers = new Map<string, Set<Connection>>();
  readonly #topicsOf = new Map<Connection, Set<string>>();
  readonly #listeners = new Map<string, Set<TopicListener>>();
  readonly #holds = new Map<string, number>();
  readonly #ready = new Map<string, Promise<void>>();
  readonly #fanOut: FanOut | undefined;
  readonly #onError: (error: unknown, context: TopicErrorContext) => void;
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
    const sink: FanOutSink = {
      deliver: (topic, frame) => {
        this.#stats.received++;
        this.#deliver(topic, frame, undefined, undefined);
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
    if (ws.readyState === "closed") return false;
    let topics = this.#topicsOf.get(ws);
    if (topics === undefined) {
      this.#topicsOf.set(ws, topics = new Set());
      // However it ends. Frames already queued for it are still written: leaving only stops
      // new ones.
      void ws.closed.then(() => this.#leave(ws));
    }
    if (topics.has(topic)) return false;
    topics.add(topic);
    let subscribers = this.#subscribers.get(topic);
    if (subscribers === undefined) {
      const was = this.#wanted(topic);
      this.#subscribers.set(topic, subscribers = new Set());
      if (!was) this.#activate(topic);
    }
    subscribers.add(ws);
    return true;
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
    const topics = this.#topicsOf.get(ws);
    if (topics === undefined || !topics.delete(topic)) return false;
    const subscribers = this.#subscribers.get(topic)!;
    subscribers.delete(ws);
    if (subscribers.size === 0) {
      this.#subscribers.delete(topic);
      if (!this.#wanted(topic)) this.#deactivate(topic);
    }
    return true;
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
    return this.#topicsOf.get(ws)?.has(topic) ?? false;
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
    return [...this.#topicsOf.get(ws) ?? []];
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
    return this.#subscribers.get(topic)?.size ?? 0;
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
    let listeners = this.#listeners.get(topic);
    if (listeners === undefined) {
      const was = this.#wanted(topic);
      this.#listeners.set(topic, listeners = new Set());
      if (!was) this.#activate(topic);
    }
    // A wrapper, so that the same function listening twice is two listeners.
    const entry: TopicListener = (message, name) => listener(message, name);
    listeners.add(entry);
    return () => {
      if (!listeners.delete(entry) || listeners.size > 0) return;
      if (this.#listeners.get(topic) !== listeners) return;
      this.#listeners.delete(topic);
      if (!this.#wanted(topic)) this.#deactivate(topic);
    };
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
    const was = this.#wanted(topic);
    this.#holds.set(topic, (this.#holds.get(topic) ?? 0) + 1);
    if (!was) this.#activate(topic);
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      const count = this.#holds.get(topic)! - 1;
      if (count > 0) {
        this.#holds.set(topic, count);
        return;
      }
      this.#holds.delete(topic);
      if (!this.#wanted(topic)) this.#deactivate(topic);
    };
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
    return this.#ready.get(topic) ?? RESOLVED;
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
    const result = this.#deliver(
      topic,
      frame,
      options?.except,
      message instanceof PreparedFrame ? undefined : message,
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

  /** Local delivery: to every subscriber but `except`, and to listeners. */
  #deliver(
    topic: string,
    frame: PreparedFrame,
    except: Connection | undefined,
    message: Message | undefined,
  ): PublishResult {
    const result: PublishResult = {
      subscribers: 0,
      queued: 0,
      dropped: 0,
      evicted: 0,
      closed: 0,
      fanOut: "none",
    };
    const subscribers = this.#subscribers.get(topic);
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
      const stats = this.#stats;
      stats.queued += result.queued;
      stats.dropped += result.dropped;
      stats.evicted += result.evicted;
    }
    const listeners = this.#listeners.get(topic);
    if (listeners !== undefined) {
      const value = message ??
        (frame.opcode === Opcode.Text ? decoder.decode(frame.payload) : frame.payload.slice());
      for (const listener of listeners) {
        try {
          listener(value, topic);
        } catch (error) {
          this.#onError(error, { stage: "listener", topic });
        }
      }
    }
    return result;
  }

  #leave(ws: Connection): void {
    const topics = this.#topicsOf.get(ws);
    if (topics === undefined) return;
    for (const topic of [...topics]) this.unsubscribe(ws, topic);
    this.#topicsOf.delete(ws);
  }

  /** Whether anything here is on `topic`: a connection, a listener or a hold. */
  #wanted(topic: string): boolean {
    return this.#subscribers.has(topic) || this.#listeners.has(topic) || this.#holds.has(topic);
  }

  /** The topic got its first subscriber here (0→1). */
  #activate(topic: string): void {
    const fanOut = this.#fanOut;
    if (fanOut === undefined) return;
    const ready = fanOut.subscribe(topic).catch((error: unknown) => {
      this.#onError(error, { stage: "subscribe", topic });
    });
    this.#ready.set(topic, ready);
  }

  /** The topic lost its last subscriber here (1→0). */
  #deactivate(topic: string): void {
    const fanOut = this.#fanOut;
    if (fanOut === undefined) return;
    this.#ready.delete(topic);
    try {
      fanOut.unsubscribe(topic);
    } catch (error) {
      this.#onError(error, { stage: "unsubscribe", topic });
    }
  }
}
