// parseClosePayload and buildClosePayload. The full code table is in
// tests/rfc6455/section_7_4_status_codes.test.ts.
import { describe, expect, it } from "vitest";
import { buildClosePayload, parseClosePayload } from "../../src/protocol/close_payload.ts";
import { InvalidPayloadError, ProtocolError } from "../../src/protocol/errors.ts";
import { hex, toHex, utf8Hex } from "../_helpers/hex.ts";

function thrownBy(action: () => void): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("parseClosePayload", () => {
  it("rfc6455#section-7.1.5 reads an empty payload as code 1005 and no reason", () => {
    expect(parseClosePayload(new Uint8Array(0))).toEqual({ code: 1005, reason: "" });
  });

  it("rfc6455#section-5.5.1 fails with ProtocolError (1002) on a 1-byte payload", () => {
    for (const byte of ["03", "00", "ff"]) {
      const error = thrownBy(() => parseClosePayload(hex(byte)));
      expect(error).toBeInstanceOf(ProtocolError);
      expect(error).toMatchObject({ closeCode: 1002 });
      expect((error as Error).message).toContain("rfc6455#section-5.5.1");
    }
  });

  it("rfc6455#section-5.5.1 reads a big-endian code and a UTF-8 reason", () => {
    expect(parseClosePayload(hex("03e8"))).toEqual({ code: 1000, reason: "" });
    expect(parseClosePayload(hex("0fa1" + utf8Hex("ünïcödé 🙂")))).toEqual({
      code: 4001,
      reason: "ünïcödé 🙂",
    });
    expect(parseClosePayload(hex("0bb8 ef bb bf 41"))).toEqual({ code: 3000, reason: "\ufeffA" });
    expect(parseClosePayload(hex("03e8 00"))).toEqual({ code: 1000, reason: "\u0000" });
  });

  it("rfc6455#section-5.5.1 fails with InvalidPayloadError (1007) on a reason that is not UTF-8, keeping the cause", () => {
    const error = thrownBy(() => parseClosePayload(hex("03e8 41 ff")));
    expect(error).toBeInstanceOf(InvalidPayloadError);
    expect(error).toMatchObject({ closeCode: 1007 });
    expect((error as Error).cause).toBeInstanceOf(InvalidPayloadError);
  });

  it("rfc6455#section-7.4 checks the code before the reason: a bad code with a bad reason is 1002", () => {
    const error = thrownBy(() => parseClosePayload(hex("03ed ff")));
    expect(error).toBeInstanceOf(ProtocolError);
  });
});

describe("buildClosePayload", () => {
  it("builds an empty payload without a code", () => {
    expect(buildClosePayload()).toEqual(new Uint8Array(0));
    expect(buildClosePayload(undefined, "")).toEqual(new Uint8Array(0));
  });

  it("refuses a reason without a code with a TypeError", () => {
    expect(() => buildClosePayload(undefined, "why")).toThrow(TypeError);
  });

  it("writes the code big-endian and the reason as UTF-8, exactly as long as needed", () => {
    expect(toHex(buildClosePayload(1000))).toBe("03e8");
    expect(toHex(buildClosePayload(4999, "ok"))).toBe("1387" + "6f6b");
    const payload = buildClosePayload(1001, "é€🙂");
    expect(toHex(payload)).toBe("03e9" + utf8Hex("é€🙂"));
    expect(payload.length).toBe(2 + 2 + 3 + 4);
  });

  it("rfc6455#section-5.5 counts the reason in UTF-8 bytes: 123 fit, 124 do not", () => {
    expect(buildClosePayload(1000, "🙂".repeat(30) + "abc").length).toBe(125);
    expect(() => buildClosePayload(1000, "🙂".repeat(30) + "abcd")).toThrow(RangeError);
    // A lone surrogate becomes the three bytes of U+FFFD.
    expect(toHex(buildClosePayload(1000, "\ud800"))).toBe("03e8efbfbd");
    expect(() => buildClosePayload(1000, "\ud800".repeat(41) + "a")).toThrow(RangeError);
  });

  it("round-trips through parseClosePayload", () => {
    for (
      const [code, reason] of [[1000, ""], [1011, "internal"], [4000, "€".repeat(41)]] as const
    ) {
      expect(parseClosePayload(buildClosePayload(code, reason))).toEqual({ code, reason });
    }
  });
});
