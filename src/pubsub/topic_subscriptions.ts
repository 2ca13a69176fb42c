/**
 * The bookkeeping of {@linkcode Topics}: which connections are on which topics (both ways, so
 * a closing connection leaves all of its topics at once), the listeners and holds of this
 * process, and, with a fan-out, subscribing a topic at the backend when the first of them
 * arrives (0→1) and unsubscribing it when the last goes (1→0).
 *
 * @module
 */

import type { Connection } from "../streams/connection.ts";
import type { FanOut } from "./fan_out.ts";
import type { TopicErrorContext, TopicListener } from "./topics_options.ts";

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Who is on which topic in this process: connections, listeners and holds. A topic is
 * subscribed at the fan-out backend while any of them is on it.
 *
 * @example
 * ```ts
 * import { TopicSubscriptions } from "./topic_subscriptions.ts";
 * import { connectedPair } from "@wsflow/wsflow/testing";
 * const { server } = connectedPair();
 * const subscriptions = new TopicSubscriptions(undefined, console.error);
 * subscriptions.subscribe(server, "news");
 * console.log(subscriptions.subscriberCount("news"), subscriptions.topicsOf(server)); // 1 ["news"]
 * ```
 */
export class TopicSubscriptions {
  readonly #subscribers = new Map<string, Set<Connection>>();
  readonly #topicsOf = new Map<Connection, Set<string>>();
  readonly #listeners = new Map<string, Set<TopicListener>>();
  readonly #holds = new Map<string, number>();
  readonly #ready = new Map<string, Promise<void>>();
  readonly #fanOut: FanOut | undefined;
  readonly #onError: (error: unknown, context: TopicErrorContext) => void;

  /**
   * Creates empty bookkeeping.
   *
   * @param fanOut Where topics are subscribed across processes, if anywhere.
   * @param onError Where the fan-out's subscribe and unsubscribe failures go.
   */
  constructor(
    fanOut: FanOut | undefined,
    onError: (error: unknown, context: TopicErrorContext) => void,
  ) {
    this.#fanOut = fanOut;
    this.#onError = onError;
  }

  /**
   * The connections on `topic`, for delivery; not to be changed.
   *
   * @param topic The topic.
   * @returns The set, or `undefined` when there are none.
   */
  subscribersOf(topic: string): ReadonlySet<Connection> | undefined {
    return this.#subscribers.get(topic);
  }

  /**
   * The listeners on `topic`, for delivery; not to be changed.
   *
   * @param topic The topic.
   * @returns The set, or `undefined` when there are none.
   */
  listenersOf(topic: string): ReadonlySet<TopicListener> | undefined {
    return this.#listeners.get(topic);
  }

  /**
   * Subscribes `ws` to `topic`; it leaves all its topics by itself when it closes.
   *
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
   * Unsubscribes `ws` from `topic`.
   *
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
   * @param ws The connection.
   * @returns The topic names, in the order subscribed.
   */
  topicsOf(ws: Connection): string[] {
    return [...this.#topicsOf.get(ws) ?? []];
  }

  /**
   * Local connections subscribed to `topic`.
   *
   * @param topic The topic.
   * @returns The count; constant time.
   */
  subscriberCount(topic: string): number {
    return this.#subscribers.get(topic)?.size ?? 0;
  }

  /**
   * Adds a listener to `topic`; it counts as a subscriber.
   *
   * @param topic The topic.
   * @param listener Called with each message.
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
   * Keeps `topic` subscribed at the fan-out backend until the returned function is called.
   *
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
   * Settles once the fan-out delivers `topic`'s messages here (or could not subscribe it).
   *
   * @param topic The topic.
   * @returns The promise; never rejects.
   */
  ready(topic: string): Promise<void> {
    return this.#ready.get(topic) ?? RESOLVED;
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
