/**
 * permessage-deflate negotiation (rfc7692#section-7.1), both roles, without I/O.
 *
 * Server: {@linkcode negotiateServer} walks the client's offers in its order of preference and
 * accepts the first one it can, returning the agreed {@linkcode DeflateParams} and the
 * `Sec-WebSocket-Extensions` value to answer with. An offer it cannot accept (unknown, repeated
 * or malformed parameters) is declined, never thrown at: the next offer is tried, and with none
 * left the connection simply goes uncompressed (rfc7692#section-5).
 *
 * Client: {@linkcode buildClientOffer} writes the offer and {@linkcode acceptServerResponse}
 * checks the server's answer against it, throwing `HandshakeError` when the client must fail
 * the connection (rfc7692#section-5).
 *
 * Parameters stay the `[name, value]` pairs `parseExtensionList` produced and are matched with
 * a `switch`: nothing is ever looked up in an object, so `__proto__`, `constructor` or
 * `toString` are unknown names like any other. Every function is one pass over its input.
 *
 * The compression itself is not here: the agreed parameters go to a `DeflateEngine`
 * (`src/adapters/zlib_deflate.ts` uses `node:zlib`).
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc7692}
 */

import { HandshakeError } from "./errors.ts";
import { type ExtensionOffer, formatExtensionList } from "./header_lists.ts";
import { quote } from "./quote.ts";

/**
 * The extension token of permessage-deflate (rfc7692#section-7), compared exactly as written
 * (the registered name is lower case).
 *
 * @example Find the offers to negotiate
 * ```ts
 * import { parseExtensionList, PERMESSAGE_DEFLATE } from "@wsflow/wsflow";
 * const offers = parseExtensionList("x-webkit-deflate-frame, permessage-deflate");
 * console.log(offers.filter((offer) => offer.name === PERMESSAGE_DEFLATE).length); // 1
 * ```
 */
export const PERMESSAGE_DEFLATE = "permessage-deflate";

/**
 * The default of {@linkcode PerMessageDeflateOptions.threshold}: messages shorter than 1024
 * bytes are sent uncompressed.
 *
 * Why 1 KiB: a frame under about 1.4 KB fits one TCP segment (and one TLS record) compressed or
 * not, so compressing it saves no round trip, only bytes, and costs a trip through zlib (tens of
 * microseconds, and a place in the process-wide zlib queue). It is also the threshold of `ws`,
 * so servers moving from it keep their behaviour. Chatty protocols of small, repetitive JSON
 * messages gain from a lower threshold when context takeover is on; set it to 0 to compress
 * everything.
 *
 * @example
 * ```ts
 * import { DEFAULT_DEFLATE_THRESHOLD } from "@wsflow/wsflow";
 * console.log(DEFAULT_DEFLATE_THRESHOLD); // 1024
 * ```
 */
export const DEFAULT_DEFLATE_THRESHOLD = 1024;

/**
 * What this endpoint is willing to do with permessage-deflate (rfc7692#section-7.1). The same
 * options serve both roles; each field says what it means for a server and for a client.
 *
 * @example A server that keeps memory low
 * ```ts
 * import { negotiateServer, parseExtensionList, type PerMessageDeflateOptions } from "@wsflow/wsflow";
 * const options: PerMessageDeflateOptions = { serverMaxWindowBits: 10, serverNoContextTakeover: true };
 * const result = negotiateServer(parseExtensionList("permessage-deflate; client_max_window_bits"), options);
 * console.log(result?.response); // "permessage-deflate; server_no_context_takeover; server_max_window_bits=10"
 * ```
 */
export interface PerMessageDeflateOptions {
  /**
   * Server: always reset our compressor after each message, and say so in the response (frees
   * the compressor's memory between messages, costs compression ratio). A client's request for
   * it is honoured either way.
   * Client: ask the server to reset its compressor after each message; a response without
   * `server_no_context_takeover` then fails the handshake (rfc7692#section-7.1.1.1).
   * @default {false}
   */
  serverNoContextTakeover?: boolean;
  /**
   * Server: ask the client to reset its compressor after each message (the server's inflater
   * then holds no state between messages). A client's hint that it resets anyway is echoed.
   * Client: promise to reset our compressor after each message, and say so in the offer
   * (rfc7692#section-7.1.1.2).
   * @default {false}
   */
  clientNoContextTakeover?: boolean;
  /**
   * Server: the largest LZ77 window (as a power of two, 8..15) our compressor uses; sent as
   * `server_max_window_bits` whenever set. A client's lower limit always wins.
   * Client: the largest window the server may compress with, offered as
   * `server_max_window_bits`; a response without it or with a larger value fails the handshake
   * (rfc7692#section-7.1.2.1).
   * @default {undefined} (15, not sent)
   */
  serverMaxWindowBits?: number;
  /**
   * Server: the largest window (8..15) to ask of clients that offer `client_max_window_bits`;
   * a client that does not offer it cannot be limited (the response MUST NOT include it) and
   * compresses with up to 15, which is accepted rather than declined.
   * Client: the largest window our compressor uses, offered as `client_max_window_bits=N`;
   * without it the parameter is offered bare, so the server may pick (rfc7692#section-7.1.2.2).
   * @default {undefined} (15)
   */
  clientMaxWindowBits?: number;
  /**
   * Messages shorter than this many bytes are sent uncompressed (RSV1 clear), which
   * permessage-deflate allows for any message (rfc7692#section-6). Not part of the negotiation:
   * the connection applies it when sending. See {@linkcode DEFAULT_DEFLATE_THRESHOLD} for why.
   * @default {1024}
   */
  threshold?: number;
}

/**
 * The agreed parameters, as the wire names them (rfc7692#section-7.1): `server*` is what the
 * server's compressor does, `client*` the client's. Each side compresses with its own role's
 * fields and inflates with the peer's.
 *
 * A window absent from the handshake is 15. On the client, `clientMaxWindowBits` is the window
 * the client compresses with: the server's value if it sent one, else the client's own
 * `clientMaxWindowBits` option (it may always use less than agreed), else 15.
 *
 * @example
 * ```ts
 * import { acceptServerResponse, parseExtensionList } from "@wsflow/wsflow";
 * const params = acceptServerResponse(
 *   parseExtensionList("permessage-deflate; server_no_context_takeover; client_max_window_bits=10"),
 *   {},
 * );
 * console.log(params);
 * // { serverNoContextTakeover: true, clientNoContextTakeover: false,
 * //   serverMaxWindowBits: 15, clientMaxWindowBits: 10 }
 * ```
 */
export interface DeflateParams {
  /** The server resets its compressor after each message (and the client its inflater). */
  serverNoContextTakeover: boolean;
  /** The client resets its compressor after each message (and the server its inflater). */
  clientNoContextTakeover: boolean;
  /** The server's LZ77 window, as a power of two: 8..15. */
  serverMaxWindowBits: number;
  /** The client's LZ77 window, as a power of two: 8..15. */
  clientMaxWindowBits: number;
}

/**
 * What {@linkcode negotiateServer} agreed to.
 *
 * @example
 * ```ts
 * import type { ServerNegotiation } from "@wsflow/wsflow";
 * const negotiation: ServerNegotiation = {
 *   params: {
 *     serverNoContextTakeover: false, clientNoContextTakeover: false,
 *     serverMaxWindowBits: 15, clientMaxWindowBits: 15,
 *   },
 *   response: "permessage-deflate",
 * };
 * console.log(negotiation.response);
 * ```
 */
export interface ServerNegotiation {
  /** The agreed parameters. */
  params: DeflateParams;
  /** The `Sec-WebSocket-Extensions` element to answer with, e.g. `permessage-deflate`. */
  response: string;
}

/**
 * Chooses the permessage-deflate offer to accept, as a server (rfc7692#section-7.1).
 *
 * Offers are tried in the client's order of preference; other extensions are skipped. An offer
 * with an unknown parameter, a repeated one, or a malformed value (`server_max_window_bits`
 * not a decimal 8..15 without leading zero, any value on `*_no_context_takeover`) is declined
 * (rfc7692#section-5) and the next one tried. Of a valid offer:
 *
 * | Offer | Response |
 * | --- | --- |
 * | `server_no_context_takeover` | echoed (always honoured) |
 * | `client_no_context_takeover` | echoed (our inflater may then forget between messages) |
 * | `server_max_window_bits=N` | `server_max_window_bits=min(N, serverMaxWindowBits)` |
 * | no `server_max_window_bits` | `server_max_window_bits=serverMaxWindowBits` if that is set |
 * | `client_max_window_bits` bare | `client_max_window_bits=clientMaxWindowBits` if that is set |
 * | `client_max_window_bits=N` | `client_max_window_bits=min(N, clientMaxWindowBits)` (N echoed binds the client to its hint) |
 * | no `client_max_window_bits` | none (MUST NOT be sent); the client's window is 15 |
 *
 * An offer of `server_max_window_bits=8` is accepted: zlib cannot set up a raw deflate stream
 * with an 8-bit window and uses 9 instead, but its 9-bit compressor never emits a distance
 * beyond 250 (a window minus its 262-byte lookahead), which any 8-bit inflater accepts. The
 * engine does that substitution; the wire says 8.
 *
 * @example Chromium's offer
 * ```ts
 * import { negotiateServer, parseExtensionList } from "@wsflow/wsflow";
 * const result = negotiateServer(
 *   parseExtensionList("permessage-deflate; client_max_window_bits"),
 *   { clientMaxWindowBits: 12 },
 * );
 * console.log(result?.response); // "permessage-deflate; client_max_window_bits=12"
 * ```
 * @example A malformed offer is declined, the fallback accepted
 * ```ts
 * import { negotiateServer, parseExtensionList } from "@wsflow/wsflow";
 * const result = negotiateServer(
 *   parseExtensionList("permessage-deflate; server_max_window_bits=16, permessage-deflate"),
 *   {},
 * );
 * console.log(result?.params.serverMaxWindowBits); // 15
 * ```
 * @param offers The client's `Sec-WebSocket-Extensions`, parsed (every extension, in order).
 * @param options What this server is willing to do.
 * @returns The agreed parameters and the response element, or `undefined` when no offer can
 * be accepted (send no `Sec-WebSocket-Extensions`; messages go uncompressed).
 * @throws {RangeError} When `options` holds a window outside 8..15 or a negative threshold.
 * @see {@link https://datatracker.ietf.org/doc/html/rfc7692#section-7.1}
 */
export function negotiateServer(
  offers: readonly ExtensionOffer[],
  options: PerMessageDeflateOptions,
): ServerNegotiation | undefined {
  checkOptions(options);
  for (const offer of offers) {
    if (offer.name !== PERMESSAGE_DEFLATE) continue;
    const offered = readParams(offer.params, "offer");
    // rfc7692#section-5: a server MUST decline an offer with an unknown parameter, an invalid
    // value or a repeated parameter; declining one offer moves on to the next.
    if (typeof offered === "string") continue;
    return acceptOffer(offered, options);
  }
  return undefined;
}

/**
 * Writes the client's permessage-deflate offer (rfc7692#section-7.1): `client_max_window_bits`
 * is always offered (bare unless `clientMaxWindowBits` is set), so a server may shrink our
 * window; the other parameters only when asked for.
 *
 * @example The default offer, the same as Chromium's and `ws`'s
 * ```ts
 * import { buildClientOffer } from "@wsflow/wsflow";
 * console.log(buildClientOffer({})); // "permessage-deflate; client_max_window_bits"
 * ```
 * @example Asking for a small, memoryless server compressor
 * ```ts
 * import { buildClientOffer } from "@wsflow/wsflow";
 * console.log(buildClientOffer({ serverNoContextTakeover: true, serverMaxWindowBits: 10 }));
 * // "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits"
 * ```
 * @param options What this client is willing to do.
 * @returns The `Sec-WebSocket-Extensions` element to offer.
 * @throws {RangeError} When `options` holds a window outside 8..15 or a negative threshold.
 * @see {@link https://datatracker.ietf.org/doc/html/rfc7692#section-7.1}
 */
export function buildClientOffer(options: PerMessageDeflateOptions): string {
  checkOptions(options);
  const params: [string, string | null][] = [];
  if (options.serverNoContextTakeover === true) params.push(["server_no_context_takeover", null]);
  if (options.clientNoContextTakeover === true) params.push(["client_no_context_takeover", null]);
  if (options.serverMaxWindowBits !== undefined) {
    params.push(["server_max_window_bits", String(options.serverMaxWindowBits)]);
  }
  params.push([
    "client_max_window_bits",
    options.clientMaxWindowBits === undefined ? null : String(options.clientMaxWindowBits),
  ]);
  return formatExtensionList([{ name: PERMESSAGE_DEFLATE, params }]);
}

/**
 * Checks the server's permessage-deflate response against the offer
 * `buildClientOffer(options)` made, as a client (rfc7692#section-7.1), and returns what was
 * agreed. Call it when the response lists `permessage-deflate`; other extensions in the list
 * are ignored (the handshake already refused any the client did not offer).
 *
 * The client fails the connection (rfc7692#section-5) when the response:
 * - accepts permessage-deflate other than exactly once;
 * - has a parameter that is unknown, repeated or has a malformed value (a response's
 *   `client_max_window_bits` needs a value);
 * - lacks `server_no_context_takeover` that `serverNoContextTakeover` asked for
 *   (rfc7692#section-7.1.1.1);
 * - lacks `server_max_window_bits` that `serverMaxWindowBits` asked for, or exceeds it
 *   (rfc7692#section-7.1.2.1);
 * - has `client_max_window_bits` above our `clientMaxWindowBits` (rfc7692#section-7.1.2.2).
 *
 * @example
 * ```ts
 * import { acceptServerResponse, HandshakeError, parseExtensionList } from "@wsflow/wsflow";
 * try {
 *   acceptServerResponse(parseExtensionList("permessage-deflate; server_max_window_bits=7"), {});
 * } catch (error) {
 *   if (error instanceof HandshakeError) console.log(error.status); // 101
 * }
 * ```
 * @param extensions The server's `Sec-WebSocket-Extensions`, parsed.
 * @param options The options the offer was built from.
 * @returns The agreed parameters.
 * @throws {HandshakeError} With status 101 (the response's) when the client must fail the
 * connection.
 * @throws {RangeError} When `options` holds a window outside 8..15 or a negative threshold.
 * @see {@link https://datatracker.ietf.org/doc/html/rfc7692#section-7.1}
 */
export function acceptServerResponse(
  extensions: readonly ExtensionOffer[],
  options: PerMessageDeflateOptions,
): DeflateParams {
  checkOptions(options);
  let accepted: ExtensionOffer | undefined;
  let count = 0;
  for (const extension of extensions) {
    if (extension.name !== PERMESSAGE_DEFLATE) continue;
    accepted ??= extension;
    count++;
  }
  if (accepted === undefined) {
    throw refuse("the response does not accept permessage-deflate", "rfc7692#section-7.1");
  }
  if (count > 1) {
    // rfc7692#section-5: both elements would claim RSV1 for themselves
    throw refuse(`the response accepts permessage-deflate ${count} times, not once`);
  }
  const response = readParams(accepted.params, "response");
  // rfc7692#section-5: a client MUST fail the connection on an unknown, invalid or repeated
  // parameter in the response
  if (typeof response === "string") throw refuse(response);

  // rfc7692#section-7.1.1.1: a server accepts server_no_context_takeover by including it
  if (options.serverNoContextTakeover === true && !response.serverNoContextTakeover) {
    throw refuse(
      "the response lacks server_no_context_takeover, which was requested",
      "rfc7692#section-7.1.1.1",
    );
  }
  // rfc7692#section-7.1.2.1: a server accepts server_max_window_bits by including it with the
  // same or a smaller value
  const requestedServerBits = options.serverMaxWindowBits;
  if (requestedServerBits !== undefined) {
    if (response.serverMaxWindowBits === undefined) {
      throw refuse(
        `the response lacks server_max_window_bits, ${requestedServerBits} was requested`,
        "rfc7692#section-7.1.2.1",
      );
    }
    if (response.serverMaxWindowBits > requestedServerBits) {
      throw refuse(
        `server_max_window_bits is ${response.serverMaxWindowBits}, ` +
          `above the ${requestedServerBits} requested`,
        "rfc7692#section-7.1.2.1",
      );
    }
  }
  // rfc7692#section-7.1.2.2: the server may lower the client's window, never raise it above
  // the value offered
  const ownClientBits = options.clientMaxWindowBits;
  const answeredClientBits = response.clientMaxWindowBits ?? undefined;
  if (
    ownClientBits !== undefined && answeredClientBits !== undefined &&
    answeredClientBits > ownClientBits
  ) {
    throw refuse(
      `client_max_window_bits is ${answeredClientBits}, above the ${ownClientBits} offered`,
      "rfc7692#section-7.1.2.2",
    );
  }
  return {
    serverNoContextTakeover: response.serverNoContextTakeover,
    // rfc7692#section-7.1.1.2: offering client_no_context_takeover is a promise kept whether or
    // not the server echoes it
    clientNoContextTakeover: response.clientNoContextTakeover ||
      options.clientNoContextTakeover === true,
    serverMaxWindowBits: response.serverMaxWindowBits ?? MAX_WINDOW_BITS,
    clientMaxWindowBits: answeredClientBits ?? ownClientBits ?? MAX_WINDOW_BITS,
  };
}

const MIN_WINDOW_BITS = 8;
const MAX_WINDOW_BITS = 15;

/**
 * One offer's or response's parameters, read. `clientMaxWindowBits` is `null` when the
 * parameter came without a value (allowed in offers only) and `undefined` when absent.
 */
interface ReadParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number | undefined;
  clientMaxWindowBits: number | null | undefined;
}

/**
 * Reads the parameters of one permessage-deflate element in a single pass, or returns why the
 * element is invalid (rfc7692#section-5). Names are matched by `switch`, never looked up.
 */
function readParams(
  params: readonly (readonly [string, string | null])[],
  kind: "offer" | "response",
): ReadParams | string {
  const read: ReadParams = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: undefined,
    clientMaxWindowBits: undefined,
  };
  let seenServerBits = false;
  let seenClientBits = false;
  for (const [name, value] of params) {
    switch (name) {
      case "server_no_context_takeover":
      case "client_no_context_takeover": {
        const field = name === "server_no_context_takeover"
          ? "serverNoContextTakeover"
          : "clientNoContextTakeover";
        if (read[field]) return repeated(kind, name);
        // rfc7692#section-7.1.1.1, rfc7692#section-7.1.1.2: this parameter has no value
        if (value !== null) return invalid(kind, name, value, "none");
        read[field] = true;
        break;
      }
      case "server_max_window_bits": {
        if (seenServerBits) return repeated(kind, name);
        seenServerBits = true;
        // rfc7692#section-7.1.2.1: a decimal integer 8..15 without leading zeros, required
        const bits = value === null ? undefined : parseWindowBits(value);
        if (bits === undefined) return invalid(kind, name, value, "8..15");
        read.serverMaxWindowBits = bits;
        break;
      }
      case "client_max_window_bits": {
        if (seenClientBits) return repeated(kind, name);
        seenClientBits = true;
        // rfc7692#section-7.1.2.2: no value or 8..15 in an offer; in a response the value is
        // required
        if (value === null && kind === "offer") {
          read.clientMaxWindowBits = null;
          break;
        }
        const bits = value === null ? undefined : parseWindowBits(value);
        if (bits === undefined) return invalid(kind, name, value, "8..15");
        read.clientMaxWindowBits = bits;
        break;
      }
      default:
        return `the ${kind} has parameter ${quote(name)}, which permessage-deflate does not ` +
          `define`;
    }
  }
  return read;
}

/** The server's side of one valid offer; every valid offer can be accepted. */
function acceptOffer(offered: ReadParams, options: PerMessageDeflateOptions): ServerNegotiation {
  const params: [string, string | null][] = [];
  // rfc7692#section-7.1.1.1: a server accepts server_no_context_takeover by including it, and
  // may include it unasked
  const serverNoContextTakeover = offered.serverNoContextTakeover ||
    options.serverNoContextTakeover === true;
  if (serverNoContextTakeover) params.push(["server_no_context_takeover", null]);
  // rfc7692#section-7.1.1.2: the server may include client_no_context_takeover, asked or not
  const clientNoContextTakeover = offered.clientNoContextTakeover ||
    options.clientNoContextTakeover === true;
  if (clientNoContextTakeover) params.push(["client_no_context_takeover", null]);

  // rfc7692#section-7.1.2.1: accepting server_max_window_bits=N means answering a value <= N;
  // unasked, the server may still announce a smaller window
  let serverMaxWindowBits = options.serverMaxWindowBits ?? MAX_WINDOW_BITS;
  if (offered.serverMaxWindowBits !== undefined) {
    serverMaxWindowBits = Math.min(serverMaxWindowBits, offered.serverMaxWindowBits);
  }
  if (offered.serverMaxWindowBits !== undefined || options.serverMaxWindowBits !== undefined) {
    params.push(["server_max_window_bits", String(serverMaxWindowBits)]);
  }

  // rfc7692#section-7.1.2.2: without client_max_window_bits in the offer the response MUST NOT
  // include it; with a value, the answer may be that value or less
  let clientMaxWindowBits = MAX_WINDOW_BITS;
  if (offered.clientMaxWindowBits !== undefined) {
    const wanted = options.clientMaxWindowBits;
    const hint = offered.clientMaxWindowBits;
    if (hint !== null || wanted !== undefined) {
      clientMaxWindowBits = Math.min(hint ?? MAX_WINDOW_BITS, wanted ?? MAX_WINDOW_BITS);
      params.push(["client_max_window_bits", String(clientMaxWindowBits)]);
    }
  }

  return {
    params: {
      serverNoContextTakeover,
      clientNoContextTakeover,
      serverMaxWindowBits,
      clientMaxWindowBits,
    },
    response: formatExtensionList([{ name: PERMESSAGE_DEFLATE, params }]),
  };
}

/** "8".."15" exactly: no sign, no leading zero, no spaces (rfc7692#section-7.1.2.1). */
function parseWindowBits(value: string): number | undefined {
  if (value.length === 1) {
    const digit = value.charCodeAt(0) - 0x30;
    return digit === 8 || digit === 9 ? digit : undefined;
  }
  if (value.length === 2 && value.charCodeAt(0) === 0x31) {
    const digit = value.charCodeAt(1) - 0x30;
    return digit >= 0 && digit <= 5 ? 10 + digit : undefined;
  }
  return undefined;
}

function checkOptions(options: PerMessageDeflateOptions): void {
  checkWindowBits("serverMaxWindowBits", options.serverMaxWindowBits);
  checkWindowBits("clientMaxWindowBits", options.clientMaxWindowBits);
  const threshold = options.threshold;
  if (threshold !== undefined && (!Number.isSafeInteger(threshold) || threshold < 0)) {
    throw new RangeError(
      `Cannot use permessage-deflate option threshold: ${threshold} is not a non-negative ` +
        `integer`,
    );
  }
}

function checkWindowBits(name: string, bits: number | undefined): void {
  if (bits === undefined) return;
  if (!Number.isInteger(bits) || bits < MIN_WINDOW_BITS || bits > MAX_WINDOW_BITS) {
    throw new RangeError(
      `Cannot use permessage-deflate option ${name}: ${bits} is not an integer 8..15 ` +
        `(rfc7692#section-7.1.2)`,
    );
  }
}

function repeated(kind: "offer" | "response", name: string): string {
  return `the ${kind} repeats parameter ${name}`;
}

function invalid(
  kind: "offer" | "response",
  name: string,
  value: string | null,
  expected: string,
): string {
  const found = value === null ? "no value" : `value ${quote(value)}`;
  return `the ${kind}'s parameter ${name} has ${found}, expected ${expected}`;
}

function refuse(detail: string, rule = "rfc7692#section-5"): HandshakeError {
  return new HandshakeError(`Cannot connect: ${detail} (${rule})`, 101);
}
