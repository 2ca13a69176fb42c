// rfc6455#section-5.6: Text frames carry UTF-8 (delivered as a string), Binary frames arbitrary
// bytes (delivered as a Uint8Array).
import { describe, expect, it } from "vitest";
import type { Role } from "../../src/protocol/frame.ts";
import { Opcode } from "../../src/protocol/opcode.ts";
import { Session } from "../../src/protocol/session.ts";
import {
  closeFrameRecord,
  concat,
  decodeOutgoing,
  failedWith,
  frameFrom,
  parseEveryWay,
  peerOf,
  rec,
  receiveEveryWay,
  toHex,
  utf8Hex,
} from "../_helpers/hex.ts";

const ROLES: readonly Role[] = ["server", "client"];
const ALL_BYTES = toHex(Uint8Array.from({ length: 256 }, (_, i) => i));

describe("rfc6455#section-5.6 receiving", () => {
  for (const role of ROLES) {
    const from = peerOf(role);

    it(`rfc6455#section-5.6 ${role} session delivers a Text frame as a string and a Binary frame as bytes`, () => {
      const input = concat(
        frameFrom(from, 0x81, utf8Hex("κόσμε 🙂")),
        frameFrom(from, 0x82, ALL_BYTES),
      );
      const result = receiveEveryWay(input, { role });
      expect(result.events).toEqual([
        { type: "message", text: "κόσμε 🙂" },
        { type: "message", binary: ALL_BYTES },
      ]);
    });

    it(`rfc6455#section-5.6 ${role} session delivers empty Text and Binary messages`, () => {
      const input = concat(frameFrom(from, 0x81, ""), frameFrom(from, 0x82, ""));
      const session = new Session({ role });
      const events = session.receive(input);
      expect(events).toEqual([
        { type: "message", data: "" },
        { type: "message", data: new Uint8Array(0) },
      ]);
    });

    it(`rfc6455#section-8.1 ${role} session fails with 1007 on a Text frame that is not UTF-8, though the frame parser accepts it`, () => {
      const input = frameFrom(from, 0x81, "48 ff 49");
      // Framing is fine: UTF-8 is the message layer's rule.
      expect(parseEveryWay(input, { role }).frames).toEqual([rec(Opcode.Text, "48ff49")]);
      const result = receiveEveryWay(input, { role });
      expect(result.events).toEqual([failedWith("InvalidPayloadError", 1007)]);
      expect(result.outgoing).toEqual([closeFrameRecord(1007)]);
    });

    it(`rfc6455#section-5.6 ${role} session accepts bytes in a Binary frame that would be invalid UTF-8`, () => {
      const result = receiveEveryWay(frameFrom(from, 0x82, "ff c0 80 ed a0 80"), { role });
      expect(result.events).toEqual([{ type: "message", binary: "ffc080eda080" }]);
    });
  }
});

describe("rfc6455#section-5.6 sending", () => {
  for (const role of ROLES) {
    it(`rfc6455#section-5.6 ${role} session sends strings as Text frames and bytes as Binary frames`, () => {
      const session = new Session({ role });
      session.send("héllo");
      session.send(new Uint8Array([0xff, 0x00]));
      session.send("");
      session.send(new Uint8Array(0));
      expect(decodeOutgoing(role, session.takeOutgoing() ?? [])).toEqual([
        rec(Opcode.Text, utf8Hex("héllo")),
        rec(Opcode.Binary, "ff00"),
        rec(Opcode.Text, ""),
        rec(Opcode.Binary, ""),
      ]);
    });

    it(`rfc6455#section-5.4 ${role} session sends a fragmented message with sendFragment`, () => {
      const session = new Session({ role });
      session.sendFragment(Opcode.Text, "frag", false);
      session.ping("p");
      session.sendFragment(Opcode.Continuation, "mé", false);
      session.sendFragment(Opcode.Continuation, new Uint8Array([0x6e, 0x74]), true);
      session.sendFragment(Opcode.Binary, new Uint8Array([1]), false);
      session.sendFragment(Opcode.Continuation, new Uint8Array([2]), true);
      const frames = decodeOutgoing(role, session.takeOutgoing() ?? []);
      expect(frames).toEqual([
        rec(Opcode.Text, utf8Hex("frag"), { fin: false }),
        rec(Opcode.Ping, utf8Hex("p")),
        rec(Opcode.Continuation, utf8Hex("mé"), { fin: false }),
        rec(Opcode.Continuation, "6e74"),
        rec(Opcode.Binary, "01", { fin: false }),
        rec(Opcode.Continuation, "02"),
      ]);
      // And the peer's session reads them back as two messages.
      const peer = new Session({ role: peerOf(role) });
      const bytes = concat(
        ...frames.map((frame) =>
          frameFrom(role, (frame.fin ? 0x80 : 0) | frame.opcode, frame.payload)
        ),
      );
      expect(peer.receive(bytes)).toEqual([
        { type: "ping", data: new Uint8Array([0x70]) },
        { type: "message", data: "fragmént" },
        { type: "message", data: new Uint8Array([1, 2]) },
      ]);
    });
  }
});
