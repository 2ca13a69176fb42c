// Conformance, limits and performance (in the spirit of Autobahn|Testsuite 9.x): large text
// and binary messages in one frame, in many small fragments and in small TCP chunks, and long
// runs of small messages. Sizes stay within examples/echo.ts's limits (64 MiB, 131,072
// fragments) and are chosen so that the file runs in seconds; these are correctness checks under
// load, not timed benchmarks (bench/ holds those).
import { it } from "vitest";
import {
  chop,
  concatBytes,
  describeOverTransports,
  fragmentFrames,
  frame,
  joinBytes,
  Op,
  pattern,
  textOfLength,
  utf8,
} from "../_helpers/conformance_peer.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

const KINDS = [
  { name: "text", opcode: Op.Text, payload: textOfLength },
  { name: "binary", opcode: Op.Binary, payload: pattern },
] as const;

function size(bytes: number): string {
  return bytes >= MiB ? `${bytes / MiB} MiB` : bytes >= KiB ? `${bytes / KiB} KiB` : `${bytes} B`;
}

describeOverTransports("conformance 9.x: limits and performance", (target) => {
  for (const kind of KINDS) {
    for (const length of [1 * KiB, 64 * KiB, 256 * KiB, 1 * MiB, 4 * MiB, 16 * MiB]) {
      it(`rfc6455#section-5.2 echoes a ${size(length)} ${kind.name} message in one frame`, async () => {
        const peer = await target.connect();
        const payload = kind.payload(length);
        peer.sendFrame(kind.opcode, payload);
        await peer.expectMessage(kind.opcode, payload);
      });
    }

    for (const fragment of [64, 256, 1 * KiB, 4 * KiB, 16 * KiB, 64 * KiB]) {
      it(`rfc6455#section-5.4 echoes a 4 MiB ${kind.name} message in fragments of ${size(fragment)}`, async () => {
        const peer = await target.connect();
        const payload = kind.payload(4 * MiB);
        peer.write(fragmentFrames(kind.opcode, payload, fragment));
        await peer.expectMessage(kind.opcode, payload);
      });
    }

    for (const chunk of [64, 1 * KiB, 64 * KiB]) {
      it(`rfc6455#section-5.2 echoes a 1 MiB ${kind.name} message written in TCP chunks of ${size(chunk)}`, async () => {
        const peer = await target.connect();
        const payload = kind.payload(1 * MiB);
        await peer.writePieces(chop(frame(kind.opcode, payload), chunk));
        await peer.expectMessage(kind.opcode, payload);
      });
    }

    it(`delivers 1000 ${kind.name} messages sent back to back, in order`, async () => {
      const peer = await target.connect();
      const payloads = Array.from(
        { length: 1000 },
        (_, i) => kind.opcode === Op.Text ? utf8(`message ${i} κόσμε`) : pattern(i % 200 + 1),
      );
      peer.write(joinBytes(payloads.map((p) => frame(kind.opcode, p))));
      for (const [i, payload] of payloads.entries()) {
        await peer.expectMessage(kind.opcode, payload, `echo ${i}`);
      }
    });

    it(`delivers 1000 ${kind.name} messages of 4 KiB, each sent after the previous echo`, async () => {
      const peer = await target.connect();
      const payload = kind.payload(4 * KiB);
      for (let i = 0; i < 1000; i++) {
        peer.sendFrame(kind.opcode, payload);
        await peer.expectMessage(kind.opcode, payload, `echo ${i}`);
      }
    });
  }

  it("rfc6455#section-5.5.2 answers 1000 pings sent back to back, in order", async () => {
    const peer = await target.connect();
    const payloads = Array.from({ length: 1000 }, (_, i) => utf8(`ping ${i}`));
    peer.write(joinBytes(payloads.map((p) => frame(Op.Ping, p))));
    for (const [i, payload] of payloads.entries()) await peer.expectPong(payload, `pong ${i}`);
  });

  it("rfc6455#section-10.4 a fragmented message growing past 64 MiB fails with 1009 at the fragment header", async () => {
    // A 1-byte first fragment, then the header alone of a 64 MiB continuation: 64 MiB + 1 in
    // all, over the message limit before any of the second payload is sent.
    const peer = await target.connect();
    const length = 64 * MiB;
    peer.write(concatBytes(
      frame(Op.Binary, pattern(1), { fin: false }),
      new Uint8Array([
        0x80,
        0xff,
        0,
        0,
        0,
        0,
        length >>> 24,
        (length >>> 16) & 0xff,
        (length >>> 8) & 0xff,
        length & 0xff,
        9,
        8,
        7,
        6,
      ]),
    ));
    await peer.expectFailure(1009);
  });
});
