// rfc6455#section-8.1: text must be valid UTF-8 (RFC 3629), and an endpoint that finds it is not
// fails the connection with 1007 — as soon as that is certain, in the middle of a fragmented
// message, not at its end (the Autobahn 6.4.x cases).
import { describe, expect, it } from "vitest";
import { InvalidPayloadError } from "../../src/protocol/errors.ts";
import type { Role } from "../../src/protocol/frame.ts";
import { MessageAssembler } from "../../src/protocol/message_assembler.ts";
import { Opcode } from "../../src/protocol/opcode.ts";
import { Session } from "../../src/protocol/session.ts";
import { decodeUtf8, isValidUtf8 } from "../../src/protocol/utf8.ts";
import {
  closeFrameRecord,
  concat,
  eventRecord,
  failedWith,
  frameFrom,
  hex,
  peerOf,
  receiveChunks,
  receiveEveryWay,
  toHex,
  utf8Hex,
} from "../_helpers/hex.ts";

const ROLES: readonly Role[] = ["server", "client"];
const KOSME = "ce ba e1 bd b9 cf 83 ce bc ce b5"; // "κόσμε"
const EDITED = "65 64 69 74 65 64"; // "edited"

/** A text message in fragments: Text, then Continuations, the last with FIN. */
function fragments(from: Role, parts: readonly string[]): Uint8Array {
  return concat(
    ...parts.map((part, i) =>
      frameFrom(from, (i === parts.length - 1 ? 0x80 : 0) | (i === 0 ? 0x01 : 0x00), part)
    ),
  );
}

/** Byte offset where fragment `index` of `parts` ends in the wire bytes. */
function endOfFragment(from: Role, parts: readonly string[], index: number): number {
  return fragments(from, parts.slice(0, index + 1)).length;
}

/**
 * Byte offset just past payload byte `offset` of fragment `index`: where a session fed one byte
 * at a time must fail when that byte makes the text invalid (fail fast inside a frame).
 */
function pastByte(from: Role, parts: readonly string[], index: number, offset: number): number {
  return endOfFragment(from, parts, index) - hex(parts[index]!).length + offset + 1;
}

const INVALID: [string, string][] = [
  ["an overlong NUL, C0 80", "c0 80"],
  ["an overlong '/', C0 AF", "c0 af"],
  ["an overlong C1 BF", "c1 bf"],
  ["a 3-byte overlong E0 80 80", "e0 80 80"],
  ["a 3-byte overlong E0 9F BF", "e0 9f bf"],
  ["a 4-byte overlong F0 80 80 80", "f0 80 80 80"],
  ["a 4-byte overlong F0 8F BF BF", "f0 8f bf bf"],
  ["the surrogate ED A0 80 (U+D800)", "ed a0 80"],
  ["the surrogate ED BF BF (U+DFFF)", "ed bf bf"],
  ["a surrogate pair ED A0 80 ED B0 80", "ed a0 80 ed b0 80"],
  ["U+110000, F4 90 80 80", "f4 90 80 80"],
  ["the lead byte F5", "f5 80 80 80"],
  ["the byte FE", "fe"],
  ["the byte FF", "ff"],
  ["a lone continuation byte 80", "80"],
  ["a lone continuation byte BF", "bf"],
  ["a lead byte followed by ASCII, E1 41", "e1 41"],
  ["a truncated sequence at the end, E2 82", "e2 82"],
  ["a truncated 4-byte sequence at the end, F0 9F 98", "f0 9f 98"],
  ["a lone lead byte at the end, C2", "c2"],
];

describe("rfc6455#section-8.1 invalid UTF-8 in a single frame", () => {
  for (const role of ROLES) {
    for (const [name, bytes] of INVALID) {
      it(`rfc6455#section-8.1 ${role} fails with 1007 on ${name}`, () => {
        const input = frameFrom(peerOf(role), 0x81, utf8Hex("ok ") + bytes);
        const result = receiveEveryWay(input, { role });
        expect(result.events).toEqual([failedWith("InvalidPayloadError", 1007)]);
        expect(result.outgoing).toEqual([closeFrameRecord(1007)]);
      });
    }
  }

  it("rfc6455#section-8.1 decodeUtf8 throws InvalidPayloadError (1007) on every surrogate ED A0 80..ED BF BF", () => {
    const accepted: string[] = [];
    for (let second = 0xa0; second <= 0xbf; second++) {
      for (let third = 0x80; third <= 0xbf; third++) {
        const bytes = new Uint8Array([0xed, second, third]);
        try {
          decodeUtf8(bytes);
          accepted.push(toHex(bytes));
        } catch (error) {
          if (!(error instanceof InvalidPayloadError) || error.closeCode !== 1007) throw error;
        }
      }
    }
    expect(accepted).toEqual([]);
  });

  it("rfc6455#section-8.1 decodeUtf8 accepts the code points next to the invalid ranges", () => {
    const edges: [string, string][] = [
      ["00", "\u0000"],
      ["7f", "\u007f"],
      ["c2 80", "\u0080"],
      ["df bf", "\u07ff"],
      ["e0 a0 80", "\u0800"],
      ["ed 9f bf", "\ud7ff"],
      ["ee 80 80", "\ue000"],
      ["ef bf bf", "\uffff"],
      ["f0 90 80 80", "\u{10000}"],
      ["f4 8f bf bf", "\u{10ffff}"],
    ];
    for (const [bytes, text] of edges) {
      expect(decodeUtf8(hex(bytes))).toBe(text);
      expect(isValidUtf8(hex(bytes))).toBe(true);
    }
  });
});

describe("rfc6455#section-8.1 fail fast inside a fragmented message", () => {
  for (const role of ROLES) {
    const from = peerOf(role);

    it(`rfc6455#section-8.1 ${role} fails with 1007 at the fragment holding F4 90 80 80, before the final fragment (Autobahn 6.4.1)`, () => {
      const parts = [KOSME, "f4 90 80 80", EDITED];
      const input = fragments(from, parts);
      const result = receiveEveryWay(input, { role });
      expect(result.events).toEqual([failedWith("InvalidPayloadError", 1007)]);
      expect(result.outgoing).toEqual([closeFrameRecord(1007)]);
      // Fed one byte at a time, the session fails at the 90 that makes F4 invalid, inside the
      // second fragment, not at its end.
      expect(result.bytewiseClosedAt).toBe(pastByte(from, parts, 1, 1));
      // And fed frame by frame, it fails on the second frame, not the third.
      const byFrame = receiveChunks(
        parts.map((_, i) =>
          input.slice(
            i === 0 ? 0 : endOfFragment(from, parts, i - 1),
            endOfFragment(from, parts, i),
          )
        ),
        { role },
      );
      expect(byFrame.closedAt).toBe(endOfFragment(from, parts, 1));
    });

    it(`rfc6455#section-8.1 ${role} fails with 1007 inside one frame, at the chunk holding F4 90 80 80, before the rest arrives (Autobahn 6.4.3)`, () => {
      const parts = [KOSME + " f4 90 80 80 " + EDITED];
      const input = fragments(from, parts);
      const result = receiveEveryWay(input, { role });
      expect(result.events).toEqual([failedWith("InvalidPayloadError", 1007)]);
      // Fed one byte at a time: at the 90, the first byte that makes the text invalid.
      const at = pastByte(from, parts, 0, hex(KOSME).length + 1);
      expect(result.bytewiseClosedAt).toBe(at);
      // In three chunks (valid text, the invalid sequence, the rest), the second one fails it.
      const invalidEnd = at + 2;
      const chunks = [
        input.slice(0, at - 2),
        input.slice(at - 2, invalidEnd),
        input.slice(invalidEnd),
      ];
      const byChunk = receiveChunks(chunks, { role });
      expect(byChunk.events).toEqual([failedWith("InvalidPayloadError", 1007)]);
      expect(byChunk.closedAt).toBe(invalidEnd);
    });

    it(`rfc6455#section-8.1 ${role} fails with 1007 inside one frame, at a one-byte chunk 90 after a chunk ending in F4 (Autobahn 6.4.4)`, () => {
      const parts = [KOSME + " f4 90 80 80 " + EDITED];
      const input = fragments(from, parts);
      const at = pastByte(from, parts, 0, hex(KOSME).length + 1);
      const chunks = [input.slice(0, at - 1), input.slice(at - 1, at), input.slice(at)];
      const byChunk = receiveChunks(chunks, { role });
      expect(byChunk.events).toEqual([failedWith("InvalidPayloadError", 1007)]);
      expect(byChunk.closedAt).toBe(at);
    });

    it(`rfc6455#section-8.1 ${role} fails with 1007 on a one-byte fragment 90 after a fragment ending in F4 (Autobahn 6.4.2)`, () => {
      const parts = [KOSME + " f4", "90", "80 80 " + EDITED];
      const result = receiveEveryWay(fragments(from, parts), { role });
      expect(result.events).toEqual([failedWith("InvalidPayloadError", 1007)]);
      expect(result.bytewiseClosedAt).toBe(endOfFragment(from, parts, 1));
    });

    it(`rfc6455#section-8.1 ${role} fails with 1007 on a surrogate split over fragments ED | A0 80, at the A0`, () => {
      const parts = ["41 ed", "a0 80", "41"];
      const result = receiveEveryWay(fragments(from, parts), { role });
      expect(result.events).toEqual([failedWith("InvalidPayloadError", 1007)]);
      expect(result.bytewiseClosedAt).toBe(pastByte(from, parts, 1, 0));
    });

    it(`rfc6455#section-8.1 ${role} fails with 1007 on a valid prefix then an overlong in a non-final fragment`, () => {
      const parts = [utf8Hex("héllo"), "c0 80", utf8Hex("never checked")];
      const result = receiveEveryWay(fragments(from, parts), { role });
      expect(result.events).toEqual([failedWith("InvalidPayloadError", 1007)]);
      expect(result.bytewiseClosedAt).toBe(pastByte(from, parts, 1, 0));
    });

    it(`rfc6455#section-8.1 ${role} fails with 1007 when the final fragment ends inside a character`, () => {
      for (const tail of ["e2 82", "f0 9f 98", "c2", "f0"]) {
        const parts = [utf8Hex("abc"), tail];
        const result = receiveEveryWay(fragments(from, parts), { role });
        expect(result.events).toEqual([failedWith("InvalidPayloadError", 1007)]);
        expect(result.bytewiseClosedAt).toBe(endOfFragment(from, parts, 1));
      }
    });

    it(`rfc6455#section-8.1 ${role} delivers earlier messages and answers a Ping before failing on the invalid fragment`, () => {
      const input = concat(
        frameFrom(from, 0x81, utf8Hex("first")),
        frameFrom(from, 0x01, KOSME),
        frameFrom(from, 0x89, "aa"),
        frameFrom(from, 0x00, "ed a0 80"),
        frameFrom(from, 0x80, EDITED),
      );
      const result = receiveEveryWay(input, { role });
      expect(result.events).toEqual([
        { type: "message", text: "first" },
        { type: "ping", data: "aa" },
        failedWith("InvalidPayloadError", 1007),
      ]);
    });
  }

  it("rfc6455#section-8.1 MessageAssembler throws InvalidPayloadError at the invalid fragment, not at the final one", () => {
    const assembler = new MessageAssembler();
    const flags = { rsv1: false, rsv2: false, rsv3: false } as const;
    expect(assembler.push({ ...flags, fin: false, opcode: Opcode.Text, payload: hex(KOSME) }))
      .toBeUndefined();
    expect(() =>
      assembler.push({
        ...flags,
        fin: false,
        opcode: Opcode.Continuation,
        payload: hex("f4 90 80 80"),
      })
    ).toThrow(InvalidPayloadError);
  });
});

describe("rfc6455#section-8.1 valid text split anywhere", () => {
  // One-, two-, three- and four-byte characters, the BOM, U+FFFF and U+10FFFF.
  const TEXT = "a\u00e9\u20ac\u{1f642}\ufeff\uffff\u{10ffff}z";
  const BYTES = utf8Hex(TEXT);
  const LENGTH = BYTES.length / 2;

  for (const role of ROLES) {
    const from = peerOf(role);

    it(`rfc6455#section-8.1 ${role} accepts valid text split into two fragments at every byte`, () => {
      for (let at = 0; at <= LENGTH; at++) {
        const input = fragments(from, [BYTES.slice(0, 2 * at), BYTES.slice(2 * at)]);
        const result = receiveChunks([input], { role });
        expect(result.events).toEqual([{ type: "message", text: TEXT }]);
      }
    });

    it(`rfc6455#section-8.1 ${role} accepts valid text split into three fragments at every pair of bytes`, () => {
      const failures: string[] = [];
      for (let a = 0; a <= LENGTH; a++) {
        for (let b = a; b <= LENGTH; b++) {
          const parts = [BYTES.slice(0, 2 * a), BYTES.slice(2 * a, 2 * b), BYTES.slice(2 * b)];
          const [event] = new Session({ role }).receive(fragments(from, parts));
          if (event?.type !== "message" || event.data !== TEXT) failures.push(`${a},${b}`);
        }
      }
      expect(failures).toEqual([]);
    });

    it(`rfc6455#section-8.1 ${role} accepts valid text in one-byte fragments, every chunking`, () => {
      const parts = Array.from({ length: LENGTH }, (_, i) => BYTES.slice(2 * i, 2 * i + 2));
      const result = receiveEveryWay(fragments(from, parts), { role });
      expect(result.events).toEqual([{ type: "message", text: TEXT }]);
    });
  }

  it("rfc6455#section-8.1 server keeps a leading byte order mark: it is content", () => {
    const single = receiveEveryWay(frameFrom("client", 0x81, "ef bb bf 41"), { role: "server" });
    expect(single.events).toEqual([{ type: "message", text: "\ufeffA" }]);
    const split = receiveEveryWay(fragments("client", ["ef", "bb", "bf 41"]), { role: "server" });
    expect(split.events).toEqual([{ type: "message", text: "\ufeffA" }]);
    // Two in a row are both kept, and a BOM in the second message is kept too.
    const twice = new Session({ role: "server" }).receive(
      concat(
        frameFrom("client", 0x81, "ef bb bf ef bb bf"),
        fragments("client", ["ef bb", "bf 42"]),
      ),
    );
    expect(twice.map(eventRecord)).toEqual([
      { type: "message", text: "\ufeff\ufeff" },
      { type: "message", text: "\ufeffB" },
    ]);
  });

  it("rfc6455#section-8.1 server decodes the next message cleanly after a fragmented one", () => {
    const session = new Session({ role: "server" });
    const events = session.receive(
      concat(
        fragments("client", ["e2 82", "ac"]),
        fragments("client", [utf8Hex("x"), "c3", "a9"]),
        frameFrom("client", 0x81, utf8Hex("plain")),
      ),
    );
    expect(events.map(eventRecord)).toEqual([
      { type: "message", text: "€" },
      { type: "message", text: "xé" },
      { type: "message", text: "plain" },
    ]);
  });
});
