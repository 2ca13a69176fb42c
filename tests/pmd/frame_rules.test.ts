// RSV1 as permessage-deflate defines it (rfc7692#section-6): set on the first frame of a
// compressed message only. Fragmented compressed messages are accepted; RSV1 on a continuation
// frame, on a control frame, or on a connection that did not negotiate the extension fails the
// connection with 1002 (rfc6455#section-5.2), and the server stays up.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Server } from "../../src/server/options.ts";
import { bytesDiff } from "../_helpers/bytes.ts";
import { deflateMessage, inflateMessage, join, jsonish, utf8 } from "../_helpers/pmd_codec.ts";
import { encodeFrame } from "../_helpers/raw_client.ts";
import { PmdRawClient, type PmdRawServer, startPmdRawServer } from "../_helpers/pmd_raw.ts";
import {
  BIG_LIMITS,
  connectClient,
  echo,
  nextMessage,
  startServer,
} from "../_helpers/pmd_server.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

const CHROMIUM_OFFER = "permessage-deflate; client_max_window_bits";

/** Splits `payload` into `count` nearly equal pieces (the last may be empty). */
function split(payload: Uint8Array, count: number): Uint8Array[] {
  const size = Math.ceil(payload.length / count);
  const pieces: Uint8Array[] = [];
  for (let i = 0; i < count; i++) pieces.push(payload.subarray(i * size, (i + 1) * size));
  return pieces;
}

/** Expects a Close frame with `code`, then the server closing TCP. */
async function expectFailure(client: PmdRawClient, code: number, what: string): Promise<void> {
  const close = await client.nextClose(`a Close ${code} after ${what}`);
  expect(close?.code).toBe(code);
  await withTimeout(client.ended, 5_000, `the server closes TCP after ${what}`);
}

/** A fresh connection still gets a compressed echo: the server is up. */
async function expectServerUp(port: number): Promise<void> {
  const client = await PmdRawClient.open(port, { extensions: CHROMIUM_OFFER });
  try {
    const data = utf8(jsonish(2048, 42));
    client.sendFrame(0x1, deflateMessage(data), { rsv: 4 });
    const echoed = await client.nextMessage("an echo on a fresh connection");
    expect(bytesDiff(echoed.compressed ? inflateMessage(echoed.payload) : echoed.payload, data))
      .toBe("");
  } finally {
    client.close();
  }
}

describe("permessage-deflate: RSV1 on fragmented, control and unnegotiated frames", () => {
  let server: Server | undefined;
  let port = 0;
  beforeAll(async () => {
    server = await startServer(echo, { limits: BIG_LIMITS });
    port = server.addr.port;
  });
  afterAll(async () => {
    await server?.close();
  });

  /** Opens a raw client offering `extensions`; `null` offers nothing. */
  async function open(extensions: string | null = CHROMIUM_OFFER): Promise<PmdRawClient> {
    const client = await PmdRawClient.open(port, { extensions: extensions ?? undefined });
    expect(client.status).toBe(101);
    return client;
  }

  for (const [kind, opcode] of [["text", 0x1], ["binary", 0x2]] as const) {
    it(`rfc7692#section-6.1 accepts a compressed ${kind} message in 4 fragments, RSV1 on the first only`, async () => {
      const client = await open();
      try {
        const data = utf8(jsonish(50 * 1024, 20 + opcode));
        const pieces = split(deflateMessage(data), 4);
        pieces.forEach((piece, i) => {
          client.sendFrame(i === 0 ? opcode : 0x0, piece, {
            fin: i === pieces.length - 1,
            rsv: i === 0 ? 4 : 0,
          });
        });
        const echoed = await client.nextMessage("the echo");
        expect(echoed.opcode).toBe(opcode);
        expect(echoed.compressed).toBe(true);
        expect(bytesDiff(inflateMessage(echoed.payload), data)).toBe("");
      } finally {
        client.close();
      }
    });
  }

  it("rfc7692#section-6.1 accepts a compressed message split into 1-byte fragments, with a Ping between them", async () => {
    const client = await open();
    try {
      const data = utf8(jsonish(4096, 30));
      const payload = deflateMessage(data);
      for (let i = 0; i < payload.length; i++) {
        client.sendFrame(i === 0 ? 0x1 : 0x0, payload.subarray(i, i + 1), {
          fin: i === payload.length - 1,
          rsv: i === 0 ? 4 : 0,
        });
        if (i === 3) client.sendFrame(0x9, "mid-message ping");
      }
      const pong = await client.nextFrame("the Pong");
      expect(pong?.opcode).toBe(0xa);
      expect(pong?.rsv1).toBe(false);
      const echoed = await client.nextMessage("the echo");
      expect(bytesDiff(inflateMessage(echoed.payload), data)).toBe("");
    } finally {
      client.close();
    }
  });

  it("rfc7692#section-6.1 accepts a compressed message whose first fragment is empty", async () => {
    const client = await open();
    try {
      const data = utf8(jsonish(3000, 31));
      client.sendFrame(0x2, new Uint8Array(0), { fin: false, rsv: 4 });
      client.sendFrame(0x0, deflateMessage(data), { fin: true });
      const echoed = await client.nextMessage("the echo");
      expect(bytesDiff(inflateMessage(echoed.payload), data)).toBe("");
    } finally {
      client.close();
    }
  });

  it("rfc7692#section-6.1 fails with 1002 on RSV1 on a continuation frame of a compressed message", async () => {
    const client = await open();
    try {
      const pieces = split(deflateMessage(utf8(jsonish(4096, 32))), 2);
      client.sendFrame(0x1, pieces[0]!, { fin: false, rsv: 4 });
      client.sendFrame(0x0, pieces[1]!, { fin: true, rsv: 4 });
      await expectFailure(client, 1002, "RSV1 on a continuation");
    } finally {
      client.close();
    }
    await expectServerUp(port);
  });

  it("rfc7692#section-6.1 fails with 1002 on RSV1 on a continuation frame of an uncompressed message", async () => {
    const client = await open();
    try {
      client.sendFrame(0x1, "plain ", { fin: false });
      client.sendFrame(0x0, deflateMessage(utf8("then compressed?")), { fin: true, rsv: 4 });
      await expectFailure(client, 1002, "RSV1 on a continuation");
    } finally {
      client.close();
    }
  });

  for (const [name, opcode] of [["Ping", 0x9], ["Pong", 0xa], ["Close", 0x8]] as const) {
    it(`rfc7692#section-6.1 fails with 1002 on RSV1 on a ${name} frame`, async () => {
      const client = await open();
      try {
        const payload = opcode === 0x8 ? new Uint8Array([0x03, 0xe8]) : utf8("x");
        client.sendFrame(opcode, payload, { rsv: 4 });
        await expectFailure(client, 1002, `RSV1 on a ${name}`);
      } finally {
        client.close();
      }
    });
  }

  it("rfc7692#section-6.1 fails with 1002 on RSV1 on a Ping between the fragments of a compressed message", async () => {
    const client = await open();
    try {
      const pieces = split(deflateMessage(utf8(jsonish(4096, 33))), 2);
      client.sendFrame(0x1, pieces[0]!, { fin: false, rsv: 4 });
      client.sendFrame(0x9, "ping", { rsv: 4 });
      await expectFailure(client, 1002, "RSV1 on an interleaved Ping");
    } finally {
      client.close();
    }
  });

  for (const [bit, rsv] of [["RSV2", 2], ["RSV3", 1]] as const) {
    it(`rfc6455#section-5.2 fails with 1002 on ${bit}, which permessage-deflate does not define`, async () => {
      const client = await open();
      try {
        client.sendFrame(0x1, deflateMessage(utf8("hello")), { rsv: 4 | rsv });
        await expectFailure(client, 1002, bit);
      } finally {
        client.close();
      }
    });
  }

  // tests/conformance/reserved_bits.test.ts requires the echo of a valid message before the
  // 1002 its successor causes (Autobahn 3.2's strict outcome); it must hold when the valid
  // message was compressed, and its echo too.
  for (const size of [100, 4096]) {
    it(`rfc6455#section-7.1.7 echoes a valid compressed ${size}-byte message before failing with 1002 on the RSV2 frame that followed in the same write`, async () => {
      const client = await open();
      try {
        const data = utf8(jsonish(size, 34));
        client.socket.write(join([
          encodeFrame(0x1, deflateMessage(data), { rsv: 4 }),
          encodeFrame(0x1, "bad", { rsv: 2 }),
        ]));
        const echoed = await client.nextMessage("the valid message's echo");
        expect(bytesDiff(echoed.compressed ? inflateMessage(echoed.payload) : echoed.payload, data))
          .toBe("");
        await expectFailure(client, 1002, "RSV2");
      } finally {
        client.close();
      }
    });
  }

  for (const compressedFirst of [true, false]) {
    it(
      `rfc6455#section-5.5.1 answers a valid ${
        compressedFirst ? "compressed" : "uncompressed"
      } 4 KiB message with its compressed echo before replying to the Close that followed in the same write`,
      async () => {
        const client = await open();
        try {
          const data = utf8(jsonish(4096, 38));
          client.socket.write(join([
            compressedFirst
              ? encodeFrame(0x1, deflateMessage(data), { rsv: 4 })
              : encodeFrame(0x1, data),
            encodeFrame(0x8, new Uint8Array([0x03, 0xe8])),
          ]));
          const echoed = await client.nextMessage("the valid message's echo");
          expect(echoed.compressed).toBe(true);
          expect(bytesDiff(inflateMessage(echoed.payload), data)).toBe("");
          expect((await client.nextClose("the Close reply"))?.code).toBe(1000);
        } finally {
          client.close();
        }
      },
    );
  }

  it("rfc6455#section-5.2 fails with 1002 on RSV1 when the client offered no extension", async () => {
    const client = await open(null);
    try {
      expect(client.headers.has("sec-websocket-extensions")).toBe(false);
      client.sendFrame(0x1, deflateMessage(utf8("Hello, Hello, Hello")), { rsv: 4 });
      await expectFailure(client, 1002, "RSV1 without permessage-deflate");
    } finally {
      client.close();
    }
    await expectServerUp(port);
  });

  it("rfc6455#section-5.2 fails with 1002 on RSV1 when the server declined the (invalid) offer", async () => {
    const client = await open("permessage-deflate; server_max_window_bits=16");
    try {
      expect(client.headers.has("sec-websocket-extensions")).toBe(false);
      client.sendFrame(0x2, deflateMessage(utf8("Hello")), { rsv: 4 });
      await expectFailure(client, 1002, "RSV1 without permessage-deflate");
    } finally {
      client.close();
    }
  });
});

describe("permessage-deflate: RSV1 on a server with perMessageDeflate: false", () => {
  let server: Server | undefined;
  beforeAll(async () => {
    server = await startServer(echo, { perMessageDeflate: false });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("rfc7692#section-5 leaves the offer unanswered, and rfc6455#section-5.2 fails with 1002 on RSV1", async () => {
    const client = await PmdRawClient.open(server!.addr.port, { extensions: CHROMIUM_OFFER });
    try {
      expect(client.status).toBe(101);
      expect(client.headers.has("sec-websocket-extensions")).toBe(false);
      client.sendFrame(0x1, "plain works");
      const echoed = await client.nextMessage("the plain echo");
      expect(echoed.compressed).toBe(false);
      expect(new TextDecoder().decode(echoed.payload)).toBe("plain works");
      client.sendFrame(0x1, deflateMessage(utf8("Hello")), { rsv: 4 });
      await expectFailure(client, 1002, "RSV1 without permessage-deflate");
    } finally {
      client.close();
    }
  });
});

describe("permessage-deflate: empty messages and message order on a server with threshold 0", () => {
  let server: Server | undefined;
  let ordered: Server | undefined;
  beforeAll(async () => {
    server = await startServer(echo, { perMessageDeflate: { threshold: 0 } });
    ordered = await startServer(async (ws) => {
      // Sent without waiting: compressed and uncompressed messages must keep their order, and
      // the Close must come after all of them.
      const large = jsonish(5000, 35);
      for (let i = 0; i < 6; i++) {
        ws.send(i % 2 === 1 ? `small ${i}` : `${large}${i}`).catch(() => {});
      }
      await ws.close(1000, "done");
    });
  });
  afterAll(async () => {
    await server?.close();
    await ordered?.close();
  });

  for (const [kind, opcode] of [["text", 0x1], ["binary", 0x2]] as const) {
    it(`rfc7692#section-7.2.3.6 an empty compressed ${kind} message (payload 0x00) is echoed as 0x00 with RSV1`, async () => {
      const client = await PmdRawClient.open(server!.addr.port, { extensions: CHROMIUM_OFFER });
      try {
        client.sendFrame(opcode, new Uint8Array([0x00]), { rsv: 4 });
        const echoed = await client.nextMessage("the empty echo");
        expect(echoed.opcode).toBe(opcode);
        expect(echoed.compressed).toBe(true);
        expect(Array.from(echoed.payload)).toEqual([0x00]);
        expect(inflateMessage(echoed.payload).length).toBe(0);
      } finally {
        client.close();
      }
    });
  }

  it("rfc7692#section-7.2.2 an RSV1 frame with an empty payload is an empty message, and the next message still inflates on the kept window", async () => {
    const client = await PmdRawClient.open(server!.addr.port, { extensions: CHROMIUM_OFFER });
    try {
      client.sendFrame(0x1, new Uint8Array(0), { rsv: 4 });
      client.sendFrame(0x1, deflateMessage(utf8("after the empty one")), { rsv: 4 });
      const empty = await client.nextMessage("the empty echo");
      expect(inflateMessage(empty.payload).length).toBe(0);
      const next = await client.nextMessage("the next echo");
      expect(new TextDecoder().decode(inflateMessage(next.payload))).toBe("after the empty one");
    } finally {
      client.close();
    }
  });

  it("rfc7692#section-6 messages sent without waiting arrive in order, compressed or not by size, and the Close after them", async () => {
    const client = await PmdRawClient.open(ordered!.addr.port, { extensions: CHROMIUM_OFFER });
    try {
      const large = jsonish(5000, 35);
      for (let i = 0; i < 6; i++) {
        const message = await client.nextMessage(`message ${i}`);
        const bytes = message.compressed ? inflateMessage(message.payload) : message.payload;
        expect(new TextDecoder().decode(bytes)).toBe(i % 2 === 1 ? `small ${i}` : `${large}${i}`);
      }
      expect(await client.nextClose("the Close")).toEqual({ code: 1000, reason: "done" });
    } finally {
      client.close();
    }
  });
});

describe("permessage-deflate: fragmented compressed messages to wsflow's connect", () => {
  let server: PmdRawServer | undefined;
  beforeAll(async () => {
    server = await startPmdRawServer(() => "permessage-deflate; server_no_context_takeover");
  });
  afterAll(async () => {
    await server?.close();
  });

  it("rfc7692#section-6.1 the client accepts a compressed message in 3 fragments, RSV1 on the first only", async () => {
    const client = await connectClient(`ws://127.0.0.1:${server!.port}/`);
    try {
      const peer = await server!.nextPeer();
      const text = jsonish(20_000, 36);
      const pieces = split(deflateMessage(utf8(text)), 3);
      pieces.forEach((piece, i) => {
        peer.sendFrame(i === 0 ? 0x1 : 0x0, piece, { fin: i === 2, rsv: i === 0 ? 4 : 0 });
      });
      expect(await nextMessage(client, "the fragmented message") === text).toBe(true);
    } finally {
      client.terminate();
    }
  });

  it("rfc7692#section-6.1 the client fails with 1002 on RSV1 on a continuation frame", async () => {
    const client = await connectClient(`ws://127.0.0.1:${server!.port}/`);
    try {
      const peer = await server!.nextPeer();
      const pieces = split(deflateMessage(utf8(jsonish(4096, 37))), 2);
      peer.sendFrame(0x1, pieces[0]!, { fin: false, rsv: 4 });
      peer.sendFrame(0x0, pieces[1]!, { fin: true, rsv: 4 });
      expect((await peer.nextClose("the client's Close"))?.code).toBe(1002);
      peer.socket.end();
      const closed = await withTimeout(client.closed, 5_000, "the client's connection closes");
      expect(closed.code).toBe(1002);
    } finally {
      client.terminate();
    }
  });
});
