/**
 * Frame serialization: 7/16/64-bit lengths, and masking for clients.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-5.2}
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-5.3}
 */

import type { Frame, Role } from "./frame.ts";
import { applyMask, MaskKeySource } from "./mask.ts";
import { Opcode } from "./opcode.ts";
import type { PreparedFrame } from "./prepared_frame.ts";
import { copyUnmaskedInto, SIMD_FROM } from "./unmask_copy.ts";

/**
 * Serializes one frame into a new buffer, masking it with `maskKey` when one is given (a client
 * MUST mask every frame it sends, a server MUST NOT: rfc6455#section-5.1). The frame's payload is
 * not changed.
 *
 * @example The RFC's unmasked "Hello" (rfc6455#section-5.7)
 * ```ts
 * import { Opcode, serializeFrame } from "@wsflow/wsflow";
 * const bytes = serializeFrame({
 *   fin: true, rsv1: false, rsv2: false, rsv3: false,
 *   opcode: Opcode.Text, payload: new TextEncoder().encode("Hello"),
 * });
 * console.log(bytes); // Uint8Array [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]
 * ```
 * @param frame The frame to write.
 * @param maskKey A four-byte masking key; omit for server frames.
 * @returns The frame's wire bytes.
 */
export function serializeFrame(frame: Frame, maskKey?: Uint8Array): Uint8Array {
  const length = frame.payload.length;
  const size = headerSize(length, maskKey !== undefined);
  const out = new Uint8Array(size + length);
  writeHeader(out, 0, firstByte(frame), length, maskKey);
  out.set(frame.payload, size);
  if (maskKey !== undefined) applyMask(out.subarray(size), maskKey);
  return out;
}

/**
 * The first header byte: FIN, RSV1-3 and the opcode.
 *
 * @example
 * ```ts
 * import { firstByte } from "./frame_serializer.ts";
 * console.log(firstByte({ fin: true, rsv1: false, rsv2: false, rsv3: false, opcode: 0x1 })); // 129
 * ```
 * @param frame The frame's flags and opcode.
 * @returns The byte.
 */
export function firstByte(frame: Omit<Frame, "payload">): number {
  return (frame.fin ? 0x80 : 0) | (frame.rsv1 ? 0x40 : 0) | (frame.rsv2 ? 0x20 : 0) |
    (frame.rsv3 ? 0x10 : 0) | frame.opcode;
}

/** Header size for a payload of `length` bytes. */
function headerSize(length: number, masked: boolean): number {
  return (length < 126 ? 2 : length < 65536 ? 4 : 10) + (masked ? 4 : 0);
}

/**
 * Writes a header at `offset` using the minimal length encoding (rfc6455#section-5.2: the minimal
 * number of bytes MUST be used to encode the length) and returns the offset after it.
 */
function writeHeader(
  out: Uint8Array,
  offset: number,
  b0: number,
  length: number,
  maskKey: Uint8Array | undefined,
): number {
  const maskBit = maskKey === undefined ? 0 : 0x80;
  out[offset++] = b0;
  if (length < 126) {
    out[offset++] = maskBit | length;
  } else if (length < 65536) {
    out[offset++] = maskBit | 126;
    out[offset++] = length >>> 8;
    out[offset++] = length & 0xff;
  } else {
    out[offset++] = maskBit | 127;
    const high = Math.floor(length / 0x100000000);
    out[offset++] = high >>> 24;
    out[offset++] = (high >>> 16) & 0xff;
    out[offset++] = (high >>> 8) & 0xff;
    out[offset++] = high & 0xff;
    out[offset++] = length >>> 24;
    out[offset++] = (length >>> 16) & 0xff;
    out[offset++] = (length >>> 8) & 0xff;
    out[offset++] = length & 0xff;
  }
  if (maskKey !== undefined) {
    out[offset++] = maskKey[0]!;
    out[offset++] = maskKey[1]!;
    out[offset++] = maskKey[2]!;
    out[offset++] = maskKey[3]!;
  }
  return offset;
}

// The output arena starts small and doubles while a batch outgrows it: room for any control
// frame (a connection that only ever sends its Close, or heartbeat Pings, needs no more), and a
// few doublings reach the full size for one that sends messages in bulk.
const ARENA_MIN = 256;
const ARENA_SIZE = 64 * 1024;
const EMPTY = new Uint8Array(0);

// Arenas given back once everything written into them has been written out (`release`), one
// stack per size (ARENA_MIN << i, up to ARENA_SIZE), shared by every serializer of the
// process: a connection that has gone quiet holds no output buffer (it held the largest it had
// needed, up to 64 KiB, for as long as it lived), and a busy one takes one back for its next
// batch rather than allocating and zeroing another. One size more holds a whole frame of the
// largest payload that is copied (64 KiB and its header). At most POOL_BYTES are kept in all,
// and only buffers that were in use at once: a busy server has many in flight (a publish to
// 1,000 subscribers takes one each, up to 32 KiB; with room for 8 MiB, Bun's and Deno's
// broadcast fell by a fifth to a third), and a quiet one keeps no more than it used, up to that.
const POOL_BYTES = 64 * 1024 * 1024;
let pooledBytes = 0;
const ARENA_LARGEST = ARENA_SIZE + 16;
const pool: Uint8Array[][] = [];
for (let size = ARENA_MIN; size <= ARENA_SIZE; size *= 2) pool.push([]);
pool.push([]); // ARENA_LARGEST

/** The pool's stack for arenas of `size` bytes, if the pool keeps arenas of that size. */
function stackFor(size: number): Uint8Array[] | undefined {
  if (size === ARENA_LARGEST) return pool[pool.length - 1];
  if (size < ARENA_MIN || size > ARENA_SIZE || (size & (size - 1)) !== 0) return undefined;
  return pool[Math.clz32(ARENA_MIN) - Math.clz32(size)];
}

/** The smallest arena size that holds `bytes`. */
function arenaSizeFor(bytes: number): number {
  let size = ARENA_MIN;
  while (size < bytes && size < ARENA_SIZE) size *= 2;
  return size;
}
// Server serializers let go while empty (`retire`), for the next connection that sends to take
// (`FrameSerializer.server`): a connection that went quiet holds none, and one that sends every
// turn (a topic's subscriber) does not make one each time.
const SPARE_SERIALIZERS = 1024;
const spareSerializers: FrameSerializer[] = [];
// Server payloads above this size are written as their own chunk instead of being copied.
const ZERO_COPY_THRESHOLD = 64 * 1024;
const encoder = new TextEncoder();

/** Options of {@linkcode FrameSerializer}. */
export interface FrameSerializerOptions {
  /** The role of the sending endpoint: clients mask every frame, servers never do. */
  role: Role;
  /**
   * The size of the first output buffer, in bytes: the {@linkcode FrameSerializer.prototype.nextArenaSize}
   * of a serializer this one takes over from. Rounded up to a power of two from 256 to 65,536.
   * @default {256}
   */
  arenaSize?: number;
}

/**
 * Turns frames into bytes to send, for one connection. Frames written between two calls of
 * {@linkcode FrameSerializer.prototype.take} come out as one chunk (plus one chunk per large
 * server payload, which is not copied), so everything produced while handling one event can go
 * to the socket in one write.
 *
 * Client frames are masked with a fresh key each (rfc6455#section-5.3) while they are copied,
 * so the caller's payload is never changed. Large server payloads are not copied: do not change
 * them until they have been written.
 *
 * @example Two frames, one write
 * ```ts
 * import { FrameSerializer, Opcode } from "@wsflow/wsflow";
 * const serializer = new FrameSerializer({ role: "server" });
 * serializer.writeText("Hel", false);
 * serializer.writeFrame(Opcode.Continuation, new TextEncoder().encode("lo"));
 * console.log(serializer.take()); // [Uint8Array [0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f]]
 * ```
 */
export class FrameSerializer {
  readonly #keys: MaskKeySource | undefined;
  #arena: Uint8Array = EMPTY;
  // The arena's own ArrayBuffer (it is never a view), kept to make output views cheaply.
  #arenaBuffer: ArrayBuffer = EMPTY.buffer as ArrayBuffer;
  #nextArenaSize = ARENA_MIN;
  #start = 0; // first byte not yet taken
  #end = 0; // first free byte
  // Chunks cut from the arena or sent as they are, made when there is one.
  #chunks: Uint8Array[] | undefined;
  #pendingBytes = 0;

  /**
   * Creates the instance.
   * @param options The sending role.
   */
  constructor(options: FrameSerializerOptions) {
    this.#keys = options.role === "client" ? new MaskKeySource() : undefined;
    if (options.arenaSize !== undefined) this.#nextArenaSize = arenaSizeFor(options.arenaSize);
  }

  /**
   * A server serializer, one retired by another connection if there is one: what a session
   * that let its serializer go while quiet takes when it sends again.
   *
   * @example
   * ```ts
   * import { FrameSerializer } from "./frame_serializer.ts";
   * const serializer = FrameSerializer.server(4096);
   * serializer.writeText("hi");
   * console.log(serializer.take()?.[0]?.buffer.byteLength); // 4096
   * ```
   * @param arenaSize The size its first output buffer starts at (see
   *   {@linkcode FrameSerializerOptions.arenaSize}).
   * @returns An empty server serializer.
   */
  static server(arenaSize: number): FrameSerializer {
    const spare = spareSerializers.pop();
    if (spare === undefined) return new FrameSerializer({ role: "server", arenaSize });
    spare.#nextArenaSize = arenaSizeFor(arenaSize);
    return spare;
  }

  /**
   * Gives an empty server serializer back for {@linkcode FrameSerializer.server} to hand out
   * again (up to 1,024 are kept); the caller must not use it afterwards. Does nothing to one
   * that is not {@linkcode FrameSerializer.prototype.empty}, or to a client's.
   */
  retire(): void {
    if (this.#keys !== undefined || !this.empty) return;
    if (spareSerializers.length < SPARE_SERIALIZERS) spareSerializers.push(this);
  }

  /**
   * Bytes written and not yet taken.
   *
   * @returns The count.
   */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /**
   * Appends one frame.
   *
   * @param opcode The frame's opcode.
   * @param payload The payload; not changed.
   * @param fin Whether this is the final fragment.
   * @param rsv1 RSV1, for a negotiated extension.
   */
  writeFrame(opcode: Opcode, payload: Uint8Array, fin = true, rsv1 = false): void {
    const b0 = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode;
    const length = payload.length;
    if (this.#keys === undefined && length <= ZERO_COPY_THRESHOLD) {
      // The hot case, a server frame that is copied: header and payload written inline.
      const size = length < 126 ? length + 2 : length < 65536 ? length + 4 : length + 10;
      if (this.#arena.length - this.#end < size) this.#reserve(size);
      const arena = this.#arena;
      let at = this.#end;
      arena[at++] = b0;
      if (length < 126) {
        arena[at++] = length;
      } else if (length < 65536) {
        arena[at++] = 126;
        arena[at++] = length >>> 8;
        arena[at++] = length & 0xff;
      } else {
        at = writeHeader(arena, at - 1, b0, length, undefined);
      }
      // TypedArray#set has a fixed cost that dominates tiny payloads; a loop is faster there.
      if (length <= 32) {
        for (let i = 0; i < length; i++) arena[at + i] = payload[i]!;
      } else arena.set(payload, at);
      this.#end = at + length;
      this.#pendingBytes += size;
      return;
    }
    const keys = this.#keys;
    if (keys !== undefined && length <= 32) {
      // A tiny client frame: the key is read from the pool and applied while copying.
      const size = length + 6;
      if (this.#arena.length - this.#end < size) this.#reserve(size);
      const arena = this.#arena;
      const pool = keys.pool;
      const k = keys.nextOffset();
      const k0 = pool[k]!, k1 = pool[k + 1]!, k2 = pool[k + 2]!, k3 = pool[k + 3]!;
      let at = this.#end;
      arena[at++] = b0;
      arena[at++] = 0x80 | length;
      arena[at++] = k0;
      arena[at++] = k1;
      arena[at++] = k2;
      arena[at++] = k3;
      for (let i = 0; i < length; i++) {
        const m = (i & 3) === 0 ? k0 : (i & 3) === 1 ? k1 : (i & 3) === 2 ? k2 : k3;
        arena[at + i] = payload[i]! ^ m;
      }
      this.#end = at + length;
      this.#pendingBytes += size;
      return;
    }
    const key = keys?.next();
    const size = headerSize(length, key !== undefined);
    this.#pendingBytes += size + length;
    if (key === undefined && length > ZERO_COPY_THRESHOLD) {
      this.#reserve(size);
      this.#end = writeHeader(this.#arena, this.#end, b0, length, undefined);
      this.#cut();
      (this.#chunks ??= []).push(payload);
      return;
    }
    if (size + length > ARENA_SIZE) {
      // A large client frame: one exact buffer, masked while copied.
      const out = new Uint8Array(size + length);
      writeHeader(out, 0, b0, length, key);
      if (key !== undefined) copyMaskedInto(out, size, payload, key);
      else out.set(payload, size);
      this.#cut();
      (this.#chunks ??= []).push(out);
      return;
    }
    this.#reserve(size + length);
    const arena = this.#arena;
    const at = writeHeader(arena, this.#end, b0, length, key);
    if (key !== undefined && length >= SIMD_FROM) copyMaskedInto(arena, at, payload, key);
    else {
      // TypedArray#set has a fixed cost that dominates tiny payloads; a loop is faster there.
      if (length <= 32) { for (let i = 0; i < length; i++) arena[at + i] = payload[i]!; }
      else arena.set(payload, at);
      if (key !== undefined) applyMask(this.#arena.subarray(at, at + length), key);
    }
    this.#end = at + length;
  }

  /**
   * Appends a frame built once for many connections. A server copies its bytes into the batch,
   * or, for a large payload, adds the shared payload buffer as its own chunk; a client masks it
   * like any frame (rfc6455#section-5.3).
   *
   * @param frame The prepared frame; not changed.
   */
  writePrepared(frame: PreparedFrame): void {
    if (this.#keys !== undefined) {
      this.writeFrame(frame.opcode, frame.payload, true, frame.rsv1);
      return;
    }
    const bytes = frame.bytes;
    const size = bytes.length;
    if (this.#arena.length - this.#end < size) this.#reserve(size);
    this.#arena.set(bytes, this.#end);
    this.#end += size;
    this.#pendingBytes += size;
    if (!frame.whole) {
      this.#cut();
      (this.#chunks ??= []).push(frame.payload);
      this.#pendingBytes += frame.payload.length;
    }
  }

  /**
   * Appends a frame whose payload is `text` encoded as UTF-8, encoding it straight into the
   * output buffer.
   *
   * @param text The text.
   * @param fin Whether this is the final fragment.
   * @param opcode `Opcode.Text`, or `Opcode.Continuation` for a later fragment.
   */
  writeText(text: string, fin = true, opcode: Opcode = Opcode.Text): void {
    const maxBytes = text.length * 3;
    const masked = this.#keys !== undefined;
    const maxHeader = headerSize(maxBytes, masked);
    if (maxHeader + maxBytes > ARENA_SIZE) {
      this.writeFrame(opcode, encoder.encode(text), fin);
      return;
    }
    this.#reserve(maxHeader + maxBytes);
    // Encode after the smallest header the text can need, then move it if the real length
    // needs a longer one (at most once, and only for texts near 126 or 65536 bytes).
    const minHeader = headerSize(text.length, masked);
    const payloadAt = this.#end + minHeader;
    const { written } = encoder.encodeInto(text, this.#arena.subarray(payloadAt));
    const header = headerSize(written, masked);
    if (header !== minHeader) {
      this.#arena.copyWithin(payloadAt + header - minHeader, payloadAt, payloadAt + written);
    }
    const key = this.#keys?.next();
    const at = writeHeader(this.#arena, this.#end, 0x80 * +fin | opcode, written, key);
    if (key !== undefined) applyMask(this.#arena.subarray(at, at + written), key);
    this.#end = at + written;
    this.#pendingBytes += header + written;
  }

  /**
   * Takes the bytes written since the last call, as chunks to write in order.
   *
   * @returns The chunks (usually one), or `undefined` when nothing is pending.
   */
  take(): Uint8Array[] | undefined {
    if (this.#chunks === undefined) {
      // The usual case, everything in the arena: one exact-size array, one view.
      const start = this.#start;
      const end = this.#end;
      if (end === start) return undefined;
      this.#start = end;
      this.#pendingBytes = 0;
      return [new Uint8Array(this.#arenaBuffer, start, end - start)];
    }
    this.#cut();
    const chunks = this.#chunks!;
    this.#chunks = undefined;
    this.#pendingBytes = 0;
    return chunks;
  }

  /**
   * Bytes of output buffer this serializer holds, written or not: none once it has nothing
   * pending and its buffer was released or handed off.
   *
   * @returns The count.
   */
  get heldBytes(): number {
    return this.#arena.length;
  }

  /**
   * Whether this serializer holds nothing: no bytes pending and no output buffer (after
   * {@linkcode FrameSerializer.prototype.release} or {@linkcode FrameSerializer.prototype.handOff}),
   * so that a new one with {@linkcode FrameSerializer.prototype.nextArenaSize} would do the same.
   *
   * @returns `true` when it holds nothing.
   */
  get empty(): boolean {
    return this.#arena === EMPTY && this.#chunks === undefined;
  }

  /**
   * The size the next output buffer starts at: as much as the last batch used.
   *
   * @returns A power of two from 256 to 65,536.
   */
  get nextArenaSize(): number {
    return this.#nextArenaSize;
  }

  /**
   * Declares that every chunk returned by {@linkcode FrameSerializer.prototype.take} so far has
   * been written and is no longer referenced: once nothing is pending, the output buffer goes
   * back to a pool shared by every serializer of the process, where the next batch (of any
   * connection) takes one instead of allocating (and zeroing) a new one, and this serializer
   * holds none until it writes again. Call it only when that is certain, such as when the
   * socket's write of the last taken chunk has completed; never when chunks go on to a consumer
   * that may keep them (see {@linkcode FrameSerializer.prototype.handOff}): another
   * connection's frames would be written over them.
   */
  release(): void {
    if (this.#start !== this.#end || this.#chunks !== undefined) return;
    const arena = this.#arena;
    const stack = stackFor(arena.length);
    if (stack !== undefined && pooledBytes + arena.length <= POOL_BYTES) {
      stack.push(arena);
      pooledBytes += arena.length;
    }
    this.#letGo();
  }

  /**
   * Declares that the chunks taken so far went to a consumer that may keep them: once nothing
   * is pending, this serializer lets go of its output buffer without reusing it, and the next
   * frames go to a buffer of their own.
   */
  handOff(): void {
    if (this.#start !== this.#end || this.#chunks !== undefined) return;
    this.#letGo();
  }

  #letGo(): void {
    // The next batch starts with room for as much as this one used.
    if (this.#end > 0) this.#nextArenaSize = arenaSizeFor(this.#end);
    this.#arena = EMPTY;
    this.#arenaBuffer = EMPTY.buffer as ArrayBuffer;
    this.#start = 0;
    this.#end = 0;
  }

  /** Moves the arena's pending bytes to the chunk list. */
  #cut(): void {
    if (this.#end > this.#start) {
      // A direct view: subarray() goes through the species protocol and costs more in V8.
      (this.#chunks ??= []).push(
        new Uint8Array(this.#arenaBuffer, this.#start, this.#end - this.#start),
      );
      this.#start = this.#end;
    }
  }

  /** Makes room for `bytes` contiguous bytes at `#end`. */
  #reserve(bytes: number): void {
    if (this.#arena.length - this.#end >= bytes) return;
    const pending = this.#end - this.#start;
    // Taken chunks may still be in flight, so the old arena is left to them. Bytes not yet
    // taken move along while the batch fits one arena, so a batch stays one chunk.
    const keep = pending + bytes <= ARENA_SIZE;
    if (!keep) this.#cut();
    while (this.#nextArenaSize < ARENA_SIZE && this.#nextArenaSize < pending + bytes) {
      this.#nextArenaSize *= 2;
    }
    let size = Math.max(bytes, this.#nextArenaSize);
    // A frame just over the largest arena (a 64 KiB payload copied with its header) gets the
    // one size above it, so that its buffer is reused too.
    if (size > ARENA_SIZE && size <= ARENA_LARGEST) size = ARENA_LARGEST;
    let arena = stackFor(size)?.pop();
    if (arena === undefined) arena = new Uint8Array(size);
    else pooledBytes -= size;
    this.#nextArenaSize = Math.min(this.#nextArenaSize * 2, ARENA_SIZE);
    if (keep && pending > 0) arena.set(this.#arena.subarray(this.#start, this.#end));
    this.#arena = arena;
    this.#arenaBuffer = arena.buffer as ArrayBuffer;
    this.#start = 0;
    this.#end = keep ? pending : 0;
  }
}

/**
 * Copies `payload` into `target` at `at`, masked with `key` (rfc6455#section-5.3), as vectors
 * where the runtime has them (see unmask_copy.ts: masking and unmasking are the same XOR).
 */
function copyMaskedInto(
  target: Uint8Array,
  at: number,
  payload: Uint8Array,
  key: Uint8Array,
): void {
  const word = key[0]! | (key[1]! << 8) | (key[2]! << 16) | (key[3]! << 24);
  copyUnmaskedInto(target, at, payload, 0, payload.length, word, 0);
}
