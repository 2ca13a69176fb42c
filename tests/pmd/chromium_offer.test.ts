// Chromium's exact permessage-deflate offer, `permessage-deflate; client_max_window_bits`, sent
// by a raw client: the 101 must answer a valid permessage-deflate element, and messages the raw
// client compresses itself with node:zlib (a fresh window each, sync flush, tail removed, RSV1
// on the first frame) must come back as exact echoes, compressed (RSV1) from the threshold on.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Server } from "../../src/server/options.ts";
import { bytesDiff } from "../_helpers/bytes.ts";
import {
  deflateMessage,
  inflateMessage,
  jsonish,
  readPmdResponse,
  utf8,
} from "../_helpers/pmd_codec.ts";
import { PmdRawClient } from "../_helpers/pmd_raw.ts";
import { BIG_LIMITS, echo, startServer } from "../_helpers/pmd_server.ts";

const CHROMIUM_OFFER = "permessage-deflate; client_max_window_bits";

describe("permessage-deflate: Chromium's offer to a default wsflow server", () => {
  let server: Server | undefined;
  beforeAll(async () => {
    server = await startServer(echo, { limits: BIG_LIMITS });
  });
  afterAll(async () => {
    await server?.close();
  });

  async function open(): Promise<PmdRawClient> {
    const client = await PmdRawClient.open(server!.addr.port, { extensions: CHROMIUM_OFFER });
    expect(client.status).toBe(101);
    return client;
  }

  it("rfc7692#section-7.1 answers Chromium's offer with one valid permessage-deflate element", async () => {
    const client = await open();
    try {
      const answer = client.headers.get("sec-websocket-extensions");
      expect(answer).toBeDefined();
      // rfc7692#section-7.1.2.2: offered bare, client_max_window_bits may be left out or
      // answered with a value; the default server resets its compressor and says so
      expect(readPmdResponse(answer!)).toEqual({
        serverNoContextTakeover: true,
        clientNoContextTakeover: false,
        serverMaxWindowBits: undefined,
        clientMaxWindowBits: undefined,
      });
      expect(answer).toBe("permessage-deflate; server_no_context_takeover");
    } finally {
      client.close();
    }
  });

  for (const [kind, opcode] of [["text", 0x1], ["binary", 0x2]] as const) {
    it(`rfc7692#section-7.2.2 inflates a ${kind} message compressed with node:zlib (windowBits 15) and rfc7692#section-7.2.1 echoes it compressed, with RSV1`, async () => {
      const client = await open();
      try {
        const data = utf8(jsonish(10 * 1024, opcode));
        const payload = deflateMessage(data, 15);
        expect(payload.length).toBeLessThan(data.length / 2);
        client.sendFrame(opcode, payload, { rsv: 4 });
        const echoed = await client.nextMessage("the compressed echo");
        expect(echoed.opcode).toBe(opcode);
        expect(echoed.compressed).toBe(true);
        expect(echoed.frames[0]!.rsv2 || echoed.frames[0]!.rsv3).toBe(false);
        expect(bytesDiff(inflateMessage(echoed.payload), data)).toBe("");
      } finally {
        client.close();
      }
    });
  }

  it("rfc7692#section-7.2.1 keeps each echo independent under server_no_context_takeover: the same message twice inflates each time on a fresh window", async () => {
    const client = await open();
    try {
      const data = utf8(jsonish(10 * 1024, 7));
      client.sendFrame(0x2, deflateMessage(data), { rsv: 4 });
      client.sendFrame(0x2, deflateMessage(data), { rsv: 4 });
      const first = await client.nextMessage("the first echo");
      const second = await client.nextMessage("the second echo");
      expect(first.compressed && second.compressed).toBe(true);
      expect(bytesDiff(inflateMessage(first.payload), data)).toBe("");
      expect(bytesDiff(inflateMessage(second.payload), data)).toBe("");
    } finally {
      client.close();
    }
  });

  it("rfc7692#section-6 echoes a compressed message under the 1024-byte threshold uncompressed, RSV1 clear", async () => {
    const client = await open();
    try {
      const data = utf8("Hello, permessage-deflate! ".repeat(10));
      client.sendFrame(0x1, deflateMessage(data), { rsv: 4 });
      const echoed = await client.nextMessage("the echo");
      expect(echoed.compressed).toBe(false);
      expect(echoed.opcode).toBe(0x1);
      expect(bytesDiff(echoed.payload, data)).toBe("");
    } finally {
      client.close();
    }
  });

  it("rfc7692#section-6 accepts an uncompressed message (RSV1 clear) on a deflate connection", async () => {
    const client = await open();
    try {
      const data = utf8(jsonish(4096, 3));
      client.sendFrame(0x1, data);
      const echoed = await client.nextMessage("the echo");
      expect(echoed.compressed).toBe(true);
      expect(bytesDiff(inflateMessage(echoed.payload), data)).toBe("");
    } finally {
      client.close();
    }
  });

  it("rfc7692#section-6 compresses from exactly the threshold on: 1023 bytes go plain, 1024 bytes compressed", async () => {
    const client = await open();
    try {
      const below = utf8("a".repeat(1023));
      const at = utf8("b".repeat(1024));
      client.sendFrame(0x2, below);
      client.sendFrame(0x2, at);
      const plain = await client.nextMessage("the 1023-byte echo");
      expect(plain.compressed).toBe(false);
      expect(bytesDiff(plain.payload, below)).toBe("");
      const compressed = await client.nextMessage("the 1024-byte echo");
      expect(compressed.compressed).toBe(true);
      expect(bytesDiff(inflateMessage(compressed.payload), at)).toBe("");
    } finally {
      client.close();
    }
  });

  it("rfc7692#section-6 measures the threshold in bytes for text too (documented as bytes): 600 'é' are 1200 bytes and go compressed", async () => {
    const client = await open();
    try {
      const text = "é".repeat(600);
      const data = utf8(text);
      expect(data.length).toBe(1200);
      client.sendFrame(0x1, deflateMessage(data), { rsv: 4 });
      const echoed = await client.nextMessage("the echo");
      const bytes = echoed.compressed ? inflateMessage(echoed.payload) : echoed.payload;
      expect(bytesDiff(bytes, data)).toBe("");
      expect(echoed.compressed).toBe(true);
    } finally {
      client.close();
    }
  });
});

describe("permessage-deflate: Chromium's offer to a wsflow server that limits the client's window", () => {
  let server: Server | undefined;
  beforeAll(async () => {
    server = await startServer(echo, {
      limits: BIG_LIMITS,
      perMessageDeflate: { clientMaxWindowBits: 10, serverMaxWindowBits: 11 },
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("rfc7692#section-7.1.2.2 answers client_max_window_bits=10 to the bare offer, and rfc7692#section-7.1.2.1 announces server_max_window_bits=11", async () => {
    const client = await PmdRawClient.open(server!.addr.port, { extensions: CHROMIUM_OFFER });
    try {
      expect(client.status).toBe(101);
      const answer = client.headers.get("sec-websocket-extensions") ?? "";
      expect(readPmdResponse(answer)).toEqual({
        serverNoContextTakeover: false,
        clientNoContextTakeover: false,
        serverMaxWindowBits: 11,
        clientMaxWindowBits: 10,
      });
      // The client compresses with the 10-bit window it was given; the server's echo must
      // inflate with an 11-bit window.
      const data = utf8(jsonish(64 * 1024, 9));
      client.sendFrame(0x1, deflateMessage(data, 10), { rsv: 4 });
      const echoed = await client.nextMessage("the echo");
      expect(echoed.compressed).toBe(true);
      expect(bytesDiff(inflateMessage(echoed.payload, 11), data)).toBe("");
    } finally {
      client.close();
    }
  });
});
