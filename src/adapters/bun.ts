/**
 * The Bun adapter: `Bun.listen` socket handlers turned into byte streams, with backpressure
 * both ways (the socket is paused while the readable is full; writes wait for `drain`).
 *
 * @module
 */

import type { ByteStream } from "../streams/byte_stream.ts";
import { AcceptQueue, type Listener, type ListenOptions } from "./listener.ts";
import type { Router } from "../router/router.ts";
import { serveListener, type ServeOptions, type Server, type WebSocketHandler } from "../serve.ts";

const READ_HIGH_WATER_MARK = 65_536;

interface SocketState {
  readable: ReadableStreamDefaultController<Uint8Array>;
  paused: boolean;
  ended: boolean;
  pending: Uint8Array | undefined;
  drained: (() => void) | undefined;
  failed: (error: Error) => void;
}

type BunSocket = Bun.Socket<SocketState>;

/**
 * Listens for TCP connections with `Bun.listen`.
 *
 * @example
 * ```ts ignore
 * import { listen } from "@wsflow/wsflow/bun";
 * const listener = await listen({ hostname: "127.0.0.1", port: 0 });
 * console.log(listener.addr.port);
 * await listener.close();
 * ```
 * @param options Address and port.
 * @returns The listener.
 */
export function listen(options: ListenOptions = {}): Promise<Listener> {
  const accepted = new AcceptQueue();
  const server = Bun.listen<SocketState>({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 8080,
    socket: {
      open(socket): void {
        socket.setNoDelay(true);
        accepted.push(toByteStream(socket));
      },
      data(socket, data): void {
        const state = socket.data;
        if (state.ended) return;
        // Bun reuses its read buffer: copy, since the protocol layer keeps views.
        state.readable.enqueue(new Uint8Array(data));
        if ((state.readable.desiredSize ?? 1) <= 0 && !state.paused) {
          state.paused = true;
          socket.pause();
        }
      },
      drain(socket): void {
        writePending(socket);
      },
      end(socket): void {
        endReadable(socket.data);
      },
      close(socket, error): void {
        const state = socket.data;
        if (error) state.failed(error);
        endReadable(state);
        state.drained?.();
      },
      error(socket, error): void {
        socket.data.failed(error);
      },
    },
  });
  return Promise.resolve({
    addr: { hostname: server.hostname, port: server.port },
    close(): Promise<void> {
      server.stop(false);
      accepted.end();
      return Promise.resolve();
    },
    [Symbol.asyncIterator]: () => accepted[Symbol.asyncIterator](),
  });
}

function endReadable(state: SocketState): void {
  if (state.ended) return;
  state.ended = true;
  try {
    state.readable.close();
  } catch {
    // already errored or cancelled
  }
}

function writePending(socket: BunSocket): void {
  const state = socket.data;
  const pending = state.pending;
  if (pending === undefined) return;
  const written = socket.write(pending);
  if (written < pending.length) {
    state.pending = pending.subarray(Math.max(written, 0));
    return;
  }
  state.pending = undefined;
  const drained = state.drained;
  state.drained = undefined;
  drained?.();
}

function toByteStream(socket: BunSocket): ByteStream {
  let failure: Error | undefined;
  const readable = new ReadableStream<Uint8Array>({
    start(controller): void {
      socket.data = {
        readable: controller,
        paused: false,
        ended: false,
        pending: undefined,
        drained: undefined,
        failed(error: Error): void {
          failure = error;
          if (!socket.data.ended) {
            socket.data.ended = true;
            controller.error(error);
          }
        },
      };
    },
    pull(): void {
      if (socket.data.paused) {
        socket.data.paused = false;
        socket.resume();
      }
    },
    cancel(): void {
      socket.data.ended = true;
      socket.end();
    },
  }, { highWaterMark: READ_HIGH_WATER_MARK, size: (chunk) => chunk?.byteLength ?? 0 });
  const writable = new WritableStream<Uint8Array>({
    write(chunk): Promise<void> | undefined {
      if (failure !== undefined) throw failure;
      const state = socket.data;
      const written = socket.write(chunk);
      if (written === chunk.length) return undefined;
      if (written < 0) throw new Error("Cannot write: the socket is closed");
      // Keep the rest and let `drain` finish it; the stream holds further writes meanwhile.
      state.pending = chunk.subarray(written);
      return new Promise<void>((resolve) => {
        state.drained = resolve;
      });
    },
    close(): void {
      socket.end();
    },
    abort(): void {
      socket.terminate();
    },
  });
  return {
    readable,
    writable,
    remoteAddr: { hostname: socket.remoteAddress, port: remotePort(socket) },
  };
}

function remotePort(socket: BunSocket): number {
  return (socket as unknown as { remotePort?: number }).remotePort ?? 0;
}

/**
 * Serves WebSocket connections on Bun.
 *
 * @example Echo server
 * ```ts ignore
 * import { serve } from "@wsflow/wsflow/bun";
 * const server = await serve(async (ws) => {
 *   for await (const message of ws) await ws.send(message);
 * }, { port: 0 });
 * console.log(`LISTENING ws://${server.addr.hostname}:${server.addr.port}`);
 * ```
 * @param handler Runs once per accepted WebSocket connection, or a `Router` that picks a
 *   route's handler by path and subprotocol.
 * @param options Address, port, limits, timeouts and hooks.
 * @returns The running server.
 */
export async function serve(
  handler: WebSocketHandler | Router,
  options: ServeOptions & ListenOptions = {},
): Promise<Server> {
  return serveListener(await listen(options), handler, options);
}
