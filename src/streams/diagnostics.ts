/**
 * Diagnostics events: what is not a number, as one event stream for the whole process, the same
 * on every runtime. A refused upgrade (its status, why, and from where), a connection closed by
 * a limit or a timeout (which one), a handler that threw. Metrics count these; the events say
 * which request, which peer, which limit.
 *
 * One subscription point, like `node:diagnostics_channel` (which the Node adapter also
 * publishes to, under `wsflow:*` names, as undici does for its client): nothing is built while
 * nobody listens, and the events are rare (nothing on the message path).
 *
 * @module
 */

import type { TimeoutKind, WebSocketError } from "../protocol/errors.ts";
import type { NetAddr } from "./byte_stream.ts";

/**
 * An upgrade request answered with something else than 101: a failed handshake, a refusal by a
 * route's upgrade hook, a server over a connection limit or shutting down.
 *
 * @example
 * ```ts
 * import type { UpgradeRefusedEvent } from "@wsflow/wsflow";
 * const event: UpgradeRefusedEvent = {
 *   type: "upgrade-refused",
 *   status: 400,
 *   reason: "Cannot upgrade: Sec-WebSocket-Key is not 16 bytes of base64",
 *   remoteAddr: { hostname: "10.0.0.1", port: 50_000 },
 *   url: "http://example.com/chat",
 * };
 * console.log(event.status); // 400
 * ```
 */
export interface UpgradeRefusedEvent {
  /** What happened. */
  readonly type: "upgrade-refused";
  /** The HTTP status sent. */
  readonly status: number;
  /** Why: the error's message, or what refused it. */
  readonly reason: string;
  /** The peer's address, when the transport has one. */
  readonly remoteAddr: NetAddr | undefined;
  /** The request's URL, when its head was read that far. */
  readonly url: string | undefined;
}

/**
 * What ended a connection that a limit or a timer ended: `"size"` (a frame, a message, its
 * fragment count or its inflated size over `limits`: the error's message says which),
 * `"sendBuffer"` (the `"close"` send-buffer policy), `"partialMessageBudget"`, or a timer
 * (a {@linkcode TimeoutKind}): `"heartbeat"`, `"idle"`, `"close"`.
 *
 * @example
 * ```ts
 * import type { ConnectionLimit } from "@wsflow/wsflow";
 * const limit: ConnectionLimit = "heartbeat";
 * console.log(limit); // heartbeat
 * ```
 */
export type ConnectionLimit = "size" | "sendBuffer" | "partialMessageBudget" | TimeoutKind;

/**
 * A connection this end closed because of a limit or a timeout.
 *
 * @example
 * ```ts
 * import { TimeoutError, type ConnectionLimitEvent } from "@wsflow/wsflow";
 * const event: ConnectionLimitEvent = {
 *   type: "connection-limit",
 *   limit: "idle",
 *   code: 1001,
 *   role: "server",
 *   url: "ws://example.com/chat",
 *   remoteAddr: undefined,
 *   error: new TimeoutError("idle", "Cannot keep connection: nothing arrived for 60000 ms", 1001),
 * };
 * console.log(event.limit, event.code); // idle 1001
 * ```
 */
export interface ConnectionLimitEvent {
  /** What happened. */
  readonly type: "connection-limit";
  /** Which limit or timer. */
  readonly limit: ConnectionLimit;
  /** The close code the connection ended with (1006 when it was dropped). */
  readonly code: number;
  /** Which end this is. */
  readonly role: "client" | "server";
  /** The connection's URL. */
  readonly url: string;
  /** The peer's address, when the transport has one. */
  readonly remoteAddr: NetAddr | undefined;
  /** The error, with the detail in its message. */
  readonly error: WebSocketError;
}

/**
 * A server's handler threw (or its promise rejected); its connection was closed with 1011.
 *
 * @example
 * ```ts
 * import type { HandlerErrorEvent } from "@wsflow/wsflow";
 * const event: HandlerErrorEvent = {
 *   type: "handler-error",
 *   error: new Error("boom"),
 *   url: "ws://example.com/chat",
 *   remoteAddr: undefined,
 * };
 * console.log((event.error as Error).message); // boom
 * ```
 */
export interface HandlerErrorEvent {
  /** What happened. */
  readonly type: "handler-error";
  /** What the handler threw. */
  readonly error: unknown;
  /** The connection's URL. */
  readonly url: string;
  /** The peer's address, when the transport has one. */
  readonly remoteAddr: NetAddr | undefined;
}

/**
 * Every diagnostics event, told apart by `type`.
 *
 * @example
 * ```ts
 * import type { DiagnosticEvent } from "@wsflow/wsflow";
 * function describe(event: DiagnosticEvent): string {
 *   switch (event.type) {
 *     case "upgrade-refused":
 *       return `refused ${event.status}: ${event.reason}`;
 *     case "connection-limit":
 *       return `closed by ${event.limit}`;
 *     case "handler-error":
 *       return `handler threw at ${event.url}`;
 *   }
 * }
 * console.log(describe({ type: "handler-error", error: 1, url: "ws://h/", remoteAddr: undefined }));
 * ```
 */
export type DiagnosticEvent = UpgradeRefusedEvent | ConnectionLimitEvent | HandlerErrorEvent;

/**
 * A function told about every diagnostics event. It runs synchronously where the event
 * happens: keep it cheap. What it throws is ignored.
 *
 * @example
 * ```ts
 * import type { DiagnosticListener } from "@wsflow/wsflow";
 * const log: DiagnosticListener = (event) => console.log(event.type);
 * ```
 */
export type DiagnosticListener = (event: DiagnosticEvent) => void;

const listeners: DiagnosticListener[] = [];

/**
 * Listens to the diagnostics events of every server and client in this process, on any
 * runtime. On Node the same events also go to `node:diagnostics_channel`, as
 * `wsflow:upgrade:refused`, `wsflow:connection:limit` and `wsflow:handler:error`.
 *
 * @example Log refused upgrades
 * ```ts
 * import { subscribeDiagnostics } from "@wsflow/wsflow";
 * const unsubscribe = subscribeDiagnostics((event) => {
 *   if (event.type === "upgrade-refused") {
 *     console.warn(event.status, event.reason, event.remoteAddr?.hostname);
 *   }
 * });
 * unsubscribe(); // when done
 * ```
 * @param listener Called with each event.
 * @returns A function that removes the listener.
 */
export function subscribeDiagnostics(listener: DiagnosticListener): () => void {
  listeners.push(listener);
  return () => {
    const index = listeners.indexOf(listener);
    if (index !== -1) listeners.splice(index, 1);
  };
}

/**
 * Whether anyone listens: checked before an event is built, so nothing is built for nobody.
 *
 * @example
 * ```ts ignore
 * if (diagnosticsWanted()) publishDiagnostic({ type: "handler-error", error, url, remoteAddr });
 * ```
 * @returns `true` while at least one listener is subscribed.
 */
export function diagnosticsWanted(): boolean {
  return listeners.length > 0;
}

/**
 * Tells every listener about `event`. A listener that throws does not stop the others, nor the
 * code that published.
 *
 * @example
 * ```ts ignore
 * publishDiagnostic({ type: "handler-error", error, url: ws.url.href, remoteAddr: undefined });
 * ```
 * @param event The event.
 */
export function publishDiagnostic(event: DiagnosticEvent): void {
  for (const listener of listeners.slice()) {
    try {
      listener(event);
    } catch {
      // A listener must not break the connection it observes.
    }
  }
}
