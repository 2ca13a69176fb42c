/**
 * The options, state and events of a `ReconnectingConnection`: what a user configures and
 * observes, apart from the class that acts on them.
 *
 * @module
 */

import type { Message } from "../protocol/message.ts";
import type { Clock } from "../streams/clock.ts";
import type { Connection } from "../streams/connection.ts";
import type { BackoffOptions } from "./backoff.ts";
import type { ConnectOptions } from "./connect.ts";
import type { OfflineQueueOptions } from "./offline_queue.ts";
import type { ReconnectCause } from "./retry_policy.ts";

/**
 * A `connect` function: an adapter's, or {@linkcode connectWith} bound to a socket opener.
 *
 * @example
 * ```ts ignore
 * import type { ConnectFunction } from "@wsflow/wsflow";
 * import { connect } from "@wsflow/wsflow/node";
 * const open: ConnectFunction = connect;
 * ```
 */
export type ConnectFunction = (
  url: string | URL,
  options?: ConnectOptions,
) => Promise<Connection>;

/**
 * Which attempt is about to be made: what a URL or headers function is given.
 *
 * @example
 * ```ts
 * import type { AttemptInfo } from "@wsflow/wsflow";
 * const url = ({ attempt }: AttemptInfo): string => `ws://127.0.0.1:8080/feed?attempt=${attempt}`;
 * console.log(url({ attempt: 2, failures: 1 }));
 * ```
 */
export interface AttemptInfo {
  /** Attempts made so far, this one included, from 1. */
  attempt: number;
  /** Consecutive failed attempts or lost connections before this one. */
  failures: number;
}

/**
 * A URL, or a function that computes it for each attempt (a fresh token, a resume position).
 *
 * @example
 * ```ts
 * import type { UrlSource } from "@wsflow/wsflow";
 * let lastSeen = 0;
 * const url: UrlSource = () => `ws://127.0.0.1:8080/feed?after=${lastSeen}`;
 * console.log(typeof url);
 * ```
 */
export type UrlSource =
  | string
  | URL
  | ((info: AttemptInfo) => string | URL | Promise<string | URL>);

/**
 * What the `onOpen` hook is given besides the connection.
 *
 * @example
 * ```ts
 * import type { OpenInfo } from "@wsflow/wsflow";
 * const info: OpenInfo = { attempt: 3, reopened: true };
 * console.log(info.reopened);
 * ```
 */
export interface OpenInfo {
  /** The attempt that opened it, from 1. */
  attempt: number;
  /** Whether a connection was open before this one. */
  reopened: boolean;
}

/**
 * The states of a {@linkcode ReconnectingConnection}: an attempt running (handshake, `onOpen`
 * hook, queued messages going out), a connection open, a wait before the next attempt, or the
 * end.
 *
 * @example
 * ```ts
 * import type { ReconnectState } from "@wsflow/wsflow";
 * const state: ReconnectState = "waiting";
 * console.log(state);
 * ```
 */
export type ReconnectState = "connecting" | "open" | "waiting" | "closed";

/**
 * How a {@linkcode ReconnectingConnection} ended: `close()` or its signal (`"closed"`), or the
 * policy or the attempt limit gave up (`"gave-up"`, with the cause that decided it).
 *
 * @example
 * ```ts
 * import type { ReconnectEnd } from "@wsflow/wsflow";
 * const end: ReconnectEnd = { reason: "gave-up", cause: { kind: "close", code: 1008, reason: "" } };
 * console.log(end.reason);
 * ```
 */
export interface ReconnectEnd {
  /** Why it ended. */
  reason: "closed" | "gave-up";
  /** What ended the last attempt or connection, when the policy gave up. */
  cause?: ReconnectCause | undefined;
}

/**
 * The events of a {@linkcode ReconnectingConnection} and what each listener is given.
 *
 * @example
 * ```ts
 * import type { ReconnectEvents } from "@wsflow/wsflow";
 * const onRetry = (event: ReconnectEvents["reconnecting"]): void =>
 *   console.error(`RECONNECTING in ${event.delay} ms (attempt ${event.attempt})`);
 * onRetry({ delay: 500, attempt: 2, cause: { kind: "close", code: 1012, reason: "" } });
 * ```
 */
export interface ReconnectEvents {
  /** The state changed. */
  state: { state: ReconnectState };
  /** A connection opened, and the `onOpen` hook and the queued messages are done. */
  open: { connection: Connection; url: string; attempt: number; reopened: boolean };
  /** An open connection ended. */
  close: { code: number; reason: string; wasClean: boolean };
  /** The next attempt comes after `delay` ms; `cause` ended the previous one. */
  reconnecting: { delay: number; attempt: number; cause: ReconnectCause };
  /** Messages the offline queue could not keep: `messages` now, `total` since the start. */
  dropped: { messages: Message[]; total: number };
  /** The policy or the attempt limit gave up; the end follows. */
  "gave-up": { cause: ReconnectCause; failures: number };
}

/**
 * Options of {@linkcode ReconnectingConnection}: those of `connect` for every attempt, and the
 * reconnection policy.
 *
 * @example
 * ```ts ignore
 * import { reconnect } from "@wsflow/wsflow/node";
 * const feed = reconnect("wss://example.com/feed", {
 *   headers: async () => ({ authorization: `Bearer ${await freshToken()}` }),
 *   backoff: { maxDelay: 30_000 },
 *   maxRetries: 20,
 *   queue: { maxMessages: 100 },
 *   onOpen: (ws) => ws.send(JSON.stringify({ subscribe: "prices" })),
 * });
 * ```
 */
export interface ReconnectOptions extends Omit<ConnectOptions, "headers" | "signal"> {
  /**
   * Opens each connection. The adapters' `reconnect` sets it.
   * @default {undefined}
   */
  connect?: ConnectFunction | undefined;
  /**
   * Request header fields for each attempt, or a function that computes them for it.
   * @default {undefined}
   */
  headers?:
    | HeadersInit
    | ((info: AttemptInfo) => HeadersInit | Promise<HeadersInit>)
    | undefined;
  /**
   * Stops for good when aborted: an attempt or wait is cut short, an open connection is closed
   * with 1000.
   * @default {undefined}
   */
  signal?: AbortSignal | undefined;
  /**
   * The delays between attempts.
   * @default {DEFAULT_BACKOFF}
   */
  backoff?: BackoffOptions | undefined;
  /**
   * Retries after consecutive failures before giving up (failed attempts, and connections lost
   * before `resetAfter`).
   * @default {Infinity}
   */
  maxRetries?: number | undefined;
  /**
   * Milliseconds a connection must stay open for the failure count to start again from 0, so a
   * server that accepts and drops at once still meets growing delays.
   * @default {5_000}
   */
  resetAfter?: number | undefined;
  /**
   * The longest wait a `Retry-After` on a 429 or 503 answer is allowed to ask for, in ms.
   * @default {60_000}
   */
  maxRetryAfter?: number | undefined;
  /**
   * Whether to try again after `cause`, given the failures so far: the policy by cause.
   * @default {shouldReconnect}
   */
  shouldReconnect?: ((cause: ReconnectCause, failures: number) => boolean) | undefined;
  /**
   * Runs on every open before the queued messages go out and before `send` reaches the new
   * connection: authenticate again, resubscribe, send a resume position. May be async. When it
   * throws while the connection is open, the connection is closed with 1011 and the error is
   * the cause the policy sees (by default it gives up).
   * @default {undefined}
   */
  onOpen?: ((connection: Connection, info: OpenInfo) => void | Promise<void>) | undefined;
  /**
   * The bounds of the queue kept while no connection is open.
   * @default {{ maxMessages: 1_000, maxBytes: 1_048_576, overflow: "drop-oldest" }}
   */
  queue?: OfflineQueueOptions | undefined;
  /**
   * The clock the waits use.
   * @default {REAL_CLOCK}
   */
  clock?: Clock | undefined;
  /**
   * Numbers in [0, 1) for the jitter.
   * @default {Math.random}
   */
  random?: (() => number) | undefined;
  /**
   * The wall-clock time in ms since the epoch, for `Retry-After` dates.
   * @default {Date.now}
   */
  now?: (() => number) | undefined;
}
