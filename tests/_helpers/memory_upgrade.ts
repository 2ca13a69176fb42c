// The client's side of an opening handshake over an in-memory byte pair: write a request head,
// read the server's response head, then hand the rest of the stream to a MemoryPeer (after a
// 101) or read the refusal's body to its end. For tests of src/server/ without sockets.
import {
  type Http1Response,
  Http1ResponseParser,
} from "../../src/protocol/http1_response_parser.ts";
import type { ByteStream } from "../../src/streams/byte_stream.ts";
import { MemoryPeer } from "./memory_peer.ts";

/** The sample key of rfc6455#section-1.3; its accept value is s3pPLMBiTxaQ9kYGzzhZRbK+xOo=. */
export const KEY = "dGhlIHNhbXBsZSBub25jZQ==";

/** The header fields of a valid opening handshake to `localhost`, and `extra` after them. */
export function upgradeFields(extra: Record<string, string> = {}): Record<string, string> {
  return {
    "Host": "localhost",
    "Upgrade": "websocket",
    "Connection": "Upgrade",
    "Sec-WebSocket-Key": KEY,
    "Sec-WebSocket-Version": "13",
    ...extra,
  };
}

/** A valid upgrade as a web Request, for acceptUpgrade. */
export function upgradeRequest(path = "/", extra: Record<string, string> = {}): Request {
  return new Request(`http://localhost${path}`, { headers: upgradeFields(extra) });
}

/** A valid upgrade head as text, for a byte stream. */
export function upgradeHead(path = "/", extra: Record<string, string> = {}): string {
  const lines = [`GET ${path} HTTP/1.1`];
  for (const [name, value] of Object.entries(upgradeFields(extra))) lines.push(`${name}: ${value}`);
  return `${lines.join("\r\n")}\r\n\r\n`;
}

/** Writes `text` (latin1, one byte per character) to the stream and releases the writer. */
export async function writeText(stream: ByteStream, text: string): Promise<void> {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  const writer = stream.writable.getWriter();
  await writer.write(bytes);
  writer.releaseLock();
}

/** What the server answered: the response head, and the stream after it. */
export interface ServerAnswer {
  response: Http1Response;
  /** The stream after the response head (its first bytes were read with the head). */
  after: ByteStream;
}

/** Reads the server's response head; the stream's readable must not be locked. */
export async function readAnswer(stream: ByteStream): Promise<ServerAnswer> {
  const reader = stream.readable.getReader();
  const parser = new Http1ResponseParser();
  while (true) {
    const { value, done } = await reader.read();
    if (done) {
      parser.end();
      throw new Error("The stream ended before a response head");
    }
    const response = parser.push(value);
    if (response === null) continue;
    let first: Uint8Array | undefined = response.rest.length > 0 ? response.rest : undefined;
    const readable = new ReadableStream<Uint8Array>({
      async pull(controller): Promise<void> {
        if (first !== undefined) {
          controller.enqueue(first);
          first = undefined;
          return;
        }
        const next = await reader.read();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
      cancel(reason): Promise<void> {
        return reader.cancel(reason);
      },
    }, { highWaterMark: 0 });
    return { response, after: { readable, writable: stream.writable } };
  }
}

/**
 * Reads a refusal's body to the end of the stream, as text, then ends the client's side (so the
 * server stops lingering on it).
 */
export async function readBody(answer: ServerAnswer): Promise<string> {
  let text = "";
  const decoder = new TextDecoder();
  const reader = answer.after.readable.getReader();
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  await answer.after.writable.close().catch(() => {});
  return text + decoder.decode();
}

/** A MemoryPeer on the stream after a 101. */
export function peerAfter(answer: ServerAnswer): MemoryPeer {
  return new MemoryPeer(answer.after);
}
