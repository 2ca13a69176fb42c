/**
 * Test helpers for code that uses wsflow: connections over in-memory byte streams, and a fake
 * clock that moves the connection's timers (heartbeat, idle timeout, closing deadlines) in test
 * time. Runtime-free, like `mod.ts`.
 *
 * @example A heartbeat that finds a silent peer, without waiting 30 seconds
 * ```ts
 * import { Connection } from "@wsflow/wsflow";
 * import { byteStreamPair, FakeClock } from "@wsflow/wsflow/testing";
 *
 * const clock = new FakeClock();
 * const [serverEnd] = byteStreamPair(); // the other end never answers
 * const server = new Connection(serverEnd, { role: "server", clock, heartbeatInterval: 30_000 });
 * await clock.advance(60_000);
 * const { code, error } = await server.closed;
 * console.log(code, error?.name); // 1006 TimeoutError
 * ```
 *
 * @module
 */

export { type ByteStream } from "./src/streams/byte_stream.ts";
export { byteStreamPair } from "./src/testing/byte_stream_pair.ts";
export {
  type ConnectedPair,
  connectedPair,
  type ConnectedPairOptions,
} from "./src/testing/connected_pair.ts";
export { FakeClock } from "./src/testing/fake_clock.ts";
