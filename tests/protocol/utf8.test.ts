// decodeUtf8, isValidUtf8 and Utf8StreamDecoder, on every runtime's TextDecoder.
import { describe, expect, it } from "vitest";
import { InvalidPayloadError } from "../../src/protocol/errors.ts";
import { decodeUtf8, isValidUtf8, Utf8StreamDecoder } from "../../src/protocol/utf8.ts";
import { hex } from "../_helpers/hex.ts";

const TEXT = "a\u00e9\u20ac\u{1f642}\ufeffz";
const BYTES = new TextEncoder().encode(TEXT);

function thrownBy(action: () => void): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("decodeUtf8 and isValidUtf8", () => {
  it("decode valid UTF-8 and keep a leading BOM", () => {
    expect(decodeUtf8(BYTES)).toBe(TEXT);
    expect(decodeUtf8(hex("ef bb bf"))).toBe("\ufeff");
    expect(decodeUtf8(new Uint8Array(0))).toBe("");
    expect(isValidUtf8(BYTES)).toBe(true);
  });

  it("rfc6455#section-8.1 throw InvalidPayloadError (1007) on invalid UTF-8, with the decoder's error as cause", () => {
    const error = thrownBy(() => decodeUtf8(hex("41 c0 80")));
    expect(error).toBeInstanceOf(InvalidPayloadError);
    expect(error).toMatchObject({ closeCode: 1007 });
    expect((error as Error).cause).toBeInstanceOf(TypeError);
    expect(isValidUtf8(hex("41 c0 80"))).toBe(false);
    expect(isValidUtf8(hex("e2 82"))).toBe(false);
  });

  it("are not affected by a previous failure", () => {
    expect(isValidUtf8(hex("e2"))).toBe(false);
    // A shared decoder that kept the truncated E2 would read these as "€".
    expect(isValidUtf8(hex("82 ac"))).toBe(false);
    expect(() => decodeUtf8(hex("82 ac"))).toThrow(InvalidPayloadError);
    expect(isValidUtf8(hex("e2 82"))).toBe(false);
    expect(decodeUtf8(hex("41"))).toBe("A");
  });
});

describe("Utf8StreamDecoder", () => {
  it("decodes text split at every byte, in two and in single bytes", () => {
    for (let at = 0; at <= BYTES.length; at++) {
      const decoder = new Utf8StreamDecoder();
      const text = decoder.push(BYTES.subarray(0, at)) + decoder.push(BYTES.subarray(at)) +
        decoder.end();
      expect(text).toBe(TEXT);
    }
    const decoder = new Utf8StreamDecoder();
    let text = "";
    for (const byte of BYTES) text += decoder.push(new Uint8Array([byte]));
    expect(text + decoder.end()).toBe(TEXT);
  });

  it("rfc6455#section-8.1 fails on the piece that makes the text invalid, before the end", () => {
    const cases: [string, string][] = [
      ["f4", "90"],
      ["ed", "a0"],
      ["e0", "80"],
      ["f0", "8f"],
      ["41", "c0"],
      ["41", "ff"],
      ["e1 80", "41"],
    ];
    for (const [first, second] of cases) {
      const decoder = new Utf8StreamDecoder();
      expect(decoder.push(hex(first))).toBe(first === "41" ? "A" : "");
      const error = thrownBy(() => decoder.push(hex(second)));
      expect(error).toBeInstanceOf(InvalidPayloadError);
      expect(error).toMatchObject({ closeCode: 1007 });
    }
  });

  it("rfc6455#section-8.1 fails at end() when the text stops inside a character", () => {
    for (const tail of ["c3", "e2 82", "f0 9f 98"]) {
      const decoder = new Utf8StreamDecoder();
      decoder.push(hex("41 " + tail));
      expect(() => decoder.end()).toThrow(InvalidPayloadError);
    }
  });

  it("starts afresh after end() and after an error", () => {
    const decoder = new Utf8StreamDecoder();
    decoder.push(hex("e2 82"));
    expect(() => decoder.end()).toThrow(InvalidPayloadError);
    expect(decoder.push(hex("41")) + decoder.end()).toBe("A");
    decoder.push(hex("e2"));
    expect(() => decoder.push(hex("41"))).toThrow(InvalidPayloadError);
    expect(decoder.push(hex("c3 a9")) + decoder.end()).toBe("é");
    // A BOM at the start of the next text is kept, not stripped as a signature.
    expect(decoder.push(hex("ef bb bf 42")) + decoder.end()).toBe("\ufeffB");
  });
});
