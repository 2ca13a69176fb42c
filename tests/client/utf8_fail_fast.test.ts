// rfc6455#section-8.1 for the client role over real sockets (the Autobahn 6.4.x fail-fast
// cases turned around): a server sends text that becomes invalid UTF-8 in its middle and never
// sends the rest; the client must fail the connection with 1007 where the invalid byte
// arrives: between fragments (6.4.1, 6.4.2) and inside one frame (6.4.3, 6.4.4), with whole
// messages and with streamed ones. A client that checked only complete frames or messages
// would wait for ever here.
import type { Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { loadClient } from "../_helpers/client_for_runtime.ts";
import { concatBytes, fromHex, utf8 } from "../_helpers/conformance_peer.ts";
import { startRawServer, switchingProtocols } from "../_helpers/raw_server.ts";
import { delay, withTimeout } from "../_helpers/with_timeout.ts";

const client = await loadClient();
const KOSME = utf8("κόσμε");

/** An unmasked server frame. */
function serverFrame(b0: number, payload: Uint8Array, announced = payload.length): Uint8Array {
  const head = announced < 126
    ? [b0, announced]
    : announced < 65_536
    ? [b0, 126, announced >> 8, announced & 0xff]
    : [
      b0,
      127,
      0,
      0,
      0,
      0,
      announced >>> 24,
      (announced >> 16) & 0xff,
      (announced >> 8) & 0xff,
      announced & 0xff,
    ];
  return concatBytes(new Uint8Array(head), payload);
}

/** The chunks each case writes, with a pause between them; the message's end is never sent. */
const CASES: readonly [string, Uint8Array[]][] = [
  ["6.4.1: a second fragment holding F4 90 80 80", [
    serverFrame(0x01, KOSME),
    serverFrame(0x00, concatBytes(fromHex("f4 90 80 80"), utf8("edited"))),
  ]],
  ["6.4.2: a one-byte fragment 90 after a fragment ending in F4", [
    serverFrame(0x01, concatBytes(KOSME, fromHex("f4"))),
    serverFrame(0x00, fromHex("90")),
  ]],
  ["6.4.3: one frame, its second chunk holding F4 90 80 80", [
    serverFrame(0x81, KOSME, 1000),
    fromHex("f4 90 80 80"),
  ]],
  ["6.4.4: one frame, its second chunk the single byte 90 after F4", [
    serverFrame(0x81, concatBytes(KOSME, fromHex("f4")), 1000),
    fromHex("90"),
  ]],
];

describe("rfc6455#section-8.1 client fails fast on invalid UTF-8 (Autobahn 6.4.x, client role)", () => {
  for (const streaming of [false, true]) {
    for (const [name, chunks] of CASES) {
      it(`rfc6455#section-8.1 ${streaming ? "streamed" : "whole"} messages: ${name}: 1007 before the rest is sent`, async () => {
        const closes: number[] = [];
        const server = await startRawServer(async (request, socket: Socket) => {
          socket.write(await switchingProtocols(request));
          socket.on("data", (data: Uint8Array) => {
            // The client's Close frame: masked, so the code is unmasked by hand.
            if ((data[0]! & 0x0f) === 0x8 && data.length >= 8) {
              closes.push(((data[6]! ^ data[2]!) << 8) | (data[7]! ^ data[3]!));
              // As a server does after the client's Close: the TCP close is the server's.
              socket.end();
            }
          });
          for (const chunk of chunks) {
            socket.write(chunk);
            await delay(50);
          }
        });
        try {
          const ws = await client.connect(`ws://127.0.0.1:${server.port}/`, {
            heartbeatInterval: 0,
            streaming,
          });
          if (streaming) {
            void (async () => {
              for await (const message of ws.messageStreams()) {
                await message.readable.pipeTo(new WritableStream()).catch(() => {});
              }
            })();
          } else {
            void (async () => {
              for await (const _ of ws) { /* nothing arrives */ }
            })();
          }
          const { code, error } = await withTimeout(ws.closed, 5_000, "the client to fail");
          expect(code).toBe(1007);
          expect(error?.name).toBe("InvalidPayloadError");
          expect(closes).toEqual([1007]);
        } finally {
          await server.close();
        }
      });
    }
  }
});
