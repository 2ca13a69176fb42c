// Conformance, fragmentation (in the spirit of Autobahn|Testsuite 5.x): fragmented text and
// binary messages are reassembled, control frames may come between fragments (and are answered
// at once), while fragmented control frames, continuations without a message and new messages
// inside an open one fail the connection with 1002.
import { it } from "vitest";
import {
  chop,
  closePayload,
  concatBytes,
  describeOverTransports,
  fragmentFrames,
  frame,
  Op,
  pattern,
  utf8,
} from "../_helpers/conformance_peer.ts";

describeOverTransports("conformance 5.x: fragmentation", (target) => {
  it("rfc6455#section-5.5 a ping fragmented into two frames fails with 1002", async () => {
    const peer = await target.connect();
    peer.write(concatBytes(
      frame(Op.Ping, "fragment1", { fin: false }),
      frame(Op.Continuation, "fragment2"),
    ));
    await peer.expectFailure(1002);
  });

  it("rfc6455#section-5.5 a pong fragmented into two frames fails with 1002", async () => {
    const peer = await target.connect();
    peer.write(concatBytes(
      frame(Op.Pong, "fragment1", { fin: false }),
      frame(Op.Continuation, "fragment2"),
    ));
    await peer.expectFailure(1002);
  });

  it("rfc6455#section-5.5 a close frame without FIN fails with 1002", async () => {
    const peer = await target.connect();
    peer.sendFrame(Op.Close, closePayload(1000), { fin: false });
    await peer.expectFailure(1002);
  });

  it("rfc6455#section-5.4 reassembles text in two fragments sent in one write", async () => {
    const peer = await target.connect();
    peer.write(concatBytes(
      frame(Op.Text, "fragment1", { fin: false }),
      frame(Op.Continuation, "fragment2"),
    ));
    await peer.expectMessage(Op.Text, "fragment1fragment2");
  });

  it("rfc6455#section-5.4 reassembles text in two fragments sent frame by frame", async () => {
    const peer = await target.connect();
    await peer.writePieces([
      frame(Op.Text, "fragment1", { fin: false }),
      frame(Op.Continuation, "fragment2"),
    ], 20);
    await peer.expectMessage(Op.Text, "fragment1fragment2");
  });

  it("rfc6455#section-5.4 reassembles text in two fragments sent in 1-byte chunks", async () => {
    const peer = await target.connect();
    const bytes = concatBytes(
      frame(Op.Text, "fragment1", { fin: false }),
      frame(Op.Continuation, "fragment2"),
    );
    await peer.writePieces(chop(bytes, 1), 1);
    await peer.expectMessage(Op.Text, "fragment1fragment2");
  });

  it("rfc6455#section-5.4 reassembles binary in three fragments", async () => {
    const peer = await target.connect();
    const payload = pattern(3000);
    peer.write(fragmentFrames(Op.Binary, payload, 1000));
    await peer.expectMessage(Op.Binary, payload);
  });

  for (
    const [how, send] of [
      ["in one write", "whole"],
      ["frame by frame", "frames"],
      ["in 1-byte chunks", "octets"],
    ] as const
  ) {
    it(`rfc6455#section-5.4 answers a ping between two text fragments first, then echoes the message (${how})`, async () => {
      const peer = await target.connect();
      const frames = [
        frame(Op.Text, "fragment1", { fin: false }),
        frame(Op.Ping, "ping payload"),
        frame(Op.Continuation, "fragment2"),
      ];
      if (send === "whole") peer.write(concatBytes(...frames));
      else if (send === "frames") await peer.writePieces(frames, 20);
      else await peer.writePieces(chop(concatBytes(...frames), 1), 1);
      await peer.expectPong("ping payload");
      await peer.expectMessage(Op.Text, "fragment1fragment2");
    });
  }

  it("rfc6455#section-5.4 answers pings between five fragments as they arrive, then echoes the message", async () => {
    const peer = await target.connect();
    const parts = ["fragment1", "fragment2", "fragment3", "fragment4", "fragment5"];
    for (const [i, part] of parts.entries()) {
      const last = i === parts.length - 1;
      peer.sendFrame(i === 0 ? Op.Text : Op.Continuation, part, { fin: last });
      if (last) break;
      peer.sendFrame(Op.Ping, `ping ${i}`);
      await peer.expectPong(`ping ${i}`);
    }
    await peer.expectMessage(Op.Text, parts.join(""));
  });

  it("rfc6455#section-5.4 ignores an unsolicited pong between fragments", async () => {
    const peer = await target.connect();
    peer.write(concatBytes(
      frame(Op.Binary, pattern(10), { fin: false }),
      frame(Op.Pong, "unsolicited"),
      frame(Op.Continuation, pattern(10)),
      frame(Op.Text, "next"),
    ));
    await peer.expectMessage(Op.Binary, concatBytes(pattern(10), pattern(10)));
    await peer.expectMessage(Op.Text, "next");
  });

  for (
    const [how, send] of [
      ["in one write", "whole"],
      ["frame by frame", "frames"],
      ["in 1-byte chunks", "octets"],
    ] as const
  ) {
    it(`rfc6455#section-5.4 a final continuation with no message started fails with 1002 (${how})`, async () => {
      const peer = await target.connect();
      const frames = [
        frame(Op.Continuation, "non-continuation payload"),
        frame(Op.Text, "Hello, world!"),
        frame(Op.Ping),
      ];
      if (send === "whole") peer.write(concatBytes(...frames));
      else if (send === "frames") await peer.writePieces(frames, 20);
      else await peer.writePieces(chop(concatBytes(...frames), 1), 1);
      await peer.expectFailure(1002);
    });
  }

  it("rfc6455#section-5.4 a non-final continuation with no message started fails with 1002", async () => {
    const peer = await target.connect();
    peer.write(concatBytes(
      frame(Op.Continuation, "fragment1", { fin: false }),
      frame(Op.Continuation, "fragment2"),
      frame(Op.Ping),
    ));
    await peer.expectFailure(1002);
  });

  it("rfc6455#section-5.4 a continuation after a complete message fails with 1002, after the echo", async () => {
    const peer = await target.connect();
    await peer.writePieces([
      frame(Op.Text, "fragment1", { fin: false }),
      frame(Op.Continuation, "fragment2"),
      frame(Op.Continuation, "fragment3", { fin: false }),
      frame(Op.Text, "fragment4"),
    ], 20);
    await peer.expectMessage(Op.Text, "fragment1fragment2");
    await peer.expectFailure(1002);
  });

  it("rfc6455#section-5.4 a new text frame while a fragmented message is open fails with 1002", async () => {
    const peer = await target.connect();
    peer.write(concatBytes(
      frame(Op.Text, "fragment1", { fin: false }),
      frame(Op.Text, "fragment2"),
    ));
    await peer.expectFailure(1002);
  });

  it("rfc6455#section-5.4 a new binary frame while a fragmented text message is open fails with 1002", async () => {
    const peer = await target.connect();
    await peer.writePieces([
      frame(Op.Text, "fragment1", { fin: false }),
      frame(Op.Binary, pattern(5), { fin: false }),
    ], 20);
    await peer.expectFailure(1002);
  });

  it("rfc6455#section-5.4 reassembles text sent as one fragment per byte, multi-byte characters included", async () => {
    const peer = await target.connect();
    const payload = utf8("Hello-µ@ßöäüàá-UTF-8!! κόσμε 🎉");
    peer.write(fragmentFrames(Op.Text, payload, 1));
    await peer.expectMessage(Op.Text, payload);
  });

  it("rfc6455#section-5.4 reassembles binary sent as one fragment per byte", async () => {
    const peer = await target.connect();
    const payload = pattern(300);
    peer.write(fragmentFrames(Op.Binary, payload, 1));
    await peer.expectMessage(Op.Binary, payload);
  });

  it("rfc6455#section-5.4 accepts an empty final fragment", async () => {
    const peer = await target.connect();
    peer.write(concatBytes(
      frame(Op.Text, "Hello", { fin: false }),
      frame(Op.Continuation, ", world", { fin: false }),
      frame(Op.Continuation, "", { fin: true }),
    ));
    await peer.expectMessage(Op.Text, "Hello, world");
  });

  it("rfc6455#section-5.4 accepts a fragmented message made of empty fragments only", async () => {
    const peer = await target.connect();
    peer.write(concatBytes(
      frame(Op.Text, "", { fin: false }),
      frame(Op.Continuation, "", { fin: false }),
      frame(Op.Continuation, "", { fin: true }),
      frame(Op.Binary, new Uint8Array(0), { fin: false }),
      frame(Op.Continuation, new Uint8Array(0), { fin: true }),
    ));
    await peer.expectMessage(Op.Text, "");
    await peer.expectMessage(Op.Binary, new Uint8Array(0));
  });

  it("rfc6455#section-5.4 accepts an empty first fragment of a binary message", async () => {
    const peer = await target.connect();
    peer.write(concatBytes(
      frame(Op.Binary, new Uint8Array(0), { fin: false }),
      frame(Op.Continuation, pattern(7)),
    ));
    await peer.expectMessage(Op.Binary, pattern(7));
  });

  it("rfc6455#section-5.4 keeps fragmented and whole messages in order", async () => {
    const peer = await target.connect();
    peer.write(concatBytes(
      frame(Op.Text, "one"),
      fragmentFrames(Op.Binary, pattern(50), 7),
      frame(Op.Text, "three"),
      fragmentFrames(Op.Text, utf8("four, in fragments"), 3),
    ));
    await peer.expectMessage(Op.Text, "one");
    await peer.expectMessage(Op.Binary, pattern(50));
    await peer.expectMessage(Op.Text, "three");
    await peer.expectMessage(Op.Text, "four, in fragments");
  });

  it("rfc6455#section-10.4 a message of more than 131,072 fragments fails with 1009", async () => {
    // examples/echo.ts allows 131,072 fragments per message; one more is over the limit.
    const peer = await target.connect();
    peer.write(fragmentFrames(Op.Binary, pattern(131_073), 1));
    await peer.expectFailure(1009);
  });

  it("rfc6455#section-5.4 accepts a message of exactly 131,072 fragments", async () => {
    const peer = await target.connect();
    const payload = pattern(131_072);
    peer.write(fragmentFrames(Op.Binary, payload, 1));
    await peer.expectMessage(Op.Binary, payload);
  });
});
