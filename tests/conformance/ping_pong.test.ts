// Conformance, pings and pongs (in the spirit of Autobahn|Testsuite 2.x): every Ping is
// answered by a Pong with identical application data, control payloads over 125 bytes fail the
// connection, and unsolicited Pongs are ignored.
import { it } from "vitest";
import {
  chop,
  concatBytes,
  describeOverTransports,
  frame,
  fromHex,
  Op,
  pattern,
  utf8,
} from "../_helpers/conformance_peer.ts";

describeOverTransports("conformance 2.x: ping and pong", (target) => {
  it("rfc6455#section-5.5.2 answers a ping without payload with an empty pong", async () => {
    const peer = await target.connect();
    peer.sendFrame(Op.Ping);
    await peer.expectPong(new Uint8Array(0));
  });

  it("rfc6455#section-5.5.2 answers a ping with a short text payload with the same payload", async () => {
    const peer = await target.connect();
    peer.sendFrame(Op.Ping, "Hello, world!");
    await peer.expectPong("Hello, world!");
  });

  it("rfc6455#section-5.5.2 answers a ping with binary payload, including bytes that are not UTF-8", async () => {
    const peer = await target.connect();
    const payload = fromHex("00 ff fe fd fc fb 00 ff c0 80 ed a0 80");
    peer.sendFrame(Op.Ping, payload);
    await peer.expectPong(payload);
  });

  it("rfc6455#section-5.5 answers a ping with a 125-byte payload, the largest allowed", async () => {
    const peer = await target.connect();
    const payload = pattern(125);
    peer.sendFrame(Op.Ping, payload);
    await peer.expectPong(payload);
  });

  it("rfc6455#section-5.5 a ping with a 126-byte payload fails with 1002", async () => {
    const peer = await target.connect();
    peer.sendFrame(Op.Ping, pattern(126));
    await peer.expectFailure(1002);
  });

  it("rfc6455#section-5.5 a ping whose 16-bit length says 125 still fails with 1002", async () => {
    // Control frames must use the 7-bit length: 126 in that field is already too long.
    const peer = await target.connect();
    const masked = frame(Op.Ping, pattern(125)); // 2-byte header + key + payload
    const bytes = concatBytes(new Uint8Array([0x89, 0xfe, 0x00, 125]), masked.subarray(2));
    peer.write(bytes);
    await peer.expectFailure(1002);
  });

  it("rfc6455#section-5.5.2 answers a 125-byte ping sent in 1-byte chunks", async () => {
    const peer = await target.connect();
    const payload = pattern(125);
    await peer.writePieces(chop(frame(Op.Ping, payload), 1), 1);
    await peer.expectPong(payload);
  });

  it("rfc6455#section-5.5.3 ignores an unsolicited pong without payload", async () => {
    const peer = await target.connect();
    peer.sendFrame(Op.Pong);
    peer.sendFrame(Op.Text, "after the pong");
    await peer.expectMessage(Op.Text, "after the pong");
  });

  it("rfc6455#section-5.5.3 ignores an unsolicited pong with payload", async () => {
    const peer = await target.connect();
    peer.sendFrame(Op.Pong, "unsolicited pong payload");
    await peer.expectSilence(100);
    peer.sendFrame(Op.Binary, pattern(3));
    await peer.expectMessage(Op.Binary, pattern(3));
  });

  it("rfc6455#section-5.5.3 answers only the ping after an unsolicited pong", async () => {
    const peer = await target.connect();
    peer.sendFrame(Op.Pong, "unsolicited pong payload");
    peer.sendFrame(Op.Ping, "ping payload");
    await peer.expectPong("ping payload");
    await peer.expectSilence(100);
  });

  it("rfc6455#section-5.5.2 answers 10 pings sent in one write, each with its own pong, in order", async () => {
    const peer = await target.connect();
    const payloads = Array.from({ length: 10 }, (_, i) => utf8(`payload-${i}`));
    peer.write(concatBytes(...payloads.map((p) => frame(Op.Ping, p))));
    for (const [i, payload] of payloads.entries()) await peer.expectPong(payload, `pong ${i}`);
  });

  it("rfc6455#section-5.5.2 answers 10 pings sent one frame at a time, in 1-byte chunks", async () => {
    const peer = await target.connect();
    const payloads = Array.from({ length: 10 }, (_, i) => utf8(`payload-${i}`));
    for (const payload of payloads) await peer.writePieces(chop(frame(Op.Ping, payload), 1), 1);
    for (const [i, payload] of payloads.entries()) await peer.expectPong(payload, `pong ${i}`);
  });

  it("rfc6455#section-5.5.2 answers a ping between two messages, keeping the messages in order", async () => {
    const peer = await target.connect();
    peer.sendFrame(Op.Text, "first");
    await peer.expectMessage(Op.Text, "first");
    peer.sendFrame(Op.Ping, "between");
    await peer.expectPong("between");
    peer.sendFrame(Op.Text, "second");
    await peer.expectMessage(Op.Text, "second");
  });

  it("rfc6455#section-5.5 a pong with a 126-byte payload fails with 1002", async () => {
    const peer = await target.connect();
    peer.sendFrame(Op.Pong, pattern(126));
    await peer.expectFailure(1002);
  });
});
