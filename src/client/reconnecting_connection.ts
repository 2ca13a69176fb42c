/**
 * A client connection that stays up: it reconnects after the causes time can mend, with
 * backoff and jitter (`backoff.ts`) and a policy by cause (`retry_policy.ts`), keeps what is
 * sent while no connection is open in a bounded queue (`offline_queue.ts`), and runs a hook on
 * every (re)open before that queue goes out.
 *
 * It is runtime-free: it needs a `connect`. Each adapter exports `reconnect`, bound to its
 * own sockets.
 *
 * @module
 */

import { ConnectionClosedError } from "../protocol/errors.ts";
import type { Message } from "../protocol/message.ts";
import type { Clock } from "../streams/clock.ts";
import { REAL_CLOCK } from "../streams/clock.ts";
import type { Connection } from "../streams/connection.ts";
import { noop } from "../streams/noop.ts";
import { backoffDelay } from "./backoff.ts";
import { OfflineQueue } from "./offline_queue.ts";
import {
  causeOfError,
  type ReconnectCause,
  retryAfterDelay,
  shouldReconnect,
} from "./retry_policy.ts";
import type {
  AttemptInfo,
  ConnectFunction,
  OpenInfo,
  ReconnectEnd,
  ReconnectEvents,
  ReconnectOptions,
  ReconnectState,
  UrlSource,
} from "./reconnect_options.ts";

type Listeners = { [K in keyof ReconnectEvents]: Set<(event: ReconnectEvents[K]) => void> };

const OPEN = "open";

/**
 * A connection that reconnects. Messages from every connection, in order, come from
 * `for await (const message of reconnecting)`, which ends when it stops for good; `send` goes to
 * the open connection, or to the offline queue while there is none. Each message is handed to
 * at most one connection: one written to a connection that then broke is not sent again
 * (WebSocket has no acknowledgements; resume from the `onOpen` hook if that matters).
 *
 * The policy, by default: reconnect after a connection lost (1006) or a Close with 1001, 1011,
 * 1012, 1013 or 1014, after a handshake answered 429, 500, 502, 503 or 504 (waiting at least
 * what `Retry-After` asks on 429 and 503), and after a socket that could not be opened; give up
 * after anything else (see {@linkcode shouldReconnect}). The first attempt follows the same
 * policy.
 *
 * @example With a runtime's connect
 * ```ts ignore
 * import { reconnect } from "@wsflow/wsflow/node";
 * const ws = reconnect("ws://127.0.0.1:8080/chat", {
 *   onOpen: (connection, { reopened }) => connection.send(reopened ? "back" : "hello"),
 * });
 * ws.on("reconnecting", ({ delay, attempt }) => console.error(`retry ${attempt} in ${delay} ms`));
 * await ws.send("queued until open");
 * for await (const message of ws) console.log(message);
 * console.log(await ws.closed); // { reason: "gave-up", cause: … } or { reason: "closed" }
 * ```
 *
 * @example Runtime-free, over in-memory connections
 * ```ts
 * import { ReconnectingConnection } from "@wsflow/wsflow";
 * import { connectedPair } from "@wsflow/wsflow/testing";
 *
 * const ws = new ReconnectingConnection("ws://in-memory/", {
 *   connect: () => {
 *     const { server, client } = connectedPair();
 *     void (async () => {
 *       for await (const message of server) await server.send(`echo ${message}`);
 *     })();
 *     return Promise.resolve(client);
 *   },
 *   onOpen: (connection) => connection.send("hello"),
 * });
 * for await (const message of ws) {
 *   console.log(message); // "echo hello"
 *   break;
 * }
 * console.log(await ws.close()); // { reason: "closed" }
 * ```
 */
export class ReconnectingConnection implements AsyncIterable<Message> {
  readonly #url: UrlSource;
  readonly #options: ReconnectOptions;
  readonly #connect: ConnectFunction;
  readonly #clock: Clock;
  readonly #queue: OfflineQueue;
  readonly #stop = new AbortController();
  readonly #listeners: Listeners = {
    state: new Set(),
    open: new Set(),
    close: new Set(),
    reconnecting: new Set(),
    dropped: new Set(),
    "gave-up": new Set(),
  };
  readonly #closed: Promise<ReconnectEnd>;
  #state: ReconnectState = "connecting";
  #connection: Connection | undefined;
  // Connections whose messages the iterator has yet to read, oldest first.
  readonly #toRead: Connection[] = [];
  #wake: (() => void) | undefined;
  #ended = false;

  /**
   * Starts the first attempt.
   *
   * @param url The `ws:` or `wss:` URL, or a function that computes it for each attempt.
   * @param options `connect`'s options for each attempt, and the policy.
   * @throws {TypeError} When no `connect` is given.
   */
  constructor(url: UrlSource, options: ReconnectOptions = {}) {
    if (options.connect === undefined) {
      throw new TypeError(
        "Cannot construct ReconnectingConnection: no connect function; use reconnect from " +
          "@wsflow/wsflow/deno, /bun or /node, or pass options.connect",
      );
    }
    this.#url = url;
    this.#options = options;
    this.#connect = options.connect;
    this.#clock = options.clock ?? REAL_CLOCK;
    this.#queue = new OfflineQueue(options.queue);
    const { signal } = options;
    if (signal !== undefined) {
      if (signal.aborted) this.#stop.abort();
      else signal.addEventListener("abort", () => void this.close(), { once: true });
    }
    this.#closed = this.#run();
  }

  /**
   * The state: `"connecting"`, `"open"`, `"waiting"` (for the next attempt) or `"closed"`.
   * @returns The state.
   */
  get state(): ReconnectState {
    return this.#state;
  }

  /**
   * The open connection, if any (also while the `onOpen` hook runs).
   * @returns It, or `undefined`.
   */
  get connection(): Connection | undefined {
    return this.#connection;
  }

  /**
   * Messages waiting in the offline queue.
   * @returns The count.
   */
  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Messages the offline queue dropped since the start.
   * @returns The count.
   */
  get dropped(): number {
    return this.#queue.dropped;
  }

  /**
   * Resolves once, when it has stopped for good: closed, aborted, or given up.
   * @returns How it ended.
   */
  get closed(): Promise<ReconnectEnd> {
    return this.#closed;
  }

  /**
   * Adds a listener; returns the function that removes it.
   *
   * @param type The event.
   * @param listener Called with the event's details.
   * @returns A function that removes the listener.
   */
  on<K extends keyof ReconnectEvents>(
    type: K,
    listener: (event: ReconnectEvents[K]) => void,
  ): () => void {
    const set = this.#listeners[type] as Set<(event: ReconnectEvents[K]) => void>;
    set.add(listener);
    return () => set.delete(listener);
  }

  /**
   * Sends a message on the open connection, waiting while its socket pushes back; while no
   * connection is open (or while the `onOpen` hook and the queue are going out), adds it to the
   * offline queue and resolves at once. A full queue drops its oldest messages (reported by a
   * `dropped` event) or, with `overflow: "reject"`, rejects.
   *
   * @param message Text or binary.
   * @returns Resolves once the message is handed on or queued.
   * @throws {ConnectionClosedError} (rejects) Once closed for good.
   * @throws {QueueFullError} (rejects) When the queue is full and its policy is `"reject"`.
   */
  send(message: Message): Promise<void> {
    if (this.#ended || this.#stop.signal.aborted) {
      return Promise.reject(new ConnectionClosedError(1000, "closed for good", true));
    }
    const connection = this.#connection;
    if (this.#state === OPEN && connection?.readyState === OPEN) {
      // Handed on: whatever happens to this connection, it is not sent again.
      return connection.send(message).catch(ignoreClosed);
    }
    try {
      this.#report(this.#queue.push(message));
    } catch (error) {
      return Promise.reject(error);
    }
    return Promise.resolve();
  }

  /**
   * Stops for good: no further attempts, and the open connection, if any, is closed.
   *
   * @param code The close code for the open connection.
   * @param reason The close reason.
   * @returns How it ended.
   */
  close(code = 1000, reason = ""): Promise<ReconnectEnd> {
    if (!this.#stop.signal.aborted) {
      this.#stop.abort();
      this.#connection?.close(code, reason).catch(noop);
    }
    return this.#closed;
  }

  /**
   * Messages from each connection in turn, until it stops for good. One reader at a time.
   * @returns The iterator.
   */
  [Symbol.asyncIterator](): AsyncIterator<Message> {
    let current: AsyncIterator<Message> | undefined;
    return {
      next: async (): Promise<IteratorResult<Message>> => {
        while (true) {
          if (current === undefined) {
            const connection = this.#toRead[0];
            if (connection === undefined) {
              if (this.#ended) return { done: true, value: undefined };
              await new Promise<void>((resolve) => (this.#wake = resolve));
              continue;
            }
            current = connection[Symbol.asyncIterator]();
          }
          const result = await current.next();
          if (!result.done) return result;
          current = undefined;
          this.#toRead.shift();
        }
      },
      return: (): Promise<IteratorResult<Message>> =>
        Promise.resolve({ done: true, value: undefined }),
    };
  }

  async #run(): Promise<ReconnectEnd> {
    const options = this.#options;
    const policy = options.shouldReconnect ?? shouldReconnect;
    const maxRetries = options.maxRetries ?? Infinity;
    const resetAfter = options.resetAfter ?? 5_000;
    const stop = this.#stop.signal;
    let attempt = 0;
    let failures = 0;
    let reopened = false;
    let end: ReconnectEnd = { reason: "closed" };
    while (!stop.aborted) {
      attempt++;
      this.#setState("connecting");
      const info: AttemptInfo = { attempt, failures };
      let cause: ReconnectCause;
      let connection: Connection | undefined;
      let url = "";
      try {
        const target = typeof this.#url === "function" ? await this.#url(info) : this.#url;
        url = String(target);
        const headers = typeof options.headers === "function"
          ? await options.headers(info)
          : options.headers;
        connection = await this.#connect(target, { ...options, headers, signal: stop });
      } catch (error) {
        cause = causeOfError(error);
      }
      if (stop.aborted) {
        connection?.close(1000).catch(noop);
        break;
      }
      if (connection !== undefined) {
        const openedAt = this.#clock.now();
        this.#connection = connection;
        this.#toRead.push(connection);
        this.#wakeReader();
        cause = await this.#open(connection, { attempt, reopened }, url);
        reopened = true;
        this.#connection = undefined;
        if (this.#clock.now() - openedAt >= resetAfter) failures = 0;
        if (stop.aborted) break;
      }
      failures++;
      if (failures > maxRetries || !policy(cause!, failures)) {
        end = { reason: "gave-up", cause: cause! };
        this.#emit("gave-up", { cause: cause!, failures });
        break;
      }
      let delay = backoffDelay(failures, (options.random ?? Math.random)(), options.backoff);
      if (cause!.kind === "handshake" && (cause!.status === 429 || cause!.status === 503)) {
        // rfc6585#section-4, rfc9110#section-10.2.3: the server says when to come back
        const asked = retryAfterDelay(cause!.headers, (options.now ?? Date.now)());
        if (asked !== undefined) {
          delay = Math.max(delay, Math.min(asked, options.maxRetryAfter ?? 60_000));
        }
      }
      this.#setState("waiting");
      this.#emit("reconnecting", { delay, attempt: attempt + 1, cause: cause! });
      await this.#sleep(delay);
    }
    this.#ended = true;
    this.#setState("closed");
    this.#report(this.#queue.clear());
    this.#wakeReader();
    return end;
  }

  // The hook, then the queue, then the connection is open to `send`; resolves with what ended it.
  async #open(connection: Connection, info: OpenInfo, url: string): Promise<ReconnectCause> {
    try {
      await this.#options.onOpen?.(connection, info);
      // A message is taken from the queue only when a live connection takes it, so one that
      // finds the connection gone stays for the next.
      while (this.#queue.length > 0 && connection.readyState === OPEN) {
        await connection.send(this.#queue.shift()!).catch(ignoreClosed);
      }
    } catch (error) {
      if (connection.readyState === OPEN) {
        await connection.close(1011, "onOpen failed").catch(noop);
        return { kind: "error", error };
      }
    }
    if (connection.readyState === OPEN) {
      this.#setState(OPEN);
      this.#emit("open", { connection, url, ...info });
    }
    const closed = await connection.closed;
    this.#emit("close", { code: closed.code, reason: closed.reason, wasClean: closed.wasClean });
    return { kind: "close", code: closed.code, reason: closed.reason };
  }

  #sleep(delay: number): Promise<void> {
    const stop = this.#stop.signal;
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.#clock.clearTimeout(timer);
        stop.removeEventListener("abort", done);
        resolve();
      };
      const timer = this.#clock.setTimeout(done, delay);
      stop.addEventListener("abort", done, { once: true });
    });
  }

  #setState(state: ReconnectState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#emit("state", { state });
  }

  #report(messages: Message[]): void {
    if (messages.length > 0) this.#emit("dropped", { messages, total: this.#queue.dropped });
  }

  #wakeReader(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #emit<K extends keyof ReconnectEvents>(type: K, event: ReconnectEvents[K]): void {
    for (const listener of [...this.#listeners[type]]) {
      try {
        (listener as (event: ReconnectEvents[K]) => void)(event);
      } catch (error) {
        // As EventTarget does: a listener's error is reported, and the others still run.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}

function ignoreClosed(error: unknown): void {
  if (!(error instanceof ConnectionClosedError)) throw error;
}
