// Conformance, framing (in the spirit of Autobahn|Testsuite 1.x): text and binary messages of
// every 7-bit length and around the 16- and 64-bit length boundaries, delivered in one write,
// one byte per write, or in chunks of random sizes; and frames whose header breaks a rule.
import { it } from "vitest";
import {
  chop,
  chopRandomly,
  describeOverTransports,
  frame,
  Op,
  pattern,
  type Peer,
  textOfLength,
} from "../_helpers/conformance_peer.ts";

type Delivery = "in one write" | "in 1-byte chunks" | "in random chunks";

const DELIVERIES: readonly Delivery[] = ["in one write", "in 1-byte chunks", "in random chunks"];

async function deliver(peer: Peer, bytes: Uint8Array, how: Delivery, seed: number): Promise<void> {
  switch (how) {
    case "in one write":
      peer.write(bytes);
      return;
    case "in 1-byte chunks":
      // Small frames get a pause per byte so the server surely reads them one at a time.
      await peer.writePieces(chop(bytes, 1), bytes.length <= 256 ? 1 : 0);
      return;
    case "in random chunks":
      await peer.writePieces(chopRandomly(bytes, Math.max(2, bytes.length >> 4), seed), 1);
      return;
  }
}

const KINDS = [
  { name: "text", opcode: Op.Text, payload: textOfLength },
  { name: "binary", opcode: Op.Binary, payload: pattern },
] as const;

describeOverTransports("conformance 1.x: framing", (target) => {
  for (const kind of KINDS) {
    it(`rfc6455#section-5.2 echoes ${kind.name} messages of every 7-bit length, 0 to 125`, async () => {
      const peer = await target.connect();
      for (let length = 0; length <= 125; length++) {
        const payload = kind.payload(length);
        peer.sendFrame(kind.opcode, payload);
        await peer.expectMessage(kind.opcode, payload, `echo of ${length} bytes`);
      }
    });

    it(`rfc6455#section-5.2 echoes ${kind.name} messages of 0 to 127 bytes sent back to back in one write`, async () => {
      const peer = await target.connect();
      const payloads = Array.from({ length: 128 }, (_, length) => kind.payload(length));
      for (const payload of payloads) peer.sendFrame(kind.opcode, payload);
      for (const payload of payloads) {
        await peer.expectMessage(kind.opcode, payload, `echo of ${payload.length} bytes`);
      }
    });

    for (const length of [125, 126, 127, 65535, 65536, 65537]) {
      for (const [index, how] of DELIVERIES.entries()) {
        // 65,535 single-byte writes take most of a second: once per kind is enough.
        if (how === "in 1-byte chunks" && length > 127 && length !== 65536) continue;
        it(`rfc6455#section-5.2 echoes a ${length}-byte ${kind.name} message sent ${how}`, async () => {
          const peer = await target.connect();
          const payload = kind.payload(length);
          await deliver(peer, frame(kind.opcode, payload), how, length * 3 + index);
          await peer.expectMessage(kind.opcode, payload);
        });
      }
    }

    it(`rfc6455#section-5.2 echoes an empty ${kind.name} message sent in 1-byte chunks, then the next message`, async () => {
      const peer = await target.connect();
      await peer.writePieces(chop(frame(kind.opcode), 1), 1);
      peer.sendFrame(Op.Text, "after");
      await peer.expectMessage(kind.opcode, new Uint8Array(0));
      await peer.expectMessage(Op.Text, "after");
    });
  }

  it("rfc6455#section-5.2 reads a 64-bit length of a small payload in random chunks", async () => {
    // A 200-byte payload whose length is given in 8 bytes, as a sender may (127 then 0...200):
    // only the minimal encoding is mandatory for senders, a receiver reads the value.
    const peer = await target.connect();
    const payload = pattern(200);
    const masked = frame(Op.Binary, payload); // 2 + 2 + 4 + 200 bytes
    const header = new Uint8Array([0x82, 0xff, 0, 0, 0, 0, 0, 0, 0, 200]);
    const bytes = new Uint8Array(header.length + 4 + 200);
    bytes.set(header);
    bytes.set(masked.subarray(4), header.length); // the same masking key and masked payload
    await peer.writePieces(chopRandomly(bytes, 7, 64), 1);
    await peer.expectMessage(Op.Binary, payload);
  });

  it("rfc6455#section-5.2 a 64-bit length with the most significant bit set fails with 1002", async () => {
    const peer = await target.connect();
    peer.write(new Uint8Array([0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4, 0x55]));
    await peer.expectFailure(1002);
  });

  it("rfc6455#section-5.1 an unmasked text frame fails with 1002", async () => {
    const peer = await target.connect();
    peer.sendFrame(Op.Text, "not masked", { mask: false });
    await peer.expectFailure(1002);
  });

  it("rfc6455#section-5.1 an unmasked frame after a valid message fails with 1002 after the echo", async () => {
    const peer = await target.connect();
    peer.sendFrame(Op.Text, "masked");
    await peer.expectMessage(Op.Text, "masked");
    peer.sendFrame(Op.Binary, pattern(10), { mask: false });
    await peer.expectFailure(1002);
  });

  it("rfc6455#section-10.4 a frame over the 64 MiB limit fails with 1009 before its payload arrives", async () => {
    const peer = await target.connect();
    // The header of a 64 MiB + 1 byte frame, and nothing of its payload.
    const length = 64 * 1024 * 1024 + 1;
    peer.write(
      new Uint8Array([
        0x82,
        0xff,
        0,
        0,
        0,
        0,
        length >>> 24,
        (length >>> 16) & 0xff,
        (length >>> 8) & 0xff,
        length & 0xff,
        1,
        2,
        3,
        4,
      ]),
    );
    await peer.expectFailure(1009);
  });
});
