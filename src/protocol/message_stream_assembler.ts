/**
 * Fragments and payload pieces to a streamed message: its start, its bytes as they arrive and
 * its end, with text checked as UTF-8 on the way, so nothing of a message is held.
 *
 * The frame parser has already enforced the order of fragments (rfc6455#section-5.4) and the
 * frame, message and fragment-count limits; this layer only says where messages start and end
 * and fails text that cannot be valid UTF-8 as soon as that is certain (rfc6455#section-8.1).
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-5.4}
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-8.1}
 */

import type { Frame } from "./frame.ts";
import type { FramePiece } from "./frame_parser.ts";
import { Opcode } from "./opcode.ts";
import { Utf8StreamDecoder } from "./utf8.ts";

/**
 * What {@linkcode MessageStreamAssembler} reports, in order:
 *
 * - `streamStart`: a message begins; `text` for a Text message, `compressed` when its first
 *   frame had RSV1 set (rfc7692#section-6.1: its bytes are deflated, text is checked once
 *   inflated);
 * - `streamData`: the next bytes of the message, as they arrived (never empty);
 * - `streamEnd`: the message is complete.
 *
 * @example
 * ```ts
 * import type { MessageStreamEvent } from "@wsflow/wsflow";
 * const start: MessageStreamEvent = { type: "streamStart", text: true, compressed: false };
 * console.log(start.type); // streamStart
 * ```
 */
export type MessageStreamEvent =
  | { type: "streamStart"; text: boolean; compressed: boolean }
  | { type: "streamData"; data: Uint8Array }
  | { type: "streamEnd" };

/**
 * Turns data frames (and, in the parser's piece mode, pieces of them) into streamed messages.
 * Control frames never reach it. Unlike {@linkcode MessageAssembler} it holds no payload: each
 * byte is reported once, when it arrives; only the UTF-8 decoder keeps up to three bytes of an
 * unfinished character.
 *
 * @example A text message in two fragments, the second in two pieces
 * ```ts
 * import { MessageStreamAssembler, type MessageStreamEvent, Opcode } from "@wsflow/wsflow";
 * const assembler = new MessageStreamAssembler();
 * const events: MessageStreamEvent[] = [];
 * const bits = { rsv1: false, rsv2: false, rsv3: false };
 * assembler.push({ ...bits, fin: false, opcode: Opcode.Text, payload: new Uint8Array([0x48]) }, events);
 * const tail = { ...bits, fin: true, opcode: Opcode.Continuation };
 * assembler.pushPiece({ ...tail, payload: new Uint8Array([0xce]), first: true, last: false }, events);
 * assembler.pushPiece({ ...tail, payload: new Uint8Array([0xba]), first: false, last: true }, events);
 * console.log(events.map((event) => event.type).join(" "));
 * // streamStart streamData streamData streamData streamEnd
 * ```
 */
export class MessageStreamAssembler {
  #utf8: Utf8StreamDecoder | undefined;
  // Set while a text message that is not compressed streams: its bytes are checked here.
  #checking = false;

  /**
   * Adds a whole data frame.
   *
   * @param frame A Text, Binary or Continuation frame, in an order the parser has checked.
   * @param out Where the events go.
   * @throws {InvalidPayloadError} When text is not valid UTF-8 (1007), as soon as that is certain.
   */
  push(frame: Frame, out: { push(event: MessageStreamEvent): unknown }): void {
    if (frame.opcode !== Opcode.Continuation) this.#start(frame, out);
    this.#data(frame.payload, frame.fin, out);
  }

  /**
   * Adds a piece of a data frame (the parser's piece mode).
   *
   * @param piece A piece, in an order the parser has checked.
   * @param out Where the events go.
   * @throws {InvalidPayloadError} When text is not valid UTF-8 (1007), as soon as that is certain.
   */
  pushPiece(piece: FramePiece, out: { push(event: MessageStreamEvent): unknown }): void {
    if (piece.first && piece.opcode !== Opcode.Continuation) this.#start(piece, out);
    this.#data(piece.payload, piece.last && piece.fin, out);
  }

  #start(frame: Frame, out: { push(event: MessageStreamEvent): unknown }): void {
    const text = frame.opcode === Opcode.Text;
    // rfc7692#section-6.1: RSV1 on the first frame marks the whole message as compressed
    this.#checking = text && !frame.rsv1;
    out.push({ type: "streamStart", text, compressed: frame.rsv1 });
  }

  #data(
    payload: Uint8Array,
    end: boolean,
    out: { push(event: MessageStreamEvent): unknown },
  ): void {
    if (this.#checking) {
      // rfc6455#section-8.1: fail as soon as the byte stream is known not to be valid UTF-8;
      // the bytes are checked before they are handed on, so no invalid byte is ever reported
      const utf8 = this.#utf8 ??= new Utf8StreamDecoder();
      if (payload.length > 0) {
        try {
          utf8.push(payload);
        } catch (error) {
          this.#checking = false;
          throw error;
        }
      }
      if (end) {
        this.#checking = false;
        utf8.end();
      }
    }
    if (payload.length > 0) out.push({ type: "streamData", data: payload });
    if (end) out.push({ type: "streamEnd" });
  }
}
