// Each runtime's adapter serving wss://: the `tls` listen option, checked with a raw node:tls
// client that trusts a CA made by openssl for this run and speaks the protocol byte by byte.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Server } from "../../src/server/options.ts";
import { runtime, serveForRuntime } from "../_helpers/adapter_for_runtime.ts";
import { EXPECTED_ACCEPT, RawClient } from "../_helpers/raw_client.ts";
import { makeTestCerts, type TestCerts } from "../_helpers/test_certs.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

const TEXT = 0x1;
const CLOSE = 0x8;

describe(`adapter TLS: ${runtime}`, () => {
  let certs: TestCerts;
  let server: Server;

  beforeAll(async () => {
    certs = makeTestCerts();
    server = await serveForRuntime(async (ws) => {
      for await (const message of ws) await ws.send(message);
    }, { hostname: "127.0.0.1", port: 0, tls: { cert: certs.cert, key: certs.key } });
  });

  afterAll(async () => {
    await server?.close();
  });

  it("rfc6455#section-4.2.2 answers a handshake over TLS and echoes a frame", async () => {
    const client = await RawClient.openTls(server.addr.port, { ca: certs.ca });
    const response = await client.sendHandshake();
    expect(response.status).toBe(101);
    expect(response.headers.get("sec-websocket-accept")).toBe(EXPECTED_ACCEPT);
    client.sendFrame(TEXT, "hello wss ✓");
    const echo = await withTimeout(client.nextFrame(), 5_000, "the echo");
    expect(echo?.opcode).toBe(TEXT);
    expect(new TextDecoder().decode(echo?.payload)).toBe("hello wss ✓");
    client.sendFrame(CLOSE, new Uint8Array([0x03, 0xe8]));
    expect(await withTimeout(client.nextClose(), 5_000, "the close")).toEqual({
      code: 1000,
      reason: "",
    });
    await withTimeout(client.ended, 5_000, "the server to close TLS");
  });

  it("a plain-TCP client gets no WebSocket from the TLS port", async () => {
    const client = await RawClient.open(server.addr.port);
    client.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    await withTimeout(client.ended, 10_000, "the server to drop the non-TLS client");
    expect(client.response).toBeUndefined();
  });
});
