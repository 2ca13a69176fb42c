/**
 * Frame opcodes.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-5.2}
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-11.8}
 */

/**
 * The six opcodes RFC 6455 defines. 0x3-0x7 and 0xB-0xF are reserved.
 *
 * @example Test for a text frame
 * ```ts
 * import { Opcode } from "@wsflow/wsflow";
 * const opcode: Opcode = 0x1;
 * console.log(opcode === Opcode.Text); // true
 * ```
 */
export const Opcode = {
  /** Continues a fragmented message (rfc6455#section-5.4). */
  Continuation: 0x0,
  /** First frame of a UTF-8 text message. */
  Text: 0x1,
  /** First frame of a binary message. */
  Binary: 0x2,
  /** Close control frame (rfc6455#section-5.5.1). */
  Close: 0x8,
  /** Ping control frame (rfc6455#section-5.5.2). */
  Ping: 0x9,
  /** Pong control frame (rfc6455#section-5.5.3). */
  Pong: 0xa,
} as const;

/** One of the values of {@linkcode Opcode}. */
export type Opcode = typeof Opcode[keyof typeof Opcode];

/**
 * Whether `opcode` is a control opcode (0x8-0xF; only 0x8-0xA are defined).
 *
 * @example
 * ```ts
 * import { isControlOpcode } from "@wsflow/wsflow";
 * console.log(isControlOpcode(0x9)); // true
 * ```
 * @param opcode The four-bit opcode.
 * @returns `true` when the most significant opcode bit is set.
 */
export function isControlOpcode(opcode: number): boolean {
  // rfc6455#section-5.5: control frames are identified by opcodes where the MSB of the opcode is 1
  return (opcode & 0x8) !== 0;
}

/**
 * Whether `opcode` is one of the six defined opcodes.
 *
 * @example
 * ```ts
 * import { isKnownOpcode } from "@wsflow/wsflow";
 * console.log(isKnownOpcode(0x3)); // false: reserved
 * ```
 * @param opcode The four-bit opcode.
 * @returns `true` for 0x0, 0x1, 0x2, 0x8, 0x9 and 0xA.
 */
export function isKnownOpcode(opcode: number): boolean {
  return opcode <= 0x2 || (opcode >= 0x8 && opcode <= 0xa);
}
