/**
 * Refusing a stream: write a complete HTTP response, end the stream, and linger reading what
 * the peer still sends, so unread bytes do not make the kernel reset the connection before the
 * peer has read the answer.
 *
 * @module
 */

import { HandshakeError, WebSocketError } from "../protocol/errors.ts";
import { refusalResponse } from "../protocol/http1_response_writer.ts";
import type { ByteStream } from "../streams/byte_stream.ts";
import { type ByteReader, readerOf, writerOf } from "../streams/socket_channel.ts";
import { reportError, type ServerContext } from "./server_context.ts";
import { upgradeRefused } from "./server_observer.ts";

/** How long a refused stream is drained before it is cancelled. */
const LINGER_MS = 2_000;

/**
 * Writes `response`, ends the stream and drains what the peer still sends for a while. Never
 * rejects. The stream's writable must not be locked.
 *
 * @example
 * ```ts
 * import { byteStreamPair } from "@wsflow/wsflow/testing";
 * import { refusal, refuse } from "./refuse.ts";
 * const [stream, peer] = byteStreamPair();
 * const refused = refuse(stream, refusal(503, "Too many connections\n"));
 * const answer = await new Response(peer.readable).text();
 * await refused;
 * console.log(answer.split("\r\n")[0]); // HTTP/1.1 503 Service Unavailable
 * ```
 * @param stream The stream to refuse.
 * @param response A complete HTTP/1.1 response.
 * @param reader The stream's reader, when the caller holds it (a read may still be pending,
 *   after a handshake timeout); else the readable must not be locked.
 * @returns Resolves once the stream is done with.
 */
export async function refuse(
  stream: ByteStream,
  response: Uint8Array,
  reader: ByteReader = readerOf(stream),
): Promise<void> {
  const writer = writerOf(stream);
  await writer.write(response).catch(() => {});
  await writer.close().catch(() => {});
  // Read what is left briefly, so unread bytes do not make the kernel reset the connection
  // before the client reads the response.
  const linger = setTimeout(() => reader.cancel().catch(() => {}), LINGER_MS);
  try {
    while (!(await reader.read()).done);
  } catch {
    // reset or cancelled
  } finally {
    clearTimeout(linger);
    await reader.cancel().catch(() => {});
  }
}

/**
 * A refusal's bytes: status line, `headers`, and `body` as text.
 *
 * @example
 * ```ts
 * import { refusal } from "./refuse.ts";
 * const bytes = refusal(404, "Not found\n");
 * console.log(new TextDecoder().decode(bytes).split("\r\n")[0]); // HTTP/1.1 404 Not Found
 * ```
 * @param status The HTTP status.
 * @param body The body text.
 * @param headers Extra header fields.
 * @returns The complete response.
 */
export function refusal(status: number, body: string, headers?: HeadersInit): Uint8Array {
  return refusalResponse(status, headers, body);
}

/**
 * Reports a failed handshake to `onError` and refuses the stream with the error's status and
 * headers (400 for anything but a {@linkcode HandshakeError}), its message as the body.
 *
 * @example
 * ```ts ignore
 * await refuseHandshake(stream, new HandshakeError("Cannot upgrade: no", 400), server);
 * ```
 * @param stream The stream to refuse; its writable not locked.
 * @param error Why the handshake failed.
 * @param server The server, for `onError`.
 * @param reader The stream's reader, when the caller holds it.
 * @param url The request's URL, when its head was read that far (for the diagnostics event).
 * @param send How the transport writes a refusal (`UpgradeTransport.refuse`); by default an
 *   HTTP/1.1 response on the stream.
 * @returns Resolves once the stream is done with.
 */
export function refuseHandshake(
  stream: ByteStream,
  error: unknown,
  server: ServerContext,
  reader?: ByteReader,
  url?: string,
  send: RefusalWriter = writeRefusal,
): Promise<void> {
  reportError(server, error, "handshake", stream.remoteAddr);
  const status = error instanceof HandshakeError ? error.status : 400;
  const headers = error instanceof HandshakeError ? error.headers : undefined;
  const text = errorText(error);
  upgradeRefused(server.options.observer, status, text.trimEnd(), stream.remoteAddr, url);
  return send(stream, status, headers, text, reader);
}

/**
 * Writes a refusal with a status, fields and a text body, then ends the stream: what
 * `UpgradeTransport.refuse` does for its transport.
 *
 * @example
 * ```ts ignore
 * const send: RefusalWriter = (stream, status, headers, body) =>
 *   refuse(stream, refusal(status, body, headers));
 * ```
 */
export type RefusalWriter = (
  stream: ByteStream,
  status: number,
  headers: HeadersInit | undefined,
  body: string,
  reader?: ByteReader,
) => Promise<void>;

/**
 * Writes an HTTP/1.1 refusal (status, fields and a text body), then closes the stream: the
 * default {@linkcode RefusalWriter}.
 *
 * @example
 * ```ts ignore
 * await writeRefusal(stream, 404, undefined, "No route\n");
 * ```
 * @param stream The byte stream.
 * @param status The HTTP status.
 * @param headers Further fields.
 * @param body The text body.
 * @param reader The stream's reader when the caller holds it.
 * @returns Resolves once the stream is done with.
 */
export function writeRefusal(
  stream: ByteStream,
  status: number,
  headers: HeadersInit | undefined,
  body: string,
  reader?: ByteReader,
): Promise<void> {
  return refuse(stream, refusal(status, body, headers), reader);
}

/** A refusal's body: a wsflow error's message, which names the broken rule; else nothing specific. */
function errorText(error: unknown): string {
  return error instanceof WebSocketError ? `${error.message}\n` : "Bad request\n";
}
