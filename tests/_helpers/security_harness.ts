// Shared pieces of tests/security/: a real server on the current runtime's adapter over
// loopback, a guard that records any unhandled rejection or uncaught exception while a file
// runs, process memory, and the byte-level attacks several files send. Every wait is bounded.
import process from "node:process";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import type { ListenOptions } from "../../src/server/listener.ts";
import type { MessageHooks, WebSocketHandler } from "../../src/router/handler.ts";
import type { ServeOptions, Server } from "../../src/server/options.ts";
import { runtime, serveForRuntime } from "./adapter_for_runtime.ts";
import { Op, Peer, utf8 } from "./conformance_peer.ts";
import { echoHandler } from "./echo_server.ts";
import { RawClient, type RawResponse } from "./raw_client.ts";
import { delay, withTimeout } from "./with_timeout.ts";

export const KiB: number = 1024;
export const MiB: number = 1024 * KiB;

/** Generous bound on how much the process may grow during one attack. */
export const MAX_RSS_GROWTH: number = 200 * MiB;

/** Resident set size of this process (server and attacking clients share it). */
export function rss(): number {
  return runtime === "deno" ? Deno.memoryUsage().rss : process.memoryUsage().rss;
}

/** Asserts the process grew by less than `MAX_RSS_GROWTH` since `before`. */
export function expectBoundedMemory(before: number, what: string): void {
  const grown = rss() - before;
  expect(
    grown,
    `${what}: RSS grew by ${(grown / MiB).toFixed(1)} MiB, bound ${MAX_RSS_GROWTH / MiB} MiB`,
  ).toBeLessThan(MAX_RSS_GROWTH);
}

function describeThrown(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  return String(value);
}

/** What reached the process's last-resort handlers while a file ran. */
export interface CrashGuard {
  readonly records: string[];
}

/**
 * Records every unhandled rejection and uncaught exception from the first test of the enclosing
 * `describe` to its end, instead of letting it end the process; the file asserts at its end that
 * there were none. Node and Bun: `process` events. Deno: `unhandledrejection` and `error` events
 * on `globalThis`, with `preventDefault` so Deno does not exit. (`bun test` and `deno test` also
 * fail the running test on such an error themselves; vitest reports it as an unhandled error.)
 */
export function useCrashGuard(): CrashGuard {
  const guard: CrashGuard = { records: [] };
  let uninstall: () => void = () => {};
  beforeAll(() => {
    uninstall = install(guard.records);
  });
  afterAll(() => uninstall());
  return guard;
}

function install(records: string[]): () => void {
  if (runtime === "deno") {
    const onRejection = (event: PromiseRejectionEvent): void => {
      event.preventDefault();
      records.push(`unhandled rejection: ${describeThrown(event.reason)}`);
    };
    const onError = (event: ErrorEvent): void => {
      event.preventDefault();
      records.push(`uncaught exception: ${describeThrown(event.error ?? event.message)}`);
    };
    globalThis.addEventListener("unhandledrejection", onRejection);
    globalThis.addEventListener("error", onError);
    return () => {
      globalThis.removeEventListener("unhandledrejection", onRejection);
      globalThis.removeEventListener("error", onError);
    };
  }
  const onRejection = (reason: unknown): void => {
    records.push(`unhandled rejection: ${describeThrown(reason)}`);
  };
  const onException = (error: unknown): void => {
    records.push(`uncaught exception: ${describeThrown(error)}`);
  };
  process.on("unhandledRejection", onRejection);
  process.on("uncaughtException", onException);
  return () => {
    process.off("unhandledRejection", onRejection);
    process.off("uncaughtException", onException);
  };
}

/** A server for one test file, and the raw clients its tests open (dropped after each test). */
export interface SecurityTarget {
  readonly port: number;
  /** Registers a raw client to be destroyed after the current test. */
  track<T extends RawClient | Peer>(client: T): T;
  /** Opens a raw TCP connection (no handshake yet). */
  open(): Promise<RawClient>;
  /** Opens a connection and completes the opening handshake (101 asserted). */
  connect(path?: string): Promise<Peer>;
}

/**
 * Starts a server on 127.0.0.1 and a free port before the enclosing `describe`'s tests, with the
 * echo handler and default limits unless told otherwise, and stops it after them.
 */
export function useSecurityServer(
  options: ServeOptions = {},
  handler: WebSocketHandler | MessageHooks = echoHandler,
): SecurityTarget {
  let server: Server | undefined;
  const clients = new Set<RawClient | Peer>();
  beforeAll(async () => {
    server = await serveForRuntime(
      handler,
      {
        ...options,
        hostname: "127.0.0.1",
        port: 0,
      } as ServeOptions & ListenOptions,
    );
  });
  afterEach(() => {
    for (const client of clients) client instanceof Peer ? client.destroy() : client.close();
    clients.clear();
  });
  afterAll(async () => {
    await server?.close();
  });
  const target: SecurityTarget = {
    get port(): number {
      if (server === undefined) throw new Error("The server is not running");
      return server.addr.port;
    },
    track<T extends RawClient | Peer>(client: T): T {
      clients.add(client);
      return client;
    },
    async open(): Promise<RawClient> {
      return target.track(await withTimeout(RawClient.open(target.port), 5_000, "TCP connect"));
    },
    async connect(path = "/"): Promise<Peer> {
      return target.track(await Peer.connect(target.port, path));
    },
  };
  return target;
}

/** The server still answers: a fresh client completes a handshake and gets its text echoed. */
export async function expectServerAlive(port: number, what = "after the attack"): Promise<void> {
  const peer = await withTimeout(Peer.connect(port), 5_000, `a fresh handshake ${what}`);
  try {
    const text = `still here ${what}`;
    peer.sendFrame(Op.Text, utf8(text));
    await peer.expectMessage(Op.Text, text, `echo from a fresh client ${what}`);
  } finally {
    peer.destroy();
  }
}

/**
 * A masked client frame header announcing `length` payload bytes in the 64-bit form
 * (rfc6455#section-5.2), with no payload after it.
 */
export function headerOnly(b0: number, length: bigint): Uint8Array {
  const out = new Uint8Array(14);
  out[0] = b0;
  out[1] = 0x80 | 127;
  new DataView(out.buffer).setBigUint64(2, length);
  out.set([0x11, 0x22, 0x33, 0x44], 10);
  return out;
}

/** The refusal a client got for a flooded head, and how much it had sent by then. */
export interface FloodResult {
  response: RawResponse | undefined;
  /** Bytes written when the response arrived (or when writing stopped). */
  bytesWritten: number;
  /** Milliseconds from the first byte to the response. */
  elapsedMs: number;
  client: RawClient;
}

/**
 * Sends `prefix`, then `filler` pieces up to `totalBytes`, one piece per turn with a short
 * pause so the server reads as it arrives, and stops as soon as a response or the end of the
 * connection arrives. With `oneWrite`, hands everything to the socket at once instead.
 */
export async function floodHead(
  target: SecurityTarget,
  prefix: string,
  filler: Uint8Array,
  totalBytes: number,
  oneWrite = false,
): Promise<FloodResult> {
  const client = await target.open();
  let answered = false;
  const response = client.readResponse().then(
    (r) => {
      answered = true;
      return r;
    },
    () => {
      answered = true;
      return undefined;
    },
  );
  let all: Uint8Array | undefined;
  if (oneWrite) {
    all = new Uint8Array(totalBytes);
    all.set(filler.subarray(0, totalBytes));
    for (let filled = filler.length; filled < totalBytes; filled *= 2) {
      all.copyWithin(filled, 0, Math.min(filled, totalBytes - filled));
    }
  }
  const started = performance.now();
  let bytesWritten = 0;
  const write = (bytes: Uint8Array): void => {
    client.socket.write(bytes);
    bytesWritten += bytes.length;
  };
  write(utf8(prefix));
  if (all !== undefined) {
    write(all);
  } else {
    while (bytesWritten < totalBytes && !answered && !client.socket.destroyed) {
      write(filler.subarray(0, Math.min(filler.length, totalBytes - bytesWritten)));
      await Promise.race([response, delay(2)]);
    }
  }
  const written = bytesWritten;
  const result = await withTimeout(response, 10_000, "a response to the flooded head");
  return {
    response: result,
    bytesWritten: written,
    elapsedMs: performance.now() - started,
    client,
  };
}

/**
 * The server's next frame is a Close with `code` (and a UTF-8 reason), then it closes TCP.
 * Resolves with the milliseconds from `since` to the Close frame.
 */
export async function expectCloseFrame(peer: Peer, code: number, since: number): Promise<number> {
  const frame = await peer.next(`a close frame with ${code}`);
  const elapsed = performance.now() - since;
  expect(frame, `a close frame with ${code}, got the end of the connection`).toBeDefined();
  expect(frame!.opcode, `a close frame with ${code}`).toBe(Op.Close);
  const payload = frame!.payload;
  expect(payload.length >= 2 ? (payload[0]! << 8) | payload[1]! : undefined, "close code").toBe(
    code,
  );
  new TextDecoder("utf-8", { fatal: true }).decode(payload.subarray(2)); // throws if not UTF-8
  await peer.expectTcpClosed();
  return elapsed;
}
