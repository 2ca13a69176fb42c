// Conformance, UTF-8 handling (in the spirit of Autobahn|Testsuite 6.x): valid text of every
// encoded length is echoed however it is fragmented, even inside a character; invalid text
// (overlong forms, surrogates, code points past U+10FFFF, truncated or stray bytes) fails the
// connection with 1007 — and fails it fast, before the rest of a fragmented message arrives.
import { it } from "vitest";
import {
  chop,
  concatBytes,
  describeOverTransports,
  fragmentFrames,
  frame,
  fromHex,
  Op,
  splitAt,
  utf8,
} from "../_helpers/conformance_peer.ts";

const KOSME = fromHex("ce ba e1 bd b9 cf 83 ce bc ce b5"); // "κόσμε"
const EDITED = utf8("-edited");

/** Valid text, named by what it covers. */
const VALID: readonly [string, Uint8Array][] = [
  ["Latin-1 supplement letters", utf8("Hello-µ@ßöäüàá-UTF-8!!")],
  ["Greek (2-byte characters)", KOSME],
  ["U+0000, the smallest 1-byte character", fromHex("00")],
  ["U+007F, the largest 1-byte character", fromHex("7f")],
  ["U+0080, the smallest 2-byte character", fromHex("c2 80")],
  ["U+07FF, the largest 2-byte character", fromHex("df bf")],
  ["U+0800, the smallest 3-byte character", fromHex("e0 a0 80")],
  ["U+D7FF, just below the surrogates", fromHex("ed 9f bf")],
  ["U+E000, just above the surrogates", fromHex("ee 80 80")],
  ["U+FFFD, the replacement character", fromHex("ef bf bd")],
  ["U+FFFE and U+FFFF, noncharacters that are still valid", fromHex("ef bf be ef bf bf")],
  ["U+10000, the smallest 4-byte character", fromHex("f0 90 80 80")],
  ["U+10FFFF, the largest code point", fromHex("f4 8f bf bf")],
  ["U+1F389 and friends (4-byte emoji)", utf8("🎉🚀👍🏽")],
  ["a leading U+FEFF (byte order mark), which is content", fromHex("ef bb bf 41 42")],
  ["mixed scripts", utf8("wsflow κόσμε ∮ E⋅da = Q 🎉 مرحبا 你好")],
];

/** Invalid sequences, each put between valid text ("κόσμε" … "-edited"). */
const INVALID: readonly [string, string][] = [
  ["an overlong NUL, C0 80", "c0 80"],
  ["an overlong '/', C0 AF", "c0 af"],
  ["the overlong C1 BF", "c1 bf"],
  ["a 3-byte overlong, E0 80 AF", "e0 80 af"],
  ["the largest 3-byte overlong, E0 9F BF", "e0 9f bf"],
  ["a 4-byte overlong, F0 80 80 AF", "f0 80 80 af"],
  ["the largest 4-byte overlong, F0 8F BF BF", "f0 8f bf bf"],
  ["a 5-byte form, F8 88 80 80 80", "f8 88 80 80 80"],
  ["a 6-byte form, FC 84 80 80 80 80", "fc 84 80 80 80 80"],
  ["the high surrogate U+D800, ED A0 80", "ed a0 80"],
  ["the high surrogate U+DB7F, ED AD BF", "ed ad bf"],
  ["the low surrogate U+DC00, ED B0 80", "ed b0 80"],
  ["the low surrogate U+DFFF, ED BF BF", "ed bf bf"],
  ["a surrogate pair U+D800 U+DC00 in CESU-8", "ed a0 80 ed b0 80"],
  ["U+110000, F4 90 80 80", "f4 90 80 80"],
  ["the largest 4-byte form, F7 BF BF BF", "f7 bf bf bf"],
  ["the lead byte F5", "f5 80 80 80"],
  ["a lone continuation byte 80", "80"],
  ["a lone continuation byte BF", "bf"],
  ["three continuation bytes", "80 bf 80"],
  ["a 2-byte lead followed by ASCII, C2 41", "c2 41"],
  ["a 3-byte lead cut short by ASCII, E1 80 41", "e1 80 41"],
  ["a 4-byte lead cut short by ASCII, F0 90 80 41", "f0 90 80 41"],
  ["the byte FE", "fe"],
  ["the byte FF", "ff"],
  ["FE FE FF FF", "fe fe ff ff"],
];

/** Text truncated at its very end: invalid only once the message is complete. */
const TRUNCATED: readonly [string, string][] = [
  ["a 2-byte character missing its last byte", "ce"],
  ["a 3-byte character missing its last byte", "e1 bd"],
  ["a 4-byte character missing its last byte", "f0 9f 8e"],
  ["a 4-byte character missing its last three bytes", "f0"],
];

/** Characters of each encoded length, with text around them. */
const MULTIBYTE: readonly [string, Uint8Array][] = [
  ["a 2-byte character (U+00B5)", utf8("<µ>")],
  ["a 3-byte character (U+20AC)", utf8("<€>")],
  ["a 4-byte character (U+1F389)", utf8("<🎉>")],
  ["U+10FFFF", concatBytes(utf8("<"), fromHex("f4 8f bf bf"), utf8(">"))],
];

describeOverTransports("conformance 6.x: UTF-8 handling", (target) => {
  it("rfc6455#section-5.6 echoes empty text: one frame, and three empty fragments", async () => {
    const peer = await target.connect();
    peer.sendFrame(Op.Text, "");
    peer.write(concatBytes(
      frame(Op.Text, "", { fin: false }),
      frame(Op.Continuation, "", { fin: false }),
      frame(Op.Continuation, ""),
    ));
    await peer.expectMessage(Op.Text, "");
    await peer.expectMessage(Op.Text, "");
  });

  for (const [name, bytes] of VALID) {
    it(`rfc6455#section-8.1 echoes valid text: ${name}, in one frame, one fragment per byte and in 1-byte chunks`, async () => {
      const peer = await target.connect();
      peer.sendFrame(Op.Text, bytes);
      await peer.expectMessage(Op.Text, bytes, "one frame");
      peer.write(fragmentFrames(Op.Text, bytes, 1));
      await peer.expectMessage(Op.Text, bytes, "one fragment per byte");
      await peer.writePieces(chop(frame(Op.Text, bytes), 1), 1);
      await peer.expectMessage(Op.Text, bytes, "1-byte chunks");
    });
  }

  for (const [name, bytes] of MULTIBYTE) {
    it(`rfc6455#section-8.1 echoes text with ${name} split into two fragments at every byte position`, async () => {
      const peer = await target.connect();
      for (let at = 0; at <= bytes.length; at++) {
        const [first, second] = splitAt(bytes, at);
        peer.write(concatBytes(
          frame(Op.Text, first!, { fin: false }),
          frame(Op.Continuation, second!),
        ));
        await peer.expectMessage(Op.Text, bytes, `split at byte ${at}`);
      }
    });

    it(`rfc6455#section-8.1 echoes text with ${name} split into three fragments at every pair of positions`, async () => {
      const peer = await target.connect();
      for (let a = 1; a < bytes.length; a++) {
        for (let b = a; b < bytes.length; b++) {
          const [first, second, third] = splitAt(bytes, a, b);
          peer.write(concatBytes(
            frame(Op.Text, first!, { fin: false }),
            frame(Op.Continuation, second!, { fin: false }),
            frame(Op.Continuation, third!),
          ));
          await peer.expectMessage(Op.Text, bytes, `split at bytes ${a} and ${b}`);
        }
      }
    });
  }

  it("rfc6455#section-8.1 does not fail text whose fragment ends inside a character, and echoes it once complete", async () => {
    // "κόσμε" + the first byte of "ν" (CE BD): incomplete, but not invalid until the end.
    const peer = await target.connect();
    peer.sendFrame(Op.Text, concatBytes(KOSME, fromHex("ce")), { fin: false });
    await peer.expectSilence(200, "a fragment ending inside a character is not an error");
    peer.sendFrame(Op.Continuation, fromHex("bd"));
    await peer.expectMessage(Op.Text, concatBytes(KOSME, fromHex("ce bd")));
  });

  for (const [name, hex] of INVALID) {
    const bad = concatBytes(KOSME, fromHex(hex), EDITED);

    it(`rfc6455#section-8.1 text with ${name} fails with 1007 (one frame)`, async () => {
      const peer = await target.connect();
      peer.sendFrame(Op.Text, bad);
      await peer.expectFailure(1007);
    });

    it(`rfc6455#section-8.1 text with ${name} fails with 1007 (one fragment per byte)`, async () => {
      const peer = await target.connect();
      peer.write(fragmentFrames(Op.Text, bad, 1));
      await peer.expectFailure(1007);
    });
  }

  for (const [name, hex] of TRUNCATED) {
    it(`rfc6455#section-8.1 text ending with ${name} fails with 1007 (one frame)`, async () => {
      const peer = await target.connect();
      peer.sendFrame(Op.Text, concatBytes(KOSME, fromHex(hex)));
      await peer.expectFailure(1007);
    });

    it(`rfc6455#section-8.1 text ending with ${name} fails with 1007 (final fragment)`, async () => {
      const peer = await target.connect();
      peer.write(concatBytes(
        frame(Op.Text, KOSME, { fin: false }),
        frame(Op.Continuation, fromHex(hex)),
      ));
      await peer.expectFailure(1007);
    });
  }

  it("rfc6455#section-8.1 text with a valid message before the invalid one: the first is echoed, then 1007", async () => {
    const peer = await target.connect();
    peer.sendFrame(Op.Text, KOSME);
    await peer.expectMessage(Op.Text, KOSME);
    peer.sendFrame(Op.Text, concatBytes(KOSME, fromHex("ed a0 80"), EDITED));
    await peer.expectFailure(1007);
  });

  // Fail fast: each case sends only non-final fragments; the final one is never sent. The server must
  // close with 1007 as soon as the text cannot be valid any more.
  const FAST: readonly [string, Uint8Array[]][] = [
    ["an invalid first fragment", [fromHex("c0 80")]],
    ["a surrogate in the second fragment", [KOSME, concatBytes(fromHex("ed a0 80"), EDITED)]],
    ["U+110000 split over two fragments", [concatBytes(KOSME, fromHex("f4")), fromHex("90 80")]],
    ["an overlong form split over three fragments", [
      concatBytes(KOSME, fromHex("e0")),
      fromHex("80"),
      fromHex("af"),
    ]],
    ["a stray continuation byte after valid fragments", [KOSME, KOSME, fromHex("80")]],
    ["the byte FF in the middle of a fragment", [concatBytes(KOSME, fromHex("ff"), KOSME)]],
  ];

  for (const [name, fragments] of FAST) {
    it(`rfc6455#section-8.1 text with ${name} fails fast with 1007, before the final fragment is sent`, async () => {
      const peer = await target.connect();
      for (const [i, fragment] of fragments.entries()) {
        peer.sendFrame(i === 0 ? Op.Text : Op.Continuation, fragment, { fin: false });
      }
      await peer.expectFailure(1007);
    });
  }

  // Fail fast inside one frame (Autobahn 6.4.3, 6.4.4): the frame's head and valid text, a
  // pause, then the bytes that make it invalid; the rest of the frame is never sent.
  const IN_FRAME: readonly [string, Uint8Array][] = [
    ["6.4.3: the chunk F4 90 80 80", fromHex("f4 90 80 80")],
    ["6.4.4: the single byte 90 after F4", fromHex("90")],
  ];

  for (const [name, invalid] of IN_FRAME) {
    it(`rfc6455#section-8.1 text invalid inside one frame fails fast with 1007 at ${name}, before the frame's end is sent`, async () => {
      const peer = await target.connect();
      const head = name.startsWith("6.4.4") ? concatBytes(KOSME, fromHex("f4")) : KOSME;
      const payload = new Uint8Array(1000).fill(0x61);
      payload.set(head);
      payload.set(invalid, head.length);
      const wire = frame(Op.Text, payload);
      const start = wire.length - payload.length;
      peer.write(wire.subarray(0, start + head.length));
      await peer.expectSilence(50, "valid text so far");
      peer.write(wire.subarray(start + head.length, start + head.length + invalid.length));
      await peer.expectFailure(1007);
    });
  }

  it("rfc6455#section-8.1 a surrogate in a fragment sent after a pause fails fast with 1007, before the final fragment is sent", async () => {
    const peer = await target.connect();
    peer.sendFrame(Op.Text, KOSME, { fin: false });
    await peer.expectSilence(50, "the valid first fragment");
    peer.sendFrame(Op.Continuation, fromHex("ed a0 80"), { fin: false });
    await peer.expectFailure(1007);
  });

  it("rfc6455#section-8.1 an invalid fragment fails fast with 1007; a ping before it is answered, one after it is not", async () => {
    const peer = await target.connect();
    peer.write(concatBytes(
      frame(Op.Text, KOSME, { fin: false }),
      frame(Op.Ping, "answered"),
      frame(Op.Continuation, fromHex("f8 88 80 80 80"), { fin: false }),
      frame(Op.Ping, "not answered"),
    ));
    await peer.expectPong("answered");
    await peer.expectFailure(1007);
  });

  it("rfc6455#section-8.1 binary messages are not checked as UTF-8", async () => {
    const peer = await target.connect();
    const bytes = concatBytes(KOSME, fromHex("ed a0 80 c0 80 ff fe"), EDITED);
    peer.sendFrame(Op.Binary, bytes);
    await peer.expectMessage(Op.Binary, bytes);
  });
});
