/**
 * Resource limits, one per resource, each with a safe default.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-10.4}
 */

/**
 * Limits on what a peer may make this endpoint hold. Every field is optional where it is taken
 * (`Partial<Limits>`); missing fields fall back to {@linkcode DEFAULT_LIMITS}.
 *
 * Why these defaults: python `websockets` takes 1 MiB messages, Bun 16 MB, tungstenite 16 MiB
 * frames and 64 MiB messages, `ws` 100 MiB. 16 MiB covers file uploads and large JSON documents
 * while keeping a thousand hostile connections from claiming more than a few GiB; raise it per
 * server or per route when a protocol needs more.
 *
 * @example Accept messages of up to 64 MiB
 * ```ts
 * import { DEFAULT_LIMITS, type Limits } from "@wsflow/wsflow";
 * const limits: Limits = { ...DEFAULT_LIMITS, maxMessageSize: 64 * 1024 * 1024 };
 * console.log(limits.maxFrameSize); // 16777216
 * ```
 */
export interface Limits {
  /**
   * Largest frame payload accepted, in bytes. A longer frame fails the connection with 1009
   * before any of its payload is buffered.
   * @default {16_777_216}
   */
  maxFrameSize: number;
  /**
   * Largest message accepted, in bytes (the sum of its fragments' payloads). Checked at each
   * frame header, before the payload arrives; fails with 1009.
   * @default {16_777_216}
   */
  maxMessageSize: number;
  /**
   * Most frames one message may be split into. Bounds the per-fragment overhead a flood of tiny
   * fragments can cause; fails with 1009.
   * @default {4096}
   */
  maxFragments: number;
  /**
   * Most bytes of the opening handshake's HTTP head (request line, headers and the blank line);
   * more gets 431.
   * @default {16_384}
   */
  maxHeaderBytes: number;
  /**
   * Most header fields in the opening handshake; more gets 431. At most
   * {@linkcode MAX_HEADER_COUNT}: the runtimes' `Headers` take time quadratic in the number of
   * distinct field names (Bun and Deno), so the cap also bounds that cost.
   * @default {100}
   */
  maxHeaderCount: number;
  /**
   * Longest single line (request line or header field) of the opening handshake; a longer
   * request line gets 414, a longer header line 431.
   * @default {8192}
   */
  maxLineBytes: number;
}

/**
 * The default {@linkcode Limits}.
 *
 * @example
 * ```ts
 * import { DEFAULT_LIMITS } from "@wsflow/wsflow";
 * console.log(DEFAULT_LIMITS.maxMessageSize); // 16777216
 * ```
 */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxFrameSize: 16 * 1024 * 1024,
  maxMessageSize: 16 * 1024 * 1024,
  maxFragments: 4096,
  maxHeaderBytes: 16 * 1024,
  maxHeaderCount: 100,
  maxLineBytes: 8 * 1024,
});

/**
 * The highest `maxHeaderCount` accepted (Node's own default header-count limit). Handshakes need
 * a dozen fields; beyond a few thousand distinct names, building a `Headers` gets slow on some
 * runtimes.
 *
 * @example
 * ```ts
 * import { MAX_HEADER_COUNT } from "@wsflow/wsflow";
 * console.log(MAX_HEADER_COUNT); // 2000
 * ```
 */
export const MAX_HEADER_COUNT = 2000;

const LIMIT_KEYS = Object.keys(DEFAULT_LIMITS) as (keyof Limits)[];

/** The last result of {@linkcode resolveLimits} for each limits object it was given. */
const resolvedLimits = new WeakMap<Partial<Limits>, Readonly<Limits>>();

/**
 * Fills missing fields with the defaults and checks that every limit is a positive integer.
 *
 * @example
 * ```ts
 * import { resolveLimits } from "./limits.ts";
 * console.log(resolveLimits({ maxFragments: 65_536 }).maxFragments); // 65536
 * ```
 * @param limits Partial limits.
 * @returns A complete, frozen set of limits.
 * @throws {RangeError} When a limit is not a positive safe integer, or maxHeaderCount is over
 *   {@linkcode MAX_HEADER_COUNT}.
 */
export function resolveLimits(limits?: Partial<Limits>): Readonly<Limits> {
  if (limits === undefined) return DEFAULT_LIMITS;
  // A server resolves its one limits object for every handshake's parser and connection: the
  // result is kept, and given again while the object still holds the same values.
  const kept = resolvedLimits.get(limits);
  // A resolved set is frozen: given again (a server hands its one to every connection), it
  // needs no check.
  if (kept === limits) return kept;
  if (kept !== undefined && stillResolves(limits, kept)) return kept;
  const resolved: Limits = { ...DEFAULT_LIMITS };
  for (const key of LIMIT_KEYS) {
    const value = limits[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`Cannot use limit ${key}: ${value} is not a positive integer`);
    }
    if (key === "maxHeaderCount" && value > MAX_HEADER_COUNT) {
      throw new RangeError(
        `Cannot use limit maxHeaderCount: ${value} is over ${MAX_HEADER_COUNT}, beyond which building the request's Headers gets slow`,
      );
    }
    resolved[key] = value;
  }
  Object.freeze(resolved);
  resolvedLimits.set(limits, resolved);
  resolvedLimits.set(resolved, resolved);
  return resolved;
}

/** Whether `resolved` is still what `limits` resolves to: each limit given, or the default. */
function stillResolves(limits: Partial<Limits>, resolved: Readonly<Limits>): boolean {
  for (const key of LIMIT_KEYS) {
    if ((limits[key] ?? DEFAULT_LIMITS[key]) !== resolved[key]) return false;
  }
  return true;
}

/**
 * The limits of messages received as streams (a connection opened with `streaming`): nothing of
 * such a message is held, so its size is bounded only by this total-bytes ceiling, while a
 * frame (which the parser still reads whole when it lies in one chunk) and the count of
 * fragments keep bounds of their own. Exceeding any fails the connection with 1009.
 *
 * @example A ceiling of 16 GiB, any number of fragments
 * ```ts
 * import { DEFAULT_STREAMING_LIMITS, type StreamingLimits } from "@wsflow/wsflow";
 * const limits: StreamingLimits = {
 *   ...DEFAULT_STREAMING_LIMITS,
 *   maxMessageSize: 16 * 1024 ** 3,
 *   maxFragments: Number.MAX_SAFE_INTEGER,
 * };
 * console.log(limits.maxFrameSize); // 16777216
 * ```
 */
export interface StreamingLimits {
  /**
   * Largest streamed message, in bytes: a ceiling on the total, checked at each frame header.
   * @default {1_073_741_824}
   */
  maxMessageSize: number;
  /**
   * Largest frame payload of a streamed message, in bytes.
   * @default {16_777_216}
   */
  maxFrameSize: number;
  /**
   * Most frames one streamed message may be split into.
   * @default {1_048_576}
   */
  maxFragments: number;
}

/**
 * The default {@linkcode StreamingLimits}: 1 GiB per message (a streamed message costs time and
 * bandwidth, not memory, so the ceiling is about what a protocol expects rather than what a
 * server can hold), 16 MiB frames like every other message, and 2^20 fragments (1 GiB in 1 KiB
 * fragments).
 *
 * @example
 * ```ts
 * import { DEFAULT_STREAMING_LIMITS } from "@wsflow/wsflow";
 * console.log(DEFAULT_STREAMING_LIMITS.maxMessageSize); // 1073741824
 * ```
 */
export const DEFAULT_STREAMING_LIMITS: Readonly<StreamingLimits> = Object.freeze({
  maxMessageSize: 1024 * 1024 * 1024,
  maxFrameSize: 16 * 1024 * 1024,
  maxFragments: 1024 * 1024,
});

/**
 * Fills missing streaming limits with the defaults and checks each is a positive integer.
 *
 * @example
 * ```ts
 * import { resolveStreamingLimits } from "./limits.ts";
 * console.log(resolveStreamingLimits({ maxFragments: 10 }).maxMessageSize); // 1073741824
 * ```
 * @param limits Partial limits.
 * @returns A complete, frozen set of limits.
 * @throws {RangeError} When a limit is not a positive safe integer.
 */
export function resolveStreamingLimits(
  limits?: Partial<StreamingLimits>,
): Readonly<StreamingLimits> {
  if (limits === undefined) return DEFAULT_STREAMING_LIMITS;
  const resolved: StreamingLimits = { ...DEFAULT_STREAMING_LIMITS };
  for (const key of Object.keys(DEFAULT_STREAMING_LIMITS) as (keyof StreamingLimits)[]) {
    const value = limits[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`Cannot use streaming limit ${key}: ${value} is not a positive integer`);
    }
    resolved[key] = value;
  }
  return Object.freeze(resolved);
}
