/**
 * What a server tells its observer beyond its connections' events: every upgrade request it
 * answered, by status, and how long the accepted ones took; and the diagnostics events of
 * refusals and handler errors. The points where the server calls these are its answers: the
 * 101 in `accept_upgrade.ts`, the refusals in `refuse.ts`, `accept_upgrade.ts` and
 * `serve_listener.ts`.
 *
 * @module
 */

import type { NetAddr } from "../streams/byte_stream.ts";
import type { ConnectionObserver } from "../streams/connection_observer.ts";
import { diagnosticsWanted, publishDiagnostic } from "../streams/diagnostics.ts";

/**
 * A server's observer: its connections' events, and its answers to upgrade requests.
 *
 * @example Count upgrades by status by hand
 * ```ts
 * import type { ServerObserver } from "@wsflow/wsflow";
 *
 * const upgrades = new Map<number, number>();
 * const observer: ServerObserver = {
 *   upgrade(status) {
 *     upgrades.set(status, (upgrades.get(status) ?? 0) + 1);
 *   },
 *   handshake(seconds) {
 *     console.log(`101 after ${seconds} s`);
 *   },
 *   opened() {},
 *   received() {},
 *   sent() {},
 *   dropped() {},
 *   roundTrip() {},
 *   closed() {},
 * };
 * // serve(handler, { observer })
 * ```
 */
export interface ServerObserver extends ConnectionObserver {
  /**
   * An upgrade request was answered with `status`: 101 (200 for a WebSocket over HTTP/2,
   * rfc8441#section-5), or a refusal (400 for a bad
   * `Sec-WebSocket-Key`, 403, 404, 426, 431, 503 …). Requests refused before their head could
   * be read (408, 431, and 503 over a connection limit) count too: on a WebSocket server's
   * port they are upgrades that did not get that far. Plain HTTP requests (the `fetch`
   * fallback) do not count.
   */
  upgrade(status: number): void;
  /** A 101 was written, `seconds` after the first byte of its request arrived. */
  handshake(seconds: number): void;
}

/**
 * Counts a refused upgrade, and publishes it as an `upgrade-refused` diagnostics event.
 *
 * @example
 * ```ts ignore
 * upgradeRefused(server.options.observer, 503, "Too many connections", stream.remoteAddr);
 * ```
 * @param observer The server's observer, if it has one.
 * @param status The HTTP status sent.
 * @param reason Why.
 * @param remoteAddr The peer's address.
 * @param url The request's URL, when known.
 */
export function upgradeRefused(
  observer: ServerObserver | undefined,
  status: number,
  reason: string,
  remoteAddr: NetAddr | undefined,
  url?: string,
): void {
  observer?.upgrade(status);
  if (diagnosticsWanted()) {
    publishDiagnostic({ type: "upgrade-refused", status, reason, remoteAddr, url });
  }
}

/**
 * Counts an accepted upgrade once its 101 is written, with the time since `started`.
 *
 * @example
 * ```ts ignore
 * upgradeAccepted(observer, writer.write(response), firstByte);
 * ```
 * @param observer The server's observer.
 * @param written Settles when the 101 has been written; a failed write counts nothing.
 * @param started `performance.now()` when the request's first byte arrived.
 * @param status The status it was accepted with: 101 over HTTP/1.1, 200 for an HTTP/2 extended
 *   CONNECT (rfc8441#section-5).
 */
export function upgradeAccepted(
  observer: ServerObserver,
  written: Promise<void>,
  started: number,
  status = 101,
): void {
  written.then(() => {
    observer.upgrade(status);
    observer.handshake((performance.now() - started) / 1000);
  }, () => {});
}

/**
 * Publishes a `handler-error` diagnostics event, when anyone listens.
 *
 * @example
 * ```ts ignore
 * handlerFailed(error, connection.url, stream.remoteAddr);
 * ```
 * @param error What the handler threw.
 * @param url The connection's URL.
 * @param remoteAddr The peer's address.
 */
export function handlerFailed(error: unknown, url: URL, remoteAddr: NetAddr | undefined): void {
  if (diagnosticsWanted()) {
    publishDiagnostic({ type: "handler-error", error, url: url.href, remoteAddr });
  }
}
