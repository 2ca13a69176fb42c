// Framing rules a hostile client breaks, against a real server on this runtime's adapter with
// the echo handler and default limits (anchors.md section 4: facil.io #169 unmasked frames,
// mercurius #939 RSV bits, UTF-8 in text and close reasons). Each case checks the close code,
// that nothing was echoed before it, and that a fresh client still gets an echo.
import { describe, expect, it } from "vitest";
import {
  closePayload,
  concatBytes,
  fromHex,
  Op,
  seededRandom,
  utf8,
} from "../_helpers/conformance_peer.ts";
import { encodeFrame } from "../_helpers/raw_client.ts";
import {
  expectServerAlive,
  useCrashGuard,
  useSecurityServer,
} from "../_helpers/security_harness.ts";

// The first bytes a client may open with: text or binary with or without FIN, and the three
// control frames with FIN. Every other value breaks a rule of rfc6455#section-5.2 (reserved bits
// or opcodes), 5.4 (a continuation with no message) or 5.5 (a fragmented control frame).
const VALID_FIRST_BYTES = new Set([0x01, 0x02, 0x81, 0x82, 0x88, 0x89, 0x8a]);

describe("security: framing rules (default limits)", () => {
  const guard = useCrashGuard();
  const target = useSecurityServer();

  it("rfc6455#section-5.1 an unmasked text frame gets 1002 and is not echoed", async () => {
    const peer = await target.connect();
    peer.sendFrame(Op.Text, "hello", { mask: false });
    await peer.expectFailure(1002);
    await expectServerAlive(target.port);
  });

  it("rfc6455#section-5.1 an unmasked close frame gets 1002", async () => {
    const peer = await target.connect();
    peer.sendFrame(Op.Close, closePayload(1000), { mask: false });
    await peer.expectFailure(1002);
    await expectServerAlive(target.port);
  });

  it("rfc6455#section-5.1 an unmasked frame after a valid message: the message is echoed, then 1002", async () => {
    const peer = await target.connect();
    peer.write(concatBytes(
      encodeFrame(Op.Text, "first"),
      encodeFrame(Op.Binary, new Uint8Array([1, 2, 3]), { mask: false }),
    ));
    await peer.expectMessage(Op.Text, "first");
    await peer.expectFailure(1002);
    await expectServerAlive(target.port);
  });

  it("rfc6455#section-5.2 each of the 249 invalid first bytes (RSV bits, reserved opcodes, lone continuations, fragmented control frames), followed by random bytes, gets 1002", async () => {
    const random = seededRandom(6455);
    const invalid = Array.from({ length: 256 }, (_, b) => b).filter((b) =>
      !VALID_FIRST_BYTES.has(b)
    );
    expect(invalid.length).toBe(249);
    const failures: string[] = [];
    for (let i = 0; i < invalid.length; i += 16) {
      await Promise.all(
        invalid.slice(i, i + 16).map(async (b0) => {
          const length = Math.floor(random() * 126);
          const payload = Uint8Array.from({ length }, () => Math.floor(random() * 256));
          const tail = Uint8Array.from(
            { length: Math.floor(random() * 32) },
            () => Math.floor(random() * 256),
          );
          const frame = encodeFrame(b0 & 0x0f, payload, {
            fin: (b0 & 0x80) !== 0,
            rsv: (b0 >> 4) & 0x7,
          });
          const peer = await target.connect();
          peer.write(concatBytes(frame, tail));
          try {
            await peer.expectFailure(1002);
          } catch (error) {
            failures.push(`first byte 0x${b0.toString(16).padStart(2, "0")}: ${error}`);
          } finally {
            peer.destroy();
          }
        }),
      );
    }
    expect(failures).toEqual([]);
    await expectServerAlive(target.port);
  });

  it("rfc6455#section-8.1 invalid UTF-8 in a text message gets 1007 and is not echoed", async () => {
    const peer = await target.connect();
    // "κόσμε" with a UTF-16 surrogate (ED A0 80) inside, then "edited"
    peer.sendFrame(Op.Text, fromHex("ce ba e1 bd b9 cf 83 ce bc ce b5 ed a0 80 65 64 69 74 65 64"));
    await peer.expectFailure(1007);
    await expectServerAlive(target.port);
  });

  it("rfc6455#section-8.1 invalid UTF-8 in the second fragment of a text message gets 1007", async () => {
    const peer = await target.connect();
    peer.sendFrame(Op.Text, utf8("valid start "), { fin: false });
    peer.sendFrame(Op.Continuation, fromHex("f4 90 80 80"), { fin: true });
    await peer.expectFailure(1007);
    await expectServerAlive(target.port);
  });

  it("rfc6455#section-8.1 a text message ending inside a character gets 1007", async () => {
    const peer = await target.connect();
    peer.sendFrame(Op.Text, fromHex("48 69 ce"));
    await peer.expectFailure(1007);
    await expectServerAlive(target.port);
  });

  for (
    const [name, reason] of [
      ["a lone 0xFF byte", fromHex("ff")],
      ["an overlong encoding of /", fromHex("c0 af")],
      ["an encoded surrogate", fromHex("ed a0 80")],
    ] as const
  ) {
    it(`rfc6455#section-5.5.1 a close reason holding ${name} gets 1007`, async () => {
      const peer = await target.connect();
      peer.sendFrame(Op.Close, closePayload(1000, reason));
      await peer.expectFailure(1007);
      await expectServerAlive(target.port);
    });
  }

  it("no unhandled rejection or uncaught exception reached the process", () => {
    expect(guard.records).toEqual([]);
  });
});
