// Conformance, close handling (in the spirit of Autobahn|Testsuite 7.x): a Close frame is
// answered with a Close frame carrying the same status code (and here the same reason), nothing
// received after it is processed, and the server then closes TCP. Codes that may not appear on
// the wire, one-byte payloads and reasons that are not UTF-8 fail the connection.
import { it } from "vitest";
import {
  closePayload,
  concatBytes,
  describeOverTransports,
  frame,
  fromHex,
  Op,
  pattern,
  textOfLength,
} from "../_helpers/conformance_peer.ts";

const VALID_CODES = [
  1000,
  1001,
  1002,
  1003,
  1007,
  1008,
  1009,
  1010,
  1011,
  1012,
  1013,
  1014,
  3000,
  3999,
  4000,
  4999,
];
const INVALID_CODES = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535];

describeOverTransports("conformance 7.x: close handling", (target) => {
  it("rfc6455#section-5.5.1 echoes a message, then answers a close with 1000 and closes TCP", async () => {
    const peer = await target.connect();
    peer.sendFrame(Op.Text, "Hello, world!");
    await peer.expectMessage(Op.Text, "Hello, world!");
    peer.sendFrame(Op.Close, closePayload(1000));
    await peer.expectClose(closePayload(1000));
  });

  it("rfc6455#section-5.5.1 answers only the first of two close frames", async () => {
    const peer = await target.connect();
    peer.write(
      concatBytes(frame(Op.Close, closePayload(1000)), frame(Op.Close, closePayload(1001))),
    );
    await peer.expectClose(closePayload(1000));
  });

  it("rfc6455#section-1.4 does not answer a ping received after the close frame", async () => {
    const peer = await target.connect();
    peer.write(concatBytes(frame(Op.Close, closePayload(1000)), frame(Op.Ping, "too late")));
    await peer.expectClose(closePayload(1000));
  });

  it("rfc6455#section-1.4 does not echo a message received after the close frame", async () => {
    const peer = await target.connect();
    peer.write(concatBytes(frame(Op.Close, closePayload(1000)), frame(Op.Text, "too late")));
    await peer.expectClose(closePayload(1000));
  });

  it("rfc6455#section-1.4 ignores invalid frames received after the close frame", async () => {
    const peer = await target.connect();
    peer.write(concatBytes(
      frame(Op.Close, closePayload(1000)),
      frame(Op.Text, fromHex("ed a0 80")),
      frame(0x3, "reserved opcode"),
    ));
    await peer.expectClose(closePayload(1000));
  });

  it("rfc6455#section-1.4 drops a fragmented message cut short by a close frame", async () => {
    const peer = await target.connect();
    peer.write(concatBytes(
      frame(Op.Text, "fragment1", { fin: false }),
      frame(Op.Close, closePayload(1000)),
      frame(Op.Continuation, "fragment2"),
    ));
    await peer.expectClose(closePayload(1000));
  });

  it("rfc6455#section-1.4 data written after the close frame, frame by frame, is ignored", async () => {
    const peer = await target.connect();
    peer.sendFrame(Op.Close, closePayload(1000));
    await peer.writePieces([frame(Op.Text, "too late"), frame(Op.Ping, "too late")], 5);
    await peer.expectClose(closePayload(1000));
  });

  it("rfc6455#section-5.5.1 answers a close after a large message: the close answer comes last", async () => {
    // Whether the 256 KiB message still gets its echo depends on the server's timing; what
    // must hold is that a Close answer comes, last, and then TCP is closed.
    const peer = await target.connect();
    const big = textOfLength(256 * 1024);
    peer.write(concatBytes(frame(Op.Text, big), frame(Op.Close, closePayload(1000))));
    let f = await peer.next("echo or close");
    if (f?.opcode === Op.Text) f = await peer.next("close");
    if (f?.opcode !== Op.Close) throw new Error(`Expected a close frame, got opcode ${f?.opcode}`);
    await peer.expectTcpClosed();
  });

  it("rfc6455#section-5.5.1 answers a close without payload with a close without payload", async () => {
    const peer = await target.connect();
    peer.sendFrame(Op.Close);
    await peer.expectClose(new Uint8Array(0));
  });

  it("rfc6455#section-5.5.1 a close frame with a 1-byte payload fails with 1002", async () => {
    const peer = await target.connect();
    peer.sendFrame(Op.Close, new Uint8Array([0x03]));
    await peer.expectFailure(1002);
  });

  it("rfc6455#section-5.5.1 echoes a close with a code and no reason", async () => {
    const peer = await target.connect();
    peer.sendFrame(Op.Close, closePayload(1000));
    await peer.expectClose(closePayload(1000));
  });

  it("rfc6455#section-5.5.1 echoes a close with a code and a reason", async () => {
    const peer = await target.connect();
    peer.sendFrame(Op.Close, closePayload(1000, "Hello, world!"));
    await peer.expectClose(closePayload(1000, "Hello, world!"));
  });

  it("rfc6455#section-5.5.1 echoes a close reason of 123 bytes, the longest that fits", async () => {
    const peer = await target.connect();
    const reason = textOfLength(123);
    peer.sendFrame(Op.Close, closePayload(1000, reason));
    await peer.expectClose(closePayload(1000, reason));
  });

  it("rfc6455#section-5.5.1 echoes a close reason with multi-byte characters", async () => {
    const peer = await target.connect();
    peer.sendFrame(Op.Close, closePayload(4000, "κόσμε 🎉 done"));
    await peer.expectClose(closePayload(4000, "κόσμε 🎉 done"));
  });

  it("rfc6455#section-5.5 a close frame with a 124-byte reason (126-byte payload) fails with 1002", async () => {
    const peer = await target.connect();
    peer.sendFrame(Op.Close, closePayload(1000, pattern(124).map((b) => 0x41 + (b % 26))));
    await peer.expectFailure(1002);
  });

  it("rfc6455#section-5.5.1 a close reason that is not UTF-8 fails with 1007", async () => {
    const peer = await target.connect();
    const reason = concatBytes(fromHex("ce ba e1 bd b9 cf 83 ce bc ce b5 ed a0 80"), pattern(3));
    peer.sendFrame(Op.Close, closePayload(1000, reason));
    await peer.expectFailure(1007);
  });

  it("rfc6455#section-5.5.1 a close reason cut inside a character fails with 1007", async () => {
    const peer = await target.connect();
    peer.sendFrame(Op.Close, closePayload(1000, fromHex("41 42 e2 82")));
    await peer.expectFailure(1007);
  });

  for (const code of VALID_CODES) {
    it(`rfc6455#section-7.4 echoes a close with the valid code ${code}`, async () => {
      const peer = await target.connect();
      peer.sendFrame(Op.Close, closePayload(code));
      await peer.expectClose(closePayload(code));
    });
  }

  for (const code of INVALID_CODES) {
    it(`rfc6455#section-7.4 a close with the code ${code}, not allowed on the wire, fails with 1002`, async () => {
      const peer = await target.connect();
      peer.sendFrame(Op.Close, closePayload(code));
      await peer.expectFailure(1002);
    });
  }

  it("rfc6455#section-7.1.1 the server closes TCP after the closing handshake while the client keeps it open", async () => {
    const peer = await target.connect();
    peer.sendFrame(Op.Close, closePayload(1000));
    await peer.expectClose(closePayload(1000));
    // expectClose already waited for the server's FIN; this client never ended its side first.
    if (peer.raw.resetError !== undefined) {
      throw new Error(`The server reset the connection: ${peer.raw.resetError.message}`);
    }
  });
});
