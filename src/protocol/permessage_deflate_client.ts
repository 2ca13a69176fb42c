/**
 * permessage-deflate as a client (rfc7692#section-7.1), without I/O: {@linkcode buildClientOffer}
 * writes the offer and {@linkcode acceptServerResponse} checks the server's answer against it,
 * throwing `HandshakeError` when the client must fail the connection (rfc7692#section-5).
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc7692#section-7.1}
 */

import { HandshakeError } from "./errors.ts";
import { type ExtensionOffer, formatExtensionList } from "./header_lists.ts";
import {
  type DeflateParams,
  PERMESSAGE_DEFLATE,
  type PerMessageDeflateOptions,
} from "./permessage_deflate.ts";
import { checkOptions, MAX_WINDOW_BITS, readParams } from "./permessage_deflate_params.ts";

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

function refuse(detail: string, rule = "rfc7692#section-5"): HandshakeError {
  return new HandshakeError(`Cannot connect: ${detail} (${rule})`, 101);
}
