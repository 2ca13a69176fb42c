/**
 * Masking and unmasking in place, a 32-bit word at a time.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-5.3}
 */

// Below this size the byte loop beats setting up a Uint32Array view.
const WORD_THRESHOLD = 32;
// Below this size the byte loop beats 64-bit words.
const WIDE_THRESHOLD = 64;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * XORs `data` in place with the four-byte `key` (rfc6455#section-5.3: octet i of the transformed
 * data is octet i of the original XOR octet i MOD 4 of the masking key). Masking and unmasking are
 * the same operation.
 *
 * @example Unmask the RFC's masked "Hello"
 * ```ts
 * import { applyMask } from "@wsflow/wsflow";
 * const data = new Uint8Array([0x7f, 0x9f, 0x4d, 0x51, 0x58]);
 * applyMask(data, new Uint8Array([0x37, 0xfa, 0x21, 0x3d]));
 * console.log(new TextDecoder().decode(data)); // "Hello"
 * ```
 * @param data The bytes to transform; changed in place.
 * @param key The four-byte masking key (only its first four bytes are read).
 * @param keyOffset Index into the key of `data[0]`; nonzero when `data` continues a payload.
 */
export function applyMask(data: Uint8Array, key: Uint8Array, keyOffset = 0): void {
  maskWith(
    data,
    key[keyOffset & 3]!,
    key[(keyOffset + 1) & 3]!,
    key[(keyOffset + 2) & 3]!,
    key[(keyOffset + 3) & 3]!,
  );
}

/**
 * {@linkcode applyMask} with the key given as its four bytes, for a parser that keeps them as
 * numbers rather than in a buffer of its own (a buffer per connection costs more than the
 * bytes it holds).
 *
 * @example Unmask the RFC's masked "Hello", its first byte and then the rest
 * ```ts
 * import { applyMaskKey } from "./mask.ts";
 * const data = new Uint8Array([0x7f, 0x9f, 0x4d, 0x51, 0x58]);
 * applyMaskKey(data.subarray(0, 1), 0x37, 0xfa, 0x21, 0x3d);
 * applyMaskKey(data.subarray(1), 0x37, 0xfa, 0x21, 0x3d, 1);
 * console.log(new TextDecoder().decode(data)); // "Hello"
 * ```
 * @param data The bytes to transform; changed in place.
 * @param k0 The key's first byte.
 * @param k1 The key's second byte.
 * @param k2 The key's third byte.
 * @param k3 The key's fourth byte.
 * @param keyOffset Index into the key of `data[0]`; nonzero when `data` continues a payload.
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-5.3}
 */
export function applyMaskKey(
  data: Uint8Array,
  k0: number,
  k1: number,
  k2: number,
  k3: number,
  keyOffset = 0,
): void {
  switch (keyOffset & 3) {
    case 0:
      maskWith(data, k0, k1, k2, k3);
      break;
    case 1:
      maskWith(data, k1, k2, k3, k0);
      break;
    case 2:
      maskWith(data, k2, k3, k0, k1);
      break;
    default:
      maskWith(data, k3, k0, k1, k2);
  }
}

/** XORs `data` with the key bytes `k0`…`k3`, `data[0]` with `k0`. */
function maskWith(data: Uint8Array, k0: number, k1: number, k2: number, k3: number): void {
  const length = data.length;
  if (length < WORD_THRESHOLD) {
    maskBytes(data, 0, length, k0, k1, k2, k3, 0);
    return;
  }
  maskRange(data, 0, length, k0, k1, k2, k3, 0, wordsOf(data));
}

/**
 * A view of the whole buffer under `bytes` as 32-bit words, for {@linkcode maskRange}: one
 * serves every payload of a chunk.
 *
 * @example
 * ```ts
 * import { wordsOf } from "./mask.ts";
 * console.log(wordsOf(new Uint8Array(10)).length); // 2
 * ```
 * @param bytes Any view of the buffer.
 * @returns The buffer's whole words, from its start.
 */
export function wordsOf(bytes: Uint8Array): Int32Array {
  const buffer = bytes.buffer;
  return new Int32Array(buffer, 0, buffer.byteLength >>> 2);
}

/** The key as a 32-bit word in memory order, starting at its byte `key` (mod 4). */
function keyWord(key: number, k0: number, k1: number, k2: number, k3: number): number {
  const r0 = keyByte(key, k0, k1, k2, k3);
  const r1 = keyByte(key + 1, k0, k1, k2, k3);
  const r2 = keyByte(key + 2, k0, k1, k2, k3);
  const r3 = keyByte(key + 3, k0, k1, k2, k3);
  return LITTLE_ENDIAN
    ? (r0 | (r1 << 8) | (r2 << 16) | (r3 << 24))
    : ((r0 << 24) | (r1 << 16) | (r2 << 8) | r3);
}

/**
 * XORs `bytes[from]` up to (not including) `bytes[to]` in place with the masking key, a 32-bit
 * word at a time through `words` (rfc6455#section-5.3): the unmasking of one payload, or piece
 * of a payload, inside a chunk that holds several, with no view made for it.
 *
 * @example Unmask the RFC's masked "Hello" inside its frame
 * ```ts
 * import { maskRange, wordsOf } from "./mask.ts";
 * const frame = new Uint8Array([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
 * maskRange(frame, 6, 11, 0x37, 0xfa, 0x21, 0x3d, 0, wordsOf(frame));
 * console.log(new TextDecoder().decode(frame.subarray(6))); // "Hello"
 * ```
 * @param bytes The chunk; changed in place.
 * @param from Index of the first byte to transform.
 * @param to Index after the last.
 * @param k0 The key's first byte.
 * @param k1 The key's second byte.
 * @param k2 The key's third byte.
 * @param k3 The key's fourth byte.
 * @param keyOffset Index into the key of `bytes[from]`; nonzero when it continues a payload.
 * @param words {@linkcode wordsOf} `bytes`, or `undefined` to go a byte at a time.
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-5.3}
 */
export function maskRange(
  bytes: Uint8Array,
  from: number,
  to: number,
  k0: number,
  k1: number,
  k2: number,
  k3: number,
  keyOffset: number,
  words: Int32Array | undefined,
): void {
  if (words === undefined || to - from < WORD_THRESHOLD) {
    maskBytes(bytes, from, to, k0, k1, k2, k3, keyOffset);
    return;
  }
  // Bytes before the first 4-byte aligned address go one at a time; the key rotates with them.
  const start = bytes.byteOffset + from;
  const head = (4 - (start & 3)) & 3;
  maskBytes(bytes, from, from + head, k0, k1, k2, k3, keyOffset);
  const key = keyOffset + head;
  const mask = keyWord(key, k0, k1, k2, k3);
  const count = (to - from - head) >>> 2;
  // Int32Array, not Uint32Array: its elements stay small integers to the JIT (a Uint32Array's
  // above 2^31 do not), and four words per turn of the loop: both measurably faster.
  let w = (start + head) >>> 2;
  const end = w + count;
  for (; w + 4 <= end; w += 4) {
    words[w]! ^= mask;
    words[w + 1]! ^= mask;
    words[w + 2]! ^= mask;
    words[w + 3]! ^= mask;
  }
  for (; w < end; w++) words[w]! ^= mask;
  const tail = from + head + count * 4;
  maskBytes(bytes, tail, to, k0, k1, k2, k3, key + count * 4);
}

/**
 * A view of the whole buffer under `bytes` as 64-bit words, for {@linkcode maskRangeWide}: one
 * serves every payload of a chunk.
 *
 * @example
 * ```ts
 * import { wideWordsOf } from "./mask.ts";
 * console.log(wideWordsOf(new Uint8Array(20)).length); // 2
 * ```
 * @param bytes Any view of the buffer.
 * @returns The buffer's whole 64-bit words, from its start.
 */
export function wideWordsOf(bytes: Uint8Array): BigUint64Array {
  const buffer = bytes.buffer;
  return new BigUint64Array(buffer, 0, buffer.byteLength >>> 3);
}

/**
 * {@linkcode maskRange} a 64-bit word at a time, through a `BigUint64Array`: about twice as
 * fast on V8 (Node, Deno), whose optimizing compiler keeps these BigInts in registers, and many
 * times slower on JavaScriptCore (Bun), which allocates them.
 *
 * @example Unmask the RFC's masked "Hello" inside its frame
 * ```ts
 * import { maskRangeWide, wideWordsOf } from "./mask.ts";
 * const frame = new Uint8Array([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
 * maskRangeWide(frame, 6, 11, 0x37, 0xfa, 0x21, 0x3d, 0, wideWordsOf(frame));
 * console.log(new TextDecoder().decode(frame.subarray(6))); // "Hello"
 * ```
 * @param bytes The chunk; changed in place.
 * @param from Index of the first byte to transform.
 * @param to Index after the last.
 * @param k0 The key's first byte.
 * @param k1 The key's second byte.
 * @param k2 The key's third byte.
 * @param k3 The key's fourth byte.
 * @param keyOffset Index into the key of `bytes[from]`; nonzero when it continues a payload.
 * @param words {@linkcode wideWordsOf} `bytes`.
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-5.3}
 */
export function maskRangeWide(
  bytes: Uint8Array,
  from: number,
  to: number,
  k0: number,
  k1: number,
  k2: number,
  k3: number,
  keyOffset: number,
  words: BigUint64Array,
): void {
  if (to - from < WIDE_THRESHOLD) {
    maskBytes(bytes, from, to, k0, k1, k2, k3, keyOffset);
    return;
  }
  // Bytes before the first 8-byte aligned address go one at a time; the key rotates with them.
  const start = bytes.byteOffset + from;
  const head = (8 - (start & 7)) & 7;
  maskBytes(bytes, from, from + head, k0, k1, k2, k3, keyOffset);
  const key = keyOffset + head;
  // The key repeats every four bytes: the same 32 bits in both halves of the word.
  const half = BigInt(keyWord(key, k0, k1, k2, k3) >>> 0);
  const mask = (half << 32n) | half;
  const count = (to - from - head) >>> 3;
  let w = (start + head) >>> 3;
  const end = w + count;
  for (; w + 2 <= end; w += 2) {
    words[w]! ^= mask;
    words[w + 1]! ^= mask;
  }
  if (w < end) words[w]! ^= mask;
  const tail = from + head + count * 8;
  maskBytes(bytes, tail, to, k0, k1, k2, k3, key + count * 8);
}

/**
 * Copies `length` bytes of `source` from `from` into a new array of their own, unmasking them
 * as they are copied (`source[from]` with `k0`; a key of zeros copies), a byte at a time: for a
 * small payload, where this costs less than a view of the chunk it came in.
 *
 * @example Unmask the RFC's masked "Hello" out of its frame
 * ```ts
 * import { copyUnmasked } from "./mask.ts";
 * const frame = new Uint8Array([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
 * const payload = copyUnmasked(frame, 6, 5, 0x37, 0xfa, 0x21, 0x3d);
 * console.log(new TextDecoder().decode(payload)); // "Hello"
 * ```
 * @param source The masked bytes; not changed.
 * @param from Index in `source` of the first byte to copy.
 * @param length How many bytes to copy.
 * @param k0 The key byte for `source[from]`.
 * @param k1 The next key byte.
 * @param k2 The next.
 * @param k3 The last.
 * @returns The unmasked copy.
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-5.3}
 */
export function copyUnmasked(
  source: Uint8Array,
  from: number,
  length: number,
  k0: number,
  k1: number,
  k2: number,
  k3: number,
): Uint8Array {
  const out = new Uint8Array(length);
  let i = 0;
  for (; i + 4 <= length; i += 4) {
    const at = from + i;
    out[i] = source[at]! ^ k0;
    out[i + 1] = source[at + 1]! ^ k1;
    out[i + 2] = source[at + 2]! ^ k2;
    out[i + 3] = source[at + 3]! ^ k3;
  }
  if (i < length) out[i] = source[from + i]! ^ k0;
  if (i + 1 < length) out[i + 1] = source[from + i + 1]! ^ k1;
  if (i + 2 < length) out[i + 2] = source[from + i + 2]! ^ k2;
  return out;
}

function keyByte(index: number, k0: number, k1: number, k2: number, k3: number): number {
  switch (index & 3) {
    case 0:
      return k0;
    case 1:
      return k1;
    case 2:
      return k2;
    default:
      return k3;
  }
}

function maskBytes(
  data: Uint8Array,
  from: number,
  to: number,
  k0: number,
  k1: number,
  k2: number,
  k3: number,
  keyIndex: number,
): void {
  for (let i = from, j = keyIndex; i < to; i++, j++) {
    switch (j & 3) {
      case 0:
        data[i]! ^= k0;
        break;
      case 1:
        data[i]! ^= k1;
        break;
      case 2:
        data[i]! ^= k2;
        break;
      default:
        data[i]! ^= k3;
    }
  }
}

/**
 * Copies `source` into `target` at `offset`, masking as it goes, so a client masks its payload
 * without changing the caller's buffer and without a second pass.
 *
 * @example
 * ```ts
 * import { copyMasked } from "@wsflow/wsflow";
 * const out = new Uint8Array(5);
 * copyMasked(new TextEncoder().encode("Hello"), out, 0, new Uint8Array([0x37, 0xfa, 0x21, 0x3d]));
 * console.log(out[0]!.toString(16)); // "7f"
 * ```
 * @param source The plain payload; not changed.
 * @param target Where the masked bytes go.
 * @param offset Index in `target` of the first masked byte.
 * @param key The four-byte masking key.
 */
export function copyMasked(
  source: Uint8Array,
  target: Uint8Array,
  offset: number,
  key: Uint8Array,
): void {
  const slice = target.subarray(offset, offset + source.length);
  slice.set(source);
  applyMask(slice, key);
}

/**
 * Hands out fresh, unpredictable four-byte masking keys (rfc6455#section-5.3: the key MUST be
 * derived from a strong source of entropy), drawn from `crypto.getRandomValues` in batches so
 * sending a small frame does not cost a call into the system's random source.
 *
 * @example
 * ```ts
 * import { MaskKeySource } from "./mask.ts";
 * const keys = new MaskKeySource();
 * console.log(keys.next().length); // 4
 * ```
 */
export class MaskKeySource {
  #pool: Uint8Array;
  #position: number;

  /**
   * Creates the instance.
   * @param batchKeys How many keys to draw per call to `crypto.getRandomValues`.
   */
  constructor(batchKeys = 256) {
    this.#pool = new Uint8Array(batchKeys * 4);
    this.#position = this.#pool.length;
  }

  /**
   * Returns the next key. The returned view is only valid until the next call.
   *
   * @returns A four-byte view into the pool.
   */
  next(): Uint8Array {
    const at = this.nextOffset();
    return this.#pool.subarray(at, at + 4);
  }

  /**
   * Takes the next key and returns where it starts in {@linkcode MaskKeySource.prototype.pool},
   * for callers that read the four bytes directly rather than through a new view. The bytes
   * stay valid until the next call.
   *
   * @returns The key's offset in the pool.
   */
  nextOffset(): number {
    if (this.#position === this.#pool.length) {
      crypto.getRandomValues(this.#pool);
      this.#position = 0;
    }
    const at = this.#position;
    this.#position = at + 4;
    return at;
  }

  /**
   * The random bytes keys are taken from; see {@linkcode MaskKeySource.prototype.nextOffset}.
   *
   * @returns The pool.
   */
  get pool(): Uint8Array {
    return this.#pool;
  }
}
