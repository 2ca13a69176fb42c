// Context takeover (rfc7692#section-7.2.1, rfc7692#section-7.1.1): unless
// `*_no_context_takeover` was agreed for a direction, the sender may keep its LZ77 window from
// message to message, and the receiver must keep its window to match. Observed on the wire:
// the same 10 KiB message sent twice is much smaller the second time when the window is kept,
// and byte for byte the same when it is reset.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Server } from "../../src/server/options.ts";
import type { Connection } from "../../src/streams/connection.ts";
import { bytesDiff } from "../_helpers/bytes.ts";
import {
  ContextDeflater,
  ContextInflater,
  deflateMessage,
  inflateMessage,
  jsonish,
  readPmdResponse,
  utf8,
} from "../_helpers/pmd_codec.ts";
import { PmdRawClient, type PmdRawServer, startPmdRawServer } from "../_helpers/pmd_raw.ts";
import {
  connectClient,
  echo,
  nextMessage,
  startSend,
  startServer,
} from "../_helpers/pmd_server.ts";

const CHROMIUM_OFFER = "permessage-deflate; client_max_window_bits";
const TEN_KIB = jsonish(10 * 1024, 60);
const TEN_KIB_BYTES = utf8(TEN_KIB);

describe("permessage-deflate context takeover: client to a wsflow server", () => {
  let server: Server | undefined;
  let noClientContext: Server | undefined;
  beforeAll(async () => {
    server = await startServer(echo);
    noClientContext = await startServer(echo, {
      perMessageDeflate: { serverNoContextTakeover: true, clientNoContextTakeover: true },
    });
  });
  afterAll(async () => {
    await server?.close();
    await noClientContext?.close();
  });

  it("rfc7692#section-7.2.2 the default server keeps its inflater's window: the same 10 KiB twice from a context-keeping client, the second much smaller, both decoded", async () => {
    const client = await PmdRawClient.open(server!.addr.port, { extensions: CHROMIUM_OFFER });
    const deflater = new ContextDeflater();
    try {
      expect(readPmdResponse(client.headers.get("sec-websocket-extensions") ?? ""))
        .toMatchObject({ clientNoContextTakeover: false });
      const first = await deflater.compress(TEN_KIB_BYTES);
      const second = await deflater.compress(TEN_KIB_BYTES);
      expect(second.length).toBeLessThan(first.length / 4);
      client.sendFrame(0x1, first, { rsv: 4 });
      client.sendFrame(0x1, second, { rsv: 4 });
      for (const which of ["first", "second"]) {
        const echoed = await client.nextMessage(`the ${which} echo`);
        expect(echoed.compressed).toBe(true);
        expect(bytesDiff(inflateMessage(echoed.payload), TEN_KIB_BYTES)).toBe("");
      }
    } finally {
      deflater.close();
      client.close();
    }
  });

  it("rfc7692#section-7.1.1.2 a server with clientNoContextTakeover answers client_no_context_takeover and decodes each message on its own", async () => {
    const client = await PmdRawClient.open(noClientContext!.addr.port, {
      extensions: CHROMIUM_OFFER,
    });
    try {
      expect(readPmdResponse(client.headers.get("sec-websocket-extensions") ?? "")).toEqual({
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
        serverMaxWindowBits: undefined,
        clientMaxWindowBits: undefined,
      });
      const payload = deflateMessage(TEN_KIB_BYTES);
      for (let i = 0; i < 3; i++) client.sendFrame(0x1, payload, { rsv: 4 });
      for (let i = 0; i < 3; i++) {
        const echoed = await client.nextMessage(`echo ${i}`);
        expect(bytesDiff(inflateMessage(echoed.payload), TEN_KIB_BYTES)).toBe("");
      }
    } finally {
      client.close();
    }
  });

  it("rfc7692#section-7.2.1 wsflow's connect and a default wsflow server exchange the same 10 KiB five times", async () => {
    const client = await connectClient(`ws://127.0.0.1:${server!.addr.port}/`);
    try {
      expect(readPmdResponse(client.extensions).serverNoContextTakeover).toBe(true);
      for (let i = 0; i < 5; i++) startSend(client, TEN_KIB);
      for (let i = 0; i < 5; i++) {
        expect(await nextMessage(client, `echo ${i}`) === TEN_KIB).toBe(true);
      }
    } finally {
      client.terminate();
    }
  });
});

describe("permessage-deflate context takeover: a wsflow server's compressor", () => {
  let keeping: Server | undefined;
  let resetting: Server | undefined;
  beforeAll(async () => {
    keeping = await startServer(echo, { perMessageDeflate: {} });
    resetting = await startServer(echo);
  });
  afterAll(async () => {
    await keeping?.close();
    await resetting?.close();
  });

  it("rfc7692#section-7.2.1 a server with perMessageDeflate {} keeps its window: the second echo of the same 10 KiB is much smaller and inflates on the kept window", async () => {
    const client = await PmdRawClient.open(keeping!.addr.port, { extensions: CHROMIUM_OFFER });
    const inflater = new ContextInflater();
    try {
      expect(client.headers.get("sec-websocket-extensions")).toBe("permessage-deflate");
      const payload = deflateMessage(TEN_KIB_BYTES);
      client.sendFrame(0x1, payload, { rsv: 4 });
      client.sendFrame(0x1, payload, { rsv: 4 });
      const first = await client.nextMessage("the first echo");
      const second = await client.nextMessage("the second echo");
      expect(first.compressed && second.compressed).toBe(true);
      expect(second.payload.length).toBeLessThan(first.payload.length / 4);
      expect(bytesDiff(await inflater.decompress(first.payload), TEN_KIB_BYTES)).toBe("");
      expect(bytesDiff(await inflater.decompress(second.payload), TEN_KIB_BYTES)).toBe("");
    } finally {
      inflater.close();
      client.close();
    }
  });

  it("rfc7692#section-7.1.1.1 the default server (server_no_context_takeover) compresses the same message to the same bytes every time", async () => {
    const client = await PmdRawClient.open(resetting!.addr.port, { extensions: CHROMIUM_OFFER });
    try {
      const payload = deflateMessage(TEN_KIB_BYTES);
      client.sendFrame(0x1, payload, { rsv: 4 });
      client.sendFrame(0x1, payload, { rsv: 4 });
      const first = await client.nextMessage("the first echo");
      const second = await client.nextMessage("the second echo");
      expect(bytesDiff(second.payload, first.payload)).toBe("");
      expect(bytesDiff(inflateMessage(second.payload), TEN_KIB_BYTES)).toBe("");
    } finally {
      client.close();
    }
  });
});

describe("permessage-deflate context takeover: wsflow's connect against a raw server", () => {
  let answer = "permessage-deflate";
  let server: PmdRawServer | undefined;
  beforeAll(async () => {
    server = await startPmdRawServer(() => answer);
  });
  afterAll(async () => {
    await server?.close();
  });

  async function open(
    serverAnswer: string,
    options: Parameters<typeof connectClient>[1] = {},
  ): Promise<{ client: Connection; peer: Awaited<ReturnType<PmdRawServer["nextPeer"]>> }> {
    answer = serverAnswer;
    const client = await connectClient(`ws://127.0.0.1:${server!.port}/`, options);
    const peer = await server!.nextPeer();
    expect(client.extensions).toBe(serverAnswer);
    return { client, peer };
  }

  it("rfc7692#section-7.2.1 the client keeps its window by default: the same 10 KiB twice, the second much smaller, both inflate on a kept window", async () => {
    const { client, peer } = await open("permessage-deflate");
    const inflater = new ContextInflater();
    try {
      expect(peer.offer).toBe("permessage-deflate; client_max_window_bits");
      startSend(client, TEN_KIB);
      startSend(client, TEN_KIB);
      const first = await peer.nextMessage("the first message");
      const second = await peer.nextMessage("the second message");
      expect(first.compressed && second.compressed).toBe(true);
      expect(first.frames[0]!.masked).toBe(true);
      expect(second.payload.length).toBeLessThan(first.payload.length / 4);
      expect(bytesDiff(await inflater.decompress(first.payload), TEN_KIB_BYTES)).toBe("");
      expect(bytesDiff(await inflater.decompress(second.payload), TEN_KIB_BYTES)).toBe("");
    } finally {
      inflater.close();
      client.terminate();
    }
  });

  for (
    const [how, options] of [
      ["offered by the client", { perMessageDeflate: { clientNoContextTakeover: true } }],
      ["answered by the server unasked", {}],
    ] as const
  ) {
    it(`rfc7692#section-7.1.1.2 with client_no_context_takeover ${how}, each message is compressed on its own and inflates alone`, async () => {
      const { client, peer } = await open(
        "permessage-deflate; client_no_context_takeover",
        options,
      );
      try {
        for (let i = 0; i < 3; i++) startSend(client, TEN_KIB);
        const payloads: Uint8Array[] = [];
        for (let i = 0; i < 3; i++) {
          const message = await peer.nextMessage(`message ${i}`);
          expect(message.compressed).toBe(true);
          expect(bytesDiff(inflateMessage(message.payload), TEN_KIB_BYTES)).toBe("");
          payloads.push(message.payload);
        }
        expect(bytesDiff(payloads[1], payloads[0]!)).toBe("");
        expect(bytesDiff(payloads[2], payloads[0]!)).toBe("");
      } finally {
        client.terminate();
      }
    });
  }

  it("rfc7692#section-7.2.2 the client keeps its inflater's window when the server keeps context: messages referring back to earlier ones decode", async () => {
    const { client, peer } = await open("permessage-deflate");
    const deflater = new ContextDeflater();
    try {
      const first = await deflater.compress(TEN_KIB_BYTES);
      const second = await deflater.compress(TEN_KIB_BYTES);
      expect(second.length).toBeLessThan(first.length / 4);
      peer.sendFrame(0x1, first, { rsv: 4 });
      peer.sendFrame(0x1, second, { rsv: 4 });
      expect(await nextMessage(client, "the first message") === TEN_KIB).toBe(true);
      expect(await nextMessage(client, "the second message") === TEN_KIB).toBe(true);
    } finally {
      deflater.close();
      client.terminate();
    }
  });

  it("rfc7692#section-7.1.1.1 the client asks for server_no_context_takeover and decodes messages compressed each on its own", async () => {
    const { client, peer } = await open("permessage-deflate; server_no_context_takeover", {
      perMessageDeflate: { serverNoContextTakeover: true },
    });
    try {
      expect(peer.offer).toBe(
        "permessage-deflate; server_no_context_takeover; client_max_window_bits",
      );
      const payload = deflateMessage(TEN_KIB_BYTES);
      for (let i = 0; i < 3; i++) peer.sendFrame(0x2, payload, { rsv: 4 });
      for (let i = 0; i < 3; i++) {
        const message = await nextMessage(client, `message ${i}`);
        expect(bytesDiff(message as Uint8Array, TEN_KIB_BYTES)).toBe("");
      }
    } finally {
      client.terminate();
    }
  });
});
