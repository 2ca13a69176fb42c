/**
 * A data frame built once and sent to many connections: what publishing to a topic hands to
 * every subscriber.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-5.2}
 */

import type { Message } from "./message.ts";
import { Opcode } from "./opcode.ts";

const encoder = new TextEncoder();

/**
 * Payloads up to this size are kept as one whole frame (header and payload in one buffer), which
 * each connection copies into its output batch with one `set`; above it, the header is kept
 * alone and the payload is written as its own chunk, never copied (the serializer's threshold
 * for zero-copy payloads).
 */
export const PREPARED_WHOLE_LIMIT: number = 16 * 1024;

/**
 * One unfragmented Text or Binary frame, serialized once for any number of server connections:
 * the UTF-8 encoding, the header and (for small payloads) the whole frame are built here once,
 * and each connection's `sendPrepared` only copies the bytes into its output batch, or for large
 * payloads hands the same payload buffer to its socket. A client connection (which must mask,
 * rfc6455#section-5.3) writes the payload through its masking serializer instead.
 *
 * It also memoizes variants of itself (such as the message deflated with a given window), so
 * that connections which can share one compressed frame compress it once.
 *
 * Every buffer is shared by the connections it is sent on: never change them.
 *
 * @example
 * ```ts
 * import { PreparedFrame } from "@wsflow/wsflow";
 * const frame = PreparedFrame.of("Hello");
 * console.log(frame.opcode, frame.payload.length); // 1 5
 * console.log(frame.bytes); // Uint8Array [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]
 * ```
 */
export class PreparedFrame {
  /** `Opcode.Text` or `Opcode.Binary`. */
  readonly opcode: Opcode;
  /** The payload as it goes on the wire (UTF-8 for text; deflated when `rsv1`). */
  readonly payload: Uint8Array;
  /** RSV1: the payload is compressed with permessage-deflate (rfc7692#section-6). */
  readonly rsv1: boolean;
  /**
   * The unmasked server frame: header and payload when the payload is at most
   * {@linkcode PREPARED_WHOLE_LIMIT} bytes, otherwise the header alone.
   */
  readonly bytes: Uint8Array;
  #variants: Map<number, Promise<PreparedFrame>> | undefined;

  /**
   * Builds the frame.
   *
   * @param opcode `Opcode.Text` (the payload must be valid UTF-8) or `Opcode.Binary`.
   * @param payload The payload as sent; kept, not copied.
   * @param rsv1 Whether the payload is deflated (rfc7692#section-6).
   * @throws {RangeError} For another opcode: control frames are never prepared.
   */
  constructor(opcode: Opcode, payload: Uint8Array, rsv1 = false) {
    if (opcode !== Opcode.Text && opcode !== Opcode.Binary) {
      throw new RangeError(`Cannot prepare frame: opcode ${opcode} is not Text (1) or Binary (2)`);
    }
    this.opcode = opcode;
    this.payload = payload;
    this.rsv1 = rsv1;
    const length = payload.length;
    const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
    const whole = length <= PREPARED_WHOLE_LIMIT;
    const bytes = new Uint8Array(whole ? header + length : header);
    bytes[0] = 0x80 | (rsv1 ? 0x40 : 0) | opcode;
    // rfc6455#section-5.2: the minimal number of bytes MUST be used to encode the length
    if (length < 126) {
      bytes[1] = length;
    } else if (length < 65536) {
      bytes[1] = 126;
      bytes[2] = length >>> 8;
      bytes[3] = length & 0xff;
    } else {
      bytes[1] = 127;
      const high = Math.floor(length / 0x100000000);
      bytes[2] = high >>> 24;
      bytes[3] = (high >>> 16) & 0xff;
      bytes[4] = (high >>> 8) & 0xff;
      bytes[5] = high & 0xff;
      bytes[6] = length >>> 24;
      bytes[7] = (length >>> 16) & 0xff;
      bytes[8] = (length >>> 8) & 0xff;
      bytes[9] = length & 0xff;
    }
    if (whole) bytes.set(payload, header);
    this.bytes = bytes;
  }

  /**
   * The frame of a message: text is encoded as UTF-8 here, once.
   *
   * @example
   * ```ts
   * import { PreparedFrame } from "@wsflow/wsflow";
   * console.log(PreparedFrame.of(new Uint8Array([1, 2])).bytes); // Uint8Array [0x82, 0x02, 0x01, 0x02]
   * ```
   * @param message Text or binary.
   * @returns The frame.
   */
  static of(message: Message): PreparedFrame {
    return typeof message === "string"
      ? new PreparedFrame(Opcode.Text, encoder.encode(message))
      : new PreparedFrame(Opcode.Binary, message);
  }

  /**
   * Whether the whole frame is in {@linkcode PreparedFrame.prototype.bytes}.
   *
   * @returns `true` for payloads up to {@linkcode PREPARED_WHOLE_LIMIT} bytes.
   */
  get whole(): boolean {
    return this.bytes.length > this.payload.length;
  }

  /**
   * A variant of this frame (say, deflated with a given window), built by the first caller with
   * a given key and shared with every later one.
   *
   * @example
   * ```ts
   * import { Opcode, PreparedFrame } from "@wsflow/wsflow";
   * const frame = PreparedFrame.of("Hello");
   * let built = 0;
   * const make = () => {
   *   built++;
   *   return Promise.resolve(new PreparedFrame(Opcode.Text, new Uint8Array([0xf2, 0x48]), true));
   * };
   * await frame.variant(15, make);
   * await frame.variant(15, make);
   * console.log(built); // 1
   * ```
   * @param key What tells variants apart.
   * @param make Builds the variant.
   * @returns The variant.
   */
  variant(key: number, make: () => Promise<PreparedFrame>): Promise<PreparedFrame> {
    const variants = this.#variants ??= new Map();
    let variant = variants.get(key);
    if (variant === undefined) variants.set(key, variant = make());
    return variant;
  }
}
