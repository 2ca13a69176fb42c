// Session behaviour that is not one RFC rule: what receive() returns, batching of outgoing
// bytes, readyState, limits passed through, and that receive() never throws.
import { describe, expect, it } from "vitest";
import { ConnectionClosedError } from "../../src/protocol/errors.ts";
import type { Role } from "../../src/protocol/frame.ts";
import { Opcode } from "../../src/protocol/opcode.ts";
import { Session } from "../../src/protocol/session.ts";
import {
  closeFrameRecord,
  concat,
  decodeOutgoing,
  eventRecord,
  failedWith,
  frameFrom,
  hex,
  peerOf,
  rec,
  receiveEveryWay,
  toHex,
  utf8Hex,
} from "../_helpers/hex.ts";

const ROLES: readonly Role[] = ["server", "client"];

describe("Session", () => {
  for (const role of ROLES) {
    const from = peerOf(role);

    it(`${role} starts open with nothing to write and nothing to report`, () => {
      const session = new Session({ role });
      expect(session.role).toBe(role);
      expect(session.readyState).toBe("open");
      expect(session.closeEvent).toBeUndefined();
      expect(session.pendingBytes).toBe(0);
      expect(session.takeOutgoing()).toBeUndefined();
      // Nothing was sent, so nothing is there to release (the serializer is made by a send).
      session.releaseOutgoing();
      expect(session.pendingBytes).toBe(0);
      expect(session.receive(new Uint8Array(0))).toEqual([]);
      // Part of a frame reports nothing yet.
      expect(session.receive(frameFrom(from, 0x81, "41").subarray(0, 2))).toEqual([]);
    });

    it(`${role}: after its output is written, the next batch starts with room for as much as the last one used`, () => {
      const session = new Session({ role });
      const batch = (): Uint8Array[] => {
        for (let i = 0; i < 20; i++) session.send(new Uint8Array(900).fill(i));
        const chunks = session.takeOutgoing() ?? [];
        expect(chunks.length).toBe(1);
        return chunks;
      };
      const first = batch();
      const size = first[0]!.buffer.byteLength;
      expect(size).toBeGreaterThanOrEqual(20 * 904);
      session.releaseOutgoing();
      expect(session.pendingBytes).toBe(0);
      // The first message of the next batch already goes into a buffer of that size, rather
      // than into the smallest, grown again as the batch grows.
      session.send(new Uint8Array(900));
      const [next] = session.takeOutgoing() ?? [];
      expect(next!.buffer.byteLength).toBe(size);
      session.releaseOutgoing();
      expect(batch()[0]!.length).toBe(first[0]!.length);
      session.releaseOutgoing();
      session.send("after");
      expect(decodeOutgoing(role, session.takeOutgoing() ?? []).map((f) => f.payload)).toEqual([
        utf8Hex("after"),
      ]);
    });

    it(`${role} reports everything in one chunk in order, and writes all the Pongs in one chunk`, () => {
      const session = new Session({ role });
      const events = session.receive(
        concat(
          frameFrom(from, 0x89, "01"),
          frameFrom(from, 0x81, utf8Hex("a")),
          frameFrom(from, 0x89, "02"),
          frameFrom(from, 0x8a, "03"),
          frameFrom(from, 0x82, "04"),
          frameFrom(from, 0x89, "05"),
        ),
      );
      expect(events.map(eventRecord)).toEqual([
        { type: "ping", data: "01" },
        { type: "message", text: "a" },
        { type: "ping", data: "02" },
        { type: "pong", data: "03" },
        { type: "message", binary: "04" },
        { type: "ping", data: "05" },
      ]);
      expect(session.pendingBytes).toBe(3 * (role === "client" ? 7 : 3));
      const chunks = session.takeOutgoing() ?? [];
      expect(chunks.length).toBe(1);
      expect(decodeOutgoing(role, chunks)).toEqual([
        rec(Opcode.Pong, "01"),
        rec(Opcode.Pong, "02"),
        rec(Opcode.Pong, "05"),
      ]);
      expect(session.pendingBytes).toBe(0);
    });

    it(`${role} goes open → closing → closed through its own close()`, () => {
      const session = new Session({ role });
      session.close(1000, "bye");
      expect(session.readyState).toBe("closing");
      session.receive(frameFrom(from, 0x88, "03e8"));
      expect(session.readyState).toBe("closed");
      expect(session.closeEvent).toEqual({ code: 1000, reason: "", wasClean: true });
    });

    it(`${role} passes its limits to the parser`, () => {
      const limits = { maxFrameSize: 4 };
      const ok = receiveEveryWay(frameFrom(from, 0x82, "01020304"), { role, limits });
      expect(ok.events).toEqual([{ type: "message", binary: "01020304" }]);
      const over = receiveEveryWay(frameFrom(from, 0x82, "0102030405"), { role, limits });
      expect(over.events).toEqual([failedWith("MessageTooBigError", 1009)]);
      expect(over.outgoing).toEqual([closeFrameRecord(1009)]);
    });

    it(`${role} receives a 100 KiB text message in fragments`, () => {
      const text = "ж".repeat(50_000) + "!";
      const bytes = utf8Hex(text);
      const third = Math.floor(bytes.length / 6) * 2;
      const input = concat(
        frameFrom(from, 0x01, bytes.slice(0, third + 1 - 1)),
        frameFrom(from, 0x00, bytes.slice(third, 2 * third + 2)),
        frameFrom(from, 0x80, bytes.slice(2 * third + 2)),
      );
      const session = new Session({ role });
      expect(session.receive(input)).toEqual([{ type: "message", data: text }]);
    });
  }

  it("ping() and pong() send empty, string and binary application data", () => {
    const session = new Session({ role: "server" });
    session.ping();
    session.ping("hi");
    session.pong(hex("00ff"));
    expect(toHex(concat(...(session.takeOutgoing() ?? [])))).toBe(
      "8900" + "89026869" + "8a0200ff",
    );
  });

  it("close() without a code sends an empty Close; with a code and reason sends both", () => {
    const plain = new Session({ role: "server" });
    plain.close();
    expect(toHex(concat(...(plain.takeOutgoing() ?? [])))).toBe("8800");
    const full = new Session({ role: "server" });
    full.close(4000, "done");
    expect(toHex(concat(...(full.takeOutgoing() ?? [])))).toBe("8806" + "0fa0" + utf8Hex("done"));
  });

  it("queued messages go out before a Close queued after them", () => {
    const session = new Session({ role: "server" });
    session.send("last words");
    session.close(1001);
    expect(decodeOutgoing("server", session.takeOutgoing() ?? [])).toEqual([
      rec(Opcode.Text, utf8Hex("last words")),
      closeFrameRecord(1001),
    ]);
  });

  it("ConnectionClosedError after a failure carries the failure's code and is not clean", () => {
    const session = new Session({ role: "server" });
    session.receive(frameFrom("client", 0x81, "ff"));
    let error: unknown;
    try {
      session.send("x");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConnectionClosedError);
    expect(error).toMatchObject({ code: 1007, wasClean: false, closeCode: 1007 });
  });

  it("ConnectionClosedError while closing (own Close sent, none received) says 1000, not clean", () => {
    const session = new Session({ role: "client" });
    session.close(4001);
    let error: unknown;
    try {
      session.send("x");
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ name: "ConnectionClosedError", code: 1000, wasClean: false });
  });

  it("receive() never throws: a sink-level failure becomes a closed event", () => {
    for (const role of ROLES) {
      const session = new Session({ role });
      const inputs = [hex("ff 80 00000000"), frameFrom(peerOf(role), 0x88, "03"), hex("00")];
      for (const input of inputs) expect(() => session.receive(input)).not.toThrow();
      expect(session.readyState).toBe("closed");
    }
  });
});
