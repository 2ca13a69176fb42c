/**
 * Reading and checking permessage-deflate parameters (rfc7692#section-7.1), for both roles:
 * one element's `[name, value]` pairs read in a single pass, or the reason the element is
 * invalid (rfc7692#section-5); and the local options checked before they are used.
 *
 * Parameters stay the `[name, value]` pairs `parseExtensionList` produced and are matched with
 * a `switch`: nothing is ever looked up in an object, so `__proto__`, `constructor` or
 * `toString` are unknown names like any other.
 *
 * Internal (not exported from `mod.ts`): `permessage_deflate_server.ts` and
 * `permessage_deflate_client.ts` use it.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc7692#section-7.1}
 */

import type { PerMessageDeflateOptions } from "./permessage_deflate.ts";
import { quote } from "./quote.ts";

/**
 * The largest LZ77 window, as a power of two: what a window absent from the handshake is
 * (rfc7692#section-7.1.2).
 *
 * @example
 * ```ts ignore
 * const serverBits = response.serverMaxWindowBits ?? MAX_WINDOW_BITS; // 15
 * ```
 */
export const MAX_WINDOW_BITS = 15;
const MIN_WINDOW_BITS = 8;

/**
 * One offer's or response's parameters, read. `clientMaxWindowBits` is `null` when the
 * parameter came without a value (allowed in offers only) and `undefined` when absent.
 *
 * @example
 * ```ts ignore
 * const read: ReadParams | string = readParams([["client_max_window_bits", null]], "offer");
 * // { serverNoContextTakeover: false, clientNoContextTakeover: false,
 * //   serverMaxWindowBits: undefined, clientMaxWindowBits: null }
 * ```
 */
export interface ReadParams {
  /** `server_no_context_takeover` was present. */
  serverNoContextTakeover: boolean;
  /** `client_no_context_takeover` was present. */
  clientNoContextTakeover: boolean;
  /** `server_max_window_bits`, or `undefined` when absent. */
  serverMaxWindowBits: number | undefined;
  /** `client_max_window_bits`: `null` without a value, `undefined` when absent. */
  clientMaxWindowBits: number | null | undefined;
}

/**
 * Reads the parameters of one permessage-deflate element in a single pass, or returns why the
 * element is invalid (rfc7692#section-5): an unknown or repeated parameter, or a malformed
 * value. Names are matched by `switch`, never looked up.
 *
 * @example
 * ```ts ignore
 * console.log(readParams([["server_max_window_bits", "16"]], "offer"));
 * // "the offer's parameter server_max_window_bits has value \"16\", expected 8..15"
 * ```
 * @param params The element's parameters, as `parseExtensionList` gives them.
 * @param kind Whether it is a client's offer or a server's response (a response's
 *   `client_max_window_bits` needs a value).
 * @returns The parameters, or the reason the element is invalid.
 */
export function readParams(
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

/**
 * Checks the local options before they are offered or negotiated with.
 *
 * @example
 * ```ts ignore
 * checkOptions({ serverMaxWindowBits: 16 }); // throws RangeError
 * ```
 * @param options This endpoint's permessage-deflate options.
 * @throws {RangeError} When `options` holds a window outside 8..15 or a negative threshold.
 */
export function checkOptions(options: PerMessageDeflateOptions): void {
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
