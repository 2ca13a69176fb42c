// permessage-deflate interop, wsflow client side: this runtime's `connect` offers each of its
// perMessageDeflate option sets to the real `ws` package's WebSocketServer (loaded from
// node_modules by path, so real `ws` on Node, Bun and Deno alike) with several of its own
// options, `threshold: 0` so `ws` compresses every message it echoes. Each connection sends
// small and large compressible text and binary messages, three rounds in a row, and must get
// exact echoes back; the handshake answer must fit the offer (rfc7692#section-7.1).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PerMessageDeflateOptions } from "../../src/protocol/permessage_deflate.ts";
import { buildClientOffer } from "../../src/protocol/permessage_deflate_client.ts";
import { runtime } from "../_helpers/adapter_for_runtime.ts";
import { bytesDiff } from "../_helpers/bytes.ts";
import { jsonish, readPmdResponse, utf8 } from "../_helpers/pmd_codec.ts";
import { BIG_LIMITS, connectClient, nextMessage, startSend } from "../_helpers/pmd_server.ts";
import {
  loadWsPackage,
  startWsEchoServer,
  type WsDeflateOptions,
  type WsEchoServer,
} from "../_helpers/pmd_ws.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

const ws = loadWsPackage();

interface ServerCase {
  label: string;
  options: WsDeflateOptions;
}

const SERVERS: ServerCase[] = [
  { label: "{ threshold: 0 }", options: { threshold: 0 } },
  {
    label: "{ threshold: 0, serverNoContextTakeover: true, clientNoContextTakeover: true }",
    options: { threshold: 0, serverNoContextTakeover: true, clientNoContextTakeover: true },
  },
  {
    label: "{ threshold: 0, serverMaxWindowBits: 10, clientMaxWindowBits: 9 }",
    options: { threshold: 0, serverMaxWindowBits: 10, clientMaxWindowBits: 9 },
  },
];

interface ClientCase {
  options: PerMessageDeflateOptions;
  /** Server labels (of SERVERS) whose `ws` declines this offer by its own rules. */
  declinedBy?: string[];
}

const CLIENTS: ClientCase[] = [
  { options: {} },
  { options: { threshold: 0 } },
  { options: { serverNoContextTakeover: true } },
  { options: { clientNoContextTakeover: true } },
  { options: { serverNoContextTakeover: true, clientNoContextTakeover: true } },
  // ws declines an offered server window smaller than its own serverMaxWindowBits
  { options: { serverMaxWindowBits: 8 }, declinedBy: [SERVERS[2]!.label] },
  { options: { serverMaxWindowBits: 9 }, declinedBy: [SERVERS[2]!.label] },
  { options: { serverMaxWindowBits: 12 } },
  { options: { serverMaxWindowBits: 15 } },
  // ws declines an offered client window smaller than its own clientMaxWindowBits
  { options: { clientMaxWindowBits: 8 }, declinedBy: [SERVERS[2]!.label] },
  { options: { clientMaxWindowBits: 9 } },
  { options: { clientMaxWindowBits: 12 } },
  { options: { clientMaxWindowBits: 15 } },
  {
    options: {
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
      serverMaxWindowBits: 10,
      clientMaxWindowBits: 9,
      threshold: 0,
    },
  },
];

function describeOptions(options: object): string {
  const entries = Object.entries(options).map(([key, value]) => `${key}: ${value}`);
  return entries.length === 0 ? "{}" : `{ ${entries.join(", ")} }`;
}

function binaryOf(seed: number, length: number): Uint8Array {
  const bytes = utf8(jsonish(length, seed));
  for (let i = 0; i < bytes.length; i += 89) bytes[i] = 0xfe;
  return bytes;
}

const LARGE = 200 * 1024;
const ROUNDS = 3;
const SMALL_TEXT = "small κόσμε 🎉";
const SMALL_BINARY = new Uint8Array(100).map((_, i) => (i * 41) & 0xff);
const LARGE_TEXT = [4, 5, 6].map((seed) => jsonish(LARGE, seed));
const LARGE_BINARY = [14, 15, 16].map((seed) => binaryOf(seed, LARGE));

for (const serverCase of SERVERS) {
  describe(`permessage-deflate: wsflow's connect on ${runtime} against the ws package's WebSocketServer (by path, real ws) with ${serverCase.label}`, () => {
    let server: WsEchoServer | undefined;
    beforeAll(async () => {
      server = await startWsEchoServer(ws, serverCase.options);
    });
    afterAll(async () => {
      await server?.close();
    });

    for (const clientCase of CLIENTS) {
      const declined = clientCase.declinedBy?.includes(serverCase.label) ?? false;
      const options = clientCase.options;
      const title = declined
        ? `rfc7692#section-7.1 offers ${
          describeOptions(options)
        }, which ws cannot accept: ws then refuses the whole handshake with 400 (ws's choice; the RFC would let it go on uncompressed) and connect rejects`
        : `rfc7692#section-7.1 offers ${
          describeOptions(options)
        }, accepts ws's answer and echoes small and 200 KiB text and binary, ${ROUNDS} rounds`;
      it(title, async () => {
        if (declined) {
          const attempt = connectClient(`ws://127.0.0.1:${server!.port}/`, {
            perMessageDeflate: options,
          });
          await expect(attempt).rejects.toMatchObject({ name: "HandshakeError", status: 400 });
          return;
        }
        const before = server!.answered.length;
        const client = await connectClient(`ws://127.0.0.1:${server!.port}/`, {
          perMessageDeflate: options,
          limits: BIG_LIMITS,
        });
        try {
          expect(server!.offers[before]).toBe(buildClientOffer(options));
          const answer = server!.answered[before];
          expect(answer).toBeDefined();
          expect(client.extensions).toBe(answer);
          const agreed = readPmdResponse(answer!);
          // rfc7692#section-7.1.1.1, rfc7692#section-7.1.2.1: what was asked for is granted
          if (options.serverNoContextTakeover === true) {
            expect(agreed.serverNoContextTakeover).toBe(true);
          }
          if (options.serverMaxWindowBits !== undefined) {
            expect(agreed.serverMaxWindowBits).toBeLessThanOrEqual(options.serverMaxWindowBits);
          }
          if (options.clientMaxWindowBits !== undefined && agreed.clientMaxWindowBits) {
            expect(agreed.clientMaxWindowBits).toBeLessThanOrEqual(options.clientMaxWindowBits);
          }
          for (let round = 0; round < ROUNDS; round++) {
            startSend(client, `${SMALL_TEXT} ${round}`);
            startSend(client, SMALL_BINARY);
            startSend(client, LARGE_TEXT[round]!);
            startSend(client, LARGE_BINARY[round]!);
          }
          for (let round = 0; round < ROUNDS; round++) {
            expect(await nextMessage(client, `round ${round}: small text echo`)).toBe(
              `${SMALL_TEXT} ${round}`,
            );
            const smallBinary = await nextMessage(client, `round ${round}: small binary echo`);
            expect(smallBinary).toBeInstanceOf(Uint8Array);
            expect(bytesDiff(smallBinary as Uint8Array, SMALL_BINARY)).toBe("");
            const largeText = await nextMessage(client, `round ${round}: large text echo`);
            expect(typeof largeText).toBe("string");
            expect(largeText === LARGE_TEXT[round]).toBe(true);
            const largeBinary = await nextMessage(client, `round ${round}: large binary echo`);
            expect(largeBinary).toBeInstanceOf(Uint8Array);
            expect(bytesDiff(largeBinary as Uint8Array, LARGE_BINARY[round]!)).toBe("");
          }
          const closed = await withTimeout(client.close(1000), 5_000, "the closing handshake");
          expect(closed).toMatchObject({ code: 1000, wasClean: true });
        } finally {
          client.terminate();
        }
      });
    }
  });
}
