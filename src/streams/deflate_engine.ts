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
 * @example
 * ```ts ignore
 * import type { MessageDeflater } from "@wsflow/wsflow";
 * declare const deflater: MessageDeflater;
 * const payload = await deflater.compress(new TextEncoder().encode("Hello"));
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
 * @example
 * ```ts ignore
 * import type { MessageInflater } from "@wsflow/wsflow";
 * declare const inflater: MessageInflater;
 * const bytes = await inflater.decompress(new Uint8Array([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]), 1024);
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
 * @example
 * ```ts ignore
 * import { zlibDeflateEngine } from "@wsflow/wsflow/node";
 * const params = {
 *   serverNoContextTakeover: false, clientNoContextTakeover: false,
 *   serverMaxWindowBits: 15, clientMaxWindowBits: 15,
 * };
 * const deflater = zlibDeflateEngine.deflater(params, "server");
 * const payload = await deflater.compress(new TextEncoder().encode("Hello"));
 * deflater.close();
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
 * ```ts ignore
 * import type { ConnectionDeflate } from "@wsflow/wsflow";
 * declare const deflate: ConnectionDeflate;
 * console.log(deflate.threshold);
 * ```
 */
export interface ConnectionDeflate {
  /** Compresses outgoing messages. */
  deflater: MessageDeflater;
  /** Decompresses incoming messages. */
  inflater: MessageInflater;
  /** Messages smaller than this many bytes are sent uncompressed. */
  threshold: number;
}
