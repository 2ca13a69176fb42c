/**
 * The incremental frame parser: bytes in any chunking in, frames out.
 *
 * Everything decidable from a frame header is decided here, before any payload is buffered:
 * reserved bits and opcodes, control-frame rules, the masking direction, the continuation order,
 * the frame, message and fragment-count limits.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-5.1}
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-5.2}
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-5.4}
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-5.5}
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-5.8}
 */

import { MessageTooBigError, ProtocolError } from "./errors.ts";
import type { Frame, Role } from "./frame.ts";
import { MAX_CONTROL_PAYLOAD } from "./frame.ts";
import type { Limits } from "./limits.ts";
import { resolveLimits } from "./limits.ts";
import { deflateWorstCase } from "./deflate_bound.ts";
import { copyUnmasked, maskRange, maskRangeWide, wideWordsOf, wordsOf } from "./mask.ts";
import { isKnownOpcode, type Opcode } from "./opcode.ts";
import { copyUnmaskedInto, SIMD_FROM, simdUnmask, sliceUnmasked } from "./unmask_copy.ts";

/** Options of {@linkcode FrameParser}. */
export interface FrameParserOptions {
  /**
   * The role of the endpoint that receives the frames: a server accepts only masked frames, a
   * client only unmasked ones (rfc6455#section-5.1).
   */
  role: Role;
  /**
   * Frame, message and fragment-count limits.
   * @default {DEFAULT_LIMITS}
   */
  limits?: Partial<Limits>;
  /**
   * Whether a negotiated extension (permessage-deflate) gives RSV1 a meaning. RSV1 is then
   * allowed on the first frame of a data message only (rfc7692#section-6).
   * @default {false}
   */
  rsv1?: boolean;
  /**
   * Piece mode: a data frame whose payload spans chunks is handed to this sink piece by piece
   * as its bytes arrive (unmasked, views of the chunks), instead of being joined and handed to
   * the frame sink once complete. Frames that lie whole in one chunk, and every control frame,
   * still go to the frame sink. Nothing of a payload is then held by the parser, and a consumer
   * sees payload bytes as they arrive (to validate UTF-8 inside a frame, or to stream a message).
   * @default {undefined} (payloads are joined)
   */
  pieces?: FramePieceSink;
  /**
   * Which messages piece mode applies to: `"all"`, or `"text"` for uncompressed Text messages
   * only (the ones whose bytes are worth seeing early, to check UTF-8); the payloads of other
   * messages are then joined as without piece mode.
   * @default {"all"}
   */
  piecesOf?: "all" | "text";
  /**
   * Copy a payload that lies in one chunk out of it when it is small next to the chunk's
   * buffer (under half of it, less 4 KiB), unmasking it as it is copied, so that a message kept
   * by the application does not keep the whole chunk alive. The frames of uncompressed text
   * are left views: they are decoded, not kept.
   * @default {false}
   */
  detach?: boolean;
  /**
   * Copy every payload of at most this many bytes that lies in one chunk out of it, unmasking
   * it as it is copied, instead of handing out a view of the chunk. On JavaScriptCore (Bun) a
   * new small array costs about a third of a view of a larger buffer; on V8 a view costs about
   * as much (Node) or far less (Deno, which gives every array a buffer of its own).
   * @default {0}
   */
  copyUpTo?: number;
  /**
   * Unmask payloads 64 bits at a time (through a `BigUint64Array`) rather than 32: about twice
   * as fast on V8 (Node, Deno), many times slower on JavaScriptCore (Bun). Applies to payloads
   * under 2 KiB, and to all where WebAssembly is missing: larger ones are unmasked as
   * WebAssembly SIMD (see unmask_copy.ts).
   * @default {false}
   */
  wideUnmask?: boolean;
}

/** Receives each parsed frame. */
export type FrameSink = (frame: Frame) => void;

/**
 * A piece of a data frame's payload, in piece mode ({@linkcode FrameParserOptions.pieces}):
 * the frame's header bits, the bytes that arrived, and where the piece lies in its frame.
 *
 * @example
 * ```ts
 * import { FrameParser, type FramePiece } from "@wsflow/wsflow";
 * const pieces: FramePiece[] = [];
 * const parser = new FrameParser({ role: "client", pieces: (piece) => pieces.push(piece) });
 * parser.push(new Uint8Array([0x82, 0x04, 1, 2]), () => {});
 * parser.push(new Uint8Array([3, 4]), () => {});
 * console.log(pieces.map((p) => [p.payload.length, p.first, p.last])); // [[2, true, false], [2, false, true]]
 * ```
 */
export interface FramePiece extends Frame {
  /** Whether this piece starts its frame's payload. */
  first: boolean;
  /** Whether this piece ends its frame's payload (then `fin` says whether it ends the message). */
  last: boolean;
}

/** Receives each payload piece in piece mode. */
export type FramePieceSink = (piece: FramePiece) => void;

const EMPTY = new Uint8Array(0);
// A payload that lies in one chunk is copied out of it when the chunk's buffer is larger than
// twice the payload plus this: a kept message then keeps at most about twice its size alive.
const DETACH_SLACK = 4096;
// Payloads from this size are unmasked a word at a time, through a view of the chunk's buffer
// made once per chunk; smaller ones are copied, or unmasked, a byte at a time.
const WORDS_FROM = 32;
// A payload that spans chunks gets a buffer of its full size once this share of it (1/16) has
// arrived, and one of twice what has arrived before that.
const JOIN_AHEAD = 16;
// TypedArray's own slice, which copies, also for a Buffer (whose slice makes a view).
const slice = Uint8Array.prototype.slice;

// What a parser's options come to, but the piece sink: one object for the parsers made with the
// same settings (a server's connections all are), so each holds one field for them rather than
// eleven (on V8 about 80 bytes less per connection).
interface FrameRules {
  readonly server: boolean;
  readonly rsv1Allowed: boolean;
  readonly maxFrameSize: number;
  readonly maxMessageSize: number;
  readonly maxFragments: number;
  readonly maxCompressedFrame: number;
  readonly maxCompressedSize: number;
  readonly piecesOfAll: boolean;
  readonly detach: boolean;
  readonly copyUpTo: number;
  readonly wideUnmask: boolean;
}

// The rules of the parser made last, given to the next one if its settings are the same. Only
// numbers and booleans: it keeps nothing of a parser alive.
let lastRules: FrameRules | undefined;

function rulesOf(options: FrameParserOptions): FrameRules {
  const limits = resolveLimits(options.limits);
  const rules: FrameRules = {
    server: options.role === "server",
    rsv1Allowed: options.rsv1 ?? false,
    maxFrameSize: limits.maxFrameSize,
    maxMessageSize: limits.maxMessageSize,
    maxFragments: limits.maxFragments,
    maxCompressedFrame: deflateWorstCase(Math.min(limits.maxFrameSize, limits.maxMessageSize)),
    maxCompressedSize: deflateWorstCase(limits.maxMessageSize),
    piecesOfAll: (options.piecesOf ?? "all") === "all",
    detach: options.detach ?? false,
    copyUpTo: options.copyUpTo ?? 0,
    wideUnmask: options.wideUnmask ?? false,
  };
  const last = lastRules;
  if (last !== undefined && sameRules(last, rules)) return last;
  return lastRules = rules;
}

function sameRules(a: FrameRules, b: FrameRules): boolean {
  for (const key in a) {
    if (a[key as keyof FrameRules] !== b[key as keyof FrameRules]) return false;
  }
  return true;
}

// Numbered states, as in a switch-driven receiver: the next thing the parser waits for.
const STATE_HEADER = 0; // first two bytes
const STATE_EXTENDED = 1; // 16/64-bit length and masking key
const STATE_PAYLOAD = 2;
const STATE_FAILED = 3;

// The message's flags, above the frame's first byte in `#bits`.
const IN_MESSAGE = 0x100; // a fragmented message is being read: its next frame continues it
const COMPRESSED = 0x200; // the message is compressed (RSV1 on its first frame)
const PLAIN_TEXT = 0x400; // the message is uncompressed text (what piece mode "text" applies to)

/**
 * Parses WebSocket frames from bytes that arrive in any chunking. One byte at a time gives the
 * same frames as the whole input at once.
 *
 * The parser takes ownership of the chunks it is given: a payload that lies inside one chunk is
 * returned as a view of it and unmasked in place, so the common case copies nothing. A payload
 * spread over several chunks is copied as it arrives into a buffer of its exact size (made
 * once a sixteenth of it has arrived; before that, one of twice what has arrived), so no chunk
 * is kept, or, in piece mode ({@linkcode FrameParserOptions.pieces}), handed out piece by piece
 * as it arrives.
 *
 * After an error the parser stays failed: every later `push` throws the same error.
 *
 * @example Parse the RFC's masked "Hello" (rfc6455#section-5.7)
 * ```ts
 * import { FrameParser } from "@wsflow/wsflow";
 * const parser = new FrameParser({ role: "server" });
 * const bytes = new Uint8Array([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
 * parser.push(bytes, (frame) => console.log(new TextDecoder().decode(frame.payload))); // "Hello"
 * ```
 */
export class FrameParser {
  // The options' settings, shared with the parsers made before with the same ones.
  readonly #rules: FrameRules;
  readonly #pieceSink: FramePieceSink | undefined;
  // The buffer of the chunk being parsed as words (64-bit ones with `wideUnmask`), made when a
  // payload is first unmasked in it and let go when the chunk is done.
  #words: Int32Array | BigUint64Array | undefined;

  #state = STATE_HEADER;
  #error: Error | undefined;
  // Header bytes gathered across chunks; made the first time a header is split.
  #header: Uint8Array | undefined;
  #headerFill = 0;
  #headerNeed = 2;
  // The frame being read: its first byte (FIN, RSV1-3, opcode) in bits 0-7, and the message's
  // IN_MESSAGE, COMPRESSED and PLAIN_TEXT bits above. Flags of one field rather than fields of
  // their own: every field is 8 bytes of each connection on Node.
  #bits = 0;
  #payloadLength = 0;
  // The masking key's four bytes as one 32-bit number, its first byte lowest (a buffer of its
  // own costs a connection ~200 bytes); 0 for an unmasked frame, which XOR with 0 leaves as is.
  #key = 0;
  // A payload spread over chunks: its bytes so far, copied as they arrive (still masked) into a
  // buffer of its exact size, or while that is much more than has arrived, of twice what has:
  // memory follows what arrived rather than what the header announced, and no chunk is kept.
  #joined: Uint8Array | undefined;
  #payloadFill = 0;
  // The message being read, across its fragments (its flags are in `#bits`).
  #messageBytes = 0;
  #fragments = 0;

  /**
   * Creates the instance.
   * @param options The receiving role, limits and whether RSV1 is negotiated.
   */
  constructor(options: FrameParserOptions) {
    this.#rules = rulesOf(options);
    this.#pieceSink = options.pieces;
  }

  /**
   * Whether the parser is between frames, so the bytes given so far end on a frame boundary.
   *
   * @returns `true` when no frame is partly read.
   */
  get idle(): boolean {
    return this.#state === STATE_HEADER && this.#headerFill === 0;
  }

  /**
   * Payload bytes of the frame being read that are held until it is complete.
   *
   * @returns The count.
   */
  get heldBytes(): number {
    // In piece mode the pieces have been handed out: nothing is held here.
    return this.#joined === undefined ? 0 : this.#payloadFill;
  }

  /**
   * Parses `chunk` and hands every complete frame to `sink`, in order. Frames completed before an
   * error are handed over before the error is thrown.
   *
   * @param chunk The next bytes from the peer; the parser may keep views of it and unmasks
   *   payloads in place.
   * @param sink Called once per complete frame.
   * @throws {ProtocolError} On a framing rule broken (1002).
   * @throws {MessageTooBigError} On a frame, message or fragment count over its limit (1009).
   */
  push(chunk: Uint8Array, sink: FrameSink): void {
    if (this.#state === STATE_FAILED) throw this.#error;
    try {
      this.#parse(chunk, sink);
    } catch (error) {
      this.#words = undefined;
      this.#state = STATE_FAILED;
      this.#error = error as Error;
      this.#joined = undefined;
      throw error;
    }
  }

  #parse(chunk: Uint8Array, sink: FrameSink): void {
    const length = chunk.length;
    let position = 0;
    // The size of the chunk's buffer: read once per chunk, when a payload first needs it.
    let bufferLength = -1;
    while (position < length) {
      if (this.#state === STATE_HEADER || this.#state === STATE_EXTENDED) {
        // Fast path: the whole header is inside this chunk.
        if (this.#headerFill === 0) {
          const available = length - position;
          if (available >= 2) {
            const need = headerSize(chunk[position + 1]!);
            if (available >= need) {
              this.#readHeader(chunk, position);
              position += need;
              if (this.#payloadLength === 0) this.#emit(EMPTY, sink);
              continue;
            }
          }
        }
        // Slow path: gather header bytes across chunks.
        const take = Math.min(this.#headerNeed - this.#headerFill, length - position);
        const header = this.#header ??= new Uint8Array(14);
        header.set(chunk.subarray(position, position + take), this.#headerFill);
        this.#headerFill += take;
        position += take;
        if (this.#headerFill < this.#headerNeed) continue;
        if (this.#headerNeed === 2) {
          this.#headerNeed = headerSize(header[1]!);
          this.#state = STATE_EXTENDED;
          if (this.#headerNeed > 2) continue;
        }
        this.#readHeader(header, 0);
        this.#headerFill = 0;
        this.#headerNeed = 2;
        if (this.#payloadLength === 0) this.#emit(EMPTY, sink);
        continue;
      }
      // STATE_PAYLOAD
      const available = length - position;
      if (this.#payloadFill === 0 && available >= this.#payloadLength) {
        // The whole payload is in this chunk.
        const size = this.#payloadLength;
        const end = position + size;
        let payload: Uint8Array;
        const copy = size <= this.#rules.copyUpTo || (
          this.#rules.detach && ((this.#bits & PLAIN_TEXT) === 0 || (this.#bits & 0x08) !== 0) &&
          2 * size + DETACH_SLACK <
            (bufferLength < 0 ? (bufferLength = chunk.buffer.byteLength) : bufferLength)
        );
        if (!copy) {
          // Unmasked in place, and handed out as a view: no copy.
          if (this.#key !== 0) this.#unmask(chunk, position, end, 0);
          payload = view(chunk, position, size);
        } else if (size < WORDS_FROM) {
          // A copy (see `copyUpTo` and `detach`), unmasked as it is made.
          const key = this.#key;
          payload = copyUnmasked(
            chunk,
            position,
            size,
            key & 0xff,
            (key >>> 8) & 0xff,
            (key >>> 16) & 0xff,
            key >>> 24,
          );
        } else if (this.#key !== 0 && size >= SIMD_FROM && simdUnmask()) {
          // Copied and unmasked as vectors, out of the chunk (which is left masked).
          payload = sliceUnmasked(chunk, position, size, this.#key);
        } else {
          if (this.#key !== 0) this.#unmask(chunk, position, end, 0);
          payload = slice.call(chunk, position, end);
        }
        position = end;
        this.#emit(payload, sink);
        continue;
      }
      const take = Math.min(this.#payloadLength - this.#payloadFill, available);
      if (
        this.#pieceSink !== undefined && (this.#bits & 0x08) === 0 &&
        (this.#rules.piecesOfAll || (this.#bits & PLAIN_TEXT) !== 0)
      ) {
        if (this.#key !== 0) this.#unmask(chunk, position, position + take, this.#payloadFill);
        const piece = view(chunk, position, take);
        position += take;
        this.#handPiece(piece, take);
        continue;
      }
      this.#join(chunk, position, take);
      position += take;
      if (this.#payloadFill === this.#payloadLength) {
        const payload = this.#joined!;
        this.#joined = undefined;
        this.#payloadFill = 0;
        this.#emit(payload, sink);
      }
    }
    this.#words = undefined;
  }

  /** Unmasks `chunk[from]` up to `chunk[to]` in place; `keyOffset` is `from`'s in the payload. */
  #unmask(chunk: Uint8Array, from: number, to: number, keyOffset: number): void {
    const key = this.#key;
    if (to - from >= SIMD_FROM && simdUnmask()) {
      // Through the module's memory and back: faster than words in JavaScript on every runtime.
      copyUnmaskedInto(chunk, from, chunk, from, to - from, key, keyOffset);
      return;
    }
    const k0 = key & 0xff, k1 = (key >>> 8) & 0xff, k2 = (key >>> 16) & 0xff, k3 = key >>> 24;
    if (to - from < WORDS_FROM) maskRange(chunk, from, to, k0, k1, k2, k3, keyOffset, undefined);
    else if (this.#rules.wideUnmask) {
      const words = (this.#words ??= wideWordsOf(chunk)) as BigUint64Array;
      maskRangeWide(chunk, from, to, k0, k1, k2, k3, keyOffset, words);
    } else {
      const words = (this.#words ??= wordsOf(chunk)) as Int32Array;
      maskRange(chunk, from, to, k0, k1, k2, k3, keyOffset, words);
    }
  }

  /** Piece mode: hands a data frame's payload piece on as it arrived. */
  #handPiece(piece: Uint8Array, take: number): void {
    const first = this.#payloadFill === 0;
    this.#payloadFill += take;
    const last = this.#payloadFill === this.#payloadLength;
    if (last) {
      this.#payloadFill = 0;
      this.#state = STATE_HEADER;
    }
    const b0 = this.#bits;
    this.#pieceSink!({
      fin: (b0 & 0x80) !== 0,
      rsv1: (b0 & 0x40) !== 0,
      rsv2: (b0 & 0x20) !== 0,
      rsv3: (b0 & 0x10) !== 0,
      opcode: (b0 & 0x0f) as Opcode,
      payload: piece,
      first,
      last,
    });
  }

  /**
   * Unmasks the bytes of a joined payload from `from` up to `to` in place, just after they were
   * copied in (still in cache, rather than in a second pass over the whole payload once it is
   * complete): a buffer of its own, so through its own words, not the chunk's.
   */
  #unmaskJoined(joined: Uint8Array, from: number, to: number): void {
    const key = this.#key;
    const k0 = key & 0xff, k1 = (key >>> 8) & 0xff, k2 = (key >>> 16) & 0xff, k3 = key >>> 24;
    if (to - from < WORDS_FROM) maskRange(joined, from, to, k0, k1, k2, k3, from, undefined);
    else if (this.#rules.wideUnmask) {
      maskRangeWide(joined, from, to, k0, k1, k2, k3, from, wideWordsOf(joined));
    } else maskRange(joined, from, to, k0, k1, k2, k3, from, wordsOf(joined));
  }

  /** Copies `take` bytes of a payload that spans chunks, from `chunk[at]`, after those held. */
  #join(chunk: Uint8Array, at: number, take: number): void {
    const fill = this.#payloadFill + take;
    let joined = this.#joined;
    if (joined === undefined || joined.length < fill) {
      const total = this.#payloadLength;
      const grown = allocate(total <= JOIN_AHEAD * fill ? total : Math.min(total, 2 * fill));
      if (joined !== undefined) grown.set(joined.subarray(0, this.#payloadFill));
      this.#joined = joined = grown;
    }
    const key = this.#key;
    if (key !== 0 && take >= SIMD_FROM && simdUnmask()) {
      copyUnmaskedInto(joined, this.#payloadFill, chunk, at, take, key, this.#payloadFill);
    } else {
      joined.set(view(chunk, at, take), this.#payloadFill);
      if (key !== 0) this.#unmaskJoined(joined, this.#payloadFill, fill);
    }
    this.#payloadFill = fill;
  }

  /** Reads and checks a complete header starting at `at`. */
  #readHeader(bytes: Uint8Array, at: number): void {
    const b0 = bytes[at]!;
    const b1 = bytes[at + 1]!;
    const opcode = b0 & 0x0f;
    const control = (opcode & 0x08) !== 0;
    const masked = (b1 & 0x80) !== 0;

    if (!isKnownOpcode(opcode)) {
      // rfc6455#section-5.2: if an unknown opcode is received, the receiving endpoint MUST
      // _Fail the WebSocket Connection_
      throw new ProtocolError(
        `Cannot accept frame: opcode 0x${opcode.toString(16)} is reserved (rfc6455#section-5.2)`,
      );
    }
    if ((b0 & 0x70) !== 0) {
      // rfc6455#section-5.2: RSV1-3 MUST be 0 unless an extension is negotiated that defines
      // meanings for non-zero values
      if ((b0 & 0x30) !== 0 || !this.#rules.rsv1Allowed) {
        throw new ProtocolError(
          `Cannot accept frame: reserved bits 0b${
            ((b0 >> 4) & 7).toString(2).padStart(3, "0")
          } set without a negotiated extension (rfc6455#section-5.2)`,
        );
      }
      // rfc7692#section-6: the "Per-Message Compressed" bit is set on the first frame of a
      // message only, never on control frames or continuations
      if (control || opcode === 0) {
        throw new ProtocolError(
          "Cannot accept frame: RSV1 set on a control or continuation frame (rfc7692#section-6)",
        );
      }
    }
    if (this.#rules.server !== masked) {
      // rfc6455#section-5.1: a server MUST close the connection upon receiving a frame that is
      // not masked; a client MUST close a connection if it detects a masked frame
      throw new ProtocolError(
        this.#rules.server
          ? "Cannot accept frame: a client frame is not masked (rfc6455#section-5.1)"
          : "Cannot accept frame: a server frame is masked (rfc6455#section-5.1)",
      );
    }

    let payloadLength = b1 & 0x7f;
    let offset = at + 2;
    if (control) {
      // rfc6455#section-5.5: all control frames MUST have a payload length of 125 bytes or less
      // and MUST NOT be fragmented
      if (payloadLength > MAX_CONTROL_PAYLOAD) {
        throw new ProtocolError(
          `Cannot accept control frame: payload length field is ${payloadLength}, limit is 125 (rfc6455#section-5.5)`,
        );
      }
      if ((b0 & 0x80) === 0) {
        throw new ProtocolError(
          "Cannot accept control frame: FIN is 0, control frames are never fragmented (rfc6455#section-5.5)",
        );
      }
    } else if (payloadLength === 126) {
      payloadLength = (bytes[offset]! << 8) | bytes[offset + 1]!;
      offset += 2;
    } else if (payloadLength === 127) {
      const high = ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) |
        (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
      const low = ((bytes[offset + 4]! << 24) | (bytes[offset + 5]! << 16) |
        (bytes[offset + 6]! << 8) | bytes[offset + 7]!) >>> 0;
      offset += 8;
      // rfc6455#section-5.2: the most significant bit of a 64-bit length MUST be 0
      if (high >= 0x80000000) {
        throw new ProtocolError(
          "Cannot accept frame: the most significant bit of the 64-bit length is set (rfc6455#section-5.2)",
        );
      }
      // Lengths past 2^53 - 1 cannot be held exactly in a number: over any possible limit.
      if (high >= 0x200000) {
        throw new MessageTooBigError(
          "Cannot accept frame: payload length is 2^53 bytes or more (rfc6455#section-10.4)",
        );
      }
      payloadLength = high * 0x100000000 + low;
    }

    if (!control) {
      // rfc6455#section-5.4: continuation frames only inside a fragmented message, and a new
      // data frame only once the previous message's final fragment arrived
      if (opcode === 0) {
        if ((this.#bits & IN_MESSAGE) === 0) {
          throw new ProtocolError(
            "Cannot accept continuation frame: no fragmented message is in progress (rfc6455#section-5.4)",
          );
        }
        if (++this.#fragments > this.#rules.maxFragments) {
          throw new MessageTooBigError(
            `Cannot accept fragment: message has more than ${this.#rules.maxFragments} fragments (rfc6455#section-10.4)`,
          );
        }
      } else {
        if ((this.#bits & IN_MESSAGE) !== 0) {
          throw new ProtocolError(
            "Cannot accept data frame: the previous message's final fragment has not arrived (rfc6455#section-5.4)",
          );
        }
        this.#messageBytes = 0;
        this.#fragments = 1;
        const compressed = (b0 & 0x40) !== 0;
        this.#bits = compressed ? COMPRESSED : opcode === 0x1 ? PLAIN_TEXT : 0;
      }
      if ((this.#bits & COMPRESSED) !== 0) {
        // rfc7692#section-7.2.2: a compressed message is limited by its inflated size, checked
        // while it is inflated. On the wire it may be larger than that: deflate expands
        // incompressible data, by how much depends on the peer's window, memLevel and block
        // strategy (python websockets' memLevel 5 adds 0.24%, memLevel 1 4%, fixed Huffman
        // blocks 13%). So each frame is allowed deflate's worst case of the frame limit (or of
        // the message limit, when that is smaller), and their sum deflate's worst case of the
        // message limit.
        const maxFrame = this.#rules.maxCompressedFrame;
        if (payloadLength > maxFrame) {
          throw new MessageTooBigError(
            `Cannot accept compressed frame: payload is ${payloadLength} bytes, limit is ${maxFrame} (deflate's worst case for ${
              Math.min(this.#rules.maxFrameSize, this.#rules.maxMessageSize)
            }) (rfc7692#section-7.2.2)`,
          );
        }
        const maxWire = this.#rules.maxCompressedSize;
        this.#messageBytes += payloadLength;
        if (this.#messageBytes > maxWire) {
          throw new MessageTooBigError(
            `Cannot accept compressed message: ${this.#messageBytes} bytes so far, limit is ${maxWire} (deflate's worst case for ${this.#rules.maxMessageSize}) (rfc7692#section-7.2.2)`,
          );
        }
      } else {
        if (payloadLength > this.#rules.maxFrameSize) {
          throw new MessageTooBigError(
            `Cannot accept frame: payload is ${payloadLength} bytes, limit is ${this.#rules.maxFrameSize} (rfc6455#section-10.4)`,
          );
        }
        this.#messageBytes += payloadLength;
        if (this.#messageBytes > this.#rules.maxMessageSize) {
          throw new MessageTooBigError(
            `Cannot accept message: ${this.#messageBytes} bytes so far, limit is ${this.#rules.maxMessageSize} (rfc6455#section-10.4)`,
          );
        }
      }
      // The message's flags stay; the frame's first byte is this one's.
      this.#bits = (this.#bits & ~0xff & ~IN_MESSAGE) | ((b0 & 0x80) === 0 ? IN_MESSAGE : 0) | b0;
    } else this.#bits = (this.#bits & ~0xff) | b0;

    // `| 0`: a 32-bit integer, which V8 and JavaScriptCore keep unboxed.
    this.#key = masked
      ? (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) |
        (bytes[offset + 3]! << 24)) | 0
      : 0;
    this.#payloadLength = payloadLength;
    this.#state = STATE_PAYLOAD;
  }

  #emit(payload: Uint8Array, sink: FrameSink): void {
    const b0 = this.#bits;
    this.#state = STATE_HEADER;
    sink({
      fin: (b0 & 0x80) !== 0,
      rsv1: (b0 & 0x40) !== 0,
      rsv2: (b0 & 0x20) !== 0,
      rsv3: (b0 & 0x10) !== 0,
      opcode: (b0 & 0x0f) as Opcode,
      payload,
    });
  }
}

/**
 * A view of `length` bytes of `chunk` from `start`. Made directly rather than with subarray(),
 * which goes through the species protocol and costs noticeably more per frame (most on JSC).
 */
function view(chunk: Uint8Array, start: number, length: number): Uint8Array {
  return new Uint8Array(chunk.buffer, chunk.byteOffset + start, length);
}

/** A payload's buffer; limits may allow more than the runtime can allocate in one. */
function allocate(size: number): Uint8Array {
  try {
    return new Uint8Array(size);
  } catch (cause) {
    throw new MessageTooBigError(
      `Cannot accept frame: ${size} bytes cannot be allocated (rfc6455#section-10.4)`,
      { cause },
    );
  }
}

/** Size of a frame header, given its second byte. */
function headerSize(b1: number): number {
  const length = b1 & 0x7f;
  return 2 + (length === 126 ? 2 : length === 127 ? 8 : 0) + ((b1 & 0x80) !== 0 ? 4 : 0);
}
