// FrameParser behaviour that is not one RFC rule: limits at their boundary, sticky errors,
// delivery order around an error, chunking of headers and payloads, zero-copy views.
import { describe, expect, it } from "vitest";
import { MessageTooBigError, ProtocolError, WebSocketError } from "../../src/protocol/errors.ts";
import type { Frame, Role } from "../../src/protocol/frame.ts";
import { FrameParser } from "../../src/protocol/frame_parser.ts";
import { Opcode } from "../../src/protocol/opcode.ts";
import {
  clientFrame,
  concat,
  frameFrom,
  frameRecord,
  hex,
  parseChunks,
  parseEveryWay,
  peerOf,
  range,
  rec,
  serverFrame,
  toHex,
} from "../_helpers/hex.ts";

const ROLES: readonly Role[] = ["server", "client"];

function pattern(length: number, seed = 0): string {
  const data = new Uint8Array(length);
  for (let i = 0; i < length; i++) data[i] = (i * 37 + seed) & 0xff;
  return toHex(data);
}

function collect(parser: FrameParser, chunk: Uint8Array, frames: Frame[] = []): Frame[] {
  parser.push(chunk, (frame) => frames.push(frame));
  return frames;
}

function thrownBy(action: () => void): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("FrameParser limits", () => {
  for (const role of ROLES) {
    const from = peerOf(role);

    it(`${role} accepts a frame of exactly maxFrameSize and fails with 1009 on one byte more, from the header alone`, () => {
      for (const limit of [1, 125, 126, 1000, 65535, 65536]) {
        const limits = { maxFrameSize: limit };
        const exact = frameFrom(from, 0x82, pattern(limit));
        expect(parseChunks([exact], { role, limits }).frames.length).toBe(1);
        const over = frameFrom(from, 0x82, pattern(limit + 1));
        // Only the header: the length is checked before any payload is buffered.
        const headerLength = over.length - (limit + 1);
        const parser = new FrameParser({ role, limits });
        const error = thrownBy(() => parser.push(over.slice(0, headerLength), () => {}));
        expect(error).toBeInstanceOf(MessageTooBigError);
        expect(error).toMatchObject({ closeCode: 1009 });
        expect((error as Error).message).toContain(`payload is ${limit + 1} bytes`);
      }
    });

    it(`${role} parsers made in turn with other limits keep their own (parsers share their settings only when they are the same)`, () => {
      const small = new FrameParser({ role, limits: { maxFrameSize: 10 } });
      const large = new FrameParser({ role, limits: { maxFrameSize: 100 } });
      const same = new FrameParser({ role, limits: { maxFrameSize: 10 } });
      const frame = frameFrom(from, 0x82, pattern(50));
      expect(thrownBy(() => small.push(frame.slice(), () => {}))).toBeInstanceOf(
        MessageTooBigError,
      );
      expect(thrownBy(() => same.push(frame.slice(), () => {}))).toBeInstanceOf(MessageTooBigError);
      const frames: Frame[] = [];
      large.push(frame.slice(), (parsed) => frames.push(parsed));
      expect(frames.length).toBe(1);
    });

    it(`${role} accepts a message of exactly maxMessageSize and fails with 1009 at the header of the fragment one byte over`, () => {
      const limits = { maxMessageSize: 300, maxFrameSize: 1000 };
      const exact = concat(
        frameFrom(from, 0x02, pattern(100)),
        frameFrom(from, 0x00, pattern(100)),
        frameFrom(from, 0x80, pattern(100)),
      );
      expect(parseEveryWay(exact, { role, limits }, { splitPoints: [] }).frames.length).toBe(3);
      const over = concat(
        frameFrom(from, 0x02, pattern(100)),
        frameFrom(from, 0x00, pattern(100)),
        frameFrom(from, 0x80, pattern(101)),
      );
      const result = parseEveryWay(over, { role, limits }, { splitPoints: [] });
      expect(result.frames.length).toBe(2);
      expect(result.error).toMatchObject({ name: "MessageTooBigError", closeCode: 1009 });
      const headerLength = role === "server" ? 6 : 2;
      expect(result.bytewiseFailedAt).toBe(2 * (100 + headerLength) + headerLength);
    });

    it(`${role} applies maxMessageSize to an unfragmented frame too`, () => {
      const limits = { maxMessageSize: 10 };
      expect(parseChunks([frameFrom(from, 0x81, pattern(10))], { role, limits }).error)
        .toBeUndefined();
      expect(parseChunks([frameFrom(from, 0x81, pattern(11))], { role, limits }).error)
        .toMatchObject({ name: "MessageTooBigError", closeCode: 1009 });
    });

    it(`rfc7692#section-7.2.2 ${role} allows a compressed frame deflate's worst-case expansion of its limit, and fails with 1009 from the header one byte over`, () => {
      // zlib's deflateBound for unknown parameters (fixed Huffman blocks): 1000 -> 1139, 500 -> 573.
      // A compressed frame may be that much over the frame limit (or the message limit, when
      // smaller); a compressed message's frames together that much over the message limit.
      const wide = { maxMessageSize: 1000, maxFrameSize: 1000 };
      expect(
        parseChunks([frameFrom(from, 0xc2, pattern(1139))], { role, limits: wide, rsv1: true })
          .frames.length,
      ).toBe(1);
      const over = frameFrom(from, 0xc2, pattern(1140));
      const parser = new FrameParser({ role, limits: wide, rsv1: true });
      const error = thrownBy(() => parser.push(over.slice(0, over.length - 1140), () => {}));
      expect(error).toBeInstanceOf(MessageTooBigError);
      expect((error as Error).message).toContain("payload is 1140 bytes, limit is 1139");
      // A frame limit below the message limit still bounds each compressed frame.
      const narrow = { maxMessageSize: 1000, maxFrameSize: 500 };
      expect(
        parseChunks([frameFrom(from, 0xc2, pattern(573))], { role, limits: narrow, rsv1: true })
          .frames.length,
      ).toBe(1);
      expect(
        parseChunks([frameFrom(from, 0xc2, pattern(574))], { role, limits: narrow, rsv1: true })
          .error,
      ).toMatchObject({ name: "MessageTooBigError", closeCode: 1009 });
      // The sum of a compressed message's fragments is held to the message's bound.
      const fragmented = concat(
        frameFrom(from, 0x42, pattern(573)),
        frameFrom(from, 0x80, pattern(567)),
      );
      expect(parseChunks([fragmented], { role, limits: narrow, rsv1: true }).error).toMatchObject({
        name: "MessageTooBigError",
        closeCode: 1009,
      });
      // Uncompressed frames keep maxFrameSize.
      expect(
        parseChunks([frameFrom(from, 0x82, pattern(501))], { role, limits: narrow, rsv1: true })
          .error,
      ).toMatchObject({ name: "MessageTooBigError", closeCode: 1009 });
    });

    it(`${role} accepts exactly maxFragments fragments and fails with 1009 on one more`, () => {
      for (const limit of [1, 2, 5]) {
        const message = (count: number) =>
          concat(
            ...range(0, count).map((i) =>
              frameFrom(from, (i === count - 1 ? 0x80 : 0) | (i === 0 ? 0x02 : 0x00), "ab")
            ),
          );
        const limits = { maxFragments: limit };
        expect(parseChunks([message(limit)], { role, limits }).error).toBeUndefined();
        expect(parseChunks([message(limit + 1)], { role, limits }).error).toMatchObject({
          name: "MessageTooBigError",
          closeCode: 1009,
        });
      }
    });
  }

  it("refuses limits that are not positive safe integers with a RangeError", () => {
    for (const value of [0, -1, 1.5, Number.NaN, Infinity, 2 ** 53]) {
      expect(() => new FrameParser({ role: "server", limits: { maxFrameSize: value } })).toThrow(
        RangeError,
      );
      expect(() => new FrameParser({ role: "server", limits: { maxFragments: value } })).toThrow(
        RangeError,
      );
    }
  });
});

describe("FrameParser with the largest limits", () => {
  // Found by this suite: with limits larger than one buffer can be, allocating the announced
  // payload threw the allocator's RangeError; it must be a 1009 instead.
  it("never throws anything but a WebSocketError for a header and one payload byte, whatever limits were accepted", () => {
    const limits = { maxFrameSize: 2 ** 40, maxMessageSize: 2 ** 40 };
    let parser: FrameParser;
    try {
      parser = new FrameParser({ role: "client", limits });
    } catch (error) {
      // Refusing such limits up front would be a fix too.
      expect(error).toBeInstanceOf(RangeError);
      return;
    }
    const error = thrownBy(() => parser.push(hex("82 7f 0000010000000000 00"), () => {}));
    if (error !== undefined) expect(error).toBeInstanceOf(WebSocketError);
  });
});

describe("FrameParser errors", () => {
  it("stays failed: every later push throws the same error, whatever it is given", () => {
    const parser = new FrameParser({ role: "server" });
    const first = thrownBy(() => parser.push(hex("83 80 00000000"), () => {}));
    expect(first).toBeInstanceOf(ProtocolError);
    const delivered: Frame[] = [];
    for (const later of [clientFrame(0x81, "41"), new Uint8Array(0), hex("88 80 00000000")]) {
      expect(thrownBy(() => parser.push(later, (frame) => delivered.push(frame)))).toBe(first);
    }
    expect(delivered).toEqual([]);
  });

  it("delivers the frames completed before an error in the same chunk, and none after it", () => {
    const input = concat(
      clientFrame(0x81, "41"),
      clientFrame(0x89, ""),
      clientFrame(0x82, pattern(300)),
      hex("81 05 48656c6c6f"), // unmasked
      clientFrame(0x81, "42"),
    );
    const result = parseEveryWay(input, { role: "server" });
    expect(result.frames).toEqual([
      rec(Opcode.Text, "41"),
      rec(Opcode.Ping, ""),
      rec(Opcode.Binary, pattern(300)),
    ]);
    expect(result.error).toMatchObject({ name: "ProtocolError", closeCode: 1002 });
  });

  it("fails and stays failed with the sink's error when the sink throws", () => {
    const parser = new FrameParser({ role: "client" });
    const boom = new Error("sink failed");
    const seen: string[] = [];
    const error = thrownBy(() =>
      parser.push(concat(serverFrame(0x81, "41"), serverFrame(0x81, "42")), (frame) => {
        seen.push(toHex(frame.payload));
        throw boom;
      })
    );
    expect(error).toBe(boom);
    expect(seen).toEqual(["41"]);
    expect(thrownBy(() => parser.push(serverFrame(0x81, "43"), () => {}))).toBe(boom);
  });
});

describe("FrameParser chunking", () => {
  // Headers of 2, 4, 10 (unmasked) and 6, 8, 14 (masked) bytes.
  const headerCases: [string, Role, Uint8Array][] = [
    ["2-byte", "client", serverFrame(0x82, pattern(5))],
    ["4-byte", "client", serverFrame(0x82, pattern(200))],
    ["10-byte", "client", serverFrame(0x82, pattern(65536))],
    ["6-byte", "server", clientFrame(0x82, pattern(5), "01020304")],
    ["8-byte", "server", clientFrame(0x82, pattern(200), "a0b0c0d0")],
    ["14-byte", "server", clientFrame(0x82, pattern(65536), "ffeeddcc")],
  ];

  for (const [name, role, input] of headerCases) {
    it(`${role} reads a ${name} header split across three chunks at every pair of positions`, () => {
      const headerLength = Number.parseInt(name, 10);
      const expected = [frameRecord({
        fin: true,
        rsv1: false,
        rsv2: false,
        rsv3: false,
        opcode: Opcode.Binary,
        payload: hex(pattern(input.length - headerLength)),
      })];
      for (let a = 1; a <= headerLength; a++) {
        for (let b = a; b <= headerLength + 1; b++) {
          const copy = input.slice();
          const result = parseChunks(
            [copy.subarray(0, a), copy.subarray(a, b), copy.subarray(b)],
            { role },
          );
          expect(result.frames).toEqual(expected);
        }
      }
    });
  }

  it("server unmasks a payload split across three chunks at every pair of positions, keeping the key offset", () => {
    const payload = pattern(45, 3);
    const input = clientFrame(0x82, payload, "1f2e3d4c");
    const failures: string[] = [];
    for (let a = 6; a <= input.length; a++) {
      for (let b = a; b <= input.length; b++) {
        const copy = input.slice();
        const result = parseChunks([copy.subarray(0, a), copy.subarray(a, b), copy.subarray(b)], {
          role: "server",
        });
        if (result.frames.length !== 1 || result.frames[0]!.payload !== payload) {
          failures.push(`${a},${b}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it("server reads many frames from one chunk, and across chunk boundaries that fall anywhere", () => {
    const frames = range(0, 20).map((i) => clientFrame(0x82, pattern(i * 13, i), "0a0b0c0d"));
    const result = parseEveryWay(concat(...frames), { role: "server" });
    expect(result.frames).toEqual(range(0, 20).map((i) => rec(Opcode.Binary, pattern(i * 13, i))));
  });

  it("ignores empty chunks", () => {
    const parser = new FrameParser({ role: "client" });
    const frames: Frame[] = [];
    collect(parser, new Uint8Array(0), frames);
    collect(parser, hex("81"), frames);
    collect(parser, new Uint8Array(0), frames);
    collect(parser, hex("01 41"), frames);
    expect(frames.map(frameRecord)).toEqual([rec(Opcode.Text, "41")]);
  });

  for (const role of ROLES) {
    it(`${role} reports idle only between frames`, () => {
      const input = frameFrom(peerOf(role), 0x82, pattern(200));
      const parser = new FrameParser({ role });
      expect(parser.idle).toBe(true);
      for (let i = 0; i < input.length; i++) {
        parser.push(input.slice(i, i + 1), () => {});
        expect(parser.idle).toBe(i === input.length - 1);
      }
    });
  }

  it("client reads 0, 125, 126, 65535 and 65536-byte payloads back to back in one chunk", () => {
    const lengths = [0, 125, 126, 65535, 65536, 0];
    const input = concat(...lengths.map((length) => serverFrame(0x82, pattern(length, length))));
    const frames = collect(new FrameParser({ role: "client" }), input);
    expect(frames.map((frame) => frame.payload.length)).toEqual(lengths);
    frames.forEach((frame, i) =>
      expect(toHex(frame.payload)).toBe(pattern(lengths[i]!, lengths[i]))
    );
  });
});

describe("FrameParser payload ownership", () => {
  it("server returns a payload that lies in one chunk as a view of that chunk, unmasked in place", () => {
    const chunk = concat(clientFrame(0x82, pattern(40)), clientFrame(0x82, pattern(3)));
    const frames = collect(new FrameParser({ role: "server" }), chunk);
    expect(frames.map((frame) => frame.payload.buffer === chunk.buffer)).toEqual([true, true]);
    expect(toHex(chunk.subarray(6, 46))).toBe(pattern(40));
  });

  it("server copies a payload spread over chunks into one buffer of its exact size", () => {
    const input = clientFrame(0x82, pattern(100));
    const parser = new FrameParser({ role: "server" });
    const frames = collect(parser, input.slice(0, 50));
    collect(parser, input.slice(50), frames);
    expect(frames.length).toBe(1);
    expect(frames[0]!.payload.buffer.byteLength).toBe(100);
    expect(toHex(frames[0]!.payload)).toBe(pattern(100));
  });

  it("with detach, copies a payload that is small next to its chunk's buffer, and not text", () => {
    const small = clientFrame(0x82, pattern(40));
    const text = clientFrame(0x81, "68 69");
    const ping = clientFrame(0x89, "01 02 03");
    const filler = clientFrame(0x82, pattern(5000));
    const chunk = concat(small, text, ping, filler);
    const frames = collect(new FrameParser({ role: "server", detach: true }), chunk);
    expect(frames.map((frame) => frame.payload.buffer === chunk.buffer)).toEqual([
      false,
      true,
      false,
      true,
    ]);
    expect(toHex(frames[0]!.payload)).toBe(pattern(40));
    expect(frames[0]!.payload.buffer.byteLength).toBe(40);
    expect(toHex(frames[1]!.payload)).toBe("6869");
    expect(toHex(frames[2]!.payload)).toBe("010203");
    expect(toHex(frames[3]!.payload)).toBe(pattern(5000));
  });

  it("with copyUpTo, copies every payload up to that size and views larger ones, for both roles", () => {
    for (const role of ROLES) {
      const lengths = [0, 1, 5, 31, 32, 64, 65, 200];
      const chunk = concat(
        ...lengths.map((length) => frameFrom(peerOf(role), 0x82, pattern(length, 3))),
      );
      const frames = collect(new FrameParser({ role, copyUpTo: 64 }), chunk);
      expect(frames.map((frame) => toHex(frame.payload))).toEqual(
        lengths.map((length) => pattern(length, 3)),
      );
      expect(frames.map((frame) => frame.payload.buffer === chunk.buffer)).toEqual(
        lengths.map((length) => length > 64),
      );
    }
  });

  it("with wideUnmask, unmasks whole and spanning payloads 64 bits at a time to the same bytes", () => {
    const lengths = [1, 40, 63, 64, 65, 200, 1000, 70_000];
    const input = concat(...lengths.map((length) => clientFrame(0x82, pattern(length, 9))));
    for (const split of [input.length, 997, 4096]) {
      const parser = new FrameParser({ role: "server", wideUnmask: true });
      const frames: Frame[] = [];
      for (let at = 0; at < input.length; at += split) {
        collect(parser, input.slice(at, at + split), frames);
      }
      expect(frames.map((frame) => toHex(frame.payload))).toEqual(
        lengths.map((length) => pattern(length, 9)),
      );
    }
  });

  it("server unmasks a spanning payload piece by piece as it is joined, at any offset and key position", () => {
    // Pieces of odd sizes, under and over the word threshold, that leave the joined buffer's
    // fill at every alignment; the buffer grows while they arrive.
    const sizes = [3, 33, 1, 70, 31, 129, 4001, 5, 65_537, 2];
    const length = sizes.reduce((sum, size) => sum + size, 0) - 14;
    const input = clientFrame(0x82, pattern(length, 7), "a1b2c3d4");
    for (const wideUnmask of [false, true]) {
      const parser = new FrameParser({ role: "server", wideUnmask });
      const frames: Frame[] = [];
      let at = 0;
      for (const size of sizes) {
        collect(parser, input.slice(at, at + size), frames);
        at += size;
      }
      expect(at).toBe(input.length);
      expect(frames.map((frame) => toHex(frame.payload))).toEqual([pattern(length, 7)]);
    }
  });

  it("server copies a large payload that arrives in small pieces as it arrives, holding what arrived", () => {
    const input = clientFrame(0x82, pattern(100_000, 5));
    const parser = new FrameParser({ role: "server" });
    const frames: Frame[] = [];
    let at = 0;
    for (; at + 997 < input.length; at += 997) {
      collect(parser, input.subarray(at, at + 997), frames);
      // Header bytes (14) are not payload.
      expect(parser.heldBytes).toBe(at + 997 - 14);
    }
    collect(parser, input.subarray(at), frames);
    expect(parser.heldBytes).toBe(0);
    expect(frames.length).toBe(1);
    expect(frames[0]!.payload.buffer.byteLength).toBe(100_000);
    expect(toHex(frames[0]!.payload)).toBe(pattern(100_000, 5));
  });

  it("client gives zero-length payloads as empty arrays", () => {
    const frames = collect(new FrameParser({ role: "client" }), hex("81 00 82 00 89 00"));
    expect(frames.map((frame) => frame.payload.length)).toEqual([0, 0, 0]);
  });
});
