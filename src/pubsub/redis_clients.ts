/**
 * The shapes of the Redis clients {@linkcode RedisFanOut} takes: the parts of node-redis
 * (`redis`, v4 and later) and ioredis it uses. Neither package is a dependency of wsflow: a
 * client is taken as it is, by its shape.
 *
 * @module
 */

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
