// rfc6455#section-5.4: a message is a first frame (Text or Binary) with FIN clear, continuation
// frames, and a final frame with FIN set; control frames may come between fragments, data frames
// of another message may not.
import { describe, expect, it } from "vitest";
import type { Role } from "../../src/protocol/frame.ts";
import { FrameParser } from "../../src/protocol/frame_parser.ts";
import { Opcode } from "../../src/protocol/opcode.ts";
import { Session } from "../../src/protocol/session.ts";
import {
  closeFrameRecord,
  concat,
  decodeOutgoing,
  eventRecord,
  failedWith,
  frameFrom,
  parseChunks,
  parseEveryWay,
  peerOf,
  rec,
  receiveEveryWay,
  utf8Hex,
} from "../_helpers/hex.ts";

const ROLES: readonly Role[] = ["server", "client"];

describe("rfc6455#section-5.4 fragment order", () => {
  for (const role of ROLES) {
    const from = peerOf(role);

    it(`rfc6455#section-5.4 ${role} parses a message in three fragments`, () => {
      const input = concat(
        frameFrom(from, 0x01, utf8Hex("fra")),
        frameFrom(from, 0x00, utf8Hex("gme")),
        frameFrom(from, 0x80, utf8Hex("nts")),
      );
      const result = parseEveryWay(input, { role });
      expect(result.error).toBeUndefined();
      expect(result.frames).toEqual([
        rec(Opcode.Text, utf8Hex("fra"), { fin: false }),
        rec(Opcode.Continuation, utf8Hex("gme"), { fin: false }),
        rec(Opcode.Continuation, utf8Hex("nts")),
      ]);
      expect(receiveEveryWay(input, { role }).events).toEqual([
        { type: "message", text: "fragments" },
      ]);
    });

    it(`rfc6455#section-5.4 ${role} fails with 1002 on a continuation frame with no message in progress`, () => {
      for (const b0 of [0x80, 0x00]) {
        const result = parseEveryWay(frameFrom(from, b0, "41"), { role });
        expect(result.frames).toEqual([]);
        expect(result.error).toMatchObject({ name: "ProtocolError", closeCode: 1002 });
        expect(result.error?.message).toContain("rfc6455#section-5.4");
      }
    });

    it(`rfc6455#section-5.4 ${role} fails with 1002 on a continuation frame after a complete message`, () => {
      const input = concat(
        frameFrom(from, 0x01, "41"),
        frameFrom(from, 0x80, "42"),
        frameFrom(from, 0x80, "43"),
      );
      const result = parseEveryWay(input, { role });
      expect(result.frames.length).toBe(2);
      expect(result.error).toMatchObject({ name: "ProtocolError", closeCode: 1002 });
    });

    it(`rfc6455#section-5.4 ${role} fails with 1002 on a new data frame in the middle of a fragmented message`, () => {
      for (const second of [0x81, 0x01, 0x82, 0x02]) {
        for (const first of [0x01, 0x02]) {
          const input = concat(frameFrom(from, first, "41"), frameFrom(from, second, "42"));
          const result = parseEveryWay(input, { role });
          expect(result.frames).toEqual([rec(first, "41", { fin: false })]);
          expect(result.error).toMatchObject({ name: "ProtocolError", closeCode: 1002 });
          expect(result.error?.message).toContain("rfc6455#section-5.4");
        }
      }
    });

    it(`rfc6455#section-5.4 ${role} session sends Close 1002 on a continuation without a start`, () => {
      const result = receiveEveryWay(frameFrom(from, 0x80, "41"), { role });
      expect(result.events).toEqual([failedWith("ProtocolError", 1002)]);
      expect(result.outgoing).toEqual([closeFrameRecord(1002)]);
    });

    it(`rfc6455#section-5.4 ${role} session sends Close 1002 on a new message inside a fragmented one, having delivered nothing`, () => {
      const input = concat(frameFrom(from, 0x01, "41"), frameFrom(from, 0x81, "42"));
      const result = receiveEveryWay(input, { role });
      expect(result.events).toEqual([failedWith("ProtocolError", 1002)]);
    });
  }

  it("rfc6455#section-5.4 server accepts empty fragments, first, middle and last", () => {
    const input = concat(
      frameFrom("client", 0x01, ""),
      frameFrom("client", 0x00, utf8Hex("a")),
      frameFrom("client", 0x00, ""),
      frameFrom("client", 0x80, ""),
      frameFrom("client", 0x02, ""),
      frameFrom("client", 0x80, ""),
    );
    const result = receiveEveryWay(input, { role: "server" });
    expect(result.events).toEqual([
      { type: "message", text: "a" },
      { type: "message", binary: "" },
    ]);
  });

  it("rfc6455#section-5.4 server session assembles binary fragments in order", () => {
    const input = concat(
      frameFrom("client", 0x02, "0001"),
      frameFrom("client", 0x00, "02"),
      frameFrom("client", 0x80, "030405"),
      frameFrom("client", 0x82, "ff"),
    );
    const result = receiveEveryWay(input, { role: "server" });
    expect(result.events).toEqual([
      { type: "message", binary: "0001020304" + "05" },
      { type: "message", binary: "ff" },
    ]);
  });
});

describe("rfc6455#section-5.4 control frames between fragments", () => {
  for (const role of ROLES) {
    const from = peerOf(role);

    it(`rfc6455#section-5.4 ${role} parses Ping and Pong injected between fragments`, () => {
      const input = concat(
        frameFrom(from, 0x01, utf8Hex("Hel")),
        frameFrom(from, 0x89, "01"),
        frameFrom(from, 0x00, utf8Hex("l")),
        frameFrom(from, 0x8a, "02"),
        frameFrom(from, 0x80, utf8Hex("o")),
      );
      const result = parseEveryWay(input, { role });
      expect(result.error).toBeUndefined();
      expect(result.frames.map((frame) => frame.opcode)).toEqual([1, 9, 0, 10, 0]);
      const session = receiveEveryWay(input, { role });
      expect(session.events).toEqual([
        { type: "ping", data: "01" },
        { type: "pong", data: "02" },
        { type: "message", text: "Hello" },
      ]);
      expect(session.outgoing).toEqual([rec(Opcode.Pong, "01")]);
    });

    it(`rfc6455#section-5.4 ${role} session answers a Ping between fragments with a Pong before the message completes`, () => {
      const session = new Session({ role });
      const first = session.receive(
        concat(frameFrom(from, 0x01, utf8Hex("Hel")), frameFrom(from, 0x89, "cafe")),
      );
      expect(first.map(eventRecord)).toEqual([{ type: "ping", data: "cafe" }]);
      // The Pong is ready to write now, while the message is still incomplete.
      expect(decodeOutgoing(role, session.takeOutgoing() ?? [])).toEqual([
        rec(Opcode.Pong, "cafe"),
      ]);
      const last = session.receive(frameFrom(from, 0x80, utf8Hex("lo")));
      expect(last.map(eventRecord)).toEqual([{ type: "message", text: "Hello" }]);
      expect(session.takeOutgoing()).toBeUndefined();
    });
  }

  it("rfc6455#section-5.4 server session closes on a Close between fragments and drops the partial message", () => {
    const input = concat(
      frameFrom("client", 0x01, utf8Hex("Hel")),
      frameFrom("client", 0x88, "03e8"),
      frameFrom("client", 0x80, utf8Hex("lo")),
    );
    const result = receiveEveryWay(input, { role: "server" });
    expect(result.events).toEqual([
      { type: "closed", code: 1000, reason: "", wasClean: true, error: undefined },
    ]);
    expect(result.outgoing).toEqual([closeFrameRecord(1000)]);
  });
});

describe("rfc6455#section-10.4 fragment and message limits", () => {
  it("rfc6455#section-5.4 server accepts exactly maxFragments fragments and fails with 1009 at the header of one more", () => {
    const limits = { maxFragments: 3 };
    const fragments = (count: number) =>
      concat(
        frameFrom("client", 0x01, "41"),
        ...Array.from({ length: count - 2 }, () => frameFrom("client", 0x00, "42")),
        // Control frames between fragments do not count.
        frameFrom("client", 0x89, ""),
        frameFrom("client", 0x80, "43"),
      );
    const ok = parseEveryWay(fragments(3), { role: "server", limits });
    expect(ok.error).toBeUndefined();
    expect(ok.frames.length).toBe(4);
    const input = fragments(4);
    const over = parseEveryWay(input, { role: "server", limits });
    expect(over.error).toMatchObject({ name: "MessageTooBigError", closeCode: 1009 });
    // The first frame, two continuations and the Ping are delivered; the fourth fragment is not.
    expect(over.frames.map((frame) => frame.opcode)).toEqual([1, 0, 0, 9]);
    // Three 7-byte fragments (6-byte masked header, one payload byte) and a 6-byte Ping: the
    // fourth fragment fails at its header, before its payload byte.
    expect(over.bytewiseFailedAt).toBe(3 * 7 + 6 + 6);
  });

  it("rfc6455#section-5.4 server counts fragments per message: a new message starts the count again", () => {
    const limits = { maxFragments: 2 };
    const message = concat(frameFrom("client", 0x02, "01"), frameFrom("client", 0x80, "02"));
    const result = parseEveryWay(concat(message, message, message), { role: "server", limits });
    expect(result.error).toBeUndefined();
    expect(result.frames.length).toBe(6);
  });

  it("rfc6455#section-5.4 server session sends Close 1009 on too many fragments", () => {
    const input = concat(
      frameFrom("client", 0x01, "41"),
      frameFrom("client", 0x00, "41"),
      frameFrom("client", 0x80, "41"),
    );
    const result = receiveEveryWay(input, { role: "server", limits: { maxFragments: 2 } });
    expect(result.events).toEqual([failedWith("MessageTooBigError", 1009)]);
    expect(result.outgoing).toEqual([closeFrameRecord(1009)]);
  });

  it("rfc6455#section-5.4 client sums fragment sizes against maxMessageSize and fails with 1009 at the header that crosses it", () => {
    const limits = { maxMessageSize: 10 };
    const five = "0102030405";
    const exact = concat(frameFrom("server", 0x02, five), frameFrom("server", 0x80, five));
    expect(parseEveryWay(exact, { role: "client", limits }).error).toBeUndefined();
    const over = concat(frameFrom("server", 0x02, five), frameFrom("server", 0x80, five + "06"));
    const result = parseEveryWay(over, { role: "client", limits });
    expect(result.frames).toEqual([rec(Opcode.Binary, five, { fin: false })]);
    expect(result.error).toMatchObject({ name: "MessageTooBigError", closeCode: 1009 });
    expect(result.bytewiseFailedAt).toBe(7 + 2);
  });

  it("rfc6455#section-5.4 client does not count control frame payloads towards maxMessageSize", () => {
    const limits = { maxMessageSize: 4, maxFrameSize: 4 };
    const input = concat(
      frameFrom("server", 0x02, "0102"),
      frameFrom("server", 0x89, "00".repeat(100)),
      frameFrom("server", 0x80, "0304"),
    );
    const result = parseEveryWay(input, { role: "client", limits });
    expect(result.error).toBeUndefined();
    expect(result.frames.length).toBe(3);
  });

  it("rfc6455#section-5.4 a fresh parser fails with 1009 on the fragment that crosses the limit, whatever came before", () => {
    const parser = new FrameParser({ role: "client", limits: { maxMessageSize: 3 } });
    parser.push(concat(frameFrom("server", 0x81, "414243")), () => {});
    // The previous message does not count towards the next one.
    parser.push(frameFrom("server", 0x01, "4142"), () => {});
    expect(() => parser.push(frameFrom("server", 0x80, "4344"), () => {})).toThrow(
      expect.objectContaining({ name: "MessageTooBigError", closeCode: 1009 }),
    );
    expect(
      parseChunks([frameFrom("server", 0x81, "41424344")], {
        role: "client",
        limits: { maxMessageSize: 3 },
      }).error,
    ).toMatchObject({ closeCode: 1009 });
  });
});
