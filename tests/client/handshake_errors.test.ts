// Refused and broken opening handshakes surface as a typed HandshakeError carrying the server's
// status and headers: real refusals from wsflow's Router server (404, 403), and crafted 101
// answers from a raw server that break one client-side rule each (rfc6455#section-4.1).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HandshakeError } from "../../src/protocol/errors.ts";
import { Router } from "../../src/router/router.ts";
import type { Server } from "../../src/server/options.ts";
import { loadServe, runtime } from "../_helpers/adapter_for_runtime.ts";
import { type ClientAdapter, loadClient } from "../_helpers/client_for_runtime.ts";
import {
  type RawAnswer,
  type RawServer,
  startRawServer,
  switchingProtocols,
} from "../_helpers/raw_server.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

const client: ClientAdapter = await loadClient();

async function handshakeError(promise: Promise<unknown>): Promise<HandshakeError> {
  try {
    await withTimeout(promise, 10_000, "the handshake to fail");
  } catch (error) {
    expect(error).toBeInstanceOf(HandshakeError);
    return error as HandshakeError;
  }
  throw new Error("Expected a HandshakeError, but the connection opened");
}

/** Runs `body` against a raw server answering with `answer`, then checks the socket closed. */
async function withRawServer(
  answer: RawAnswer,
  body: (url: string) => Promise<void>,
): Promise<void> {
  const server: RawServer = await startRawServer(answer);
  try {
    await body(`ws://127.0.0.1:${server.port}/`);
    // rfc6455#section-4.1: the client fails the connection, which closes the socket
    await withTimeout(server.ended(0), 5_000, "the client to close the socket");
  } finally {
    await server.close();
  }
}

describe(`client: refused handshakes on ${runtime}`, () => {
  let server: Server;
  let base = "";

  beforeAll(async () => {
    const serve = await loadServe();
    const router = new Router().route("/echo", {
      async handler(ws) {
        for await (const message of ws) await ws.send(message);
      },
    });
    server = await (serve as unknown as (router: Router, options: object) => Promise<Server>)(
      router,
      { hostname: "127.0.0.1", port: 0 },
    );
    base = `ws://127.0.0.1:${server.addr.port}`;
  });

  afterAll(async () => {
    await server.close();
  });

  it("rfc6455#section-4.1 a 404 from a Router (unknown path) carries status 404", async () => {
    const error = await handshakeError(client.connect(`${base}/nowhere`));
    expect(error.status).toBe(404);
    expect(error.message).toContain("404");
    expect(error.headers.get("connection")).toBe("close");
  });

  it("rfc6455#section-10.2 a 403 for a foreign Origin carries status 403", async () => {
    const error = await handshakeError(
      client.connect(`${base}/echo`, { headers: { Origin: "https://evil.example" } }),
    );
    expect(error.status).toBe(403);
    // The same path opens without the foreign Origin.
    const ws = await client.connect(`${base}/echo`);
    await ws.close();
  });

  it("rfc6455#section-4.1 a 101 with the wrong Sec-WebSocket-Accept fails the connection", async () => {
    await withRawServer((_request, socket) => {
      socket.write(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
          "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
      );
    }, async (url) => {
      const error = await handshakeError(client.connect(url));
      expect(error.status).toBe(101);
      expect(error.message).toContain("Sec-WebSocket-Accept");
      expect(error.headers.get("sec-websocket-accept")).toBe("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    });
  });

  it("rfc6455#section-4.1 a 101 selecting a subprotocol that was not offered fails", async () => {
    await withRawServer(async (request, socket) => {
      socket.write(await switchingProtocols(request, { "Sec-WebSocket-Protocol": "mqtt" }));
    }, async (url) => {
      const error = await handshakeError(client.connect(url, { protocols: ["chat"] }));
      expect(error.status).toBe(101);
      expect(error.message).toContain('"mqtt"');
    });
  });

  it("rfc6455#section-4.1 a 101 selecting a subprotocol when none was offered fails", async () => {
    await withRawServer(async (request, socket) => {
      socket.write(await switchingProtocols(request, { "Sec-WebSocket-Protocol": "chat" }));
    }, async (url) => {
      const error = await handshakeError(client.connect(url));
      expect(error.message).toContain("none was offered");
    });
  });

  it("rfc6455#section-4.1 a 101 accepting an extension that was not offered fails", async () => {
    await withRawServer(async (request, socket) => {
      socket.write(
        await switchingProtocols(request, { "Sec-WebSocket-Extensions": "x-unoffered" }),
      );
    }, async (url) => {
      const error = await handshakeError(client.connect(url));
      expect(error.status).toBe(101);
      expect(error.message).toContain("x-unoffered");
    });
  });

  it("rfc6455#section-4.1 a 101 accepting permessage-deflate when it was not offered fails", async () => {
    await withRawServer(async (request, socket) => {
      socket.write(
        await switchingProtocols(request, { "Sec-WebSocket-Extensions": "permessage-deflate" }),
      );
    }, async (url) => {
      const error = await handshakeError(client.connect(url, { perMessageDeflate: false }));
      expect(error.status).toBe(101);
      expect(error.message).toContain("permessage-deflate");
    });
  });

  it("rfc6455#section-4.1 a 101 without Upgrade: websocket fails", async () => {
    await withRawServer(async (request, socket) => {
      const head = await switchingProtocols(request);
      socket.write(head.replace("Upgrade: websocket\r\n", ""));
    }, async (url) => {
      const error = await handshakeError(client.connect(url));
      expect(error.message).toContain("Upgrade");
    });
  });

  it("a server that closes without answering fails with status 0", async () => {
    await withRawServer((_request, socket) => {
      socket.end();
    }, async (url) => {
      const error = await handshakeError(client.connect(url));
      expect(error.status).toBe(0);
    });
  });

  it("rfc7230#section-3.1.2 a malformed status line fails with status 0", async () => {
    await withRawServer((_request, socket) => {
      socket.write("HTTP/1.1 1O1 Switching Protocols\r\n\r\n");
    }, async (url) => {
      const error = await handshakeError(client.connect(url));
      expect(error.status).toBe(0);
    });
  });
});
