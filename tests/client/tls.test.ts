// wss:// end to end: the client against wsflow's TLS server and against the runtime's own TLS
// WebSocket server, with a CA and server certificate made by openssl for this run. Certificate
// checks stay on: the client trusts the test CA through `tls.ca`.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HandshakeError } from "../../src/protocol/errors.ts";
import type { Server } from "../../src/server/options.ts";
import type { Connection } from "../../src/streams/connection.ts";
import { runtime, serveForRuntime } from "../_helpers/adapter_for_runtime.ts";
import { type ClientAdapter, loadClient } from "../_helpers/client_for_runtime.ts";
import { makeTestCerts, type TestCerts } from "../_helpers/test_certs.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

const client: ClientAdapter = await loadClient();

interface TlsPeer {
  port: number;
  close(): Promise<void>;
}

async function startNodeTlsPeer(certs: TestCerts): Promise<TlsPeer> {
  const { createServer } = await import("node:https");
  const { WebSocketServer } = await import("ws");
  const server = createServer({ cert: certs.cert, key: certs.key });
  const wss = new WebSocketServer({ server });
  wss.on("connection", (ws) => {
    ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  return {
    port: typeof address === "object" && address !== null ? address.port : 0,
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function startBunTlsPeer(certs: TestCerts): Promise<TlsPeer> {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: certs.cert, key: certs.key },
    fetch(request, server) {
      return server.upgrade(request) ? undefined : new Response("upgrade", { status: 426 });
    },
    websocket: {
      message(ws, message) {
        ws.send(message);
      },
    },
  });
  return Promise.resolve({
    port: server.port ?? 0,
    close: async () => {
      await server.stop(true);
    },
  });
}

function startDenoTlsPeer(certs: TestCerts): Promise<TlsPeer> {
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: certs.cert,
    key: certs.key,
    onListen() {},
  }, (request) => {
    const { socket, response } = Deno.upgradeWebSocket(request);
    socket.binaryType = "arraybuffer";
    socket.onmessage = (event) => socket.send(event.data);
    return response;
  });
  return Promise.resolve({ port: server.addr.port, close: () => server.shutdown() });
}

const nativePeers: Record<
  typeof runtime,
  { name: string; start: (c: TestCerts) => Promise<TlsPeer> }
> = {
  node: { name: "node:https with the ws package", start: startNodeTlsPeer },
  bun: { name: "Bun.serve with tls", start: startBunTlsPeer },
  deno: { name: "Deno.serve with cert and key", start: startDenoTlsPeer },
};
const native = nativePeers[runtime];

async function echoOnce(ws: Connection, message: string): Promise<unknown> {
  await ws.send(message);
  const result = await withTimeout(ws[Symbol.asyncIterator]().next(), 10_000, "the echo");
  return result.value;
}

async function handshakeError(promise: Promise<unknown>): Promise<HandshakeError> {
  try {
    await withTimeout(promise, 10_000, "the attempt to fail");
  } catch (error) {
    expect(error).toBeInstanceOf(HandshakeError);
    return error as HandshakeError;
  }
  throw new Error("Expected a HandshakeError, but the connection opened");
}

describe(`client: wss:// on ${runtime}`, () => {
  let certs: TestCerts;
  let ours: Server;
  let theirs: TlsPeer;

  beforeAll(async () => {
    certs = makeTestCerts();
    ours = await serveForRuntime(async (ws) => {
      for await (const message of ws) await ws.send(message);
    }, { hostname: "127.0.0.1", port: 0, tls: { cert: certs.cert, key: certs.key } });
    theirs = await native.start(certs);
  });

  afterAll(async () => {
    await ours?.close();
    await theirs?.close();
  });

  it("rfc6455#section-3 wss:// to wsflow's TLS server at 127.0.0.1, trusting the test CA", async () => {
    const ws = await client.connect(`wss://127.0.0.1:${ours.addr.port}/`, {
      tls: { ca: certs.ca },
    });
    expect(await echoOnce(ws, "over TLS ✓")).toBe("over TLS ✓");
    expect(await withTimeout(ws.close(1000, "done"), 5_000, "the close")).toMatchObject({
      code: 1000,
      wasClean: true,
    });
  });

  it("rfc6455#section-3 wss://localhost checks the certificate against the host name", async () => {
    const ws = await client.connect(`wss://localhost:${ours.addr.port}/`, {
      tls: { ca: [certs.ca] },
    });
    expect(await echoOnce(ws, "by name")).toBe("by name");
    await ws.close();
  });

  it(`wss:// to ${native.name}`, async () => {
    const ws = await client.connect(`wss://127.0.0.1:${theirs.port}/`, { tls: { ca: certs.ca } });
    expect(await echoOnce(ws, "to the runtime's server")).toBe("to the runtime's server");
    expect(await withTimeout(ws.close(4000, "bye"), 5_000, "the close")).toEqual({
      code: 4000,
      reason: "bye",
      wasClean: true,
    });
  });

  it("tls.serverName picks the name checked, whatever address is dialled", async () => {
    const ws = await client.connect(`wss://127.0.0.1:${ours.addr.port}/`, {
      tls: { ca: certs.ca, serverName: "localhost" },
    });
    expect(await echoOnce(ws, "sni")).toBe("sni");
    await ws.close();
    const error = await handshakeError(
      client.connect(`wss://127.0.0.1:${ours.addr.port}/`, {
        tls: { ca: certs.ca, serverName: "example.com" },
      }),
    );
    expect(error.status).toBe(0);
  });

  it("a certificate from an untrusted CA fails with HandshakeError status 0", async () => {
    const stranger = makeTestCerts();
    const error = await handshakeError(
      client.connect(`wss://127.0.0.1:${ours.addr.port}/`, { tls: { ca: stranger.ca } }),
    );
    expect(error.status).toBe(0);
    expect(error.cause).toBeDefined();
    // The server is unharmed by the failed handshake.
    const ws = await client.connect(`wss://127.0.0.1:${ours.addr.port}/`, {
      tls: { ca: certs.ca },
    });
    expect(await echoOnce(ws, "still serving")).toBe("still serving");
    await ws.close();
  });

  it("the WebSocket class over wss:// with options.tls", async () => {
    const ws = new client.WebSocket(`wss://127.0.0.1:${ours.addr.port}/`, [], {
      tls: { ca: certs.ca },
    });
    const data = await withTimeout(
      new Promise<unknown>((resolve, reject) => {
        ws.onopen = () => ws.send("whatwg over tls");
        ws.onmessage = (event) => resolve(event.data);
        ws.onerror = () => reject(new Error("error event"));
      }),
      10_000,
      "the echo",
    );
    expect(data).toBe("whatwg over tls");
    ws.close();
  });
});
