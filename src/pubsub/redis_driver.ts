/**
 * What {@linkcode RedisFanOut} needs of Redis, over node-redis or ioredis alike: publishing,
 * subscribing a channel in buffer mode (no text decoding of binary envelopes), and following
 * the subscriber connection through reconnects.
 *
 * @module
 */

import type { BufferListener, IORedisClient, NodeRedisClient } from "./redis_clients.ts";

const decoder = new TextDecoder();

/**
 * The commands the adapter needs, whichever client is underneath.
 *
 * @example
 * ```ts ignore
 * const driver: Driver = redisDriver(client, undefined, false, callbacks);
 * await driver.start();
 * await driver.subscribe("wsflow:news", "news");
 * ```
 */
export interface Driver {
  /** Whether the publishing client can take commands. */
  publisherReady(): boolean;
  /** Whether the subscriber connection can take commands. */
  subscriberReady(): boolean;
  /** PUBLISH (or SPUBLISH) of an envelope. */
  publish(channel: string, message: Uint8Array): Promise<unknown>;
  /** SUBSCRIBE (or SSUBSCRIBE) of a topic's channel. */
  subscribe(channel: string, topic: string): Promise<unknown>;
  /** UNSUBSCRIBE (or SUNSUBSCRIBE). */
  unsubscribe(channel: string): Promise<unknown>;
  /** Resolves once the subscriber connection is ready for the first time. */
  start(): Promise<void>;
  /** Closes the subscriber connection when the driver made it. */
  close(): Promise<void>;
}

/**
 * Where a driver hands what happens on the subscriber connection: the fan-out's side.
 *
 * @example
 * ```ts ignore
 * const callbacks: DriverCallbacks = {
 *   receive: (topic, message) => console.log(topic, message.length),
 *   ready: () => console.log("resubscribe"),
 *   error: (error) => console.error(error),
 *   channelTopic: (channel) => channel.slice("wsflow:".length),
 * };
 * ```
 */
export interface DriverCallbacks {
  /** A message of a subscribed topic's channel, still in its envelope. */
  receive(topic: string, message: Uint8Array): void;
  /** The subscriber connection is ready again after a reconnect. */
  ready(): void;
  /** The subscriber connection failed. */
  error(error: unknown): void;
  /** The topic a channel belongs to, if it is still wanted. */
  channelTopic(channel: string): string | undefined;
}

/**
 * The driver for `client`, node-redis or ioredis, subscribing with `subscriber` or else with a
 * duplicate of `client` that it makes.
 *
 * @example
 * ```ts ignore
 * const driver = redisDriver(options.client, options.subscriber, options.sharded ?? false, callbacks);
 * ```
 * @param client The client to publish with.
 * @param subscriber The client to subscribe with, of the same kind; `undefined` to duplicate
 *   `client`.
 * @param sharded Whether to use sharded pub/sub.
 * @param callbacks Where received messages, reconnects and errors go.
 * @returns The driver; its subscriber connection is not started yet.
 * @throws {TypeError} When `client` is neither a node-redis nor an ioredis client, `subscriber`
 *   is not of its kind, or `sharded` is asked of a client without sharded pub/sub.
 */
export function redisDriver(
  client: NodeRedisClient | IORedisClient,
  subscriber: NodeRedisClient | IORedisClient | undefined,
  sharded: boolean,
  callbacks: DriverCallbacks,
): Driver {
  if (isIORedis(client)) {
    if (subscriber !== undefined && !isIORedis(subscriber)) {
      throw new TypeError("Cannot use subscriber: client is ioredis, subscriber is not");
    }
    return ioredisDriver(client, subscriber, sharded, callbacks);
  } else if (isNodeRedis(client)) {
    if (subscriber !== undefined && !isNodeRedis(subscriber)) {
      throw new TypeError("Cannot use subscriber: client is node-redis, subscriber is not");
    }
    return nodeRedisDriver(client, subscriber, sharded, callbacks);
  } else {
    throw new TypeError(
      "Cannot use client: expected a node-redis (v4 or later) or an ioredis client",
    );
  }
}

function isIORedis(client: object): client is IORedisClient {
  return typeof (client as { status?: unknown }).status === "string" &&
    typeof (client as { duplicate?: unknown }).duplicate === "function";
}

function isNodeRedis(client: object): client is NodeRedisClient {
  return "isReady" in client && typeof (client as { duplicate?: unknown }).duplicate === "function";
}

/**
 * Both clients take binary arguments only as Node's `Buffer` (which is why the interfaces of `redis_clients.ts`
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
