/**
 * A TransformStream from frames to bytes: a standalone tool, like `FrameDecoderStream`. A
 * `Connection` writes through its own frame writer, which batches the frames of one event-loop
 * turn into one socket write.
 *
 * @module
 */

import type { Frame, Role } from "../protocol/frame.ts";
import { FrameSerializer } from "../protocol/frame_serializer.ts";

/** Options of {@linkcode FrameEncoderStream}. */
export interface FrameEncoderStreamOptions {
  /** The sending role: a client masks every frame with a fresh key, a server never masks. */
  role: Role;
}

/**
 * Encodes frames to bytes, one output chunk per frame (a large server payload is written as a
 * separate chunk after its header, without a copy). Client frames are masked
 * (rfc6455#section-5.3) without changing the frame's payload.
 *
 * @example Encode the RFC's unmasked "Hello" (rfc6455#section-5.7)
 * ```ts
 * import { FrameEncoderStream, Opcode } from "@wsflow/wsflow";
 * const frame = {
 *   fin: true, rsv1: false, rsv2: false, rsv3: false,
 *   opcode: Opcode.Text, payload: new TextEncoder().encode("Hello"),
 * };
 * const bytes = ReadableStream.from([frame]).pipeThrough(new FrameEncoderStream({ role: "server" }));
 * for await (const chunk of bytes) console.log(chunk); // Uint8Array [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]
 * ```
 */
export class FrameEncoderStream extends TransformStream<Frame, Uint8Array> {
  /**
   * Creates the instance.
   * @param options The sending role.
   */
  constructor(options: FrameEncoderStreamOptions) {
    const serializer = new FrameSerializer(options);
    super({
      transform(frame, controller): void {
        if (frame.rsv2 || frame.rsv3) {
          throw new TypeError("Cannot encode frame: RSV2 and RSV3 have no meaning here");
        }
        serializer.writeFrame(frame.opcode, frame.payload, frame.fin, frame.rsv1);
        for (const chunk of serializer.take()!) controller.enqueue(chunk);
      },
    });
  }
}
