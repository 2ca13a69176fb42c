// A peer that stops reading, against a real server on this runtime's adapter. While the handler
// keeps sending, `send` must wait for the socket (README: "while the peer does not read, send
// waits"), so the handler's send count stalls and the process does not buffer what the peer
// refuses to read; afterwards the handler's pending send must end (the peer is gone). While the
// peer keeps sending pings, the pongs it does not read must not pile up in the server either
// (the server answers every ping, rfc6455#section-5.5.2, so it must stop reading or give up).
// After each case a fresh client still gets an echo.
import type { Socket } from "node:net";
import { describe, expect, it } from "vitest";
import type { WebSocketHandler } from "../../src/router/handler.ts";
import { concatBytes, frame, Op } from "../_helpers/conformance_peer.ts";
import { echoHandler, echoHooks } from "../_helpers/echo_server.ts";
import {
  expectBoundedMemory,
  expectServerAlive,
  KiB,
  MiB,
  rss,
  useCrashGuard,
  useSecurityServer,
} from "../_helpers/security_harness.ts";
import { delay, withTimeout } from "../_helpers/with_timeout.ts";

const CHUNK = 64 * KiB;
// If send() did not wait, the handler would queue this many fresh 64 KiB messages (1 GiB),
// far past the memory bound, and its count would reach this number.
const MAX_SENDS = 16_384;

interface Flood {
  sends: number;
  finished: boolean;
  error: unknown;
}

const flood: Flood = { sends: 0, finished: false, error: undefined };

// "/flood" sends fresh, filled 64 KiB messages as fast as send() lets it; every other path echoes.
const handler: WebSocketHandler = async (ws, context) => {
  if (new URL(context.request.url).pathname !== "/flood") return await echoHandler(ws, context);
  try {
    while (flood.sends < MAX_SENDS) {
      await ws.send(new Uint8Array(CHUNK).fill(0x5a));
      flood.sends++;
    }
  } catch (error) {
    flood.error = error;
  } finally {
    flood.finished = true;
  }
};

/**
 * Writes `batch` over and over for up to `maxMs` (or 400 MiB), each time only once the socket
 * has drained, so this client buffers at most one batch: once the server stops reading, the
 * writes stop being taken. Returns the bytes the server took.
 */
async function floodWhileTaken(socket: Socket, batch: Uint8Array, maxMs: number): Promise<number> {
  let sent = 0;
  const started = performance.now();
  while (sent < 400 * MiB && performance.now() - started < maxMs && !socket.destroyed) {
    if (socket.writableLength > 0) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          socket.off("drain", done);
          resolve();
        };
        const timer = setTimeout(done, 250);
        socket.on("drain", done);
      });
      continue;
    }
    socket.write(batch);
    sent += batch.length;
  }
  return sent;
}

/** Samples `read` every 100 ms until it stops changing for `stableMs` (or `maxMs` pass). */
async function settle(read: () => number, stableMs: number, maxMs: number): Promise<number> {
  const started = performance.now();
  let value = read();
  let since = performance.now();
  while (performance.now() - started < maxMs) {
    await delay(100);
    const next = read();
    if (next !== value) {
      value = next;
      since = performance.now();
    } else if (performance.now() - since >= stableMs) break;
  }
  return value;
}

describe("security: a peer that stops reading (default options)", () => {
  const guard = useCrashGuard();
  const target = useSecurityServer({}, handler);

  it("rfc6455#section-10.4 send() waits while the peer does not read: the handler's sends stall and memory stays bounded", async () => {
    const before = rss();
    const peer = await target.connect("/flood");
    peer.raw.socket.pause(); // read nothing more: TCP fills up, then the server's socket
    const stalled = await settle(() => flood.sends, 500, 8_000);
    expect(flood.finished, "the handler sent everything: send() never waited").toBe(false);
    // Loopback buffers and the streams between the handler and the socket hold some messages;
    // a thousand (64 MiB) would mean send() was not waiting for the socket.
    expect(stalled, "messages sent while the peer read nothing").toBeLessThan(1_024);
    await delay(500);
    expect(flood.sends - stalled, "messages sent in the next 500 ms").toBeLessThanOrEqual(1);
    expectBoundedMemory(
      before,
      `${stalled} messages (${
        (stalled * CHUNK / MiB).toFixed(1)
      } MiB) sent to a peer that reads nothing`,
    );

    peer.destroy();
    await withTimeout(
      (async () => {
        while (!flood.finished) await delay(20);
      })(),
      15_000,
      "the flooding handler's pending send() to end once the peer is gone",
    );
    expect(flood.error, "the pending send() rejects once the peer is gone").toBeDefined();
    await expectServerAlive(target.port);
  });

  it("rfc6455#section-5.5.2 a ping flood from a peer that reads nothing does not make the server buffer a pong per ping without bound", async () => {
    const before = rss();
    const peer = await target.connect();
    peer.raw.socket.pause(); // never read a pong
    // 8000 masked pings of 125 bytes (zero mask key) per write: 1 MiB.
    const batch = new Uint8Array(131 * 8_000);
    for (let i = 0; i < 8_000; i++) batch.set([0x80 | Op.Ping, 0x80 | 125], i * 131);
    const started = performance.now();
    const sent = await floodWhileTaken(peer.raw.socket, batch, 6_000);
    await delay(200);
    const grown = rss() - before;
    const what = `${(sent / MiB).toFixed(0)} MiB of pings in ` +
      `${((performance.now() - started) / 1000).toFixed(1)} s grew the process by ` +
      `${(grown / MiB).toFixed(0)} MiB`;
    expectBoundedMemory(before, what);
    // On a slower machine fewer pings go out: buffering half their size is already too much.
    if (sent > 64 * MiB) expect(grown, what).toBeLessThan(sent / 2);
    peer.destroy();
    await expectServerAlive(target.port);
  });

  it("no unhandled rejection or uncaught exception reached the process", () => {
    expect(guard.records).toEqual([]);
  });
});

describe("security: a peer that sends and never reads, to an echo served by message hooks", () => {
  const guard = useCrashGuard();
  const target = useSecurityServer({}, echoHooks);

  it("rfc6455#section-10.4 the hook's pending send holds the next message back, the server stops reading, and memory stays bounded", async () => {
    const before = rss();
    const peer = await target.connect();
    peer.raw.socket.pause(); // never read an echo
    // 16 masked 64 KiB binary messages per write: 1 MiB.
    const message = frame(Op.Binary, new Uint8Array(CHUNK).fill(0x33), { mask: true });
    const batch = concatBytes(...Array.from({ length: 16 }, () => message));
    const started = performance.now();
    const sent = await floodWhileTaken(peer.raw.socket, batch, 4_000);
    await delay(200);
    const what = `${(sent / MiB).toFixed(0)} MiB taken from a peer that reads no echo in ` +
      `${((performance.now() - started) / 1000).toFixed(1)} s`;
    // What the server took is its 64 KiB of waiting messages, the echo it cannot send, and the
    // loopback buffers both ways; a server that read on would have taken hundreds of MiB.
    expect(sent, what).toBeLessThan(32 * MiB);
    expectBoundedMemory(before, what);
    peer.destroy();
    await expectServerAlive(target.port);
  });

  it("no unhandled rejection or uncaught exception reached the process", () => {
    expect(guard.records).toEqual([]);
  });
});
