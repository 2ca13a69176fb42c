/**
 * The envelope a {@linkcode RedisFanOut} message travels in: 8 bytes before the payload,
 * version (1), opcode (1 text, 2 binary) and the publishing process's random 6-byte id, so a
 * process drops its own messages (no echo). Text stays the UTF-8 the publisher encoded, binary
 * travels as bytes: no base64, no JSON.
 *
 * @module
 */

import { isValidUtf8 } from "../protocol/utf8.ts";
import { Opcode } from "../protocol/opcode.ts";
import { PreparedFrame } from "../protocol/prepared_frame.ts";

const VERSION = 1;
const HEADER = 8;

/**
 * Puts `frame`'s payload and opcode in an envelope from the process `id`.
 *
 * @example
 * ```ts
 * import { PreparedFrame } from "@wsflow/wsflow";
 * import { sealEnvelope } from "./redis_envelope.ts";
 * const envelope = sealEnvelope(new Uint8Array([1, 2, 3, 4, 5, 6]), PreparedFrame.of("hi"));
 * console.log(envelope); // Uint8Array(10) [ 1, 1, 1, 2, 3, 4, 5, 6, 104, 105 ]
 * ```
 * @param id This process's 6-byte id.
 * @param frame The message's frame.
 * @returns The envelope: one new array, the payload copied in once.
 */
export function sealEnvelope(id: Uint8Array, frame: PreparedFrame): Uint8Array {
  const payload = frame.payload;
  const envelope = new Uint8Array(HEADER + payload.length);
  envelope[0] = VERSION;
  envelope[1] = frame.opcode;
  envelope.set(id, 2);
  envelope.set(payload, HEADER);
  return envelope;
}

/**
 * Takes a received message out of its envelope: the frame to deliver, `undefined` when the
 * process `id` sent it (it was delivered here when published), or the error when it is no
 * wsflow envelope or its text is not UTF-8 (whatever else writes to the channel must not make
 * subscribers fail with 1007).
 *
 * @example
 * ```ts
 * import { PreparedFrame } from "@wsflow/wsflow";
 * import { openEnvelope, sealEnvelope } from "./redis_envelope.ts";
 * const envelope = sealEnvelope(new Uint8Array([1, 2, 3, 4, 5, 6]), PreparedFrame.of("hi"));
 * const frame = openEnvelope(envelope, new Uint8Array(6));
 * console.log(frame instanceof PreparedFrame && frame.opcode); // 1
 * console.log(openEnvelope(envelope, new Uint8Array([1, 2, 3, 4, 5, 6]))); // undefined
 * ```
 * @param message The message as received.
 * @param id This process's 6-byte id.
 * @returns The frame (its payload a view of `message`), `undefined`, or the error.
 */
export function openEnvelope(
  message: Uint8Array,
  id: Uint8Array,
): PreparedFrame | TypeError | undefined {
  if (
    message.length < HEADER || message[0] !== VERSION ||
    (message[1] !== Opcode.Text && message[1] !== Opcode.Binary)
  ) {
    return new TypeError("Cannot read message: not a wsflow envelope");
  }
  if (
    message[2] === id[0] && message[3] === id[1] && message[4] === id[2] &&
    message[5] === id[3] && message[6] === id[4] && message[7] === id[5]
  ) return undefined; // our own: delivered locally when published
  const payload = message.subarray(HEADER);
  if (message[1] === Opcode.Text && !isValidUtf8(payload)) {
    return new TypeError("Cannot read message: text is not UTF-8");
  }
  return new PreparedFrame(message[1], payload);
}
