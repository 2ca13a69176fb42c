/**
 * permessage-deflate negotiation as a server (rfc7692#section-7.1), without I/O.
 *
 * {@linkcode negotiateServer} walks the client's offers in its order of preference and accepts
 * the first one it can, returning the agreed {@linkcode DeflateParams} and the
 * `Sec-WebSocket-Extensions` value to answer with. An offer it cannot accept (unknown, repeated
 * or malformed parameters) is declined, never thrown at: the next offer is tried, and with none
 * left the connection simply goes uncompressed (rfc7692#section-5).
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc7692#section-7.1}
 */

import { type ExtensionOffer, formatExtensionList } from "./header_lists.ts";
import {
  type DeflateParams,
  PERMESSAGE_DEFLATE,
  type PerMessageDeflateOptions,
} from "./permessage_deflate.ts";
import {
  checkOptions,
  MAX_WINDOW_BITS,
  type ReadParams,
  readParams,
} from "./permessage_deflate_params.ts";

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
