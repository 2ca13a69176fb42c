// The Redis envelope on its own: what RedisFanOut publishes and how it reads what it receives
// (the round trip over a real redis-server is in redis_fan_out.test.ts).
import { describe, expect, it } from "vitest";
import { Opcode } from "../../src/protocol/opcode.ts";
import { PreparedFrame } from "../../src/protocol/prepared_frame.ts";
import { openEnvelope, sealEnvelope } from "../../src/pubsub/redis_envelope.ts";

const ME = new Uint8Array([1, 2, 3, 4, 5, 6]);
const OTHER = new Uint8Array([6, 5, 4, 3, 2, 1]);

describe("Redis envelope", () => {
  it("is version 1, the opcode and the publisher's id before the payload", () => {
    expect([...sealEnvelope(ME, PreparedFrame.of("hi"))]).toEqual([
      1,
      1,
      1,
      2,
      3,
      4,
      5,
      6,
      104,
      105,
    ]);
    expect([...sealEnvelope(ME, PreparedFrame.of(new Uint8Array([0, 255])))]).toEqual([
      1,
      2,
      1,
      2,
      3,
      4,
      5,
      6,
      0,
      255,
    ]);
  });

  it("opens to the same opcode and payload in another process, and to nothing in its own", () => {
    const text = openEnvelope(sealEnvelope(OTHER, PreparedFrame.of("héllo")), ME);
    expect(text).toBeInstanceOf(PreparedFrame);
    expect((text as PreparedFrame).opcode).toBe(Opcode.Text);
    expect(new TextDecoder().decode((text as PreparedFrame).payload)).toBe("héllo");
    const binary = openEnvelope(sealEnvelope(OTHER, PreparedFrame.of(new Uint8Array([7, 8]))), ME);
    expect((binary as PreparedFrame).opcode).toBe(Opcode.Binary);
    expect([...(binary as PreparedFrame).payload]).toEqual([7, 8]);
    expect(openEnvelope(sealEnvelope(ME, PreparedFrame.of("echo")), ME)).toBeUndefined();
  });

  it("rfc6455#section-8.1: reports what is no envelope, or text that is not UTF-8, instead of delivering it", () => {
    for (
      const message of [
        new Uint8Array(7),
        new Uint8Array([2, 1, 0, 0, 0, 0, 0, 0]),
        new Uint8Array([1, 9, 0, 0, 0, 0, 0, 0]),
      ]
    ) {
      expect(String(openEnvelope(message, ME))).toContain("not a wsflow envelope");
    }
    const bad = new Uint8Array([1, Opcode.Text, 6, 5, 4, 3, 2, 1, 0xff]);
    expect(String(openEnvelope(bad, ME))).toContain("text is not UTF-8");
  });
});
