/**
 * How large deflate may make incompressible data: the bound a receiver allows a compressed
 * message's wire size (rfc7692#section-7.2.2), which is limited by its inflated size.
 *
 * @module
 */

/**
 * The most bytes deflate may turn `size` bytes into, whatever window, memLevel or strategy the
 * compressor used: zlib's `deflateBound` for unknown parameters (zlib 1.3 deflate.c), the larger
 * of fixed Huffman blocks with 9-bit literals (about 13%) and stored blocks of 127 bytes (about
 * 4%), plus the final flush's few bytes.
 *
 * @example
 * ```ts
 * console.log(deflateWorstCase(1000)); // 1139
 * ```
 * @param size Bytes before compression.
 * @returns The most bytes they may take compressed.
 * @see {@link https://datatracker.ietf.org/doc/html/rfc7692#section-7.2.1}
 */
export function deflateWorstCase(size: number): number {
  const fixed = size + Math.floor(size / 8) + Math.floor(size / 256) + Math.floor(size / 512) + 4;
  const stored = size + Math.floor(size / 32) + Math.floor(size / 128) + Math.floor(size / 2048) +
    7;
  return Math.min(Math.max(fixed, stored) + 6, Number.MAX_SAFE_INTEGER);
}
