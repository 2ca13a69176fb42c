// permessage-deflate interop, wsflow server side: the real `ws` package's client (loaded from
// node_modules by path, so it is `ws` itself on Node, Bun and Deno alike) offers each of its
// perMessageDeflate options (alone, and all together) to wsflow echo servers with several
// perMessageDeflate options, and the server's answer is checked against the table of
// rfc7692#section-7.1. Each connection sends small (under the 1024-byte threshold) and
// large compressible text and binary messages, three rounds in a row, so LZ77 windows carry
// over between messages wherever context takeover is allowed, and gets exact echoes back.
//
// The ids in the JSON-like data repeat at distances up to and beyond 32 KiB: a compressor on
// either side that used a larger window than agreed (rfc7692#section-7.1.2), or kept its
// context where `*_no_context_takeover` was agreed (rfc7692#section-7.1.1), would make the
// other side's inflater fail on a distance too far back.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PerMessageDeflateOptions } from "../../src/protocol/permessage_deflate.ts";
import type { Server } from "../../src/server/options.ts";
import { runtime } from "../_helpers/adapter_for_runtime.ts";
import { bytesDiff } from "../_helpers/bytes.ts";
import { jsonish, type PmdResponse, readPmdResponse, utf8 } from "../_helpers/pmd_codec.ts";
import { BIG_LIMITS, echo, startServer, urlOf } from "../_helpers/pmd_server.ts";
import { loadWsPackage, openWsClient, type WsDeflateOptions } from "../_helpers/pmd_ws.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

const ws = loadWsPackage();

/** Every option `ws` has, one at a time and all together (threshold 0: ws compresses all). */
const CLIENTS: WsDeflateOptions[] = [
  {},
  { threshold: 0, serverNoContextTakeover: true },
  { threshold: 0, clientNoContextTakeover: true },
  { threshold: 0, serverNoContextTakeover: true, clientNoContextTakeover: true },
  { threshold: 0, serverMaxWindowBits: true },
  { threshold: 0, serverMaxWindowBits: 8 },
  { threshold: 0, serverMaxWindowBits: 9 },
  { threshold: 0, serverMaxWindowBits: 12 },
  { threshold: 0, serverMaxWindowBits: 15 },
  { threshold: 0, clientMaxWindowBits: true },
  { threshold: 0, clientMaxWindowBits: 8 },
  { threshold: 0, clientMaxWindowBits: 9 },
  { threshold: 0, clientMaxWindowBits: 12 },
  { threshold: 0, clientMaxWindowBits: 15 },
  { threshold: 0, clientMaxWindowBits: false },
  {
    threshold: 0,
    serverNoContextTakeover: true,
    clientNoContextTakeover: true,
    serverMaxWindowBits: 9,
    clientMaxWindowBits: 9,
  },
];

/** `CLIENTS` at these indexes. */
function pick(...indexes: number[]): WsDeflateOptions[] {
  return indexes.map((index) => CLIENTS[index]!);
}

interface ServerCase {
  label: string;
  options: PerMessageDeflateOptions | undefined;
  /** The offers to try: all for the two main servers, those that meet its options for others. */
  clients: WsDeflateOptions[];
}

const SERVERS: ServerCase[] = [
  { label: "default ({ serverNoContextTakeover: true })", options: undefined, clients: CLIENTS },
  { label: "{} (context takeover both ways)", options: {}, clients: CLIENTS },
  {
    label: "{ serverMaxWindowBits: 10, clientMaxWindowBits: 9 }",
    options: { serverMaxWindowBits: 10, clientMaxWindowBits: 9 },
    clients: pick(0, 5, 7, 9, 10, 13, 14, 15),
  },
  {
    label: "{ clientNoContextTakeover: true, threshold: 0 }",
    options: { clientNoContextTakeover: true, threshold: 0 },
    clients: pick(0, 1, 2, 6, 11, 15),
  },
  {
    label: "{ serverMaxWindowBits: 8, clientMaxWindowBits: 8, threshold: 0 }",
    options: { serverMaxWindowBits: 8, clientMaxWindowBits: 8, threshold: 0 },
    clients: pick(0, 5, 8, 9, 10, 12, 15),
  },
];

/**
 * What the server must answer `ws`'s offer with, from the table of rfc7692#section-7.1:
 * `undefined` when the offer must be declined. `ws` writes `serverMaxWindowBits: true` as a
 * bare `server_max_window_bits`, which has no value and so is invalid (rfc7692#section-7.1.2.1):
 * the server declines it (rfc7692#section-5).
 */
function expectedAnswer(
  offer: WsDeflateOptions,
  server: PerMessageDeflateOptions | undefined,
): PmdResponse | undefined {
  if (offer.serverMaxWindowBits === true) return undefined;
  const own = server ?? { serverNoContextTakeover: true };
  const offeredServerBits = typeof offer.serverMaxWindowBits === "number"
    ? offer.serverMaxWindowBits
    : undefined;
  // ws offers client_max_window_bits bare unless given a number, or false to leave it out
  const offeredClientBits = offer.clientMaxWindowBits === false
    ? "absent"
    : typeof offer.clientMaxWindowBits === "number"
    ? offer.clientMaxWindowBits
    : "bare";
  return {
    serverNoContextTakeover: offer.serverNoContextTakeover === true ||
      own.serverNoContextTakeover === true,
    clientNoContextTakeover: offer.clientNoContextTakeover === true ||
      own.clientNoContextTakeover === true,
    serverMaxWindowBits: offeredServerBits === undefined && own.serverMaxWindowBits === undefined
      ? undefined
      : Math.min(offeredServerBits ?? 15, own.serverMaxWindowBits ?? 15),
    clientMaxWindowBits: offeredClientBits === "absent" ||
        (offeredClientBits === "bare" && own.clientMaxWindowBits === undefined)
      ? undefined
      : Math.min(
        offeredClientBits === "bare" ? 15 : offeredClientBits,
        own.clientMaxWindowBits ?? 15,
      ),
  };
}

function describeOffer(offer: WsDeflateOptions): string {
  const entries = Object.entries(offer).map(([key, value]) => `${key}: ${value}`);
  return entries.length === 0 ? "{}" : `{ ${entries.join(", ")} }`;
}

/** A binary message: the JSON-like bytes with a few bytes that are not UTF-8. */
function binaryOf(seed: number, length: number): Uint8Array {
  const bytes = utf8(jsonish(length, seed));
  for (let i = 0; i < bytes.length; i += 97) bytes[i] = 0xff;
  return bytes;
}

const LARGE = 200 * 1024;
const ROUNDS = 3;
const SMALL_TEXT = "small κόσμε 🎉";
const SMALL_BINARY = new Uint8Array(100).map((_, i) => (i * 37) & 0xff);
const LARGE_TEXT = [1, 2, 3].map((seed) => jsonish(LARGE, seed));
const LARGE_BINARY = [11, 12, 13].map((seed) => binaryOf(seed, LARGE));

for (const serverCase of SERVERS) {
  describe(`permessage-deflate: the ws package's client (by path, real ws on ${runtime}) against a wsflow server with ${serverCase.label}`, () => {
    let server: Server | undefined;
    beforeAll(async () => {
      server = await startServer(echo, {
        limits: BIG_LIMITS,
        ...(serverCase.options === undefined ? {} : { perMessageDeflate: serverCase.options }),
      });
    });
    afterAll(async () => {
      await server?.close();
    });

    for (const offer of serverCase.clients) {
      const expected = expectedAnswer(offer, serverCase.options);
      const title = expected === undefined
        ? `rfc7692#section-7.1.2.1 declines ws's ${
          describeOffer(offer)
        } (a bare server_max_window_bits) and echoes uncompressed`
        : `rfc7692#section-7.1 negotiates ws's ${
          describeOffer(offer)
        } and echoes small and 200 KiB text and binary, ${ROUNDS} rounds`;
      it(title, async () => {
        const { ws: client, inbox, answer } = await openWsClient(ws, urlOf(server!), offer);
        try {
          if (expected === undefined) {
            expect(answer).toBeUndefined();
            expect(client.extensions).toBe("");
          } else {
            expect(readPmdResponse(answer ?? "")).toEqual(expected);
            expect(client.extensions).toBe("permessage-deflate");
          }
          for (let round = 0; round < ROUNDS; round++) {
            client.send(`${SMALL_TEXT} ${round}`);
            client.send(SMALL_BINARY);
            client.send(LARGE_TEXT[round]!);
            client.send(LARGE_BINARY[round]!);
          }
          for (let round = 0; round < ROUNDS; round++) {
            const smallText = await inbox.next(`round ${round}: small text echo`);
            expect(smallText.isBinary).toBe(false);
            expect(new TextDecoder().decode(smallText.data)).toBe(`${SMALL_TEXT} ${round}`);
            const smallBinary = await inbox.next(`round ${round}: small binary echo`);
            expect(smallBinary.isBinary).toBe(true);
            expect(bytesDiff(smallBinary.data, SMALL_BINARY)).toBe("");
            const largeText = await inbox.next(`round ${round}: large text echo`);
            expect(largeText.isBinary).toBe(false);
            expect(bytesDiff(largeText.data, utf8(LARGE_TEXT[round]!))).toBe("");
            const largeBinary = await inbox.next(`round ${round}: large binary echo`);
            expect(largeBinary.isBinary).toBe(true);
            expect(bytesDiff(largeBinary.data, LARGE_BINARY[round]!)).toBe("");
          }
          const closed = new Promise<number>((resolve) => client.once("close", resolve));
          client.close(1000);
          expect(await withTimeout(closed, 5_000, "the closing handshake")).toBe(1000);
        } finally {
          client.terminate();
        }
      });
    }
  });
}
