/**
 * What a {@linkcode Session} reports: the events of {@linkcode Session.prototype.receive}, and
 * how a connection ended.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-7.1}
 */

import type { CloseInfo } from "./close_payload.ts";
import type { WebSocketError } from "./errors.ts";
import type { Message } from "./message.ts";
import type { MessageStreamEvent } from "./message_stream_assembler.ts";

/**
 * How a connection ended: the code and reason of the Close frame received from the peer (1005
 * when it had no code), or the code sent when this endpoint failed the connection, or 1006 when
 * the transport dropped without a close handshake.
 *
 * @example
 * ```ts
 * import type { CloseEvent } from "@wsflow/wsflow";
 * const ended: CloseEvent = { code: 1006, reason: "", wasClean: false };
 * console.log(ended.wasClean);
 * ```
 */
export interface CloseEvent extends CloseInfo {
  /** Whether the close handshake completed (a Close frame was both sent and received). */
  wasClean: boolean;
  /** The error that made this endpoint fail the connection, if one did. */
  error?: WebSocketError;
}

/**
 * What {@linkcode Session.prototype.receive} reports, in the order it happened.
 *
 * - `message`: a complete text (`string`) or binary (`Uint8Array`) message;
 * - `compressed`: a complete permessage-deflate message (rfc7692), still deflated: inflate it
 *   (appending 0x00 0x00 0xff 0xff) and, when `text`, decode it as UTF-8;
 * - `ping`: a Ping arrived (the Pong is already queued);
 * - `pong`: a Pong arrived;
 * - `closed`: the connection is over (see {@linkcode CloseEvent}); close the transport once the
 *   outgoing bytes are written. Reported once.
 * - `streamStart`, `streamData`, `streamEnd`: with `streamMessages`, a message in place of
 *   `message` and `compressed`, as its bytes arrive (see {@linkcode MessageStreamEvent}).
 *
 * @example
 * ```ts
 * import type { SessionEvent } from "@wsflow/wsflow";
 * function handle(event: SessionEvent): void {
 *   if (event.type === "message") console.log(event.data);
 * }
 * handle({ type: "message", data: "hi" });
 * ```
 */
export type SessionEvent =
  | { type: "message"; data: Message }
  | { type: "compressed"; text: boolean; data: Uint8Array }
  | { type: "ping"; data: Uint8Array }
  | { type: "pong"; data: Uint8Array }
  | { type: "closed"; event: CloseEvent }
  | { type: "error"; error: WebSocketError }
  | { type: "closing"; code: number; reason: string }
  | MessageStreamEvent;
