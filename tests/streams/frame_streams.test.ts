// FrameDecoderStream and FrameEncoderStream, the standalone frame tools of layer 1: the RFC's
// own examples (rfc6455#section-5.7), every split of the input, typed errors, and a round trip.
import { describe, expect, it } from "vitest";
import { FrameDecoderStream } from "../../src/streams/frame_decoder_stream.ts";
import { FrameEncoderStream } from "../../src/streams/frame_encoder_stream.ts";
import { ProtocolError, WebSocketError } from "../../src/protocol/errors.ts";
import { Opcode } from "../../src/protocol/opcode.ts";
import type { Frame } from "../../src/protocol/frame.ts";
import { concat, hex, toHex } from "../_helpers/hex.ts";

/** `ReadableStream.from`, which TypeScript's DOM library does not declare yet. */
function streamOf<T>(items: readonly T[]): ReadableStream<T> {
  return (ReadableStream as unknown as { from(items: Iterable<T>): ReadableStream<T> }).from(items);
}

async function collect<T>(stream: ReadableStream<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of stream) items.push(item);
  return items;
}

function decode(chunks: Uint8Array[], role: "server" | "client"): Promise<Frame[]> {
  return collect(streamOf(chunks).pipeThrough(new FrameDecoderStream({ role })));
}

function text(frame: Frame): string {
  return new TextDecoder().decode(frame.payload);
}

// rfc6455#section-5.7: a single-frame masked text message "Hello" and two unmasked fragments.
const MASKED_HELLO = "818537fa213d7f9f4d5158";
const FRAGMENTED_HELLO = "010348656c80026c6f";

describe("FrameDecoderStream", () => {
  it("rfc6455#section-5.7 decodes the masked Hello, split at every byte boundary", async () => {
    const bytes = hex(MASKED_HELLO);
    for (let split = 0; split <= bytes.length; split++) {
      const frames = await decode([bytes.slice(0, split), bytes.slice(split)], "server");
      expect(frames.map(text), `split at ${split}`).toEqual(["Hello"]);
      expect(frames[0]!.opcode).toBe(Opcode.Text);
    }
  });

  it("rfc6455#section-5.7 decodes the two unmasked fragments as two frames, one byte at a time", async () => {
    const bytes = hex(FRAGMENTED_HELLO);
    const frames = await decode([...bytes].map((byte) => Uint8Array.of(byte)), "client");
    expect(frames.map((f) => [f.fin, f.opcode, text(f)])).toEqual([
      [false, Opcode.Text, "Hel"],
      [true, Opcode.Continuation, "lo"],
    ]);
  });

  it("rfc6455#section-5.1 errors with a ProtocolError (1002) on an unmasked client frame", async () => {
    const error = await decode([hex("810548656c6c6f")], "server").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).closeCode).toBe(1002);
  });

  it("rfc6455#section-7.1.5 errors with a WebSocketError 1006 when the bytes end inside a frame", async () => {
    const error = await decode([hex(MASKED_HELLO).slice(0, 7)], "server").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebSocketError);
    expect((error as WebSocketError).closeCode).toBe(1006);
  });
});

describe("FrameEncoderStream", () => {
  const hello: Frame = {
    fin: true,
    rsv1: false,
    rsv2: false,
    rsv3: false,
    opcode: Opcode.Text,
    payload: new TextEncoder().encode("Hello"),
  };

  it("rfc6455#section-5.7 encodes the unmasked Hello as a server", async () => {
    const chunks = await collect(
      streamOf([hello]).pipeThrough(new FrameEncoderStream({ role: "server" })),
    );
    expect(toHex(concat(...chunks))).toBe("810548656c6c6f");
  });

  it("rfc6455#section-5.3 masks as a client without changing the frame, and decodes back", async () => {
    const frames = Array.from({ length: 3 }, (_, i) => ({
      ...hello,
      payload: new Uint8Array(70_000 * i).fill(i + 1),
    }));
    const copies = frames.map((f) => f.payload.slice());
    const bytes = streamOf(frames)
      .pipeThrough(new FrameEncoderStream({ role: "client" }))
      .pipeThrough(new FrameDecoderStream({ role: "server" }));
    const decoded = await collect(bytes);
    expect(decoded.map((f) => f.payload)).toEqual(copies);
    expect(frames.map((f) => f.payload)).toEqual(copies);
  });

  it("refuses RSV2 and RSV3, which no extension here gives a meaning", async () => {
    const error = await collect(
      streamOf([{ ...hello, rsv2: true }]).pipeThrough(
        new FrameEncoderStream({ role: "server" }),
      ),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
  });
});
