/**
 * The permessage-deflate engine a connection uses: the compressor and decompressor interfaces
 * that a runtime's zlib binding (`src/adapters/zlib_deflate.ts`) implements.
 *
 * Only types: layer 1 names what it needs, layer 4 provides it.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc7692#section-7}
 */

import type { Role } from "../protocol/frame.ts";
import type { DeflateParams } from "../protocol/permessage_deflate.ts";

/**
 * Compresses one message for permessage-deflate: returns the deflated payload without the
 * trailing 0x00 0x00 0xff 0xff (rfc7692#section-7.2.1).
 *
 * @example The node:zlib engine's (the adapters' default; every runtime has node:zlib)
 * ```ts
 * import type { DeflateParams, MessageDeflater } from "@wsflow/wsflow";
 * import { zlibDeflateEngine } from "@wsflow/wsflow/node";
 *
 * const params: DeflateParams = {
 *   serverNoContextTakeover: false, clientNoContextTakeover: false,
 *   serverMaxWindowBits: 15, clientMaxWindowBits: 15,
 * };
 * const deflater: MessageDeflater = zlibDeflateEngine.deflater(params, "server");
 * const payload = await deflater.compress(new TextEncoder().encode("Hello"));
 * // The compressed "Hello" of rfc7692#section-7.2.3.1:
 * console.log(payload.join(" ")); // 242 72 205 201 201 7 0
 * deflater.close();
 * ```
 */
export interface MessageDeflater {
  /** Compresses one message. */
  compress(data: Uint8Array): Promise<Uint8Array>;
  /** Frees the compressor. */
  close(): void;
}

/**
 * Decompresses one permessage-deflate message (rfc7692#section-7.2.2), failing with a
 * `MessageTooBigError` as soon as the output would exceed `maxBytes`.
 *
 * @example The node:zlib engine's, on the compressed "Hello" of rfc7692#section-7.2.3.1
 * ```ts
 * import type { DeflateParams, MessageInflater } from "@wsflow/wsflow";
 * import { zlibDeflateEngine } from "@wsflow/wsflow/node";
 *
 * const params: DeflateParams = {
 *   serverNoContextTakeover: false, clientNoContextTakeover: false,
 *   serverMaxWindowBits: 15, clientMaxWindowBits: 15,
 * };
 * const inflater: MessageInflater = zlibDeflateEngine.inflater(params, "client");
 * const payload = new Uint8Array([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
 * console.log(new TextDecoder().decode(await inflater.decompress(payload, 1024))); // Hello
 * inflater.close();
 * ```
 */
export interface MessageInflater {
  /** Decompresses one message, appending the 0x00 0x00 0xff 0xff tail. */
  decompress(payload: Uint8Array, maxBytes: number): Promise<Uint8Array>;
  /** Frees the decompressor. */
  close(): void;
}

/**
 * Builds the compressor and decompressor of one connection from the agreed parameters. A
 * `Connection` takes one of each; `role` says which side of {@linkcode DeflateParams} is ours.
 *
 * @example A server's deflater and a client's inflater agree
 * ```ts
 * import type { DeflateEngine, DeflateParams } from "@wsflow/wsflow";
 * import { zlibDeflateEngine } from "@wsflow/wsflow/node";
 *
 * const engine: DeflateEngine = zlibDeflateEngine;
 * const params: DeflateParams = {
 *   serverNoContextTakeover: true, clientNoContextTakeover: false,
 *   serverMaxWindowBits: 10, clientMaxWindowBits: 15,
 * };
 * const deflater = engine.deflater(params, "server");
 * const inflater = engine.inflater(params, "client");
 * const payload = await deflater.compress(new TextEncoder().encode("Hello ".repeat(100)));
 * const message = new TextDecoder().decode(await inflater.decompress(payload, 1 << 20));
 * console.log(payload.length < 20, message.length); // true 600
 * deflater.close();
 * inflater.close();
 * ```
 */
export interface DeflateEngine {
  /**
   * The compressor of messages this endpoint sends: our role's window and context takeover.
   * @param params The agreed parameters.
   * @param role This endpoint's role.
   */
  deflater(params: DeflateParams, role: Role): MessageDeflater;
  /**
   * The decompressor of messages the peer sends: the peer's window and context takeover.
   * @param params The agreed parameters.
   * @param role This endpoint's role.
   */
  inflater(params: DeflateParams, role: Role): MessageInflater;
}

/**
 * A connection's permessage-deflate machinery.
 *
 * @example
 * ```ts
 * import {
 *   type ConnectionDeflate,
 *   DEFAULT_DEFLATE_THRESHOLD,
 *   type DeflateParams,
 * } from "@wsflow/wsflow";
 * import { zlibDeflateEngine } from "@wsflow/wsflow/node";
 *
 * const params: DeflateParams = {
 *   serverNoContextTakeover: true, clientNoContextTakeover: false,
 *   serverMaxWindowBits: 15, clientMaxWindowBits: 15,
 * };
 * const deflate: ConnectionDeflate = {
 *   deflater: zlibDeflateEngine.deflater(params, "server"),
 *   inflater: zlibDeflateEngine.inflater(params, "server"),
 *   threshold: DEFAULT_DEFLATE_THRESHOLD,
 * };
 * console.log(deflate.threshold); // 1024
 * deflate.deflater.close();
 * deflate.inflater.close();
 * ```
 */
export interface ConnectionDeflate {
  /** Compresses outgoing messages. */
  deflater: MessageDeflater;
  /** Decompresses incoming messages. */
  inflater: MessageInflater;
  /** Messages smaller than this many bytes are sent uncompressed. */
  threshold: number;
  /**
   * Set when this end compresses every message on its own (no context takeover on our side,
   * rfc7692#section-7.1.1): the window bits it compresses with. A message compressed for one
   * such connection is then valid for every connection with the same value, so a topic
   * compresses each message once per value rather than once per subscriber.
   * @default {undefined}
   */
  sharedWindowBits?: number | undefined;
}
