// readRequestHead: a head split across chunks, a stream that ends early, a slow client.
import { describe, expect, it } from "vitest";
import { HandshakeError } from "../../src/protocol/errors.ts";
import { readRequestHead } from "../../src/server/read_request_head.ts";

function readerOf(chunks: string[], end = true): ReadableStreamDefaultReader<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    start(controller): void {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      if (end) controller.close();
    },
  }).getReader();
}

async function statusOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
    return 0;
  } catch (error) {
    return error instanceof HandshakeError ? error.status : -1;
  }
}

describe("readRequestHead", () => {
  it("reads a head split at every byte, with the bytes after it as rest", async () => {
    const text = "GET /a HTTP/1.1\r\nHost: x\r\n\r\nrest";
    const head = await readRequestHead(readerOf([...text]), {});
    expect(head.target).toBe("/a");
    expect(new TextDecoder().decode(head.rest)).toBe("");
    const whole = await readRequestHead(readerOf([text]), {});
    expect(new TextDecoder().decode(whole.rest)).toBe("rest");
  });

  it("refuses a stream that ends before the head with 400", async () => {
    expect(await statusOf(readRequestHead(readerOf(["GET / HTTP/1.1\r\n"]), {}))).toBe(400);
  });

  it("refuses a head not complete within handshakeTimeout with 408", async () => {
    const reader = readerOf(["GET / HTTP/1.1\r\n"], false);
    expect(await statusOf(readRequestHead(reader, { handshakeTimeout: 10 }))).toBe(408);
  });

  it("rfc7230#section-3.2.5 applies the head limits as the bytes arrive (431)", async () => {
    const reader = readerOf(["GET / HTTP/1.1\r\n", `X: ${"v".repeat(100)}\r\n`], false);
    expect(await statusOf(readRequestHead(reader, { limits: { maxLineBytes: 64 } }))).toBe(431);
  });
});
