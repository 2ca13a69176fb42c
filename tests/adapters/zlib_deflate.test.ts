// The node:zlib permessage-deflate engine, on Deno, Bun and Node alike: round trips up to
// 16 MiB, decompression bombs, corrupt and BFINAL-ended data, close, ordering, the process-wide
// concurrency limit and pools, and interop with ws's own PerMessageDeflate both ways for every
// window size and context takeover combination.
import fc from "fast-check";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import {
  createZlibDeflateEngine,
  DEFAULT_ZLIB_CONCURRENCY,
  type MessageDeflater,
  type MessageInflater,
  setZlibConcurrency,
  zlibDeflateEngine,
  zlibQueueState,
} from "../../src/adapters/zlib_deflate.ts";
import {
  InvalidPayloadError,
  MessageTooBigError,
  WebSocketError,
} from "../../src/protocol/errors.ts";
import type { Role } from "../../src/protocol/frame.ts";
import { parseExtensionList } from "../../src/protocol/header_lists.ts";
import type {
  DeflateParams,
  PerMessageDeflateOptions,
} from "../../src/protocol/permessage_deflate.ts";
import {
  acceptServerResponse,
  buildClientOffer,
} from "../../src/protocol/permessage_deflate_client.ts";
import { negotiateServer } from "../../src/protocol/permessage_deflate_server.ts";
import { runtime } from "../_helpers/adapter_for_runtime.ts";
import { bytesDiff } from "../_helpers/bytes.ts";
import { concat, hex } from "../_helpers/hex.ts";

const KIB = 1024;
const MIB = 1024 * KIB;
const TAIL = new Uint8Array([0x00, 0x00, 0xff, 0xff]);
const ROLES: Role[] = ["server", "client"];

function params(overrides: Partial<DeflateParams> = {}): DeflateParams {
  return {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
    ...overrides,
  };
}

function peerOf(role: Role): Role {
  return role === "server" ? "client" : "server";
}

/** A pair of codecs talking from `role` to its peer. */
function link(p: DeflateParams, role: Role): { out: MessageDeflater; in: MessageInflater } {
  return {
    out: zlibDeflateEngine.deflater(p, role),
    in: zlibDeflateEngine.inflater(p, peerOf(role)),
  };
}

function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += 65536) {
    crypto.getRandomValues(out.subarray(offset, Math.min(length, offset + 65536)));
  }
  return out;
}

/** JSON-like text: records with repeating keys and varying values. */
function jsonLike(length: number, seed = 1): Uint8Array {
  let state = seed;
  const next = (): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0);
  const parts: string[] = [];
  let size = 0;
  while (size < length) {
    const part = `{"id":${next() % 100000},"user":"user${next() % 500}","active":${
      next() % 2 === 0
    },"score":${(next() % 10000) / 100},"tags":["t${next() % 40}","t${next() % 40}"]},`;
    parts.push(part);
    size += part.length;
  }
  return new TextEncoder().encode(parts.join("")).subarray(0, length);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("Expected a rejection, the promise fulfilled");
}

function stoppedAt(error: unknown): number {
  const match = /stopped at (\d+)/.exec((error as Error).message);
  if (match === null) throw new Error(`No "stopped at" in ${String(error)}`);
  return Number(match[1]);
}

describe("round trips", () => {
  const sizes = [1, 1000, 64 * KIB, MIB, 16 * MIB];
  for (const role of ROLES) {
    for (const size of sizes) {
      for (const [kind, make] of [["JSON-like", jsonLike], ["random", randomBytes]] as const) {
        it(`${role} → ${peerOf(role)}: ${size} bytes of ${kind} data`, async () => {
          const data = make(size);
          const { out, in: inflater } = link(params(), role);
          const payload = await out.compress(data);
          if (kind === "JSON-like" && size >= 64 * KIB) {
            expect(payload.length).toBeLessThan(size / 3);
          }
          // The limit is inclusive: exactly the message's size is allowed.
          expect(bytesDiff(await inflater.decompress(payload, size), data)).toBe("");
          out.close();
          inflater.close();
        });
      }
    }
  }

  it("keeps messages apart and in order when calls are not awaited", async () => {
    const { out, in: inflater } = link(params(), "server");
    const messages = [jsonLike(5000, 1), jsonLike(70_000, 2), new Uint8Array(0), jsonLike(5000, 1)];
    const payloads = await Promise.all(messages.map((message) => out.compress(message)));
    const back = await Promise.all(payloads.map((payload) => inflater.decompress(payload, MIB)));
    back.forEach((bytes, i) => expect(bytesDiff(bytes, messages[i]!)).toBe(""));
    out.close();
    inflater.close();
  });

  it("takes views into larger buffers and returns plain Uint8Arrays of their own", async () => {
    const big = jsonLike(10_000);
    const view = big.subarray(1000, 9000);
    const { out, in: inflater } = link(params(), "client");
    const payload = await out.compress(view);
    expect(Object.getPrototypeOf(payload)).toBe(Uint8Array.prototype);
    const framed = new Uint8Array(payload.length + 20);
    framed.set(payload, 10);
    const back = await inflater.decompress(framed.subarray(10, 10 + payload.length), MIB);
    expect(Object.getPrototypeOf(back)).toBe(Uint8Array.prototype);
    expect(back.byteOffset).toBe(0);
    expect(back.buffer.byteLength).toBe(back.length);
    expect(bytesDiff(back, view)).toBe("");
    out.close();
    inflater.close();
  });
});

describe("context takeover", () => {
  for (const role of ROLES) {
    it(`${role}: a repeated message compresses to a fraction with context takeover`, async () => {
      const message = jsonLike(10_000, 3);
      const { out, in: inflater } = link(params(), role);
      const first = await out.compress(message);
      const second = await out.compress(message);
      expect(second.length).toBeLessThan(first.length / 10);
      expect(bytesDiff(await inflater.decompress(first, MIB), message)).toBe("");
      expect(bytesDiff(await inflater.decompress(second, MIB), message)).toBe("");
      out.close();
      inflater.close();
    });

    it(`${role}: without context takeover every message compresses alone`, async () => {
      const message = jsonLike(10_000, 3);
      const { out, in: inflater } = link(
        params({ serverNoContextTakeover: true, clientNoContextTakeover: true }),
        role,
      );
      const payloads = [];
      for (let i = 0; i < 4; i++) payloads.push(await out.compress(message));
      for (const payload of payloads) {
        expect(bytesDiff(payload, payloads[0]!)).toBe("");
        expect(bytesDiff(await inflater.decompress(payload, MIB), message)).toBe("");
      }
      out.close();
      inflater.close();
    });
  }
});

describe("decompression limits", () => {
  it("stops a 16 KiB bomb of 16 MiB of zeros within one chunk of a 1 MiB limit (1009)", async () => {
    const deflater = zlibDeflateEngine.deflater(params(), "client");
    const bomb = await deflater.compress(new Uint8Array(16 * MIB));
    deflater.close();
    expect(bomb.length).toBeLessThan(20 * KIB);
    const inflater = zlibDeflateEngine.inflater(params(), "server");
    const error = await rejection(inflater.decompress(bomb, MIB));
    expect(error).toBeInstanceOf(MessageTooBigError);
    expect((error as MessageTooBigError).closeCode).toBe(1009);
    expect(stoppedAt(error)).toBeGreaterThan(MIB);
    expect(stoppedAt(error)).toBeLessThan(2 * MIB);
    inflater.close();
  });

  it("stops a 1 MiB bomb of 1 GiB of zeros without inflating it", async () => {
    // Deflating 16 MiB of zeros a second time with context takeover gives the same ~16 KiB
    // each time; 64 of them joined by sync-flush tails are one message of 1 GiB.
    const deflater = zlibDeflateEngine.deflater(params(), "client");
    const zeros = new Uint8Array(16 * MIB);
    const first = await deflater.compress(zeros);
    const steady = await deflater.compress(zeros);
    expect(bytesDiff(await deflater.compress(zeros), steady)).toBe("");
    deflater.close();
    const parts = [first];
    for (let i = 1; i < 64; i++) parts.push(TAIL, steady);
    const bomb = concat(...parts);
    expect(bomb.length).toBeLessThan(1.5 * MIB);

    for (const maxBytes of [MIB, 16 * MIB]) {
      const inflater = zlibDeflateEngine.inflater(params(), "server");
      const error = await rejection(inflater.decompress(bomb, maxBytes));
      expect(error).toBeInstanceOf(MessageTooBigError);
      expect(stoppedAt(error)).toBeLessThan(maxBytes + 64 * KIB);
      inflater.close();
    }
  });

  it("stops a 22-byte bomb past a small limit", async () => {
    const deflater = zlibDeflateEngine.deflater(params(), "server");
    const bomb = await deflater.compress(new Uint8Array(4000));
    deflater.close();
    expect(bomb.length).toBeLessThanOrEqual(22);
    const inflater = zlibDeflateEngine.inflater(params(), "client");
    expect(await rejection(inflater.decompress(bomb, 1000))).toBeInstanceOf(MessageTooBigError);
    inflater.close();
    const roomy = zlibDeflateEngine.inflater(params(), "client");
    expect((await roomy.decompress(bomb, 4000)).length).toBe(4000);
    roomy.close();
  });

  for (const noTakeover of [false, true]) {
    it(`enforces the limit to the byte: limit-1, limit, limit+1, limit+2 (takeover: ${!noTakeover})`, async () => {
      const limit = 100_000;
      const p = params({
        serverNoContextTakeover: noTakeover,
        clientNoContextTakeover: noTakeover,
      });
      for (const size of [limit - 1, limit, limit + 1, limit + 2]) {
        const { out, in: inflater } = link(p, "server");
        const data = jsonLike(size, size);
        const payload = await out.compress(data);
        if (size <= limit) {
          expect(bytesDiff(await inflater.decompress(payload, limit), data)).toBe("");
        } else {
          const error = await rejection(inflater.decompress(payload, limit));
          expect(error).toBeInstanceOf(MessageTooBigError);
          expect((error as Error).message).toMatch(
            /^Cannot accept message: it inflates to more than 100000 bytes, stopped at \d+ \(rfc6455#section-10\.4\)$/,
          );
        }
        out.close();
        inflater.close();
      }
    });
  }

  it("a limit of 0 admits only the empty message", async () => {
    const inflater = zlibDeflateEngine.inflater(params(), "server");
    expect((await inflater.decompress(hex("00"), 0)).length).toBe(0);
    expect(await rejection(inflater.decompress(hex("f2 48 cd c9 c9 07 00"), 0)))
      .toBeInstanceOf(MessageTooBigError);
    inflater.close();
  });

  it("an inflater that hit its limit stays failed with the same error", async () => {
    const inflater = zlibDeflateEngine.inflater(params(), "server");
    const first = await rejection(inflater.decompress(hex("f2 48 cd c9 c9 07 00"), 2));
    expect(await rejection(inflater.decompress(hex("00"), 100))).toBe(first);
    inflater.close();
  });

  it("refuses a negative or NaN limit", async () => {
    const inflater = zlibDeflateEngine.inflater(params(), "server");
    expect(await rejection(inflater.decompress(hex("00"), -1))).toBeInstanceOf(RangeError);
    expect(await rejection(inflater.decompress(hex("00"), Number.NaN))).toBeInstanceOf(RangeError);
    // Not a failure of the inflater: it still works.
    expect(new TextDecoder().decode(await inflater.decompress(hex("f2 48 cd c9 c9 07 00"), 5)))
      .toBe("Hello");
    inflater.close();
  });
});

describe("corrupt and unusual DEFLATE data", () => {
  for (const noTakeover of [false, true]) {
    const p = params({ serverNoContextTakeover: noTakeover, clientNoContextTakeover: noTakeover });
    const label = noTakeover ? "without context takeover" : "with context takeover";

    it(`rejects invalid DEFLATE data with InvalidPayloadError (1007), ${label}`, async () => {
      for (const payload of ["ff ff ff ff", "07", "00 05 00 00 00 48 65 6c 6c 6f"]) {
        const inflater = zlibDeflateEngine.inflater(p, "server");
        const error = await rejection(inflater.decompress(hex(payload), MIB));
        expect(error).toBeInstanceOf(InvalidPayloadError);
        expect((error as InvalidPayloadError).closeCode).toBe(1007);
        expect((error as Error).message).toMatch(
          /^Cannot inflate message: the payload is not valid DEFLATE data, .+ \(rfc7692#section-7\.2\.2\)$/,
        );
        expect((error as Error).cause).toBeInstanceOf(Error);
        // It stays failed with the same error.
        expect(await rejection(inflater.decompress(hex("00"), MIB))).toBe(error);
        inflater.close();
      }
      // A broken stream never goes back to a pool: a fresh inflater works.
      const inflater = zlibDeflateEngine.inflater(p, "server");
      expect(new TextDecoder().decode(await inflater.decompress(hex("f2 48 cd c9 c9 07 00"), 5)))
        .toBe("Hello");
      inflater.close();
    });

    it(`rejects a back reference into nothing (distance too far back), ${label}`, async () => {
      const inflater = zlibDeflateEngine.inflater(p, "client");
      // The second "Hello" of rfc7692#section-7.2.3.2 on its own refers to a window it lacks.
      expect(await rejection(inflater.decompress(hex("f2 00 11 00 00"), MIB)))
        .toBeInstanceOf(InvalidPayloadError);
      inflater.close();
    });

    it(`takes a final block ending exactly at the tail, then starts the next message afresh, ${label}`, async () => {
      const inflater = zlibDeflateEngine.inflater(p, "server");
      // "Hello", a sync flush, then 01: a final stored block whose LEN and NLEN are the tail.
      const finalAtTail = hex("f2 48 cd c9 c9 07 00 00 00 ff ff 01");
      const hello = hex("f2 48 cd c9 c9 07 00");
      const decode = async (payload: Uint8Array) =>
        new TextDecoder().decode(await inflater.decompress(payload, 100));
      expect(await decode(finalAtTail)).toBe("Hello");
      expect(await decode(hello)).toBe("Hello");
      expect(await decode(finalAtTail)).toBe("Hello");
      expect(await decode(finalAtTail)).toBe("Hello");
      expect(await decode(hello)).toBe("Hello");
      inflater.close();
    });

    it(`ignores what follows a final block in the same message, ${label}`, async () => {
      const inflater = zlibDeflateEngine.inflater(p, "server");
      const decode = async (payload: string) =>
        new TextDecoder().decode(await inflater.decompress(hex(payload), 100));
      expect(await decode("f3 48 cd c9 c9 07 00 ff ff ff")).toBe("Hello");
      expect(await decode("f2 48 cd c9 c9 07 00")).toBe("Hello");
      inflater.close();
    });

    it(`takes an empty payload as the empty message, leaving the window alone, ${label}`, async () => {
      const deflater = zlibDeflateEngine.deflater(p, "client");
      const inflater = zlibDeflateEngine.inflater(p, "server");
      const message = jsonLike(3000);
      const first = await deflater.compress(message);
      const second = await deflater.compress(message);
      expect(bytesDiff(await inflater.decompress(first, MIB), message)).toBe("");
      expect((await inflater.decompress(new Uint8Array(0), MIB)).length).toBe(0);
      expect(bytesDiff(await inflater.decompress(second, MIB), message)).toBe("");
      deflater.close();
      inflater.close();
    });
  }
});

describe("random input", () => {
  it("random payloads inflate or fail with 1007 or 1009, never anything else", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 64 }), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        async (payloads, noTakeover) => {
          const inflater = zlibDeflateEngine.inflater(
            params({ serverNoContextTakeover: noTakeover, clientNoContextTakeover: noTakeover }),
            "client",
          );
          for (const payload of payloads) {
            try {
              expect(await inflater.decompress(payload, 4096)).toBeInstanceOf(Uint8Array);
            } catch (error) {
              expect(error).toBeInstanceOf(WebSocketError);
              expect([1007, 1009]).toContain((error as WebSocketError).closeCode);
              break;
            }
          }
          inflater.close();
        },
      ),
      { numRuns: 300 },
    );
  });

  it("many connections at once keep their messages apart, pooled streams included", async () => {
    const cases = Array.from({ length: 60 }, (_, i) => {
      const noTakeover = i % 3 === 0;
      const p = params({
        serverNoContextTakeover: noTakeover,
        clientNoContextTakeover: i % 2 === 0,
        serverMaxWindowBits: 8 + (i % 8),
        clientMaxWindowBits: 15 - (i % 8),
      });
      return { p, role: ROLES[i % 2]!, messages: [jsonLike(2000 + i * 100, i), jsonLike(50, i)] };
    });
    await Promise.all(cases.map(async ({ p, role, messages }) => {
      const { out, in: inflater } = link(p, role);
      for (let round = 0; round < 3; round++) {
        for (const message of messages) {
          const back = await inflater.decompress(await out.compress(message), MIB);
          expect(bytesDiff(back, message)).toBe("");
        }
      }
      out.close();
      inflater.close();
    }));
  });
});

/** Settles to "fulfilled" or the rejection's name. */
async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "fulfilled";
  } catch (error) {
    return error instanceof DOMException ? error.name : String(error);
  }
}

describe("close", () => {
  for (const noTakeover of [false, true]) {
    const p = params({ serverNoContextTakeover: noTakeover, clientNoContextTakeover: noTakeover });
    const label = noTakeover ? "without context takeover" : "with context takeover";

    it(`a deflater closed before its messages start rejects them with AbortError, ${label}`, async () => {
      const deflater = zlibDeflateEngine.deflater(p, "server");
      const calls = [deflater.compress(jsonLike(1000)), deflater.compress(jsonLike(1000))];
      deflater.close();
      deflater.close();
      expect(await Promise.all(calls.map(outcome))).toEqual(["AbortError", "AbortError"]);
      expect(await outcome(deflater.compress(jsonLike(10)))).toBe("AbortError");
    });

    it(`an inflater closed before its message starts rejects it with AbortError, ${label}`, async () => {
      const inflater = zlibDeflateEngine.inflater(p, "server");
      const call = inflater.decompress(hex("f2 48 cd c9 c9 07 00"), 100);
      inflater.close();
      expect(await outcome(call)).toBe("AbortError");
      expect(await outcome(inflater.decompress(hex("00"), 1))).toBe("AbortError");
    });

    // Node and Bun run zlib on a thread pool, so closing can interrupt a message; Deno runs it
    // on the main thread, where a message finishes before anything else can run.
    it(`a codec closed mid-message rejects it with AbortError where zlib runs off-thread, ${label}`, async () => {
      const big = jsonLike(8 * MIB);
      const deflater = zlibDeflateEngine.deflater(p, "client");
      const payload = await deflater.compress(big);
      const compressing = deflater.compress(big);
      const queued = deflater.compress(jsonLike(1000));
      const inflater = zlibDeflateEngine.inflater(p, "server");
      const inflating = inflater.decompress(payload, 16 * MIB);
      await new Promise((resolve) => setTimeout(resolve, 1));
      deflater.close();
      inflater.close();
      const outcomes = await Promise.all([compressing, queued, inflating].map(outcome));
      if (runtime === "deno") {
        for (const result of outcomes) expect(["fulfilled", "AbortError"]).toContain(result);
      } else {
        expect(outcomes).toEqual(["AbortError", "AbortError", "AbortError"]);
      }
      expect(await outcome(deflater.compress(big))).toBe("AbortError");
      expect(await outcome(inflater.decompress(payload, 16 * MIB))).toBe("AbortError");
    });
  }

  it("closing a codec that never ran is fine", () => {
    zlibDeflateEngine.deflater(params(), "server").close();
    zlibDeflateEngine.inflater(params(), "server").close();
  });
});

describe("process-wide concurrency", () => {
  it("runs at most the limit at once, queues the rest, and starts them when raised", async () => {
    setZlibConcurrency(2);
    try {
      const engine = createZlibDeflateEngine({ memLevel: 4 });
      const deflaters = Array.from({ length: 12 }, () => engine.deflater(params(), "server"));
      const data = jsonLike(MIB);
      let done = false;
      const all = Promise.all(deflaters.map((deflater) => deflater.compress(data))).finally(() => {
        done = true;
      });
      let maxRunning = 0;
      let maxWaiting = 0;
      let raised = false;
      while (!done) {
        const state = zlibQueueState();
        expect(state.running).toBeLessThanOrEqual(state.limit);
        maxRunning = Math.max(maxRunning, state.running);
        maxWaiting = Math.max(maxWaiting, state.waiting);
        if (!raised && state.waiting >= 4) {
          setZlibConcurrency(6);
          raised = true;
          // Raising the limit starts waiting work at once.
          expect(zlibQueueState().running).toBe(6);
        }
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      const payloads = await all;
      expect(maxRunning).toBeLessThanOrEqual(6);
      expect(maxWaiting).toBeGreaterThanOrEqual(4);
      expect(raised).toBe(true);
      const inflater = zlibDeflateEngine.inflater(params(), "client");
      expect(bytesDiff(await inflater.decompress(payloads[11]!, MIB), data)).toBe("");
      inflater.close();
      for (const deflater of deflaters) deflater.close();
      expect(zlibQueueState()).toMatchObject({ running: 0, waiting: 0 });
    } finally {
      setZlibConcurrency(DEFAULT_ZLIB_CONCURRENCY);
    }
  });

  it("keeps at most the limit of idle reset streams for directions without context takeover", async () => {
    // A memLevel no other test uses gives these deflaters a pool of their own.
    const engine = createZlibDeflateEngine({ memLevel: 2 });
    const p = params({ serverNoContextTakeover: true });
    const before = zlibQueueState().pooled;
    const deflaters = Array.from({ length: 40 }, () => engine.deflater(p, "server"));
    const message = jsonLike(20_000);
    const payloads = await Promise.all(deflaters.map((deflater) => deflater.compress(message)));
    const grown = zlibQueueState().pooled - before;
    expect(grown).toBeGreaterThanOrEqual(1);
    expect(grown).toBeLessThanOrEqual(DEFAULT_ZLIB_CONCURRENCY);
    // Borrowed streams were reset: every message came out the same.
    for (const payload of payloads) expect(bytesDiff(payload, payloads[0]!)).toBe("");
    // Another round reuses them instead of building more.
    await Promise.all(deflaters.map((deflater) => deflater.compress(message)));
    expect(zlibQueueState().pooled - before).toBe(grown);
    for (const deflater of deflaters) deflater.close();
  });

  it("refuses a limit that is not a positive integer", () => {
    for (const limit of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => setZlibConcurrency(limit)).toThrow(RangeError);
    }
    expect(zlibQueueState().limit).toBe(DEFAULT_ZLIB_CONCURRENCY);
  });
});

describe("options", () => {
  it("refuses out-of-range tuning", () => {
    for (
      const options of [{ level: 10 }, { level: -2 }, { memLevel: 0 }, { memLevel: 10 }, {
        chunkSize: 63,
      }, { level: 1.5 }]
    ) {
      expect(() => createZlibDeflateEngine(options)).toThrow(RangeError);
    }
  });

  it("refuses agreed windows outside 8..15", () => {
    for (const bits of [7, 16, 12.5]) {
      expect(() => zlibDeflateEngine.deflater(params({ serverMaxWindowBits: bits }), "server"))
        .toThrow(RangeError);
      expect(() => zlibDeflateEngine.inflater(params({ clientMaxWindowBits: bits }), "server"))
        .toThrow(RangeError);
    }
  });

  it("level 0 stores, level 9 squeezes", async () => {
    const data = jsonLike(100_000);
    const stored = await createZlibDeflateEngine({ level: 0 }).deflater(params(), "server")
      .compress(data);
    const small = await createZlibDeflateEngine({ level: 9 }).deflater(params(), "server")
      .compress(data);
    expect(stored.length).toBeGreaterThan(data.length);
    expect(small.length).toBeLessThan(data.length / 3);
  });
});

// -------------------------------------------------------------------------------------------
// Interop with ws's PerMessageDeflate (lib/permessage-deflate.js), loaded by file path since
// the package exports only its entry point.

type WsParams = Record<string, (string | true)[]>;
interface WsPerMessageDeflate {
  offer(): Record<string, string | number | true>;
  accept(configurations: WsParams[]): Record<string, string | number | true>;
  compress(
    data: Uint8Array,
    fin: boolean,
    callback: (error: Error | null, data: Uint8Array) => void,
  ): void;
  decompress(
    data: Uint8Array,
    fin: boolean,
    callback: (error: Error | null, data: Uint8Array) => void,
  ): void;
  cleanup(): void;
}
interface WsExtension {
  parse(header: string): Record<string, WsParams[]>;
  format(extensions: Record<string, unknown>): string;
}

const require = createRequire(import.meta.url);
const wsDir = require.resolve("ws/package.json").replace(/package\.json$/, "");
const WsPerMessageDeflate = require(`${wsDir}lib/permessage-deflate.js`) as new (
  options: Record<string, unknown>,
) => WsPerMessageDeflate;
const wsExtension = require(`${wsDir}lib/extension.js`) as WsExtension;

function wsCompress(ws: WsPerMessageDeflate, data: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) =>
    ws.compress(data, true, (error, out) => (error ? reject(error) : resolve(out)))
  );
}

function wsDecompress(ws: WsPerMessageDeflate, data: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) =>
    ws.decompress(data, true, (error, out) => (error ? reject(error) : resolve(out)))
  );
}

/** Three messages that reach far back, into each other, and repeat. */
function interopMessages(seed: number): Uint8Array[] {
  const a = jsonLike(40_000, seed);
  return [a, jsonLike(3000, seed + 1), a];
}

async function exchange(
  ours: { deflater: MessageDeflater; inflater: MessageInflater },
  ws: WsPerMessageDeflate,
  seed: number,
): Promise<void> {
  for (const message of interopMessages(seed)) {
    const fromUs = await ours.deflater.compress(message);
    expect(bytesDiff(await wsDecompress(ws, fromUs), message)).toBe("");
    const fromWs = await wsCompress(ws, message);
    expect(bytesDiff(await ours.inflater.decompress(fromWs, MIB), message)).toBe("");
  }
}

const TAKEOVERS = [
  { serverNoContextTakeover: false, clientNoContextTakeover: false },
  { serverNoContextTakeover: true, clientNoContextTakeover: false },
  { serverNoContextTakeover: false, clientNoContextTakeover: true },
  { serverNoContextTakeover: true, clientNoContextTakeover: true },
];

describe("interop with ws's PerMessageDeflate", () => {
  for (const takeover of TAKEOVERS) {
    const label = `server_no_context_takeover ${takeover.serverNoContextTakeover}, ` +
      `client_no_context_takeover ${takeover.clientNoContextTakeover}`;

    it(`ws client offer → wsflow server, every window pair, ${label}`, async () => {
      for (let serverBits = 8; serverBits <= 15; serverBits++) {
        for (let clientBits = 8; clientBits <= 15; clientBits++) {
          const wsClient = new WsPerMessageDeflate({
            ...takeover,
            serverMaxWindowBits: serverBits,
            clientMaxWindowBits: clientBits,
          });
          const offer = wsExtension.format({ "permessage-deflate": [wsClient.offer()] });
          const negotiated = negotiateServer(parseExtensionList(offer), {});
          expect(negotiated).toBeDefined();
          const accepted = wsClient.accept(
            wsExtension.parse(negotiated!.response)["permessage-deflate"]!,
          );
          expect(Number(accepted["server_max_window_bits"])).toBe(serverBits);
          expect(negotiated!.params).toEqual({
            ...takeover,
            serverMaxWindowBits: serverBits,
            clientMaxWindowBits: clientBits,
          });
          const ours = {
            deflater: zlibDeflateEngine.deflater(negotiated!.params, "server"),
            inflater: zlibDeflateEngine.inflater(negotiated!.params, "server"),
          };
          await exchange(ours, wsClient, serverBits * 16 + clientBits);
          ours.deflater.close();
          ours.inflater.close();
          wsClient.cleanup();
        }
      }
    });

    it(`wsflow client offer → ws server, every window pair, ${label}`, async () => {
      for (let serverBits = 8; serverBits <= 15; serverBits++) {
        for (let clientBits = 8; clientBits <= 15; clientBits++) {
          const options: PerMessageDeflateOptions = {
            ...takeover,
            serverMaxWindowBits: serverBits,
            clientMaxWindowBits: clientBits,
          };
          const wsServer = new WsPerMessageDeflate({ isServer: true });
          const offers = wsExtension.parse(buildClientOffer(options))["permessage-deflate"]!;
          const response = wsExtension.format({ "permessage-deflate": [wsServer.accept(offers)] });
          const agreed = acceptServerResponse(parseExtensionList(response), options);
          expect(agreed).toEqual({
            ...takeover,
            serverMaxWindowBits: serverBits,
            clientMaxWindowBits: clientBits,
          });
          const ours = {
            deflater: zlibDeflateEngine.deflater(agreed, "client"),
            inflater: zlibDeflateEngine.inflater(agreed, "client"),
          };
          await exchange(ours, wsServer, serverBits * 16 + clientBits + 1000);
          ours.deflater.close();
          ours.inflater.close();
          wsServer.cleanup();
        }
      }
    });
  }

  it("a ws server configured with small windows and no takeover, against wsflow's default offer", async () => {
    const wsServer = new WsPerMessageDeflate({
      isServer: true,
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
      serverMaxWindowBits: 9,
      clientMaxWindowBits: 10,
    });
    const offers = wsExtension.parse(buildClientOffer({}))["permessage-deflate"]!;
    const response = wsExtension.format({ "permessage-deflate": [wsServer.accept(offers)] });
    const agreed = acceptServerResponse(parseExtensionList(response), {});
    expect(agreed).toEqual({
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
      serverMaxWindowBits: 9,
      clientMaxWindowBits: 10,
    });
    const ours = {
      deflater: zlibDeflateEngine.deflater(agreed, "client"),
      inflater: zlibDeflateEngine.inflater(agreed, "client"),
    };
    await exchange(ours, wsServer, 77);
    ours.deflater.close();
    ours.inflater.close();
    wsServer.cleanup();
  });
});
