// The `ws`-compatible layer (wsflow/ws): a slice of the `ws` package's own tests
// (test/websocket-server.test.js, test/websocket.test.js), ported to the surface that
// graphql-ws, tRPC, y-websocket and Engine.IO use, run over real loopback sockets under each
// runtime's node:http. Clients are wsflow/ws's own `WebSocket`, the `ws` package (the real
// thing; on Bun, Bun's own `ws`), and a raw socket for the answers a WebSocket client hides.
import { afterEach, describe, expect, it } from "vitest";
import { Buffer } from "node:buffer";
import { createServer, type IncomingMessage, type Server as HttpServer } from "node:http";
import { connect as netConnect } from "node:net";
import type { AddressInfo } from "node:net";
import WsPackage from "ws";
import { WebSocket, WebSocketServer } from "../../src/adapters/node_ws.ts";
import { delay, withTimeout } from "../_helpers/with_timeout.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function listening(options: ConstructorParameters<typeof WebSocketServer>[0] = {}) {
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1", ...options });
  cleanups.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
  await withTimeout(new Promise((resolve) => wss.once("listening", resolve)), 5_000, "listening");
  return { wss, url: `ws://127.0.0.1:${wss.address().port}` };
}

/** The next server-side socket, with its request. */
function nextConnection(wss: WebSocketServer): Promise<[WebSocket, IncomingMessage]> {
  return withTimeout(
    new Promise((resolve) => wss.once("connection", (ws, req) => resolve([ws, req]))),
    5_000,
    "connection",
  );
}

function once<T extends unknown[]>(emitter: WebSocket | WsPackage, event: string): Promise<T> {
  return withTimeout(
    new Promise<T>((resolve) => emitter.once(event, (...args: unknown[]) => resolve(args as T))),
    5_000,
    event,
  );
}

async function open(url: string, protocols?: string | string[]): Promise<WebSocket> {
  const ws = new WebSocket(url, protocols);
  cleanups.push(() => ws.terminate());
  await once(ws, "open");
  return ws;
}

/** Sends a raw upgrade request and returns the response head. */
function rawUpgrade(port: number, path: string, extra = ""): Promise<string> {
  return withTimeout(
    new Promise((resolve, reject) => {
      const socket = netConnect(port, "127.0.0.1");
      let head = "";
      socket.setEncoding("latin1");
      socket.on("data", (text: string) => {
        head += text;
        const end = head.indexOf("\r\n\r\n");
        if (end !== -1) {
          socket.destroy();
          resolve(head.slice(0, end));
        }
      });
      socket.on("error", reject);
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
          "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
          `Sec-WebSocket-Version: 13\r\n${extra}\r\n`,
      );
    }),
    5_000,
    "upgrade answer",
  );
}

describe("wsflow/ws WebSocketServer (ported from ws's websocket-server.test.js)", () => {
  it("throws unless exactly one of port, server and noServer is given", () => {
    expect(() => new WebSocketServer({})).toThrow(TypeError);
    expect(() => new WebSocketServer({ noServer: true, port: 0 })).toThrow(
      'One and only one of the "port", "server", or "noServer" options must be specified',
    );
  });

  it("listens on `port`, reports its address, and answers plain HTTP with 426", async () => {
    const { wss } = await listening();
    const { port } = wss.address();
    expect(port).toBeGreaterThan(0);
    const response = await fetch(`http://127.0.0.1:${port}/`);
    expect(response.status).toBe(426);
    await response.text();
  });

  it("emits connection (ws, req) with the request's url, headers and socket.remoteAddress", async () => {
    const { wss, url } = await listening();
    const connected = nextConnection(wss);
    await open(`${url}/room/1?token=abc`);
    const [ws, req] = await connected;
    expect(ws).toBeInstanceOf(WebSocket);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    expect(req.url).toBe("/room/1?token=abc");
    expect(req.headers.upgrade?.toLowerCase()).toBe("websocket");
    expect(req.socket.remoteAddress).toMatch(/127\.0\.0\.1$/);
  });

  it("takes the upgrades of an existing node:http server (`server`), plain requests stay its own", async () => {
    const http: HttpServer = createServer((_req, res) => res.end("plain"));
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => http.close(() => resolve())));
    const wss = new WebSocketServer({ server: http });
    cleanups.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    const { port } = http.address() as AddressInfo;
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("plain");
    const connected = nextConnection(wss);
    const client = await open(`ws://127.0.0.1:${port}/`);
    const [ws] = await connected;
    ws.send("from the server");
    const [data, isBinary] = await once<[Buffer, boolean]>(client, "message");
    expect([data.toString(), isBinary]).toEqual(["from the server", false]);
  });

  it("noServer: handleUpgrade(req, socket, head, cb) hands cb the socket and the request", async () => {
    const wss = new WebSocketServer({ noServer: true });
    const http = createServer();
    http.on("upgrade", (req, socket, head) => {
      wss.handleUpgrade(req, socket, head, (ws, request) => wss.emit("connection", ws, request));
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => http.close(() => resolve())));
    expect(() => wss.address()).toThrow('The server is operating in "noServer" mode');
    const connected = nextConnection(wss);
    await open(`ws://127.0.0.1:${(http.address() as AddressInfo).port}/no-server`);
    const [, req] = await connected;
    expect(req.url).toBe("/no-server");
  });

  it("path: only upgrades to that path (query aside); others get 400", async () => {
    const { wss } = await listening({ path: "/graphql" });
    const { port } = wss.address();
    expect(await rawUpgrade(port, "/graphql?x=1")).toMatch(/^HTTP\/1\.1 101 /);
    expect(await rawUpgrade(port, "/other")).toMatch(/^HTTP\/1\.1 400 /);
  });

  it("clients: tracks open sockets and forgets closed ones; clientTracking: false keeps none", async () => {
    const { wss, url } = await listening();
    const connected = nextConnection(wss);
    const client = await open(url);
    const [ws] = await connected;
    expect([...wss.clients!]).toEqual([ws]);
    const closed = once(ws, "close");
    client.close();
    await closed;
    expect(wss.clients!.size).toBe(0);
    const untracked = new WebSocketServer({ noServer: true, clientTracking: false });
    expect(untracked.clients).toBeUndefined();
  });

  it("rfc6455#section-4.2.2: handleProtocols gets the offer as a Set and picks the subprotocol", async () => {
    const offers: string[][] = [];
    const { url } = await listening({
      handleProtocols: (protocols, req) => {
        offers.push([...protocols]);
        expect(req.url).toBe("/");
        return protocols.has("b") ? "b" : false;
      },
    });
    expect((await open(url, ["a", "b"])).protocol).toBe("b");
    expect((await open(url, ["a"])).protocol).toBe("");
    expect((await open(url)).protocol).toBe(""); // not called without an offer
    expect(offers).toEqual([["a", "b"], ["a"]]);
  });

  it("rfc6455#section-4.2.2: without handleProtocols the client's first offer wins; set later on options, it is used", async () => {
    const { wss, url } = await listening();
    expect((await open(url, ["first", "second"])).protocol).toBe("first");
    wss.options.handleProtocols = () => "second"; // as graphql-ws's useServer does
    expect((await open(url, ["first", "second"])).protocol).toBe("second");
    wss.options.handleProtocols = () => "never-offered";
    expect(await rawUpgrade(wss.address().port, "/", "Sec-WebSocket-Protocol: first\r\n"))
      .toMatch(/^HTTP\/1\.1 400 /);
  });

  it("verifyClient: false refuses with 401; the callback form with its own status, message and headers", async () => {
    const seen: { origin: string | undefined; secure: boolean; url: string | undefined }[] = [];
    const { wss } = await listening({
      verifyClient: (info) => {
        seen.push({ origin: info.origin, secure: info.secure, url: info.req.url });
        return info.req.url === "/ok";
      },
    });
    const { port } = wss.address();
    expect(await rawUpgrade(port, "/nope", "Origin: https://app.example.com\r\n")).toMatch(
      /^HTTP\/1\.1 401 /,
    );
    expect(await rawUpgrade(port, "/ok")).toMatch(/^HTTP\/1\.1 101 /);
    expect(seen).toEqual([
      { origin: "https://app.example.com", secure: false, url: "/nope" },
      { origin: undefined, secure: false, url: "/ok" },
    ]);

    const async = await listening({
      verifyClient: (_info, done) => {
        setTimeout(() => done!(false, 403, "Go away", { "X-Why": "test" }), 5);
      },
    });
    const head = await rawUpgrade(async.wss.address().port, "/");
    expect(head).toMatch(/^HTTP\/1\.1 403 /);
    expect(head).toMatch(/\r\nx-why: test/i);
  });

  it("headers: lines pushed by a listener go into the 101 response", async () => {
    const { wss } = await listening();
    wss.on("headers", (lines: string[], req: IncomingMessage) => {
      expect(lines[0]).toBe("HTTP/1.1 101 Switching Protocols");
      expect(lines).toContain("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
      lines.push(`Set-Cookie: io=${req.url!.slice(1)}`);
    });
    const head = await rawUpgrade(wss.address().port, "/abc");
    expect(head).toMatch(/^HTTP\/1\.1 101 /);
    expect(head).toMatch(/\r\nset-cookie: io=abc/i);
  });

  it("rfc6455#section-7.4.1: maxPayload closes a connection sending more with 1009", async () => {
    const { wss, url } = await listening({ maxPayload: 1024 });
    const connected = nextConnection(wss);
    const client = await open(url);
    const [ws] = await connected;
    const errors: Error[] = [];
    ws.on("error", (error: Error) => errors.push(error));
    const closed = once<[number, Buffer]>(client, "close");
    const serverClosed = once<[number, Buffer]>(ws, "close");
    client.send(new Uint8Array(2048));
    expect((await closed)[0]).toBe(1009);
    await serverClosed;
    expect(errors).toHaveLength(1);
  });

  it("close(cb): closes its own http server and emits close; again, cb gets an error; handleUpgrade then answers 503", async () => {
    const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
    await once(wss as unknown as WebSocket, "listening");
    await new Promise<void>((resolve, reject) => wss.close((e) => (e ? reject(e) : resolve())));
    const again = await new Promise<Error | undefined>((resolve) => wss.close(resolve));
    expect(again?.message).toBe("The server is not running");

    const noServer = new WebSocketServer({ noServer: true });
    await new Promise((resolve) => noServer.close(resolve));
    const http = createServer();
    http.on("upgrade", (req, socket, head) => noServer.handleUpgrade(req, socket, head, () => {}));
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => http.close(() => resolve())));
    expect(await rawUpgrade((http.address() as AddressInfo).port, "/")).toMatch(/^HTTP\/1\.1 503 /);
  });

  it("close(): open sockets stay open; close is emitted once the last one has gone", async () => {
    const http = createServer();
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => http.close(() => resolve())));
    const wss = new WebSocketServer({ server: http });
    const connected = nextConnection(wss);
    const client = await open(`ws://127.0.0.1:${(http.address() as AddressInfo).port}/`);
    const [ws] = await connected;
    let closed = false;
    wss.close(() => (closed = true));
    await delay(20);
    expect(closed).toBe(false);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    client.close(1000);
    await withTimeout(new Promise((resolve) => wss.once("close", resolve)), 5_000, "server close");
  });
});

describe("wsflow/ws WebSocket (ported from ws's websocket.test.js)", () => {
  async function pair(options: ConstructorParameters<typeof WebSocketServer>[0] = {}) {
    const { wss, url } = await listening(options);
    const connected = nextConnection(wss);
    const client = await open(url);
    const [server] = await connected;
    return { client, server };
  }

  it("has the ready-state constants on the class and on instances", async () => {
    expect([WebSocket.CONNECTING, WebSocket.OPEN, WebSocket.CLOSING, WebSocket.CLOSED]).toEqual([
      0,
      1,
      2,
      3,
    ]);
    const { server } = await pair();
    expect([server.CONNECTING, server.OPEN, server.CLOSING, server.CLOSED]).toEqual([0, 1, 2, 3]);
    expect(server.bufferedAmount).toBe(0);
  });

  it("message (data, isBinary): text and binary arrive as Buffers with the right flag", async () => {
    const { client, server } = await pair();
    const received: [string, boolean][] = [];
    server.on("message", (data: Buffer, isBinary: boolean) => {
      expect(Buffer.isBuffer(data)).toBe(true); // tRPC checks Buffer.isBuffer
      received.push([data.toString("hex"), isBinary]);
    });
    client.send("hé");
    client.send(new Uint8Array([1, 2, 3]));
    client.send(42); // numbers go as their text
    await withTimeout(
      (async () => {
        while (received.length < 3) await delay(5);
      })(),
      5_000,
      "three messages",
    );
    expect(received).toEqual([
      [Buffer.from("hé").toString("hex"), false],
      ["010203", true],
      [Buffer.from("42").toString("hex"), false],
    ]);
  });

  it("binaryType: arraybuffer and fragments change what listeners get; unknown values are ignored", async () => {
    const { client, server } = await pair();
    server.binaryType = "arraybuffer"; // as y-websocket's server sets it
    client.send(new Uint8Array([7, 8]));
    const [data] = await once<[ArrayBuffer]>(server, "message");
    expect(data).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(data)]).toEqual([7, 8]);
    server.binaryType = "fragments";
    client.send("text");
    const [parts, isBinary] = await once<[Buffer[], boolean]>(server, "message");
    expect([Buffer.concat(parts).toString(), isBinary]).toEqual(["text", false]);
    server.binaryType = "blob" as never;
    expect(server.binaryType).toBe("fragments");
  });

  it("send(data, options, cb): cb after it is handed on; binary: true sends a string as binary; fin: false fragments", async () => {
    const { client, server } = await pair();
    const got: [string, boolean][] = [];
    client.on(
      "message",
      (data: Buffer, isBinary: boolean) => got.push([data.toString(), isBinary]),
    );
    await new Promise<void>((resolve, reject) =>
      server.send("abc", { binary: true }, (error) => (error ? reject(error) : resolve()))
    );
    await new Promise<void>((resolve) =>
      server.send(Buffer.from("text"), { binary: false }, () => resolve())
    );
    server.send("one ", { fin: false });
    expect(server.bufferedAmount).toBeGreaterThanOrEqual(4);
    server.send("two", { fin: true });
    await withTimeout(
      (async () => {
        while (got.length < 3) await delay(5);
      })(),
      5_000,
      "three messages",
    );
    expect(got).toEqual([["abc", true], ["text", false], ["one two", false]]);
  });

  it("send after close: no throw, cb gets the error; on a connecting client, send throws", async () => {
    const { client, server } = await pair();
    const closed = once(server, "close");
    client.close();
    await closed;
    expect(server.readyState).toBe(WebSocket.CLOSED);
    const error = await new Promise<Error | undefined>((resolve) => server.send("late", resolve));
    expect(error?.message).toMatch(/^WebSocket is not open: readyState 3 \(CLOSED\)/);
    const connecting = new WebSocket(`ws://127.0.0.1:1/`);
    connecting.on("error", () => {});
    expect(connecting.readyState).toBe(WebSocket.CONNECTING);
    expect(() => connecting.send("x")).toThrow("WebSocket is not open: readyState 0 (CONNECTING)");
    await once(connecting, "close");
  });

  it("rfc6455#section-5.5.2: ping(data) gets a pong event with the same data; the peer sees a ping event", async () => {
    const { client, server } = await pair();
    const pinged = once<[Buffer]>(client, "ping");
    const ponged = once<[Buffer]>(server, "pong");
    server.ping("are you there");
    expect((await pinged)[0].toString()).toBe("are you there");
    expect((await ponged)[0].toString()).toBe("are you there");
    const unsolicited = once<[Buffer]>(server, "pong");
    client.pong(Buffer.from("heartbeat"));
    expect((await unsolicited)[0].toString()).toBe("heartbeat");
  });

  it("rfc6455#section-5.5: ping and pong data over 125 bytes throw RangeError at once", async () => {
    const { server } = await pair();
    expect(() => server.ping(new Uint8Array(126))).toThrow(RangeError);
    expect(() => server.pong("x".repeat(126))).toThrow(
      "The data size must not be greater than 125 bytes",
    );
  });

  it("rfc6455#section-7.4.1: close(code, reason) reaches the peer's close event; a code that may not be sent throws", async () => {
    const { client, server } = await pair();
    expect(() => server.close(1005)).toThrow(RangeError);
    const clientClosed = once<[number, Buffer]>(client, "close");
    const serverClosed = once<[number, Buffer]>(server, "close");
    server.close(4000, "done here");
    expect(server.readyState).toBe(WebSocket.CLOSING);
    const [code, reason] = await clientClosed;
    expect([code, reason.toString()]).toEqual([4000, "done here"]);
    expect((await serverClosed)[0]).toBe(4000); // the peer echoed it
  });

  it("rfc6455#section-7.1.5: close() without a code is 1005 on the other side", async () => {
    const { client, server } = await pair();
    const closed = once<[number, Buffer]>(server, "close");
    client.close();
    expect((await closed)[0]).toBe(1005);
  });

  it("rfc6455#section-7.1.5: terminate() drops the connection: 1006 on both sides", async () => {
    const { client, server } = await pair();
    const clientClosed = once<[number, Buffer]>(client, "close");
    const serverClosed = once<[number, Buffer]>(server, "close");
    server.terminate();
    expect((await serverClosed)[0]).toBe(1006);
    expect((await clientClosed)[0]).toBe(1006);
  });

  it("pause() holds messages back until resume()", async () => {
    const { client, server } = await pair();
    const got: string[] = [];
    server.on("message", (data: Buffer) => got.push(data.toString()));
    server.pause();
    expect(server.isPaused).toBe(true);
    client.send("a");
    client.send("b");
    await delay(50);
    expect(got).toEqual([]);
    server.resume();
    await withTimeout(
      (async () => {
        while (got.length < 2) await delay(5);
      })(),
      5_000,
      "two messages",
    );
    expect(got).toEqual(["a", "b"]);
  });

  it("interoperates with the ws package's client (both ways, with a subprotocol)", async () => {
    const { wss, url } = await listening();
    wss.on("connection", (ws: WebSocket) => {
      ws.on("message", (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }));
    });
    const client = new WsPackage(`${url}/echo`, ["chat"]);
    cleanups.push(() => client.terminate());
    await once(client, "open");
    expect(client.protocol).toBe("chat");
    client.send("round trip");
    const [data, isBinary] = await once<[Buffer, boolean]>(client, "message");
    expect([data.toString(), isBinary]).toEqual(["round trip", false]);
    const closed = once<[number, Buffer]>(client, "close");
    client.close(1000, "bye");
    expect((await closed)[0]).toBe(1000);
  });
});
