// Conformance, opcodes (in the spirit of Autobahn|Testsuite 4.x): the reserved non-control
// opcodes 0x3-0x7 and control opcodes 0xB-0xF fail the connection with 1002, empty or with a
// payload, alone or after a valid echoed message; a ping sent after them is not answered.
import { it } from "vitest";
import {
  concatBytes,
  describeOverTransports,
  frame,
  Op,
  pattern,
} from "../_helpers/conformance_peer.ts";

const RESERVED: readonly { opcode: number; kind: string }[] = [
  ...[0x3, 0x4, 0x5, 0x6, 0x7].map((opcode) => ({ opcode, kind: "non-control" })),
  ...[0xb, 0xc, 0xd, 0xe, 0xf].map((opcode) => ({ opcode, kind: "control" })),
];

const hex = (opcode: number): string => `0x${opcode.toString(16).toUpperCase()}`;

describeOverTransports("conformance 4.x: opcodes", (target) => {
  for (const { opcode, kind } of RESERVED) {
    it(`rfc6455#section-5.2 the reserved ${kind} opcode ${hex(opcode)}, empty, fails with 1002`, async () => {
      const peer = await target.connect();
      peer.sendFrame(opcode);
      await peer.expectFailure(1002);
    });

    it(`rfc6455#section-5.2 the reserved ${kind} opcode ${hex(opcode)} with a payload fails with 1002`, async () => {
      const peer = await target.connect();
      peer.sendFrame(opcode, "reserved opcode payload");
      await peer.expectFailure(1002);
    });

    it(`rfc6455#section-5.2 after an echoed message, the reserved ${kind} opcode ${hex(opcode)} with a payload, then a ping, fails with 1002`, async () => {
      const peer = await target.connect();
      peer.sendFrame(Op.Text, "Hello, world!");
      await peer.expectMessage(Op.Text, "Hello, world!");
      peer.write(concatBytes(frame(opcode, pattern(20)), frame(Op.Ping, "unanswered")));
      await peer.expectFailure(1002);
    });
  }

  it("rfc6455#section-5.2 a reserved non-control opcode without FIN (as if starting a message) fails with 1002", async () => {
    const peer = await target.connect();
    peer.sendFrame(0x3, "start", { fin: false });
    await peer.expectFailure(1002);
  });

  it("rfc6455#section-5.2 a reserved opcode in the middle of a fragmented message fails with 1002", async () => {
    const peer = await target.connect();
    peer.write(concatBytes(
      frame(Op.Text, "frag", { fin: false }),
      frame(0x7, "ment", { fin: false }),
    ));
    await peer.expectFailure(1002);
  });

  it("rfc6455#section-5.2 a reserved control opcode with a 126-byte payload fails with 1002", async () => {
    const peer = await target.connect();
    peer.sendFrame(0xf, pattern(126));
    await peer.expectFailure(1002);
  });
});
