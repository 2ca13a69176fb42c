// permessage-deflate per route: RouteOptions.perMessageDeflate overrides the server's option
// for connections on that route (`false` never negotiates; options replace the server's), and
// routes without it follow the server, all on the same server.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Router } from "../../src/router/router.ts";
import type { Server } from "../../src/server/options.ts";
import { bytesDiff } from "../_helpers/bytes.ts";
import {
  ContextInflater,
  deflateMessage,
  inflateMessage,
  jsonish,
  readPmdResponse,
  utf8,
} from "../_helpers/pmd_codec.ts";
import { PmdRawClient } from "../_helpers/pmd_raw.ts";
import {
  connectClient,
  echo,
  nextMessage,
  startSend,
  startServer,
  urlOf,
} from "../_helpers/pmd_server.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

const CHROMIUM_OFFER = "permessage-deflate; client_max_window_bits";
const DATA = utf8(jsonish(8 * 1024, 80));

async function open(
  server: Server,
  path: string,
  headers: Record<string, string> = {},
): Promise<PmdRawClient> {
  const client = await PmdRawClient.open(server.addr.port, {
    path,
    extensions: CHROMIUM_OFFER,
    headers,
  });
  expect(client.status).toBe(101);
  return client;
}

/** A compressed message comes back compressed and exact. */
async function expectCompressedEcho(client: PmdRawClient, windowBits = 15): Promise<void> {
  client.sendFrame(0x2, deflateMessage(DATA), { rsv: 4 });
  const echoed = await client.nextMessage("the compressed echo");
  expect(echoed.compressed).toBe(true);
  expect(bytesDiff(inflateMessage(echoed.payload, windowBits), DATA)).toBe("");
}

/** A plain message comes back plain, and RSV1 then fails the connection with 1002. */
async function expectNoDeflate(client: PmdRawClient): Promise<void> {
  expect(client.headers.has("sec-websocket-extensions")).toBe(false);
  client.sendFrame(0x2, DATA);
  const echoed = await client.nextMessage("the plain echo");
  expect(echoed.compressed).toBe(false);
  expect(bytesDiff(echoed.payload, DATA)).toBe("");
  client.sendFrame(0x2, deflateMessage(DATA), { rsv: 4 });
  expect((await client.nextClose("the Close after RSV1"))?.code).toBe(1002);
  await withTimeout(client.ended, 5_000, "the server closes TCP");
}

describe("permessage-deflate per route, on a server with the default option", () => {
  let server: Server | undefined;
  beforeAll(async () => {
    const router = new Router()
      .route("/plain", { perMessageDeflate: false, handler: echo })
      .route("/deflate", { handler: echo })
      .route("/chat", { protocols: ["chat.plain"], perMessageDeflate: false, handler: echo })
      .route("/chat", { protocols: ["chat.deflate"], handler: echo });
    server = await startServer(router);
  });
  afterAll(async () => {
    await server?.close();
  });

  it("rfc7692#section-5 a route with perMessageDeflate: false answers no extension, echoes uncompressed, and fails RSV1 with 1002", async () => {
    const client = await open(server!, "/plain");
    try {
      await expectNoDeflate(client);
    } finally {
      client.close();
    }
  });

  it("rfc7692#section-7.1 a route without the option accepts the offer with the server's default", async () => {
    const client = await open(server!, "/deflate");
    try {
      expect(client.headers.get("sec-websocket-extensions")).toBe(
        "permessage-deflate; server_no_context_takeover",
      );
      await expectCompressedEcho(client);
    } finally {
      client.close();
    }
  });

  it("rfc7692#section-7.1 alternating connections to both routes each get their own route's answer", async () => {
    for (let i = 0; i < 3; i++) {
      const plain = await open(server!, "/plain");
      const deflate = await open(server!, "/deflate");
      try {
        expect(plain.headers.has("sec-websocket-extensions")).toBe(false);
        expect(deflate.headers.has("sec-websocket-extensions")).toBe(true);
      } finally {
        plain.close();
        deflate.close();
      }
    }
  });

  for (
    const [protocol, compressed] of [["chat.plain", false], ["chat.deflate", true]] as const
  ) {
    it(
      `rfc7692#section-7.1 on one path, the route chosen by subprotocol ${protocol} decides: ${
        compressed ? "accepted" : "no extension"
      }`,
      async () => {
        const client = await open(server!, "/chat", { "Sec-WebSocket-Protocol": protocol });
        try {
          expect(client.headers.get("sec-websocket-protocol")).toBe(protocol);
          if (compressed) await expectCompressedEcho(client);
          else await expectNoDeflate(client);
        } finally {
          client.close();
        }
      },
    );
  }

  it("rfc7692#section-7.1 wsflow's connect gets no extension on /plain and permessage-deflate on /deflate, and echoes on both", async () => {
    const text = jsonish(5000, 81);
    for (const [path, extensions] of [["/plain", ""], ["/deflate", "permessage-deflate"]]) {
      const client = await connectClient(urlOf(server!, path!));
      try {
        expect(client.extensions.split(";")[0]).toBe(extensions);
        startSend(client, text);
        expect(await nextMessage(client, `the echo on ${path}`) === text).toBe(true);
      } finally {
        client.terminate();
      }
    }
  });
});

describe("permessage-deflate per route, on a server with perMessageDeflate: false", () => {
  let server: Server | undefined;
  beforeAll(async () => {
    const router = new Router()
      .route("/on", { perMessageDeflate: {}, handler: echo })
      .route("/off", { handler: echo })
      .route("/tuned", {
        perMessageDeflate: { serverMaxWindowBits: 9, clientMaxWindowBits: 10, threshold: 0 },
        handler: echo,
      });
    server = await startServer(router, {
      perMessageDeflate: false,
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("rfc7692#section-7.1 a route with perMessageDeflate {} negotiates on a server that does not", async () => {
    const client = await open(server!, "/on");
    try {
      expect(client.headers.get("sec-websocket-extensions")).toBe("permessage-deflate");
      await expectCompressedEcho(client);
    } finally {
      client.close();
    }
  });

  it("rfc7692#section-5 a route without the option follows the server: no extension", async () => {
    const client = await open(server!, "/off");
    try {
      await expectNoDeflate(client);
    } finally {
      client.close();
    }
  });

  it("rfc7692#section-7.1.2 a route's window options apply: server_max_window_bits=9, client_max_window_bits=10, and small messages compressed (threshold 0)", async () => {
    const client = await open(server!, "/tuned");
    const inflater = new ContextInflater(9);
    try {
      expect(readPmdResponse(client.headers.get("sec-websocket-extensions") ?? "")).toEqual({
        serverNoContextTakeover: false,
        clientNoContextTakeover: false,
        serverMaxWindowBits: 9,
        clientMaxWindowBits: 10,
      });
      // The route keeps its compressor's context: inflate on a kept 9-bit window.
      client.sendFrame(0x2, deflateMessage(DATA, 10), { rsv: 4 });
      client.sendFrame(0x1, "tiny");
      const large = await client.nextMessage("the large echo");
      const tiny = await client.nextMessage("the tiny echo");
      expect(large.compressed && tiny.compressed).toBe(true);
      expect(bytesDiff(await inflater.decompress(large.payload), DATA)).toBe("");
      expect(new TextDecoder().decode(await inflater.decompress(tiny.payload))).toBe("tiny");
    } finally {
      inflater.close();
      client.close();
    }
  });
});
