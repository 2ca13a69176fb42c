// A compressed message whose payload is not valid DEFLATE data: the frames are well formed but
// the data RSV1 announced is not what rfc7692#section-7.2.2 can inflate. The zlib engine
// (src/adapters/zlib_deflate.ts) fails such a message with InvalidPayloadError, close code
// 1007 (rfc6455#section-7.4.1), as `ws` does. The server must stay up, and nothing of the bad
// message reaches the handler. The same on the client side, for a raw server's bad message.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Server } from "../../src/server/options.ts";
import type { Connection } from "../../src/streams/connection.ts";
import { bytesDiff } from "../_helpers/bytes.ts";
import {
  ContextDeflater,
  deflateMessage,
  inflateMessage,
  join,
  jsonish,
  utf8,
} from "../_helpers/pmd_codec.ts";
import { encodeFrame } from "../_helpers/raw_client.ts";
import { PmdRawClient, startPmdRawServer } from "../_helpers/pmd_raw.ts";
import { connectClient, startServer } from "../_helpers/pmd_server.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

const CHROMIUM_OFFER = "permessage-deflate; client_max_window_bits";

/** Bad payloads, each with what is wrong with it. */
async function corruptPayloads(): Promise<[string, Uint8Array][]> {
  // A message compressed with context takeover, sent as the first message of a connection:
  // its matches reach back into a window the receiver never saw.
  const deflater = new ContextDeflater();
  const first = utf8(jsonish(4096, 50));
  await deflater.compress(first);
  const second = await deflater.compress(first);
  deflater.close();
  const valid = deflateMessage(utf8(jsonish(4096, 51)));
  const flipped = valid.slice();
  for (let i = 8; i < flipped.length; i += 16) flipped[i]! ^= 0x5a;
  return [
    ["block type 3 (reserved, rfc1951#section-3.2.3)", new Uint8Array([0xff, 0xff, 0xff, 0xff])],
    [
      "a stored block whose LEN and NLEN disagree",
      new Uint8Array([0x00, 0x05, 0x00, 0x00, 0x00, 0x48, 0x65, 0x6c, 0x6c, 0x6f]),
    ],
    ["a match reaching before the start of the window", second],
    ["valid DEFLATE with bits flipped throughout", flipped],
  ];
}

describe("permessage-deflate: corrupt DEFLATE data sent to a wsflow server", () => {
  let server: Server | undefined;
  let port = 0;
  const received: (string | Uint8Array)[] = [];
  let payloads: [string, Uint8Array][] = [];
  beforeAll(async () => {
    payloads = await corruptPayloads();
    server = await startServer(async (ws) => {
      for await (const message of ws) {
        received.push(message);
        await ws.send(message);
      }
    });
    port = server.addr.port;
  });
  afterAll(async () => {
    await server?.close();
  });

  async function expectServerUp(): Promise<void> {
    const client = await PmdRawClient.open(port, { extensions: CHROMIUM_OFFER });
    try {
      const data = utf8(jsonish(2048, 52));
      client.sendFrame(0x1, deflateMessage(data), { rsv: 4 });
      const echoed = await client.nextMessage("an echo on a fresh connection");
      expect(bytesDiff(inflateMessage(echoed.payload), data)).toBe("");
    } finally {
      client.close();
    }
  }

  for (const index of [0, 1, 2, 3]) {
    for (const fragmented of [false, true]) {
      it(
        `rfc7692#section-7.2.2 fails with 1007 on a ${
          fragmented ? "fragmented " : ""
        }compressed message holding case ${index} of corrupt DEFLATE data, and the server stays up`,
        async () => {
          const [what, payload] = payloads[index]!;
          const client = await PmdRawClient.open(port, { extensions: CHROMIUM_OFFER });
          const before = received.length;
          try {
            expect(client.status).toBe(101);
            if (fragmented) {
              const half = payload.length >> 1;
              client.sendFrame(0x2, payload.subarray(0, half), { fin: false, rsv: 4 });
              client.sendFrame(0x0, payload.subarray(half), { fin: true });
            } else {
              client.sendFrame(0x2, payload, { rsv: 4 });
            }
            const close = await client.nextClose(`a Close after ${what}`);
            expect({ what, code: close?.code }).toEqual({ what, code: 1007 });
            await withTimeout(client.ended, 5_000, "the server closes TCP");
            expect(received.length).toBe(before);
          } finally {
            client.close();
          }
          await expectServerUp();
        },
      );
    }
  }

  it("rfc7692#section-7.2.2 hands the valid message before a corrupt one to the handler, then fails with 1007", async () => {
    const client = await PmdRawClient.open(port, { extensions: CHROMIUM_OFFER });
    const before = received.length;
    try {
      const data = utf8("short and valid");
      client.sendFrame(0x2, deflateMessage(data), { rsv: 4 });
      client.sendFrame(0x2, payloads[0]![1], { rsv: 4 });
      expect((await client.nextClose("the Close"))?.code).toBe(1007);
      expect(received.length).toBe(before + 1);
      expect(bytesDiff(received[before] as Uint8Array, data)).toBe("");
    } finally {
      client.close();
    }
  });

  // tests/conformance/reserved_bits.test.ts requires the echo of a valid message before the
  // failure its successor causes (Autobahn 3.2's strict outcome); with permessage-deflate the
  // echo (compressed, being 1024 bytes or more) must not be lost either.
  for (const compressedFirst of [true, false]) {
    it(
      `rfc6455#section-7.1.7 echoes a valid ${
        compressedFirst ? "compressed" : "uncompressed"
      } 2 KiB message before failing with 1007 on the corrupt compressed one that followed in the same write`,
      async () => {
        const client = await PmdRawClient.open(port, { extensions: CHROMIUM_OFFER });
        try {
          const data = utf8(jsonish(2048, 53));
          const first = compressedFirst
            ? encodeFrame(0x2, deflateMessage(data), { rsv: 4 })
            : encodeFrame(0x2, data);
          client.socket.write(join([first, encodeFrame(0x2, payloads[0]![1], { rsv: 4 })]));
          const echoed = await client.nextMessage("the valid message's echo");
          expect(
            bytesDiff(echoed.compressed ? inflateMessage(echoed.payload) : echoed.payload, data),
          )
            .toBe("");
          expect((await client.nextClose("the Close"))?.code).toBe(1007);
        } finally {
          client.close();
        }
      },
    );
  }

  it("rfc6455#section-8.1 fails with 1007 on a compressed text message that inflates to invalid UTF-8", async () => {
    const client = await PmdRawClient.open(port, { extensions: CHROMIUM_OFFER });
    try {
      const bad = new Uint8Array([0x48, 0x69, 0xc3, 0x28, 0xff, 0xfe]);
      client.sendFrame(0x1, deflateMessage(bad), { rsv: 4 });
      expect((await client.nextClose("the Close"))?.code).toBe(1007);
    } finally {
      client.close();
    }
    await expectServerUp();
  });
});

describe("permessage-deflate: corrupt DEFLATE data sent to wsflow's connect", () => {
  it("rfc7692#section-7.2.2 the client fails with 1007 on a corrupt compressed message from the server", async () => {
    const server = await startPmdRawServer(() => "permessage-deflate");
    let client: Connection | undefined;
    try {
      client = await connectClient(`ws://127.0.0.1:${server.port}/`);
      const peer = await server.nextPeer();
      expect(peer.offer).toBe("permessage-deflate; client_max_window_bits");
      expect(client.extensions).toBe("permessage-deflate");
      peer.sendFrame(0x2, new Uint8Array([0xff, 0xff, 0xff, 0xff]), { rsv: 4 });
      const close = await peer.nextClose("the client's Close");
      expect(close?.code).toBe(1007);
      peer.socket.end();
      const closed = await withTimeout(client.closed, 5_000, "the client's connection closes");
      expect(closed.code).toBe(1007);
    } finally {
      client?.terminate();
      await server.close();
    }
  });
});
