/**
 * Fragments to messages.
 *
 * The frame parser has already enforced the order of fragments (rfc6455#section-5.4) and the
 * size and count limits; this layer joins payloads and decodes text, validating UTF-8 as the
 * bytes arrive (fragment by fragment, and piece by piece inside a frame that spans chunks) so
 * invalid text fails before the rest of the message arrives (rfc6455#section-8.1).
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-5.4}
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-8.1}
 */

import type { Frame } from "./frame.ts";
import type { FramePiece } from "./frame_parser.ts";
import type { Message } from "./message.ts";
import { Opcode } from "./opcode.ts";
import { decodeUtf8, Utf8StreamDecoder } from "./utf8.ts";

/**
 * Joins data frames into messages. Control frames never reach it; they may arrive between
 * fragments (rfc6455#section-5.4) and are handled by the session.
 *
 * A binary payload that is a small view of a large received chunk is copied, so a message kept
 * by the application does not keep the whole chunk alive.
 *
 * @example A text message in two fragments
 * ```ts
 * import { MessageAssembler, Opcode } from "@wsflow/wsflow";
 * const assembler = new MessageAssembler();
 * const flags = { rsv1: false, rsv2: false, rsv3: false };
 * assembler.push({ ...flags, fin: false, opcode: Opcode.Text, payload: new Uint8Array([0x48, 0x65]) });
 * const message = assembler.push({
 *   ...flags, fin: true, opcode: Opcode.Continuation, payload: new Uint8Array([0x6c, 0x6c, 0x6f]),
 * });
 * console.log(message); // "Hello"
 * ```
 */
export class MessageAssembler {
  readonly #detached: boolean;
  #text = false;
  #compressed = false;
  #lastCompressed = false;
  // Made when a message spans fragments: an idle connection holds neither array.
  #textParts: string[] | undefined;
  #textLength = 0;
  #binaryParts: Uint8Array[] | undefined;
  #binaryLength = 0;
  #utf8: Utf8StreamDecoder | undefined;

  /**
   * Creates the instance.
   *
   * @param options `detached`: whether no payload pushed is a small view of a much larger
   *   buffer (a `FrameParser` with `detach` copies those out): then none is copied
   *   again, and no payload's `buffer` is read, which costs a JavaScriptCore engine (Bun) more
   *   than copying a small payload. Default `false`.
   */
  constructor(options: { detached?: boolean } = {}) {
    this.#detached = options.detached ?? false;
  }

  /**
   * Bytes (text: UTF-16 code units) of the fragments of an unfinished message held so far.
   *
   * @returns The count.
   */
  get heldBytes(): number {
    return this.#binaryLength + this.#textLength;
  }

  /**
   * Whether the message returned last by {@linkcode MessageAssembler.prototype.push} is still
   * compressed (its first frame had RSV1 set, rfc7692#section-6.1): a `Uint8Array` of deflated
   * bytes, for a text message too, to inflate and then decode.
   *
   * @returns `true` for a compressed message.
   */
  get compressed(): boolean {
    return this.#lastCompressed;
  }

  /**
   * Whether the message returned last was a text message (useful for compressed messages,
   * which come back as bytes).
   *
   * @returns `true` for text.
   */
  get text(): boolean {
    return this.#text;
  }

  /**
   * Adds a data frame.
   *
   * @param frame A Text, Binary or Continuation frame, in an order the parser has checked.
   * @returns The message when `frame` completes one, else `undefined`.
   * @throws {InvalidPayloadError} When text is not valid UTF-8 (1007), as soon as that is certain.
   */
  push(frame: Frame): Message | undefined {
    const { opcode, payload } = frame;
    if (opcode !== Opcode.Continuation) {
      // rfc7692#section-6.1: RSV1 on the first frame marks the whole message as compressed;
      // its payload is joined as bytes and decoded once it is inflated.
      this.#compressed = frame.rsv1;
      this.#lastCompressed = frame.rsv1;
      this.#text = opcode === Opcode.Text;
      if (frame.fin && !frame.rsv1) {
        // The common case: an unfragmented message.
        if (this.#text) return decodeUtf8(payload);
        return this.#detached ? payload : detach(payload);
      }
    }
    return this.#add(payload, frame.fin);
  }

  /**
   * Adds a piece of a data frame whose payload spans chunks (the parser's piece mode): text is
   * checked as UTF-8 piece by piece, so invalid text fails where it arrives, even inside one
   * frame (rfc6455#section-8.1), and a payload is copied once, into the message.
   *
   * @example A text frame arriving in two pieces
   * ```ts
   * import { MessageAssembler, Opcode } from "@wsflow/wsflow";
   * const assembler = new MessageAssembler();
   * const bits = { fin: true, rsv1: false, rsv2: false, rsv3: false, opcode: Opcode.Text };
   * assembler.pushPiece({ ...bits, payload: new Uint8Array([0x48, 0xce]), first: true, last: false });
   * const message = assembler.pushPiece({
   *   ...bits, payload: new Uint8Array([0xba]), first: false, last: true,
   * });
   * console.log(message); // "Hκ"
   * ```
   * @param piece A piece, in an order the parser has checked.
   * @returns The message when `piece` completes one, else `undefined`.
   * @throws {InvalidPayloadError} When text is not valid UTF-8 (1007), as soon as that is certain.
   */
  pushPiece(piece: FramePiece): Message | undefined {
    if (piece.first && piece.opcode !== Opcode.Continuation) {
      this.#compressed = piece.rsv1;
      this.#lastCompressed = piece.rsv1;
      this.#text = piece.opcode === Opcode.Text;
    }
    return this.#add(piece.payload, piece.last && piece.fin);
  }

  /** Adds the payload (or a piece of it) of a fragment; `end` when it completes the message. */
  #add(payload: Uint8Array, end: boolean): Message | undefined {
    if (this.#text && !this.#compressed) {
      this.#utf8 ??= new Utf8StreamDecoder();
      let text: string;
      try {
        text = this.#utf8.push(payload);
      } catch (error) {
        // The message is abandoned: a later message must not start with its text.
        this.#textParts = undefined;
        this.#textLength = 0;
        throw error;
      }
      if (text !== "") {
        (this.#textParts ??= []).push(text);
        this.#textLength += text.length;
      }
      if (!end) return undefined;
      const parts = this.#textParts;
      this.#textParts = undefined;
      this.#textLength = 0;
      const last = this.#utf8.end();
      if (parts === undefined) return last;
      return parts.length === 1 && last === "" ? parts[0]! : parts.join("") + last;
    }
    if (payload.length > 0) {
      (this.#binaryParts ??= []).push(this.#detached ? payload : detach(payload));
      this.#binaryLength += payload.length;
    }
    if (!end) return undefined;
    const parts = this.#binaryParts;
    const length = this.#binaryLength;
    this.#binaryParts = undefined;
    this.#binaryLength = 0;
    if (parts === undefined) return new Uint8Array(0);
    if (parts.length === 1) return parts[0]!;
    const message = new Uint8Array(length);
    let offset = 0;
    for (const part of parts) {
      message.set(part, offset);
      offset += part.length;
    }
    return message;
  }
}

/**
 * The message of a permessage-deflate message once inflated: its text, decoded and checked as
 * UTF-8 by the same rules (and with the same error) as an uncompressed one, or its bytes.
 *
 * The inflater works on whole messages, so the text is checked once the message is whole: the
 * fragment-by-fragment check of {@linkcode MessageAssembler} cannot see text inside deflated
 * bytes. Keeping this step here keeps all of message assembly in this layer.
 *
 * @example
 * ```ts
 * import { inflatedMessage } from "./message_assembler.ts";
 * console.log(inflatedMessage(true, new Uint8Array([0x48, 0x69]))); // Hi
 * ```
 * @param text Whether the message is a Text message (its first frame was a Text frame).
 * @param bytes The inflated payload.
 * @returns The message.
 * @throws {InvalidPayloadError} When text is not valid UTF-8 (1007).
 * @see {@link https://datatracker.ietf.org/doc/html/rfc7692#section-7.2.2}
 */
export function inflatedMessage(text: boolean, bytes: Uint8Array): Message {
  // rfc6455#section-8.1: decodeUtf8 fails the connection's way (InvalidPayloadError, 1007)
  return text ? decodeUtf8(bytes) : bytes;
}

/** Copies a payload that would otherwise keep a much larger buffer alive. */
function detach(payload: Uint8Array): Uint8Array {
  return payload.buffer.byteLength > 2 * payload.length + 4096 ? payload.slice() : payload;
}
