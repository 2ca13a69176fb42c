/**
 * A TransformStream from bytes to frames: a standalone tool for frame-level work (a proxy, a
 * recorder, a test peer). A `Connection` does not use it: it drives the same `FrameParser`
 * directly from its read loop, which saves a stream hop and a promise per frame.
 *
 * @module
 */

import type { Frame } from "../protocol/frame.ts";
import { FrameParser, type FrameParserOptions } from "../protocol/frame_parser.ts";
import { WebSocketError } from "../protocol/errors.ts";

/**
 * Decodes WebSocket frames from a byte stream, one frame per output chunk. Protocol errors
 * error the stream with the typed {@linkcode WebSocketError} (its `closeCode` says how to close);
 * bytes that end inside a frame error it with a `WebSocketError` of code 1006 (abnormal closure,
 * rfc6455#section-7.1.5).
 *
 * It takes ownership of the chunks written to it: payloads are views of them, unmasked in place.
 *
 * @example Decode the RFC's masked "Hello" (rfc6455#section-5.7)
 * ```ts
 * import { FrameDecoderStream } from "@wsflow/wsflow";
 * const bytes = new Uint8Array([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
 * const frames = ReadableStream.from([bytes]).pipeThrough(new FrameDecoderStream({ role: "server" }));
 * for await (const frame of frames) console.log(new TextDecoder().decode(frame.payload)); // "Hello"
 * ```
 */
export class FrameDecoderStream extends TransformStream<Uint8Array, Frame> {
  /**
   * Creates the instance.
   * @param options The receiving role, limits, and whether RSV1 is negotiated.
   */
  constructor(options: FrameParserOptions) {
    const parser = new FrameParser(options);
    super({
      transform(chunk, controller): void {
        parser.push(chunk, (frame) => controller.enqueue(frame));
      },
      flush(controller): void {
        if (!parser.idle) {
          // rfc6455#section-7.1.5: the connection ended without a Close frame
          controller.error(
            new WebSocketError("Cannot decode frame: the stream ended inside a frame", 1006),
          );
        }
      },
    });
  }
}
