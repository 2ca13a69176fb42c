/**
 * The frame: the unit of the wire protocol.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-5.2}
 */

import type { Opcode } from "./opcode.ts";

/**
 * One WebSocket frame as the application sees it. MASK and the payload length are wire details:
 * the parser unmasks payloads, the serializer masks them when the role requires it.
 *
 * @example A final text frame
 * ```ts
 * import { type Frame, Opcode } from "@wsflow/wsflow";
 * const frame: Frame = {
 *   fin: true, rsv1: false, rsv2: false, rsv3: false,
 *   opcode: Opcode.Text, payload: new TextEncoder().encode("Hello"),
 * };
 * console.log(frame.payload.length); // 5
 * ```
 */
export interface Frame {
  /** Whether this is the final fragment of a message. */
  fin: boolean;
  /** RSV1; set only when an extension (permessage-deflate) negotiated it. */
  rsv1: boolean;
  /** RSV2; no extension here defines it. */
  rsv2: boolean;
  /** RSV3; no extension here defines it. */
  rsv3: boolean;
  /** The frame's opcode. */
  opcode: Opcode;
  /** The unmasked payload. */
  payload: Uint8Array;
}

/**
 * Largest payload of a control frame (rfc6455#section-5.5).
 *
 * @example
 * ```ts
 * import { MAX_CONTROL_PAYLOAD } from "@wsflow/wsflow";
 * console.log(MAX_CONTROL_PAYLOAD); // 125
 * ```
 */
export const MAX_CONTROL_PAYLOAD = 125;

/**
 * Which end of the connection this endpoint is: servers never mask, clients always do
 * (rfc6455#section-5.1).
 *
 * @example
 * ```ts
 * import type { Role } from "@wsflow/wsflow";
 * const role: Role = "server";
 * console.log(role); // server
 * ```
 */
export type Role = "server" | "client";
