// Frame lengths and fragment counts, sent by a hostile client to a real server on this
// runtime's adapter over loopback, with the echo handler and the default limits (anchors.md
// section 4: ws NSP-120, gorilla CVE-2020-27813, websocket-driver's length precision loss, ws
// GHSA-96hv-2xvq-fx4p fragment floods). Each case checks the close code the RFC asks for, that
// it came without any payload sent, that the process did not grow, and that a fresh client
// still gets an echo.
import { describe, expect, it } from "vitest";
import { Op } from "../_helpers/conformance_peer.ts";
import {
  expectBoundedMemory,
  expectCloseFrame,
  expectServerAlive,
  headerOnly,
  MiB,
  rss,
  useCrashGuard,
  useSecurityServer,
} from "../_helpers/security_harness.ts";

/** `count` masked one-byte fragments of one binary message, none with FIN, in one buffer. */
function fragmentFlood(count: number): Uint8Array {
  const out = new Uint8Array(count * 7);
  for (let i = 0; i < count; i++) {
    const at = i * 7;
    out[at] = i === 0 ? Op.Binary : Op.Continuation; // FIN clear on every fragment
    out[at + 1] = 0x80 | 1;
    out.set([0x0f, 0x1e, 0x2d, 0x3c], at + 2);
    out[at + 6] = 0x61 ^ 0x0f;
  }
  return out;
}

const LENGTH_CASES: { name: string; length: bigint; code: number; rule: string }[] = [
  { name: "2^63 (the top bit set)", length: 1n << 63n, code: 1002, rule: "rfc6455#section-5.2" },
  { name: "2^64 - 1", length: (1n << 64n) - 1n, code: 1002, rule: "rfc6455#section-5.2" },
  { name: "2^63 - 1", length: (1n << 63n) - 1n, code: 1009, rule: "rfc6455#section-10.4" },
  { name: "2^53 + 1", length: (1n << 53n) + 1n, code: 1009, rule: "rfc6455#section-10.4" },
  { name: "2^53", length: 1n << 53n, code: 1009, rule: "rfc6455#section-10.4" },
  { name: "2^53 - 1", length: (1n << 53n) - 1n, code: 1009, rule: "rfc6455#section-10.4" },
  { name: "2^32", length: 1n << 32n, code: 1009, rule: "rfc6455#section-10.4" },
  { name: "16 MiB + 1", length: BigInt(16 * MiB + 1), code: 1009, rule: "rfc6455#section-10.4" },
];

describe("security: frame lengths and fragment counts (default limits)", () => {
  const guard = useCrashGuard();
  const target = useSecurityServer();

  for (const { name, length, code, rule } of LENGTH_CASES) {
    for (const split of [false, true]) {
      it(
        `${rule} a frame header announcing ${name} bytes gets ${code} before any payload${
          split ? " (header sent one byte at a time)" : ""
        }`,
        async () => {
          const before = rss();
          const peer = await target.connect();
          const header = headerOnly(0x80 | Op.Binary, length);
          const started = performance.now();
          if (split) await peer.writePieces(Array.from(header, (b) => new Uint8Array([b])), 1);
          else peer.write(header);
          await expectCloseFrame(peer, code, started);
          expectBoundedMemory(before, `a header announcing ${name} bytes`);
          await expectServerAlive(target.port);
        },
      );
    }
  }

  it("rfc6455#section-10.4 a text frame header announcing 16 MiB + 1 bytes gets 1009 before any payload", async () => {
    const peer = await target.connect();
    const started = performance.now();
    peer.write(headerOnly(0x80 | Op.Text, BigInt(16 * MiB + 1)));
    await expectCloseFrame(peer, 1009, started);
    await expectServerAlive(target.port);
  });

  it("rfc6455#section-10.4 fragments adding up to more than 16 MiB get 1009 at the header of the fragment that crosses it", async () => {
    const before = rss();
    const peer = await target.connect();
    const first = new Uint8Array(10 + 4 + 9 * MiB);
    first.set(headerOnly(Op.Binary, BigInt(9 * MiB))); // FIN clear, zero mask key below
    first.set([0, 0, 0, 0], 10);
    peer.write(first);
    const started = performance.now();
    peer.write(headerOnly(Op.Continuation, BigInt(8 * MiB))); // 17 MiB in all
    await expectCloseFrame(peer, 1009, started);
    expectBoundedMemory(before, "two fragments of 9 and 8 MiB");
    await expectServerAlive(target.port);
  });

  it("rfc6455#section-10.4 100,000 one-byte fragments without FIN get 1009 at the default maxFragments (4096), quickly", async () => {
    const before = rss();
    const peer = await target.connect();
    const flood = fragmentFlood(100_000);
    const started = performance.now();
    peer.write(flood);
    const elapsed = await expectCloseFrame(peer, 1009, started);
    expect(elapsed, "milliseconds until the Close frame").toBeLessThan(3_000);
    expectBoundedMemory(before, "100,000 one-byte fragments");
    await expectServerAlive(target.port);
  });

  it("no unhandled rejection or uncaught exception reached the process", () => {
    expect(guard.records).toEqual([]);
  });
});
