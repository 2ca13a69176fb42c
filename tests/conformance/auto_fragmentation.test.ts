// Conformance, TCP segmentation independent of framing (in the spirit of Autobahn|Testsuite
// 10.x): frame boundaries and TCP reads need not line up. Several fragments may arrive in one
// read, one frame's header may be split across reads, and a large message may arrive in
// MTU-sized pieces.
import { expect, it } from "vitest";
import {
  chop,
  chopRandomly,
  concatBytes,
  describeFrame,
  describeOverTransports,
  fragmentFrames,
  frame,
  Op,
  pattern,
  splitAt,
  textOfLength,
} from "../_helpers/conformance_peer.ts";

describeOverTransports("conformance 10.x: frames across TCP writes", (target) => {
  it("rfc6455#section-5.4 reassembles a fragmented text message whose fragments all arrive in one write", async () => {
    const peer = await target.connect();
    const payload = textOfLength(10_000);
    peer.write(fragmentFrames(Op.Text, payload, 1300));
    await peer.expectMessage(Op.Text, payload);
  });

  for (
    const [name, bytes] of [
      ["7-bit length", frame(Op.Text, "Hello, world!")],
      ["16-bit length", frame(Op.Binary, pattern(300))],
      ["64-bit length", frame(Op.Binary, pattern(70_000))],
    ] as const
  ) {
    it(`rfc6455#section-5.2 reads a frame (${name}) whose header arrives split over two writes, at every header byte`, async () => {
      const peer = await target.connect();
      const headerLength = bytes.length - payloadLengthOf(bytes);
      for (let at = 1; at < headerLength; at++) {
        const [first, second] = splitAt(bytes, at);
        await peer.writePieces([first!, second!], 5);
        const opcode = bytes[0]! & 0x0f;
        await peer.expectMessage(opcode, unmaskedPayloadOf(bytes), `header split at byte ${at}`);
      }
    });
  }

  it("rfc6455#section-5.4 reads fragments whose headers straddle writes: each write ends inside the next header", async () => {
    const peer = await target.connect();
    const payload = pattern(5_000);
    const frames = fragmentFrames(Op.Binary, payload, 1000);
    // Each fragment is 2 + 2 + 4 + 1000 bytes; cut 3 bytes into every header after the first.
    const cuts: number[] = [];
    for (let offset = 1008; offset < frames.length; offset += 1008) cuts.push(offset + 3);
    await peer.writePieces(splitAt(frames, ...cuts), 5);
    await peer.expectMessage(Op.Binary, payload);
  });

  it("rfc6455#section-5.2 echoes a 64 KiB text message arriving in 1300-byte writes", async () => {
    const peer = await target.connect();
    const payload = textOfLength(65_536);
    await peer.writePieces(chop(frame(Op.Text, payload), 1300), 1);
    await peer.expectMessage(Op.Text, payload);
  });

  it("rfc6455#section-5.4 echoes a 64 KiB binary message in 1300-byte fragments, written in random pieces", async () => {
    const peer = await target.connect();
    const payload = pattern(65_536);
    const bytes = fragmentFrames(Op.Binary, payload, 1300);
    await peer.writePieces(chopRandomly(bytes, 3000, 1010), 1);
    await peer.expectMessage(Op.Binary, payload);
  });

  it("rfc6455#section-5.4 handles a message, a ping and the next message's first fragment in one write", async () => {
    const peer = await target.connect();
    peer.write(concatBytes(
      frame(Op.Text, "first"),
      frame(Op.Ping, "ping"),
      frame(Op.Text, "sec", { fin: false }),
    ));
    // The Pong may overtake the echo: the RFC orders neither against the other.
    const replies = [await peer.next("first reply"), await peer.next("second reply")];
    expect(replies.map(describeFrame).sort()).toEqual(["pong of 4 bytes", "text of 5 bytes"]);
    peer.sendFrame(Op.Continuation, "ond");
    await peer.expectMessage(Op.Text, "second");
  });
});

/** The payload length a hand-made client frame declares. */
function payloadLengthOf(bytes: Uint8Array): number {
  const length = bytes[1]! & 0x7f;
  if (length < 126) return length;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return length === 126 ? view.getUint16(2) : Number(view.getBigUint64(2));
}

/** The payload of a hand-made masked client frame, unmasked. */
function unmaskedPayloadOf(bytes: Uint8Array): Uint8Array {
  const length = payloadLengthOf(bytes);
  const start = bytes.length - length;
  const key = bytes.subarray(start - 4, start);
  return bytes.slice(start).map((b, i) => b ^ key[i % 4]!);
}
