// WebSockets over HTTP/2 (RFC 8441) with wsflow/node's serveHttp2 and handleHttp2Stream, driven
// by node:http2's client by hand (every error case: each field a browser would never get wrong)
// and by wsflow's own client with `http2: true`. Deno and Bun run the same file on their own
// node:http2, which serves extended CONNECT too.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSecureServer, type Http2SecureServer, type ServerHttp2Session } from "node:http2";
import type { AddressInfo } from "node:net";
import { Router } from "../../src/router/router.ts";
import type { Server } from "../../src/server/options.ts";
import { connect, handleHttp2Stream, handleUpgrade, serveHttp2 } from "../../src/adapters/node.ts";
import { ExtendedConnectUnsupportedError } from "../../src/protocol/extended_connect.ts";
import { HandshakeError } from "../../src/protocol/errors.ts";
import { runtime } from "../_helpers/adapter_for_runtime.ts";
import { encodeFrame } from "../_helpers/raw_client.ts";
import { makeTestCerts, type TestCerts } from "../_helpers/test_certs.ts";
import { connectFields, h2Request, h2Session, readText } from "../_helpers/h2_client.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

const echo = new Router()
  .route("/echo", {
    async handler(ws) {
      for await (const message of ws) await ws.send(message);
    },
  })
  .route("/chat", {
    protocols: ["chat", "chat.v2"],
    async handler(ws) {
      for await (const message of ws) await ws.send(message);
    },
  });

/** Collects a stream's DATA until `count` bytes have come, or it ends. */
async function readBytes(stream: NodeJS.ReadableStream, count: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let length = 0;
  await withTimeout(
    new Promise<void>((resolve) => {
      const onData = (chunk: Buffer): void => {
        chunks.push(chunk);
        length += chunk.length;
        if (length >= count) {
          stream.off("data", onData);
          resolve();
        }
      };
      stream.on("data", onData);
      stream.once("end", () => resolve());
    }),
    5_000,
    `${count} bytes`,
  );
  return new Uint8Array(Buffer.concat(chunks));
}

describe(`serveHttp2 on ${runtime}: extended CONNECT by hand`, () => {
  let certs: TestCerts;
  let server: Server;
  let port = 0;

  beforeAll(async () => {
    certs = makeTestCerts();
    server = await serveHttp2(echo, {
      hostname: "127.0.0.1",
      port: 0,
      tls: { cert: certs.cert, key: certs.key },
      heartbeatInterval: 0,
    });
    port = server.addr.port;
  });
  afterAll(async () => {
    await server.close();
  });

  it("rfc8441#section-3 sends SETTINGS_ENABLE_CONNECT_PROTOCOL = 1", async () => {
    const session = await h2Session(port, certs.ca);
    expect(session.remoteSettings.enableConnectProtocol).toBe(true);
    session.close();
  });

  it("rfc8441#section-5 answers :status 200 without sec-websocket-accept; DATA carries RFC 6455 frames; the close ends this stream only", async () => {
    const session = await h2Session(port, certs.ca);
    const first = await h2Request(
      session,
      connectFields(port, "/chat", {
        "sec-websocket-protocol": "chat.v2, chat",
        "sec-websocket-extensions": "permessage-deflate; client_max_window_bits",
      }),
    );
    const second = await h2Request(session, connectFields(port, "/echo"));
    expect(first.status).toBe(200);
    expect(first.headers["sec-websocket-protocol"]).toBe("chat.v2");
    expect(first.headers["sec-websocket-extensions"]).toContain("permessage-deflate");
    expect(first.headers["sec-websocket-accept"]).toBeUndefined();
    expect(second.status).toBe(200);

    second.stream.write(encodeFrame(0x1, "hi"));
    expect([...await readBytes(second.stream, 4)]).toEqual([0x81, 0x02, 0x68, 0x69]);
    // rfc8441#section-6: the close handshake, then END_STREAM both ways; the session lives on
    second.stream.write(encodeFrame(0x8, new Uint8Array([0x03, 0xe8])));
    expect([...await readBytes(second.stream, 4)]).toEqual([0x88, 0x02, 0x03, 0xe8]);
    await withTimeout(
      new Promise((resolve) => second.stream.once("end", resolve)),
      5_000,
      "END_STREAM",
    );
    second.stream.end();
    await withTimeout(
      new Promise((resolve) => second.stream.once("close", resolve)),
      5_000,
      "close",
    );
    expect(second.stream.rstCode).toBe(0);

    first.stream.write(encodeFrame(0x2, new Uint8Array([1, 2, 3])));
    expect([...await readBytes(first.stream, 5)]).toEqual([0x82, 0x03, 1, 2, 3]);
    expect(session.closed || session.destroyed).toBe(false);
    first.stream.close();
    session.close();
  });

  it("rfc8441#section-4 a CONNECT without :protocol (a tunnel) gets 400", async () => {
    const session = await h2Session(port, certs.ca);
    const answer = await h2Request(session, {
      ":method": "CONNECT",
      ":authority": `localhost:${port}`,
    });
    expect(answer.status).toBe(400);
    expect(await readText(answer.stream)).toContain("rfc8441#section-4");
    session.close();
  });

  it("rfc6455#section-4.4 a wrong sec-websocket-version gets 426 naming 13, no upgrade field", async () => {
    const session = await h2Session(port, certs.ca);
    const answer = await h2Request(
      session,
      connectFields(port, "/echo", { "sec-websocket-version": "8" }),
    );
    expect(answer.status).toBe(426);
    expect(answer.headers["sec-websocket-version"]).toBe("13");
    expect(answer.headers["upgrade"]).toBeUndefined();
    session.close();
  });

  it("an unknown path gets :status 404 on its stream; the session serves the next stream", async () => {
    const session = await h2Session(port, certs.ca);
    const missing = await h2Request(session, connectFields(port, "/nope"));
    expect(missing.status).toBe(404);
    const next = await h2Request(session, connectFields(port, "/echo"));
    expect(next.status).toBe(200);
    next.stream.close();
    session.close();
  });

  it("rfc6455#section-10.2 a cross-origin CONNECT gets 403; a same-origin one opens", async () => {
    const session = await h2Session(port, certs.ca);
    const foreign = await h2Request(
      session,
      connectFields(port, "/echo", { origin: "https://evil.example" }),
    );
    expect(foreign.status).toBe(403);
    const same = await h2Request(
      session,
      connectFields(port, "/echo", { origin: `https://localhost:${port}` }),
    );
    expect(same.status).toBe(200);
    same.stream.close();
    session.close();
  });

  it("rfc6455#section-5.1 an unmasked frame fails the connection with 1002; the session lives on", async () => {
    const session = await h2Session(port, certs.ca);
    const answer = await h2Request(session, connectFields(port, "/echo"));
    answer.stream.write(encodeFrame(0x1, "hi", { mask: false }));
    expect([...(await readBytes(answer.stream, 4)).subarray(0, 4)]).toEqual([
      0x88,
      0x02,
      0x03,
      0xea,
    ]);
    answer.stream.close();
    const next = await h2Request(session, connectFields(port, "/echo"));
    expect(next.status).toBe(200);
    next.stream.close();
    session.close();
  });

  it("rfc6455#section-8.1 invalid UTF-8 in a text message fails the connection with 1007", async () => {
    const session = await h2Session(port, certs.ca);
    const answer = await h2Request(session, connectFields(port, "/echo"));
    answer.stream.write(encodeFrame(0x1, new Uint8Array([0xce, 0xba, 0xff])));
    expect([...(await readBytes(answer.stream, 4)).subarray(0, 4)]).toEqual([
      0x88,
      0x02,
      0x03,
      0xef,
    ]);
    answer.stream.close();
    session.close();
  });

  it("GET / without a fetch option gets 404 over h2, and a route's path 426", async () => {
    const session = await h2Session(port, certs.ca);
    const root = await h2Request(session, { ":path": "/" });
    expect(root.status).toBe(404);
    root.stream.close();
    const route = await h2Request(session, { ":path": "/echo" });
    expect(route.status).toBe(426);
    route.stream.close();
    session.close();
  });

  it("HTTP/1.1 upgrades keep working on the same port (ALPN http/1.1)", async () => {
    const ws = await connect(`wss://localhost:${port}/echo`, { tls: { ca: certs.ca } });
    await ws.send("over http/1.1");
    for await (const message of ws) {
      expect(message).toBe("over http/1.1");
      break;
    }
    await ws.close(1000);
  });

  it("rfc8441#section-4 wsflow's client with http2: several WebSockets on one session, each closing alone", async () => {
    const options = { http2: true, tls: { ca: certs.ca } } as const;
    const a = await connect(`wss://localhost:${port}/echo`, options);
    const b = await connect(`wss://localhost:${port}/chat`, { ...options, protocols: ["chat"] });
    expect(b.protocol).toBe("chat");
    await a.send("a");
    await b.send("b");
    for await (const message of a) {
      expect(message).toBe("a");
      break;
    }
    await a.close(1000, "bye");
    expect(await a.closed).toEqual({ code: 1000, reason: "bye", wasClean: true });
    await b.send("still");
    const received: unknown[] = [];
    for await (const message of b) {
      received.push(message);
      if (received.length === 2) break;
    }
    expect(received).toEqual(["b", "still"]);
    await b.close(1000);
  });
});

describe(`serveHttp2 on ${runtime}: metrics`, () => {
  it("counts upgrades by status (200 accepted over h2, 101 over http/1.1, 404 refused) with handshake durations", async () => {
    const certs = makeTestCerts();
    const statuses: number[] = [];
    const durations: number[] = [];
    const noop = (): void => {};
    const server = await serveHttp2(echo, {
      hostname: "127.0.0.1",
      port: 0,
      tls: { cert: certs.cert, key: certs.key },
      observer: {
        upgrade: (status) => statuses.push(status),
        handshake: (seconds) => durations.push(seconds),
        opened: noop,
        received: noop,
        sent: noop,
        dropped: noop,
        roundTrip: noop,
        closed: noop,
      },
    });
    const port = server.addr.port;
    const session = await h2Session(port, certs.ca);
    const accepted = await h2Request(session, connectFields(port, "/echo"));
    const refused = await h2Request(session, connectFields(port, "/nope"));
    expect([accepted.status, refused.status]).toEqual([200, 404]);
    const ws = await connect(`wss://localhost:${port}/echo`, { tls: { ca: certs.ca } });
    await ws.close(1000);
    accepted.stream.close();
    session.close();
    await server.close();
    expect(statuses.sort()).toEqual([101, 200, 404]);
    expect(durations.length).toBe(2);
    expect(durations.every((seconds) => seconds >= 0 && seconds < 5)).toBe(true);
  });
});

describe(`handleHttp2Stream on ${runtime}: an existing node:http2 server`, () => {
  let certs: TestCerts;
  let http2: Http2SecureServer;
  let port = 0;
  const sessions: ServerHttp2Session[] = [];

  beforeAll(async () => {
    certs = makeTestCerts();
    const onStream = handleHttp2Stream(echo);
    http2 = createSecureServer({
      cert: certs.cert,
      key: certs.key,
      allowHTTP1: true,
      settings: { enableConnectProtocol: true },
    });
    http2.on("session", (session) => sessions.push(session));
    http2.on("stream", (stream, headers) => {
      if (headers[":method"] === "CONNECT") onStream(stream, headers);
      else stream.respond({ ":status": 200 }, { endStream: true });
    });
    http2.on("upgrade", handleUpgrade(echo));
    await new Promise<void>((resolve) => http2.listen(0, "127.0.0.1", resolve));
    port = (http2.address() as AddressInfo).port;
  });
  afterAll(async () => {
    for (const session of sessions) session.close();
    await new Promise((resolve) => http2.close(resolve));
  });

  it("rfc8441#section-4 two WebSockets from wsflow's client share one HTTP/2 session", async () => {
    const before = sessions.length;
    const options = { http2: true, tls: { ca: certs.ca } } as const;
    const [a, b] = await Promise.all([
      connect(`wss://localhost:${port}/echo`, options),
      connect(`wss://localhost:${port}/echo`, options),
    ]);
    await a.send("one");
    await b.send("two");
    for await (const message of b) {
      expect(message).toBe("two");
      break;
    }
    expect(sessions.length - before).toBe(1);
    await Promise.all([a.close(1000), b.close(1000)]);
  });

  it("HTTP/1.1 upgrades reach handleUpgrade on the allowHTTP1 server's upgrade event", async () => {
    const ws = await connect(`wss://localhost:${port}/echo`, { tls: { ca: certs.ca } });
    await ws.send("h1");
    for await (const message of ws) {
      expect(message).toBe("h1");
      break;
    }
    await ws.close(1000);
  });

  it("rfc8441#section-3 a server without enableConnectProtocol: ExtendedConnectUnsupportedError", async () => {
    const plain = createSecureServer({ cert: certs.cert, key: certs.key });
    await new Promise<void>((resolve) => plain.listen(0, "127.0.0.1", resolve));
    const plainPort = (plain.address() as AddressInfo).port;
    const error = await connect(`wss://localhost:${plainPort}/echo`, {
      http2: true,
      tls: { ca: certs.ca },
    }).catch((error: unknown) => error);
    expect(error).toBeInstanceOf(ExtendedConnectUnsupportedError);
    expect(error).toBeInstanceOf(HandshakeError);
    expect((error as Error).message).toContain("rfc8441#section-3");
    await new Promise((resolve) => plain.close(resolve));
  });
});
