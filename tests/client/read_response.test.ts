// readResponse (src/client/read_response.ts): the client reads the server's answer to its
// opening handshake off the socket until the head is complete (rfc6455#section-4.1), over
// in-memory streams: a head in any number of pieces, the frames after it, a server that
// closes early, and an attempt that ends while a read waits.
import { describe, expect, it } from "vitest";
import { readResponse } from "../../src/client/read_response.ts";
import { HandshakeError } from "../../src/protocol/errors.ts";
import { rejected } from "../_helpers/thrown.ts";

const HEAD = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
  "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** A reader over `chunks`, then the end of the stream (or nothing more, when `open`). */
function readerOf(chunks: Uint8Array[], open = false): ReadableStreamDefaultReader<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller): void {
      for (const chunk of chunks) controller.enqueue(chunk);
      if (!open) controller.close();
    },
  }).getReader();
}

const NEVER: Promise<never> = new Promise<never>(() => {});

describe("readResponse", () => {
  it("rfc6455#section-4.1 reads a head split at every byte; the frame after it is rest, then unread", async () => {
    const whole = new Uint8Array([...bytes(HEAD), 0x81, 0x02, 0x68, 0x69]);
    for (let cut = 1; cut < whole.length; cut++) {
      const reader = readerOf([whole.subarray(0, cut), whole.subarray(cut)]);
      const response = await readResponse(reader, undefined, NEVER);
      expect(response.status, `cut at ${cut}`).toBe(101);
      // What came in the head's last chunk is rest; a later chunk is left in the reader.
      const after = [...response.rest];
      after.push(...((await reader.read()).value ?? []));
      expect(after, `cut at ${cut}`).toEqual([0x81, 0x02, 0x68, 0x69]);
    }
  });

  it("stops reading once the head is complete, leaving later chunks to the connection", async () => {
    const reader = readerOf([bytes(HEAD), new Uint8Array([0x88, 0x00])]);
    const response = await readResponse(reader, undefined, NEVER);
    expect(response.rest.length).toBe(0);
    expect((await reader.read()).value).toEqual(new Uint8Array([0x88, 0x00]));
  });

  it("rfc6455#section-4.1 fails with HandshakeError 0 when the server closes without answering", async () => {
    const error = await rejected(() => readResponse(readerOf([]), undefined, NEVER));
    expect(error).toBeInstanceOf(HandshakeError);
    expect((error as HandshakeError).status).toBe(0);
    expect((error as Error).message).toContain("without answering");
  });

  it("fails with HandshakeError 0 when the server closes in the middle of the head", async () => {
    const error = await rejected(() =>
      readResponse(readerOf([bytes("HTTP/1.1 101 Switching")]), undefined, NEVER)
    );
    expect(error).toBeInstanceOf(HandshakeError);
    expect((error as HandshakeError).status).toBe(0);
  });

  it("applies the head limits it is given", async () => {
    const long = `HTTP/1.1 101 Switching Protocols\r\nX-Padding: ${"a".repeat(4096)}\r\n\r\n`;
    const error = await rejected(() =>
      readResponse(readerOf([bytes(long)]), { maxHeaderBytes: 1024 }, NEVER)
    );
    expect(error).toBeInstanceOf(HandshakeError);
  });

  it("stops waiting with ended's reason when the attempt ends while a read waits", async () => {
    let end!: (reason: unknown) => void;
    const ended = new Promise<never>((_, reject) => end = reject);
    const reason = new Error("timed out");
    const reading = rejected(() => readResponse(readerOf([], true), undefined, ended));
    end(reason);
    expect(await reading).toBe(reason);
  });
});
