/**
 * Topics across processes over Redis pub/sub, with the client you already have: node-redis
 * (`redis`, v4 and later) or `ioredis`. The entry point `wsflow/redis` (JSR:
 * `@wsflow/wsflow/redis`); neither client is a dependency of wsflow: it is taken as it is, by
 * its shape.
 *
 * - **Channels**: one per topic, `prefix + topic` (default prefix `"wsflow:"`), so Redis sends
 *   each process only the topics it has subscribers for (a single pattern subscription would
 *   send every message to every process, socket.io-redis-adapter#565), and sharded pub/sub
 *   can place each channel on its own shard.
 * - **Subscriptions follow the local subscribers**: a channel is subscribed when its topic gets
 *   its first subscriber in this process (0→1) and unsubscribed when it loses its last (1→0).
 * - **Envelope**: 8 bytes before the payload: version (1), opcode (1 text, 2 binary) and the
 *   publishing process's random 6-byte id, so a process drops its own messages (no echo). Text
 *   stays the UTF-8 the publisher encoded, binary travels as bytes: no base64, no JSON.
 * - **At most once, in order per publisher**: each process publishes on one connection, and
 *   Redis delivers a channel's messages in the order published. While Redis is unreachable,
 *   publishes report `fanOut: "unavailable"` and are not queued (no burst of stale messages
 *   later, no memory growing while down); local delivery goes on unaffected.
 * - **Resubscribes by itself**: whenever the subscriber connection is ready again after a
 *   reconnect, every topic still wanted is subscribed again (ioredis does this itself; some
 *   node-redis versions lost subscriptions silently, socketio/socket.io#4845).
 * - **Sharded pub/sub** (`SSUBSCRIBE`/`SPUBLISH`, Redis 7) with `sharded: true`, for Redis
 *   Cluster: pass a cluster client (node-redis `createCluster`, or ioredis `Cluster` with
 *   `shardedSubscribers: true`).
 *
 * @module
 */

import type { PreparedFrame } from "../protocol/prepared_frame.ts";
import type { FanOut, FanOutSink } from "./fan_out.ts";
import type { IORedisClient, NodeRedisClient } from "./redis_clients.ts";
import { type Driver, type DriverCallbacks, redisDriver } from "./redis_driver.ts";
import { openEnvelope, sealEnvelope } from "./redis_envelope.ts";

export type { BufferListener, IORedisClient, NodeRedisClient } from "./redis_clients.ts";

/**
 * Options of {@linkcode RedisFanOut}.
 *
 * @example
 * ```ts
 * import { createClient } from "redis";
 * import type { RedisFanOutOptions } from "@wsflow/wsflow/redis";
 * const options: RedisFanOutOptions = {
 *   client: createClient({ url: "redis://127.0.0.1:6379" }), // connect() it before use
 *   prefix: "chat:",
 *   sharded: false,
 * };
 * ```
 */
export interface RedisFanOutOptions {
  /**
   * The client to publish with: node-redis (connected) or ioredis. It stays yours: the
   * adapter never closes it, and listening to its `error` events is up to you.
   */
  client: NodeRedisClient | IORedisClient;
  /**
   * The client to subscribe with (a client in subscriber mode can run no other commands). The
   * adapter connects it when it is a node-redis client that is not open yet, and closes it on
   * `close()` only when it made it.
   * @default {client.duplicate()}
   */
  subscriber?: NodeRedisClient | IORedisClient | undefined;
  /**
   * Put before each topic to make its channel name.
   * @default {"wsflow:"}
   */
  prefix?: string | undefined;
  /**
   * Sharded pub/sub (`SSUBSCRIBE`, `SPUBLISH`; Redis 7), for Redis Cluster.
   * @default {false}
   */
  sharded?: boolean | undefined;
}

/**
 * Topics across processes over Redis pub/sub: pass one to `new Topics({ fanOut })` in every
 * process, each with its own Redis client (node-redis or ioredis). See the module
 * documentation for the channel names, the envelope and the guarantees.
 *
 * @example With node-redis
 * ```ts
 * import { createClient } from "redis";
 * import { Topics } from "@wsflow/wsflow";
 * import { RedisFanOut } from "@wsflow/wsflow/redis";
 *
 * async function sharedTopics(url: string): Promise<Topics> {
 *   const client = createClient({ url });
 *   client.on("error", (error) => console.error("redis:", error.message)); // it reconnects
 *   await client.connect();
 *   const fanOut = new RedisFanOut({ client });
 *   await fanOut.ready; // the subscriber connection is up
 *   return new Topics({ fanOut });
 * }
 * ```
 *
 * @example With ioredis
 * ```ts
 * import { Redis } from "ioredis";
 * import { Topics } from "@wsflow/wsflow";
 * import { RedisFanOut } from "@wsflow/wsflow/redis";
 *
 * function sharedTopics(url: string): Topics {
 *   const client = new Redis(url);
 *   client.on("error", (error) => console.error("redis:", error.message)); // it reconnects
 *   return new Topics({ fanOut: new RedisFanOut({ client }) });
 * }
 * ```
 */
export class RedisFanOut implements FanOut {
  /**
   * Settles once the subscriber connection is ready for the first time; never rejects (errors
   * go to the registry's `onError`).
   */
  readonly ready: Promise<void>;
  /** This process's id in envelopes: what tells its own messages apart. */
  readonly #id = new Uint8Array(6);
  readonly #prefix: string;
  readonly #driver: Driver;
  /** Topics wanted: channel name by topic. */
  readonly #topics = new Map<string, string>();
  #sink: FanOutSink | undefined;
  #closed = false;
  // An error is reported once per outage, not once per reconnect attempt.
  #reportedOutage = false;

  /**
   * Creates the adapter and starts its subscriber connection.
   *
   * @param options The client, and how channels are named.
   * @throws {TypeError} When `client` is neither a node-redis nor an ioredis client, or
   *   `sharded` is asked of a client without sharded pub/sub.
   */
  constructor(options: RedisFanOutOptions) {
    crypto.getRandomValues(this.#id);
    this.#prefix = options.prefix ?? "wsflow:";
    const sharded = options.sharded ?? false;
    const callbacks: DriverCallbacks = {
      receive: (topic, message) => this.#receive(topic, message),
      ready: () => this.#resubscribe(),
      error: (error) => this.#connectionError(error),
      channelTopic: (channel) => this.#topicOf(channel),
    };
    this.#driver = redisDriver(options.client, options.subscriber, sharded, callbacks);
    this.ready = this.#driver.start().catch((error: unknown) => this.#connectionError(error));
  }

  /**
   * Called by the registry: where received messages and errors go.
   *
   * @param sink The registry's sink.
   */
  open(sink: FanOutSink): void {
    this.#sink = sink;
  }

  /**
   * Subscribes the topic's channel (0→1 in this process).
   *
   * @param topic The topic.
   * @returns Settles once subscribed, or at once while Redis is unreachable.
   */
  subscribe(topic: string): Promise<void> {
    const channel = this.#prefix + topic;
    this.#topics.set(topic, channel);
    const done = this.#driver.subscribe(channel, topic).then(
      () => undefined,
      (error: unknown) => this.#sink?.error(error, "subscribe", topic),
    );
    // While down, the subscription is made again on reconnect: nobody waits for it.
    return this.#driver.subscriberReady() ? done : Promise.resolve();
  }

  /**
   * Unsubscribes the topic's channel (1→0 in this process).
   *
   * @param topic The topic.
   */
  unsubscribe(topic: string): void {
    const channel = this.#topics.get(topic);
    if (channel === undefined) return;
    this.#topics.delete(topic);
    this.#driver.unsubscribe(channel).then(undefined, (error: unknown) => {
      this.#sink?.error(error, "unsubscribe", topic);
    });
  }

  /**
   * Publishes one message in an envelope, or reports `false` while Redis is unreachable.
   *
   * @param topic The topic.
   * @param frame The message's frame (its payload and opcode travel).
   * @returns Whether it was handed to Redis.
   */
  publish(topic: string, frame: PreparedFrame): boolean {
    if (this.#closed || !this.#driver.publisherReady()) return false;
    const envelope = sealEnvelope(this.#id, frame);
    this.#driver.publish(this.#prefix + topic, envelope).then(undefined, (error: unknown) => {
      this.#sink?.error(error, "publish", topic);
    });
    return true;
  }

  /**
   * Unsubscribes everything and closes the subscriber connection if the adapter made it.
   *
   * @returns Settles once closed; never rejects.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const channels = [...this.#topics.values()];
    this.#topics.clear();
    try {
      if (this.#driver.subscriberReady()) {
        await Promise.all(channels.map((channel) => this.#driver.unsubscribe(channel)));
      }
      await this.#driver.close();
    } catch (error) {
      this.#sink?.error(error, "connection");
    }
  }

  #topicOf(channel: string): string | undefined {
    if (!channel.startsWith(this.#prefix)) return undefined;
    const topic = channel.slice(this.#prefix.length);
    return this.#topics.has(topic) ? topic : undefined;
  }

  #receive(topic: string, message: Uint8Array): void {
    if (this.#closed || !this.#topics.has(topic)) return;
    const frame = openEnvelope(message, this.#id);
    if (frame === undefined) return; // our own: delivered locally when published
    if (frame instanceof TypeError) {
      this.#sink?.error(frame, "receive");
      return;
    }
    this.#sink?.deliver(topic, frame);
  }

  #resubscribe(): void {
    this.#reportedOutage = false;
    for (const [topic, channel] of this.#topics) {
      this.#driver.subscribe(channel, topic).then(undefined, (error: unknown) => {
        this.#sink?.error(error, "subscribe", topic);
      });
    }
  }

  #connectionError(error: unknown): void {
    if (this.#reportedOutage || this.#closed) return;
    this.#reportedOutage = true;
    this.#sink?.error(error, "connection");
  }
}
