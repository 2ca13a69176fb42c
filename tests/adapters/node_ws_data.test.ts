// What the ws-compatible WebSocket's send, ping and pong take, as bytes (through the socket,
// in node_ws.test.ts).
import { describe, expect, it } from "vitest";
import {
  bytesOf,
  concat,
  controlArguments,
  controlPayload,
} from "../../src/adapters/node_ws_data.ts";

describe("wsflow/ws data", () => {
  it("bytesOf views a buffer or any view's bytes without copying", () => {
    const buffer = new ArrayBuffer(4);
    expect(bytesOf(buffer).buffer).toBe(buffer);
    const view = new DataView(buffer, 1, 2);
    const bytes = bytesOf(view);
    expect([bytes.buffer === buffer, bytes.byteOffset, bytes.byteLength]).toEqual([true, 1, 2]);
  });

  it("concat joins fragments in order, and hands back a single one as it is", () => {
    const one = new Uint8Array([1]);
    expect(concat([one])).toBe(one);
    expect([...concat([one, new Uint8Array([2, 3]), new Uint8Array(0)])]).toEqual([1, 2, 3]);
  });

  it("controlArguments takes (data, mask, cb) with either leading argument left out", () => {
    const cb = (): void => {};
    expect(controlArguments(cb, undefined, undefined)).toEqual({ data: undefined, cb });
    expect(controlArguments("x", cb, undefined)).toEqual({ data: "x", cb });
    expect(controlArguments("x", true, cb)).toEqual({ data: "x", cb });
  });

  it("rfc6455#section-5.5: controlPayload is text, a number's digits or bytes, at most 125 bytes", () => {
    expect(controlPayload(undefined).byteLength).toBe(0);
    expect([...controlPayload(42)]).toEqual([52, 50]);
    expect(controlPayload("a".repeat(125)).byteLength).toBe(125);
    expect(() => controlPayload(new Uint8Array(126))).toThrow(RangeError);
  });
});
