/**
 * The options of a {@linkcode Session}: its role, its limits, and what it leaves to its caller.
 *
 * @module
 */

import type { Role } from "./frame.ts";
import type { Limits } from "./limits.ts";

/** Options of {@linkcode Session}. */
export interface SessionOptions {
  /** Which end this endpoint is. */
  role: Role;
  /**
   * Frame, message and fragment-count limits.
   * @default {DEFAULT_LIMITS}
   */
  limits?: Partial<Limits>;
  /**
   * Report a protocol error as an `error` event instead of failing the connection at once, so
   * the caller can answer the messages that arrived before it (in the same chunk) first; the
   * caller then calls {@linkcode Session.prototype.fail} with the error. Input after the error
   * is ignored.
   * @default {false}
   */
  deferFailure?: boolean;
  /**
   * Report a received Close frame as a `closing` event instead of answering it at once, so
   * the caller can first answer the messages that arrived before it (rfc6455#section-5.5.1
   * allows delaying the Close until the current message is sent); the caller then calls
   * {@linkcode Session.prototype.replyToClose}. Sending stays allowed until then.
   * @default {false}
   */
  deferCloseReply?: boolean;
  /**
   * Whether permessage-deflate was negotiated, which gives RSV1 its meaning
   * (rfc7692#section-6): received compressed messages are reported as `compressed` events, and
   * {@linkcode Session.prototype.sendCompressed} may be used.
   * @default {false}
   */
  perMessageDeflate?: boolean;
  /**
   * Report every data message as a stream: a `streamStart` event, its bytes in `streamData`
   * events as they arrive (views of the received chunks, text already checked as UTF-8), and
   * `streamEnd`, instead of one `message` or `compressed` event once it is whole. Nothing of a
   * message is held, so `limits.maxMessageSize` may be far larger than memory.
   * @default {false}
   */
  streamMessages?: boolean;
  /**
   * Received payloads of at most this many bytes are copied out of the chunks they arrive in
   * rather than handed on as views of them (see `FrameParserOptions.copyUpTo`): an
   * adapter sets it where its engine makes that cheaper (Bun).
   * @default {0}
   */
  copyUpTo?: number;
  /**
   * Received payloads are unmasked 64 bits at a time rather than 32 (see
   * `FrameParserOptions.wideUnmask`): an adapter sets it where its engine makes that faster
   * (Node, Deno).
   * @default {false}
   */
  wideUnmask?: boolean;
}
