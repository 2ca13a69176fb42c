// rfc6455#section-7.4: which status codes may appear in a Close frame. 1000-1003 and 1007-1011
// are defined (rfc6455#section-7.4.1), 1012-1014 are registered with IANA, 3000-4999 are for
// libraries and applications (rfc6455#section-7.4.2); 1004 is reserved, 1005, 1006 and 1015 are
// never sent, and everything else is undefined.
import { describe, expect, it } from "vitest";
import { isReceivableCloseCode, isSendableCloseCode } from "../../src/protocol/close_code.ts";
import {
  buildClosePayload,
  MAX_CLOSE_REASON_BYTES,
  parseClosePayload,
} from "../../src/protocol/close_payload.ts";
import { InvalidPayloadError, ProtocolError } from "../../src/protocol/errors.ts";
import {
  closeFrameRecord,
  failedWith,
  frameFrom,
  range,
  receiveChunks,
  receiveEveryWay,
  toHex,
  utf8Hex,
} from "../_helpers/hex.ts";

/** The rule, written out independently of the code under test. */
function allowedOnTheWire(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
    (code >= 3000 && code <= 4999);
}

function codeBytes(code: number): Uint8Array {
  return new Uint8Array([code >>> 8, code & 0xff]);
}

describe("rfc6455#section-7.4 receiving status codes", () => {
  it("rfc6455#section-7.4 parseClosePayload accepts exactly 1000-1003, 1007-1014 and 3000-4999 of all 65536 codes", () => {
    const accepted: number[] = [];
    const wrongErrors: string[] = [];
    for (let code = 0; code <= 0xffff; code++) {
      try {
        const info = parseClosePayload(codeBytes(code));
        if (info.code !== code || info.reason !== "") wrongErrors.push(`${code}: misread`);
        accepted.push(code);
      } catch (error) {
        if (!(error instanceof ProtocolError) || error.closeCode !== 1002) {
          wrongErrors.push(`${code}: ${String(error)}`);
        }
      }
    }
    expect(wrongErrors).toEqual([]);
    expect(accepted).toEqual(range(0, 0x10000).filter(allowedOnTheWire));
  });

  it("rfc6455#section-7.4.1 parseClosePayload fails with 1002 on 1004, 1005, 1006 and 1015 in particular", () => {
    for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535]) {
      expect(() => parseClosePayload(codeBytes(code))).toThrow(ProtocolError);
    }
  });

  it("rfc6455#section-7.4 isReceivableCloseCode agrees with the rule for 0..5000", () => {
    const disagreements = range(0, 5001).filter((code) =>
      isReceivableCloseCode(code) !== allowedOnTheWire(code)
    );
    expect(disagreements).toEqual([]);
  });

  it("rfc6455#section-7.4 server session echoes every allowed code and fails with 1002 on every other, 0..5000", () => {
    const wrong: string[] = [];
    for (let code = 0; code <= 5000; code++) {
      const input = frameFrom("client", 0x88, toHex(codeBytes(code)));
      const result = receiveChunks([input], { role: "server" });
      const [event] = result.events;
      const got = event?.type === "closed"
        ? `${event.code} ${event.wasClean} ${event.error?.name} ${result.outgoing[0]?.payload}`
        : "no close event";
      const expected = allowedOnTheWire(code)
        ? `${code} true undefined ${toHex(codeBytes(code))}`
        : "1002 false ProtocolError 03ea";
      if (result.events.length !== 1 || result.outgoing.length !== 1 || got !== expected) {
        wrong.push(`${code}: ${got}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("rfc6455#section-7.4 client session fails with 1002 on Close 1005 and 1006, which must never be on the wire", () => {
    for (const code of [1005, 1006, 1015]) {
      const result = receiveEveryWay(frameFrom("server", 0x88, toHex(codeBytes(code))), {
        role: "client",
      });
      expect(result.events).toEqual([failedWith("ProtocolError", 1002)]);
      expect(result.outgoing).toEqual([closeFrameRecord(1002)]);
    }
  });
});

describe("rfc6455#section-7.4 sending status codes", () => {
  it("rfc6455#section-7.4 buildClosePayload accepts exactly the allowed codes of 0..5000 and throws RangeError on the rest", () => {
    const built: number[] = [];
    const wrong: string[] = [];
    for (let code = 0; code <= 5000; code++) {
      try {
        const payload = buildClosePayload(code);
        if (toHex(payload) !== toHex(codeBytes(code))) wrong.push(`${code}: ${toHex(payload)}`);
        built.push(code);
      } catch (error) {
        if (!(error instanceof RangeError)) wrong.push(`${code}: ${String(error)}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(built).toEqual(range(0, 5001).filter(allowedOnTheWire));
    expect(range(0, 5001).filter((code) => isSendableCloseCode(code))).toEqual(built);
  });

  it("rfc6455#section-7.4 buildClosePayload refuses codes that are not 16-bit integers", () => {
    for (const code of [-1, 65536, 1000.5, 3000.1, Number.NaN, Infinity, 1000 + 65536]) {
      expect(() => buildClosePayload(code)).toThrow(RangeError);
      expect(isSendableCloseCode(code)).toBe(false);
    }
  });

  it("rfc6455#section-7.4 what may be sent may be received: build then parse is the identity", () => {
    for (const code of range(0, 5001).filter(allowedOnTheWire)) {
      expect(parseClosePayload(buildClosePayload(code, "r"))).toEqual({ code, reason: "r" });
    }
  });
});

describe("rfc6455#section-5.5.1 close reasons", () => {
  it("rfc6455#section-5.5 buildClosePayload takes a reason of up to 123 bytes of UTF-8 and refuses 124", () => {
    expect(MAX_CLOSE_REASON_BYTES).toBe(123);
    expect(buildClosePayload(1000, "a".repeat(123)).length).toBe(125);
    expect(() => buildClosePayload(1000, "a".repeat(124))).toThrow(RangeError);
    // 41 three-byte characters are 123 bytes; one more ASCII byte is too many.
    expect(buildClosePayload(1000, "€".repeat(41)).length).toBe(125);
    expect(() => buildClosePayload(1000, "€".repeat(41) + "a")).toThrow(RangeError);
    // 31 four-byte characters are 124 bytes, though only 62 UTF-16 units.
    expect(() => buildClosePayload(1000, "🙂".repeat(31))).toThrow(RangeError);
  });

  it("rfc6455#section-5.5.1 parseClosePayload fails with 1007 on a reason that is not UTF-8", () => {
    for (const reason of ["ff", "c0 80", "ed a0 80", "e2 82", "f4 90 80 80"]) {
      let error: unknown;
      try {
        parseClosePayload(new Uint8Array([0x03, 0xe8, ...reasonBytes(reason)]));
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(InvalidPayloadError);
      expect(error).toMatchObject({ closeCode: 1007 });
    }
  });

  it("rfc6455#section-5.5.1 server session fails with 1007 on a Close reason that is not UTF-8", () => {
    const result = receiveEveryWay(frameFrom("client", 0x88, "03e8" + "48 ff"), {
      role: "server",
    });
    expect(result.events).toEqual([failedWith("InvalidPayloadError", 1007)]);
    expect(result.outgoing).toEqual([closeFrameRecord(1007)]);
  });

  it("rfc6455#section-5.5.1 server session echoes a 123-byte multibyte reason unchanged", () => {
    const reason = "é".repeat(61) + "!";
    const result = receiveEveryWay(frameFrom("client", 0x88, "0bb8" + utf8Hex(reason)), {
      role: "server",
    });
    expect(result.events).toEqual([
      { type: "closed", code: 3000, reason, wasClean: true, error: undefined },
    ]);
    expect(result.outgoing).toEqual([closeFrameRecord(3000, reason)]);
  });
});

function reasonBytes(hexText: string): number[] {
  return hexText.split(" ").map((byte) => parseInt(byte, 16));
}
