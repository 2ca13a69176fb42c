/**
 * What differs between the transports a WebSocket upgrade can arrive on: how the request is
 * checked and how the server answers it. Over HTTP/1.1 that is `validateUpgradeRequest` and
 * bytes on the socket (a 101 head, or a refusal with the connection closed after it); over
 * HTTP/2 it is an extended CONNECT (rfc8441#section-4) answered with response fields on its
 * stream (`extended_connect_transport.ts`). Everything else, from the route to the handler, is
 * one path (`acceptUpgrade`).
 *
 * @module
 */

import { acceptKey, acceptKeyWith, type Sha1 } from "../protocol/accept_key.ts";
import { acceptKeySync } from "../protocol/accept_key_sync.ts";
import {
  plainUpgradeResponseHead,
  type UpgradeRequestInfo,
  type UpgradeRequestLike,
  upgradeResponseHead,
  validateUpgradeRequest,
} from "../protocol/server_handshake.ts";
import type { UpgradeRequestView } from "../router/upgrade_request.ts";
import type { ByteStream } from "../streams/byte_stream.ts";
import { type ByteReader, writerOf } from "../streams/socket_channel.ts";
import { refuse, writeRefusal } from "./refuse.ts";
import { responseBytes } from "./response_bytes.ts";

/**
 * What the server selected for an accepted upgrade.
 *
 * @example
 * ```ts ignore
 * const selection: UpgradeSelection = { protocol: "chat", extensions: undefined, headers: undefined };
 * ```
 */
export interface UpgradeSelection {
  /** The subprotocol, one the client offered, or `""`. */
  readonly protocol: string;
  /** The accepted extensions' header value, if any. */
  readonly extensions: string | undefined;
  /** Further fields from the route's upgrade hook. */
  readonly headers: HeadersInit | undefined;
  /**
   * The SHA-1 for the accept key, when the server's options give one; otherwise wsflow's own
   * (`accept_key_sync.ts`), also at once.
   * @default {undefined}
   */
  readonly sha1?: Sha1 | undefined;
}

/**
 * Sends an accepted upgrade's answer on its stream; settles once it is written.
 *
 * @example
 * ```ts ignore
 * const respond: Answer = await transport.answer(info, selection);
 * await respond(stream);
 * ```
 */
export type Answer = (stream: ByteStream) => Promise<void>;

/**
 * How one transport checks and answers upgrade requests.
 *
 * @example
 * ```ts ignore
 * const info = transport.validate(request, head);
 * const write = await transport.answer(info, { protocol: "", extensions: undefined, headers: undefined });
 * await write(stream);
 * ```
 */
export interface UpgradeTransport {
  /** The status an accepted upgrade is answered (and counted) with: 101, or 200 over HTTP/2. */
  readonly acceptedStatus: number;
  /**
   * Checks the request.
   * @throws {HandshakeError} With the status to refuse with.
   */
  validate(
    request: UpgradeRequestView,
    handshake: UpgradeRequestLike | undefined,
  ): UpgradeRequestInfo;
  /**
   * Prepares the acceptance, failing (`TypeError`) before anything is sent when a selection
   * cannot be written; the function it returns sends it, and settles once it is written.
   */
  answer(
    info: UpgradeRequestInfo,
    selection: UpgradeSelection,
  ): Answer | Promise<Answer>;
  /**
   * Refuses with `status`, `headers` and a text `body`, then ends the stream. Never rejects.
   * `reader` is the stream's reader when the caller holds it.
   */
  refuse(
    stream: ByteStream,
    status: number,
    headers: HeadersInit | undefined,
    body: string,
    reader?: ByteReader,
  ): Promise<void>;
  /** Refuses with a whole `Response` (an upgrade hook's), then ends the stream. Never rejects. */
  refuseWith(stream: ByteStream, response: Response): Promise<void>;
}

/**
 * HTTP/1.1: the head checked by `validateUpgradeRequest` (rfc6455#section-4.2.1), a
 * `101 Switching Protocols` with the accept key written to the socket (rfc6455#section-4.2.2),
 * a refusal written and the connection closed after it. The default of `acceptUpgrade`.
 *
 * @example
 * ```ts
 * import { requestView } from "../router/upgrade_request.ts";
 * import { HTTP1_UPGRADE } from "./upgrade_transport.ts";
 * const info = HTTP1_UPGRADE.validate(requestView(new Request("http://example.com/", {
 *   headers: {
 *     Host: "example.com", Upgrade: "websocket", Connection: "Upgrade",
 *     "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "13",
 *   },
 * })), undefined);
 * console.log(info.key); // dGhlIHNhbXBsZSBub25jZQ==
 * ```
 */
export const HTTP1_UPGRADE: UpgradeTransport = Object.freeze({
  acceptedStatus: 101,
  validate(
    request: UpgradeRequestView,
    handshake: UpgradeRequestLike | undefined,
  ): UpgradeRequestInfo {
    return validateUpgradeRequest(handshake ?? request.request());
  },
  answer(info: UpgradeRequestInfo, selection: UpgradeSelection): Answer | Promise<Answer> {
    const { sha1 } = selection;
    if (sha1 !== undefined) return http1Answer(acceptKeyWith(info.key, sha1), selection);
    // Most handshakes: the three fields, written at once with wsflow's own SHA-1.
    if (
      selection.protocol === "" && (selection.extensions ?? "") === "" &&
      selection.headers === undefined
    ) {
      const head = plainUpgradeResponseHead(info.key);
      if (head !== undefined) return writeHead(head);
    }
    const accept = acceptKeySync(info.key);
    if (accept !== undefined) return http1Answer(accept, selection);
    return acceptKey(info.key).then((accept) => http1Answer(accept, selection));
  },
  refuse: writeRefusal,
  async refuseWith(stream: ByteStream, response: Response): Promise<void> {
    await refuse(stream, await responseBytes(response, false));
  },
});

/** Writes the 101 of an HTTP/1.1 upgrade, once its head is built. */
function http1Answer(accept: string, selection: UpgradeSelection): Answer {
  const head = upgradeResponseHead({
    accept,
    protocol: selection.protocol,
    headers: selection.headers,
    extensions: selection.extensions,
  });
  return writeHead(head);
}

/** Writes a head on the stream; settles once it is written. */
function writeHead(head: Uint8Array): Answer {
  return (stream) => {
    const writer = writerOf(stream);
    const written = writer.write(head);
    writer.releaseLock();
    return written;
  };
}
