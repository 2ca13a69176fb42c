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

import { isValidUtf8 } from "../protocol/utf8.ts";
import { Opcode } from "../protocol/opcode.ts";
import { PreparedFrame } from "../protocol/prepared_frame.ts";
import type { FanOut, FanOutSink } from "./fan_out.ts";

const VERSION = 1;
const HEADER = 8;
const decoder = new TextDecoder();

/**
 * What node-redis calls with each message of a channel subscribed in buffer mode.
 *
 * @example
 * ```ts
 * import type { BufferListener } from "@wsflow/wsflow/redis";
 * const listener: BufferListener = (message, channel) => console.log(channel.length, message.length);
 * ```
 */
export type BufferListener = (message: Uint8Array, channel: Uint8Array) => void;

/**
 * The parts of a node-redis client (`createClient()` of `redis` v4 or later, or
 * `createCluster()` for sharded pub/sub) this adapter uses.
 *
 * @example node-redis's client fits, unconnected or connected
 * ```ts
 * import { createClient } from "redis";
 * import type { NodeRedisClient } from "@wsflow/wsflow/redis";
 * const client: NodeRedisClient = createClient({ url: "redis://127.0.0.1:6379" });
 * console.log(client.isReady); // false
 * ```
 */
export interface NodeRedisClient {
  /** Connected and ready for commands. */
  readonly isReady: boolean;
  /** A new client with the same options, not yet connected. */
  duplicate(): NodeRedisClient;
  /** Connects. */
  connect(): Promise<unknown>;
  /** PUBLISH. */
  publish(channel: string, message: never): Promise<unknown>;
  /** SUBSCRIBE, with the listener called with Buffers when `bufferMode` is `true`. */
  subscribe(channel: string, listener: BufferListener, bufferMode: true): Promise<unknown>;
  /** UNSUBSCRIBE. */
  unsubscribe(channel: string, listener: BufferListener, bufferMode: true): Promise<unknown>;
  /** SPUBLISH (redis 4.6 and later). */
  sPublish?(channel: string, message: never): Promise<unknown>;
  /** SSUBSCRIBE (redis 4.6 and later). */
  sSubscribe?(channel: string, listener: BufferListener, bufferMode: true): Promise<unknown>;
  /** SUNSUBSCRIBE (redis 4.6 and later). */
  sUnsubscribe?(channel: string, listener: BufferListener, bufferMode: true): Promise<unknown>;
  /** Events: `ready`, `error`, `end`. */
  on(event: string, listener: (value: unknown) => void): unknown;
  /** Closes after pending commands (v5 and later). */
  close?(): Promise<unknown>;
  /** Closes after pending commands (v4). */
  quit?(): Promise<unknown>;
  /** Closes at once (v5 and later). */
  destroy?(): void;
  /** Closes at once (v4). */
  disconnect?(): Promise<unknown>;
}

/**
 * The parts of an ioredis client (`new Redis()`, or `new Cluster()` for sharded pub/sub) this
 * adapter uses.
 *
 * @example ioredis's client fits
 * ```ts
 * import { Redis } from "ioredis";
 * import type { IORedisClient } from "@wsflow/wsflow/redis";
 * const client: IORedisClient = new Redis("redis://127.0.0.1:6379", { lazyConnect: true });
 * console.log(client.status); // wait
 * ```
 */
export interface IORedisClient {
  /** `"ready"` when connected and ready for commands. */
  readonly status: string;
  /** A new client with the same options; it connects by itself. */
  duplicate(): IORedisClient;
  /** PUBLISH. */
  publish(channel: string, message: never): Promise<unknown>;
  /** SUBSCRIBE. */
  subscribe(channel: string): Promise<unknown>;
  /** UNSUBSCRIBE. */
  unsubscribe(channel: string): Promise<unknown>;
  /** SPUBLISH. */
  spublish?(channel: string, message: never): Promise<unknown>;
  /** SSUBSCRIBE. */
  ssubscribe?(channel: string): Promise<unknown>;
  /** SUNSUBSCRIBE. */
  sunsubscribe?(channel: string): Promise<unknown>;
  /** Events: `ready`, `error`, `messageBuffer`, `smessageBuffer`. */
  on(event: string, listener: (first: unknown, second: unknown) => void): unknown;
  /** Closes after pending commands. */
  quit(): Promise<unknown>;
  /** Closes at once. */
  disconnect(): void;
}

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

/** The commands the adapter needs, whichever client is underneath. */
interface Driver {
  publisherReady(): boolean;
  subscriberReady(): boolean;
  publish(channel: string, message: Uint8Array): Promise<unknown>;
  subscribe(channel: string, topic: string): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
  /** Resolves once the subscriber connection is ready for the first time. */
  start(): Promise<void>;
  close(): Promise<void>;
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
    const client = options.client;
    if (isIORedis(client)) {
      const subscriber = options.subscriber;
      if (subscriber !== undefined && !isIORedis(subscriber)) {
        throw new TypeError("Cannot use subscriber: client is ioredis, subscriber is not");
      }
      this.#driver = ioredisDriver(client, subscriber, sharded, callbacks);
    } else if (isNodeRedis(client)) {
      const subscriber = options.subscriber;
      if (subscriber !== undefined && !isNodeRedis(subscriber)) {
        throw new TypeError("Cannot use subscriber: client is node-redis, subscriber is not");
      }
      this.#driver = nodeRedisDriver(client, subscriber, sharded, callbacks);
    } else {
      throw new TypeError(
        "Cannot use client: expected a node-redis (v4 or later) or an ioredis client",
      );
    }
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
    const payload = frame.payload;
    const envelope = new Uint8Array(HEADER + payload.length);
    envelope[0] = VERSION;
    envelope[1] = frame.opcode;
    envelope.set(this.#id, 2);
    envelope.set(payload, HEADER);
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
    const id = this.#id;
    if (
      message.length < HEADER || message[0] !== VERSION ||
      (message[1] !== Opcode.Text && message[1] !== Opcode.Binary)
    ) {
      this.#sink?.error(new TypeError("Cannot read message: not a wsflow envelope"), "receive");
      return;
    }
    if (
      message[2] === id[0] && message[3] === id[1] && message[4] === id[2] &&
      message[5] === id[3] && message[6] === id[4] && message[7] === id[5]
    ) return; // our own: delivered locally when published
    const payload = message.subarray(HEADER);
    // Whatever else writes to the channel must not make subscribers fail with 1007.
    if (message[1] === Opcode.Text && !isValidUtf8(payload)) {
      this.#sink?.error(new TypeError("Cannot read message: text is not UTF-8"), "receive");
      return;
    }
    this.#sink?.deliver(topic, new PreparedFrame(message[1], payload));
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

interface DriverCallbacks {
  receive(topic: string, message: Uint8Array): void;
  /** The subscriber connection is ready again after a reconnect. */
  ready(): void;
  error(error: unknown): void;
  channelTopic(channel: string): string | undefined;
}

function isIORedis(client: object): client is IORedisClient {
  return typeof (client as { status?: unknown }).status === "string" &&
    typeof (client as { duplicate?: unknown }).duplicate === "function";
}

function isNodeRedis(client: object): client is NodeRedisClient {
  return "isReady" in client && typeof (client as { duplicate?: unknown }).duplicate === "function";
}

/**
 * Both clients take binary arguments only as Node's `Buffer` (which is why the interfaces above
 * type the message `never`: wsflow's types do not name Node's) (a plain `Uint8Array` would be
 * sent as "1,2,3"); every runtime that runs them (Node, Bun, Deno 2) has it globally. The view
 * shares the envelope's memory: no copy.
 */
function asBuffer(bytes: Uint8Array): never {
  const buffer = (globalThis as {
    Buffer?: { from(data: ArrayBufferLike, offset: number, length: number): Uint8Array };
  }).Buffer;
  if (buffer === undefined) {
    throw new TypeError(
      "Cannot publish to Redis: this runtime has no Buffer, which the client needs",
    );
  }
  return buffer.from(bytes.buffer, bytes.byteOffset, bytes.length) as never;
}

function nodeRedisDriver(
  client: NodeRedisClient,
  given: NodeRedisClient | undefined,
  sharded: boolean,
  callbacks: DriverCallbacks,
): Driver {
  if (sharded && (client.sPublish === undefined || client.sSubscribe === undefined)) {
    throw new TypeError("Cannot use sharded pub/sub: this node-redis has no sSubscribe (4.6+)");
  }
  const subscriber = given ?? client.duplicate();
  // One listener per channel, kept to unsubscribe it: node-redis keys listeners by function.
  const listeners = new Map<string, BufferListener>();
  let started = false;
  subscriber.on("error", callbacks.error);
  subscriber.on("ready", () => {
    if (started) callbacks.ready();
  });
  return {
    publisherReady: () => client.isReady,
    subscriberReady: () => subscriber.isReady,
    publish: (channel, message) =>
      sharded
        ? client.sPublish!(channel, asBuffer(message))
        : client.publish(channel, asBuffer(message)),
    subscribe(channel, topic) {
      let listener = listeners.get(channel);
      if (listener === undefined) {
        listener = (message) => callbacks.receive(topic, message);
        listeners.set(channel, listener);
      }
      return sharded
        ? subscriber.sSubscribe!(channel, listener, true)
        : subscriber.subscribe(channel, listener, true);
    },
    unsubscribe(channel) {
      const listener = listeners.get(channel);
      if (listener === undefined) return Promise.resolve();
      listeners.delete(channel);
      return sharded
        ? subscriber.sUnsubscribe!(channel, listener, true)
        : subscriber.unsubscribe(channel, listener, true);
    },
    async start() {
      if (!subscriber.isReady && given === undefined) await subscriber.connect();
      started = true;
    },
    async close() {
      if (given !== undefined) return;
      // While Redis is down, a polite close would wait for it to come back.
      if (!subscriber.isReady) {
        if (subscriber.destroy !== undefined) subscriber.destroy();
        else await subscriber.disconnect?.();
      } else await (subscriber.close?.() ?? subscriber.quit?.());
    },
  };
}

function ioredisDriver(
  client: IORedisClient,
  given: IORedisClient | undefined,
  sharded: boolean,
  callbacks: DriverCallbacks,
): Driver {
  if (sharded && (client.spublish === undefined || client.ssubscribe === undefined)) {
    throw new TypeError("Cannot use sharded pub/sub: this ioredis has no ssubscribe");
  }
  const subscriber = given ?? client.duplicate();
  let started = false;
  let wake: (() => void) | undefined;
  subscriber.on("error", callbacks.error);
  subscriber.on("ready", () => {
    if (started) callbacks.ready();
    else wake?.();
  });
  const onMessage = (channel: unknown, message: unknown): void => {
    const topic = callbacks.channelTopic(decoder.decode(channel as Uint8Array));
    if (topic !== undefined) callbacks.receive(topic, message as Uint8Array);
  };
  subscriber.on(sharded ? "smessageBuffer" : "messageBuffer", onMessage);
  return {
    publisherReady: () => client.status === "ready",
    subscriberReady: () => subscriber.status === "ready",
    publish: (channel, message) =>
      sharded
        ? client.spublish!(channel, asBuffer(message))
        : client.publish(channel, asBuffer(message)),
    subscribe: (channel) =>
      sharded ? subscriber.ssubscribe!(channel) : subscriber.subscribe(channel),
    unsubscribe: (channel) =>
      sharded ? subscriber.sunsubscribe!(channel) : subscriber.unsubscribe(channel),
    async start() {
      if (subscriber.status !== "ready") {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      started = true;
    },
    async close() {
      if (given === undefined) {
        // While Redis is down, a polite QUIT would wait for it to come back.
        if (subscriber.status === "ready") await subscriber.quit();
        else subscriber.disconnect();
      }
    },
  };
}
