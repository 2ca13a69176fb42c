/**
 * permessage-deflate (rfc7692): its name, what an endpoint is willing to do
 * ({@linkcode PerMessageDeflateOptions}) and what the two agreed ({@linkcode DeflateParams}).
 *
 * The negotiation, without I/O, is in three files named after their part:
 * `permessage_deflate_server.ts` (`negotiateServer`: accept the first acceptable offer, decline
 * the rest, never throw at a client), `permessage_deflate_client.ts` (`buildClientOffer`,
 * `acceptServerResponse`: fail the handshake on a response that breaks the offer) and
 * `permessage_deflate_params.ts` (reading one element's parameters in a single pass, checking
 * the options).
 *
 * The compression itself is not here: the agreed parameters go to a `DeflateEngine`
 * (`src/adapters/zlib_deflate.ts` uses `node:zlib`).
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc7692}
 */

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
