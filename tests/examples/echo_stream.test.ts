// CLIENT-CONTRACT.md §2: `/stream` on examples/echo.ts, started as a child process the way a
// user starts it, on the runtime the suite runs under. A huge binary message sent in 1 MiB
// fragments comes back whole while the server's resident memory stays within 64 MiB of what it
// was before the message; text with invalid UTF-8 in its middle is closed with 1007 before the
// message's end is sent.
import { readFileSync } from "node:fs";
import process from "node:process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Opcode } from "../../src/protocol/opcode.ts";
import type { Connection } from "../../src/streams/connection.ts";
import { loadClient } from "../_helpers/client_for_runtime.ts";
import { type ExampleProcess, startExample } from "../_helpers/example_process.ts";
import { concatBytes, frame, fromHex, Op, Peer, utf8 } from "../_helpers/conformance_peer.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

const MiB = 1024 * 1024;
// The contract's 1 GiB: a few seconds on each runtime (WSFLOW_STREAM_BYTES sets another size).
const TOTAL = Number(process.env.WSFLOW_STREAM_BYTES ?? 1024 * MiB);
const RSS_BOUND = 64 * MiB;

/** The resident set of process `pid`, in bytes (Linux: VmRSS in /proc/<pid>/status). */
function rss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (match === null) throw new Error(`No VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}

/** One fragment's worth of bytes, each byte its fragment's index, so order shows. */
function* fragments(total: number): Generator<Uint8Array> {
  for (let sent = 0, index = 0; sent < total; sent += MiB, index++) {
    yield new Uint8Array(Math.min(MiB, total - sent)).fill(index & 0xff);
  }
}

/** Sends `total` bytes as one streamed binary message and reads the echo concurrently. */
async function echoOnce(ws: Connection, total: number): Promise<void> {
  const echoes = ws.messageStreams();
  const sending = ws.sendStream(
    (async function* () {
      yield* fragments(total);
    })(),
    Opcode.Binary,
  );
  const { value: message, done } = await echoes.next();
  expect(done).toBe(false);
  expect(message!.opcode).toBe(Opcode.Binary);
  let received = 0;
  let misplaced = 0;
  for await (const chunk of message!.readable) {
    // Every chunk's first byte must be the index of the fragment it came from.
    if (chunk[0] !== (Math.floor(received / MiB) & 0xff)) misplaced++;
    received += chunk.length;
  }
  await sending;
  expect(received).toBe(total);
  expect(misplaced).toBe(0);
}

/**
 * Reads frames until the Close: echoed fragments of the message may come first (the echo
 * starts while the message arrives), nothing else may. Returns the close code.
 */
async function closeCodeAfterEcho(peer: Peer): Promise<number> {
  while (true) {
    const f = await peer.next("the Close frame");
    if (f === undefined) throw new Error("TCP ended before a Close frame");
    if (f.opcode === Op.Close) return (f.payload[0]! << 8) | f.payload[1]!;
    expect([Op.Text, Op.Continuation], "only the echo's fragments come first").toContain(f.opcode);
    expect(f.fin, "the echo of an unfinished message is unfinished").toBe(false);
  }
}

describe("examples/echo.ts /stream (CLIENT-CONTRACT.md §2)", () => {
  let server: ExampleProcess;
  let base: string;

  beforeAll(async () => {
    server = await startExample("examples/echo.ts", { PORT: "0" });
    base = server.urls[0]!;
  });

  afterAll(async () => {
    await server?.stop();
  });

  let growth: { before: number; peak: number } | undefined;

  it(`echoes a ${TOTAL / MiB} MiB binary message in 1 MiB fragments while it arrives, measuring the server's RSS`, async () => {
    const { connect } = await loadClient();
    const ws = await connect(`${base}/stream`, {
      streaming: { maxMessageSize: TOTAL + MiB },
      heartbeatInterval: 0,
    });
    const pid = server.child.pid!;
    // A first message warms up the server (code paths compiled, buffers grown) before the
    // baseline is taken.
    await withTimeout(echoOnce(ws, 32 * MiB), 10_000, "the warm-up message");
    const before = rss(pid);
    let peak = before;
    const timer = setInterval(() => {
      peak = Math.max(peak, rss(pid));
    }, 20);
    try {
      await withTimeout(echoOnce(ws, TOTAL), 25_000, "the echo of the large message");
    } finally {
      clearInterval(timer);
    }
    peak = Math.max(peak, rss(pid));
    growth = { before, peak };
    expect((await ws.close(1000)).code).toBe(1000);
  });

  // rfc6455#section-5.4 (fragments) with CLIENT-CONTRACT.md §2's bound: the server reads its
  // socket into buffers it reuses and echoes through buffers of its own (BYOB), so the gigabyte
  // leaves next to no garbage behind on any runtime.
  it(
    "the server's RSS stays within 64 MiB of before",
    () => {
      expect(growth, "the echo above did not run").toBeDefined();
      const { before, peak } = growth!;
      expect(
        peak - before,
        `RSS grew from ${(before / MiB).toFixed(1)} MiB to ${(peak / MiB).toFixed(1)} MiB`,
      ).toBeLessThan(RSS_BOUND);
    },
  );

  it("starts the echo while the message arrives: a first fragment comes back before the rest is sent", async () => {
    const peer = await Peer.connect(Number(new URL(base).port), "/stream");
    const first = new Uint8Array(4096).fill(7);
    peer.sendFrame(Op.Binary, first, { fin: false });
    let echoed = 0;
    while (echoed < first.length) {
      const f = await peer.next("the echo of the first fragment");
      expect(f?.opcode).toBe(echoed === 0 ? Op.Binary : Op.Continuation);
      expect(f?.fin).toBe(false);
      echoed += f!.payload.length;
    }
    expect(echoed).toBe(first.length);
    peer.sendFrame(Op.Continuation, new Uint8Array(10).fill(8));
    let rest = 0;
    while (true) {
      const f = await peer.next("the rest of the echo");
      rest += f!.payload.length;
      if (f!.fin) break;
    }
    expect(rest).toBe(10);
  });

  it("rfc6455#section-8.1 closes text with invalid UTF-8 in a middle fragment with 1007 before the message's end is sent", async () => {
    const peer = await Peer.connect(Number(new URL(base).port), "/stream");
    peer.sendFrame(Op.Text, utf8("κόσμε ".repeat(1000)), { fin: false });
    peer.sendFrame(Op.Continuation, concatBytes(utf8("valid "), fromHex("ed a0 80"), utf8("x")), {
      fin: false,
    });
    // The final fragment is never sent.
    expect(await closeCodeAfterEcho(peer)).toBe(1007);
  });

  it("rfc6455#section-8.1 closes text with invalid UTF-8 in the middle of one frame with 1007 before the frame's end is sent (Autobahn 6.4.3)", async () => {
    const peer = await Peer.connect(Number(new URL(base).port), "/stream");
    const valid = utf8("κόσμε ".repeat(10_000));
    // One 1 MiB text frame; only its head, up to just past F4 90 (never valid), is sent.
    const payload = new Uint8Array(MiB).fill(0x61);
    payload.set(valid);
    payload.set(fromHex("f4 90 80 80"), valid.length);
    const wire = frame(Op.Text, payload);
    const header = wire.length - payload.length;
    peer.write(wire.subarray(0, header + valid.length));
    await new Promise((resolve) => setTimeout(resolve, 50));
    peer.write(wire.subarray(header + valid.length, header + valid.length + 2));
    expect(await closeCodeAfterEcho(peer)).toBe(1007);
  });
});
