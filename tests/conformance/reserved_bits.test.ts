// Conformance, reserved bits (in the spirit of Autobahn|Testsuite 3.x): with no extension
// negotiated, any of RSV1-3 set fails the connection with 1002, on data and control frames
// alike; what was valid before the bad frame is still echoed first, and nothing after it is.
import { it } from "vitest";
import {
  chop,
  closePayload,
  concatBytes,
  describeOverTransports,
  frame,
  Op,
  pattern,
} from "../_helpers/conformance_peer.ts";

/** RSV as the 3-bit number in bits 6-4 of the first byte: 4 is RSV1, 2 RSV2, 1 RSV3. */
function rsvName(rsv: number): string {
  return [rsv & 4 ? "RSV1" : "", rsv & 2 ? "RSV2" : "", rsv & 1 ? "RSV3" : ""]
    .filter((name) => name !== "")
    .join("+");
}

describeOverTransports("conformance 3.x: reserved bits", (target) => {
  for (let rsv = 1; rsv <= 7; rsv++) {
    it(`rfc6455#section-5.2 a text frame with ${rsvName(rsv)} set fails with 1002`, async () => {
      const peer = await target.connect();
      peer.sendFrame(Op.Text, "Hello, world!", { rsv });
      await peer.expectFailure(1002);
    });
  }

  it("rfc6455#section-5.2 a binary frame with RSV1 set fails with 1002", async () => {
    const peer = await target.connect();
    peer.sendFrame(Op.Binary, pattern(16), { rsv: 4 });
    await peer.expectFailure(1002);
  });

  it("rfc6455#section-5.2 a ping with RSV1+RSV3 set fails with 1002, unanswered", async () => {
    const peer = await target.connect();
    peer.sendFrame(Op.Ping, pattern(16), { rsv: 5 });
    await peer.expectFailure(1002);
  });

  it("rfc6455#section-5.2 a pong with RSV2 set fails with 1002", async () => {
    const peer = await target.connect();
    peer.sendFrame(Op.Pong, "pong", { rsv: 2 });
    await peer.expectFailure(1002);
  });

  it("rfc6455#section-5.2 a close frame with all three RSV bits set fails with 1002", async () => {
    const peer = await target.connect();
    peer.sendFrame(Op.Close, closePayload(1000), { rsv: 7 });
    await peer.expectFailure(1002);
  });

  it("rfc6455#section-5.2 a continuation frame with RSV1 set fails with 1002", async () => {
    const peer = await target.connect();
    peer.sendFrame(Op.Text, "Hello, ", { fin: false });
    peer.sendFrame(Op.Continuation, "world!", { rsv: 4 });
    await peer.expectFailure(1002);
  });

  it("rfc6455#section-5.2 after an echoed message, a text frame with RSV2 fails with 1002 and the ping after it is not answered", async () => {
    const peer = await target.connect();
    peer.sendFrame(Op.Text, "Hello, world!");
    await peer.expectMessage(Op.Text, "Hello, world!");
    peer.write(concatBytes(frame(Op.Text, "Hello, world!", { rsv: 2 }), frame(Op.Ping)));
    await peer.expectFailure(1002);
  });

  it("rfc6455#section-5.2 a valid message, then RSV1+RSV2 text, then a ping, frame by frame: echo first, then 1002", async () => {
    const peer = await target.connect();
    await peer.writePieces([
      frame(Op.Text, "Hello, world!"),
      frame(Op.Text, "Hello, world!", { rsv: 6 }),
      frame(Op.Ping),
    ], 20);
    await peer.expectMessage(Op.Text, "Hello, world!");
    await peer.expectFailure(1002);
  });

  it("rfc6455#section-5.2 a valid message, then RSV1+RSV2+RSV3 text, then a ping, in 1-byte chunks: echo first, then 1002", async () => {
    const peer = await target.connect();
    const bytes = concatBytes(
      frame(Op.Text, "Hello, world!"),
      frame(Op.Text, "Hello, world!", { rsv: 7 }),
      frame(Op.Ping),
    );
    await peer.writePieces(chop(bytes, 1), 1);
    await peer.expectMessage(Op.Text, "Hello, world!");
    await peer.expectFailure(1002);
  });

  it("rfc6455#section-5.2 a valid message, then RSV2 text, then a ping, all in one write: echo first, then 1002", async () => {
    // The valid message was complete before the bad frame: the server must still echo it
    // before failing the connection (Autobahn 3.2's strict outcome).
    const peer = await target.connect();
    peer.write(concatBytes(
      frame(Op.Text, "Hello, world!"),
      frame(Op.Text, "Hello, world!", { rsv: 2 }),
      frame(Op.Ping),
    ));
    await peer.expectMessage(Op.Text, "Hello, world!");
    await peer.expectFailure(1002);
  });

  it("rfc6455#section-5.2 a valid binary message, then RSV3 binary, in one write: echo first, then 1002", async () => {
    const peer = await target.connect();
    peer.write(concatBytes(
      frame(Op.Binary, pattern(1000)),
      frame(Op.Binary, pattern(8), { rsv: 1 }),
    ));
    await peer.expectMessage(Op.Binary, pattern(1000));
    await peer.expectFailure(1002);
  });
});
