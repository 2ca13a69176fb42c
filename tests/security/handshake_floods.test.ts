// Floods of the opening handshake against a real server on this runtime's adapter (anchors.md
// section 4: ws CVE-2024-37890 header counts, tungstenite CVE-2023-43669 huge headers, and
// slowloris-style slow or unfinished handshakes). Each case checks the HTTP status the limit
// gives, that the server answered at the limit rather than after reading everything, that the
// connection closes, that the process did not grow, and that a fresh client still gets an echo.
import { describe, expect, it } from "vitest";
import type { RawClient } from "../_helpers/raw_client.ts";
import {
  expectBoundedMemory,
  expectServerAlive,
  floodHead,
  KiB,
  MiB,
  rss,
  useCrashGuard,
  useSecurityServer,
} from "../_helpers/security_harness.ts";
import { delay, withTimeout } from "../_helpers/with_timeout.ts";

const encoder = new TextEncoder();
const REQUEST_START = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n";

describe("security: handshake floods (default limits)", () => {
  const guard = useCrashGuard();
  const target = useSecurityServer();

  it("rfc7230#section-3.2.5 a request with 200,000 header fields gets 431 at the 101st field, and the connection closes", async () => {
    const before = rss();
    const fields = encoder.encode("X-Flood: 1\r\n".repeat(16 * KiB / 12));
    const total = 200_000 * 12;
    const flood = await floodHead(target, REQUEST_START, fields, total);
    expect(flood.response?.status, "status").toBe(431);
    expect(flood.bytesWritten, "bytes sent before the answer").toBeLessThan(256 * KiB);
    await withTimeout(flood.client.ended, 5_000, "the server closes the connection");
    expectBoundedMemory(before, "200,000 header fields");
    await expectServerAlive(target.port);
  });

  it("rfc7230#section-3.2.5 a 20 MB header line written at once gets 431 quickly, and the connection closes", async () => {
    const before = rss();
    const flood = await floodHead(
      target,
      `${REQUEST_START}X-Big: `,
      encoder.encode("a"),
      20_000_000,
      true,
    );
    expect(flood.response?.status, "status").toBe(431);
    expect(flood.elapsedMs, "milliseconds until the answer").toBeLessThan(2_000);
    flood.client.close();
    expectBoundedMemory(before, "a 20 MB header line");
    await expectServerAlive(target.port);
  });

  it("rfc7230#section-3.2.5 a 20 MB header line written in pieces gets 431 after about 8 KiB", async () => {
    const flood = await floodHead(
      target,
      `${REQUEST_START}X-Big: `,
      new Uint8Array(16 * KiB).fill(0x61),
      20_000_000,
    );
    expect(flood.response?.status, "status").toBe(431);
    expect(flood.bytesWritten, "bytes sent before the answer").toBeLessThan(256 * KiB);
    await withTimeout(flood.client.ended, 5_000, "the server closes the connection");
    await expectServerAlive(target.port);
  });

  it("rfc7230#section-3.1.1 a 20 MB request line written at once gets 414 quickly", async () => {
    const before = rss();
    const flood = await floodHead(target, "GET /", encoder.encode("a"), 20_000_000, true);
    expect(flood.response?.status, "status").toBe(414);
    expect(flood.elapsedMs, "milliseconds until the answer").toBeLessThan(2_000);
    flood.client.close();
    expectBoundedMemory(before, "a 20 MB request line");
    await expectServerAlive(target.port);
  });

  it("rfc7230#section-3.2.5 16 KiB of empty lines before the request line get 431", async () => {
    const flood = await floodHead(target, "", encoder.encode("\r\n".repeat(4 * KiB)), 1 * MiB);
    expect(flood.response?.status, "status").toBe(431);
    expect(flood.bytesWritten, "bytes sent before the answer").toBeLessThan(256 * KiB);
    await expectServerAlive(target.port);
  });

  it("rfc6455#section-4.2.1 1000 connections that never finish their handshake do not keep a normal client out, and cost little", async () => {
    const before = rss();
    const idle: RawClient[] = [];
    try {
      for (let i = 0; i < 1000; i += 50) {
        const batch = await Promise.all(Array.from({ length: 50 }, () => target.open()));
        for (const client of batch) client.write(encoder.encode("GET / HTTP/1.1\r\nHost: a\r\n"));
        idle.push(...batch);
      }
      await delay(100);
      await expectServerAlive(target.port, "while 1000 handshakes are unfinished");
      expectBoundedMemory(before, "1000 unfinished handshakes");
      // None of them was answered: they are still waiting for the end of their head.
      expect(idle.filter((client) => client.response !== undefined).length, "answered").toBe(0);
    } finally {
      for (const client of idle) client.close();
    }
    await delay(100);
    await expectServerAlive(target.port, "after the 1000 connections dropped");
    expectBoundedMemory(before, "1000 unfinished handshakes, dropped");
  });

  describe("with handshakeTimeout: 1000", () => {
    const slow = useSecurityServer({ handshakeTimeout: 1_000 });

    it("rfc6455#section-4.2.1 a handshake sent one byte per 50 ms gets 408 or is closed within about 2 s", async () => {
      const client = await slow.open();
      const head = encoder.encode(
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
      );
      let answered = false;
      const response = client.readResponse().then(
        (r) => r,
        () => undefined,
      ).finally(() => answered = true);
      const started = performance.now();
      for (let i = 0; i < head.length && !answered && performance.now() - started < 3_000; i++) {
        if (!client.socket.destroyed) client.write(head.subarray(i, i + 1));
        await Promise.race([response, delay(50)]);
      }
      const result = await withTimeout(response, 3_000, "an answer to the slow handshake");
      const elapsed = performance.now() - started;
      expect([408, "closed"], "the answer").toContain(
        result === undefined ? "closed" : result.status,
      );
      expect(elapsed, "milliseconds until the answer").toBeLessThan(2_200);
      await withTimeout(client.ended, 5_000, "the server closes the connection");
      await expectServerAlive(slow.port);
    });
  });

  it("no unhandled rejection or uncaught exception reached the process", () => {
    expect(guard.records).toEqual([]);
  });
});
