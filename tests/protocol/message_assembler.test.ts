// MessageAssembler: fragments to messages, UTF-8 checked fragment by fragment, binary payloads
// detached from the large chunks they may be views of.
import { describe, expect, it } from "vitest";
import { InvalidPayloadError } from "../../src/protocol/errors.ts";
import type { Frame } from "../../src/protocol/frame.ts";
import { inflatedMessage, MessageAssembler } from "../../src/protocol/message_assembler.ts";
import { Opcode } from "../../src/protocol/opcode.ts";
import { hex, toHex } from "../_helpers/hex.ts";

function frame(opcode: Opcode, payload: Uint8Array | string, fin = true): Frame {
  return {
    fin,
    rsv1: false,
    rsv2: false,
    rsv3: false,
    opcode,
    payload: typeof payload === "string" ? hex(payload) : payload,
  };
}

describe("MessageAssembler", () => {
  it("returns an unfragmented Text frame as a string and a Binary frame as bytes", () => {
    const assembler = new MessageAssembler();
    expect(assembler.push(frame(Opcode.Text, "48 69"))).toBe("Hi");
    const binary = assembler.push(frame(Opcode.Binary, "00 ff"));
    expect(binary).toBeInstanceOf(Uint8Array);
    expect(toHex(binary as Uint8Array)).toBe("00ff");
    expect(assembler.push(frame(Opcode.Text, ""))).toBe("");
    expect(assembler.push(frame(Opcode.Binary, ""))).toEqual(new Uint8Array(0));
  });

  it("returns undefined until the final fragment, then the whole message", () => {
    const assembler = new MessageAssembler();
    expect(assembler.push(frame(Opcode.Text, "e2", false))).toBeUndefined();
    expect(assembler.push(frame(Opcode.Continuation, "82", false))).toBeUndefined();
    expect(assembler.push(frame(Opcode.Continuation, "ac 21", false))).toBeUndefined();
    expect(assembler.push(frame(Opcode.Continuation, "", true))).toBe("€!");
    expect(assembler.push(frame(Opcode.Binary, "01", false))).toBeUndefined();
    expect(assembler.push(frame(Opcode.Continuation, "", false))).toBeUndefined();
    expect(assembler.push(frame(Opcode.Continuation, "02 03", true))).toEqual(
      new Uint8Array([1, 2, 3]),
    );
  });

  it("keeps text and binary messages apart when they alternate", () => {
    const assembler = new MessageAssembler();
    const results = [
      assembler.push(frame(Opcode.Binary, "ff", false)),
      assembler.push(frame(Opcode.Continuation, "fe", true)),
      assembler.push(frame(Opcode.Text, "41", false)),
      assembler.push(frame(Opcode.Continuation, "42", true)),
      assembler.push(frame(Opcode.Binary, "c0", false)),
      assembler.push(frame(Opcode.Continuation, "80", true)),
    ];
    expect(results).toEqual([
      undefined,
      new Uint8Array([0xff, 0xfe]),
      undefined,
      "AB",
      undefined,
      new Uint8Array([0xc0, 0x80]),
    ]);
  });

  it("returns a fragmented binary message of one non-empty fragment without joining", () => {
    const assembler = new MessageAssembler();
    const only = hex("0102030405");
    assembler.push(frame(Opcode.Binary, only, false));
    expect(assembler.push(frame(Opcode.Continuation, "", true))).toBe(only);
    assembler.push(frame(Opcode.Binary, "", false));
    expect(assembler.push(frame(Opcode.Continuation, "", true))).toEqual(new Uint8Array(0));
  });

  it("copies a small binary payload that is a view of a much larger buffer, and not one that fills its buffer", () => {
    const assembler = new MessageAssembler();
    const big = new Uint8Array(100_000);
    big.set([7, 8, 9], 500);
    const view = big.subarray(500, 503);
    const detached = assembler.push(frame(Opcode.Binary, view)) as Uint8Array;
    expect(detached).toEqual(new Uint8Array([7, 8, 9]));
    expect(detached.buffer).not.toBe(big.buffer);
    expect(detached.buffer.byteLength).toBe(3);
    const own = hex("0a0b");
    expect(assembler.push(frame(Opcode.Binary, own))).toBe(own);
    // Fragments are detached too, before they are kept for the final one.
    assembler.push(frame(Opcode.Binary, big.subarray(500, 501), false));
    big[500] = 0xee;
    expect(assembler.push(frame(Opcode.Continuation, big.subarray(501, 503)))).toEqual(
      new Uint8Array([7, 8, 9]),
    );
  });

  it("with detached, keeps every payload as it is given", () => {
    const assembler = new MessageAssembler({ detached: true });
    const big = new Uint8Array(100_000);
    const view = big.subarray(500, 503);
    expect(assembler.push(frame(Opcode.Binary, view))).toBe(view);
    assembler.push(frame(Opcode.Binary, big.subarray(500, 501), false));
    const last = assembler.push(frame(Opcode.Continuation, big.subarray(501, 503))) as Uint8Array;
    expect(last.length).toBe(3);
  });

  it("rfc6455#section-8.1 throws InvalidPayloadError (1007) on the first fragment that makes the text invalid", () => {
    const assembler = new MessageAssembler();
    assembler.push(frame(Opcode.Text, "ce ba", false));
    assembler.push(frame(Opcode.Continuation, "e1 bd", false)); // valid so far: E1 BD needs one more
    let error: unknown;
    try {
      assembler.push(frame(Opcode.Continuation, "41", false)); // not a continuation byte
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidPayloadError);
    expect(error).toMatchObject({ closeCode: 1007 });
  });

  it("rfc6455#section-8.1 throws InvalidPayloadError (1007) when the final fragment ends inside a character", () => {
    const assembler = new MessageAssembler();
    assembler.push(frame(Opcode.Text, "41", false));
    expect(() => assembler.push(frame(Opcode.Continuation, "f0 9f 98", true))).toThrow(
      InvalidPayloadError,
    );
  });

  it("rfc6455#section-8.1 throws InvalidPayloadError (1007) on an unfragmented invalid Text frame", () => {
    const assembler = new MessageAssembler();
    expect(() => assembler.push(frame(Opcode.Text, "ed bf bf"))).toThrow(InvalidPayloadError);
  });
});

describe("inflatedMessage", () => {
  it("returns inflated text as a string and inflated binary as the same bytes", () => {
    expect(inflatedMessage(true, hex("48 69"))).toBe("Hi");
    const bytes = hex("00 ff");
    expect(inflatedMessage(false, bytes)).toBe(bytes);
  });

  it("rfc6455#section-8.1 throws InvalidPayloadError (1007) on inflated text that is not UTF-8", () => {
    expect(() => inflatedMessage(true, hex("ed bf bf"))).toThrow(InvalidPayloadError);
    expect(() => inflatedMessage(true, hex("48 ce"))).toThrow(InvalidPayloadError);
  });
});
