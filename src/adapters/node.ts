/**
 * The Node adapter: `node:net` sockets as web byte streams, through a small bridge that keeps
 * backpressure both ways (the socket is paused while the readable is full; writes wait for
 * `drain`) and hands on plain `Uint8Array` views rather than `Buffer`s.
 *
 * @module
 */

import { createServer, type Socket } from "node:net";
import type { ByteStream } from "../streams/byte_stream.ts";
import { AcceptQueue, type Listener, type ListenOptions } from "./listener.ts";
import type { Router } from "../router/router.ts";
import { serveListener, type ServeOptions, type Server, type WebSocketHandler } from "../serve.ts";

const READ_HIGH_WATER_MARK = 65_536;

/**
 * Turns a connected `node:net` (or `node:tls`) socket into a byte stream.
 *
 * @example
 * ```ts ignore
 * import { connect } from "node:net";
 * import { socketToByteStream } from "@wsflow/wsflow/node";
 * const stream = socketToByteStream(connect(8080, "127.0.0.1"));
 * ```
 * @param socket The socket.
 * @returns Its byte stream.
 */
export function socketToByteStream(socket: Socket): ByteStream {
  let ended = false;
  const readable = new ReadableStream<Uint8Array>({
    start(controller): void {
      socket.on("data", (data: Buffer) => {
        controller.enqueue(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
        if ((controller.desiredSize ?? 1) <= 0) socket.pause();
      });
      socket.on("end", () => {
        if (ended) return;
        ended = true;
        controller.close();
      });
      socket.on("close", () => {
        if (ended) return;
        ended = true;
        controller.error(new Error("Cannot read: the connection was reset"));
      });
      socket.on("error", () => {
        // reported through "close"
      });
    },
    pull(): void {
      if (socket.isPaused()) socket.resume();
    },
    cancel(): void {
      ended = true;
      socket.destroy();
    },
  }, { highWaterMark: READ_HIGH_WATER_MARK, size: (chunk) => chunk?.byteLength ?? 0 });
  const writable = new WritableStream<Uint8Array>({
    write(chunk): Promise<void> {
      if (socket.destroyed) throw new Error("Cannot write: the socket is closed");
      // Settles when the socket is done with the chunk (the caller may then reuse its memory)
      // and, under backpressure, not before it drains.
      return new Promise<void>((resolve, reject) => {
        let written = false;
        let drained = socket.write(chunk, (error) => {
          written = true;
          if (error) reject(error);
          else if (drained) resolve();
        });
        if (drained) return;
        const onDrain = (): void => {
          socket.off("drain", onDrain);
          socket.off("close", onDrain);
          drained = true;
          if (written || socket.destroyed) resolve();
        };
        // A socket that closes while full never drains; its writes end here.
        socket.on("drain", onDrain);
        socket.on("close", onDrain);
      });
    },
    close(): Promise<void> {
      return new Promise((resolve) => socket.end(resolve));
    },
    abort(): void {
      socket.destroy();
    },
  });
  return {
    readable,
    writable,
    remoteAddr: { hostname: socket.remoteAddress ?? "", port: socket.remotePort ?? 0 },
  };
}

/**
 * Listens for TCP connections with `node:net`.
 *
 * @example
 * ```ts ignore
 * import { listen } from "@wsflow/wsflow/node";
 * const listener = await listen({ hostname: "127.0.0.1", port: 0 });
 * console.log(listener.addr.port);
 * await listener.close();
 * ```
 * @param options Address and port.
 * @returns The listener.
 */
export function listen(options: ListenOptions = {}): Promise<Listener> {
  const accepted = new AcceptQueue();
  const server = createServer({ noDelay: true }, (socket) => {
    accepted.push(socketToByteStream(socket));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8080, options.hostname ?? "127.0.0.1", () => {
      server.off("error", reject);
      const address = server.address();
      const addr = typeof address === "object" && address !== null
        ? { hostname: address.address, port: address.port }
        : { hostname: options.hostname ?? "127.0.0.1", port: options.port ?? 8080 };
      resolve({
        addr,
        close(): Promise<void> {
          // server.close's callback waits for every open connection; stopping to accept is
          // all this promises.
          accepted.end();
          server.close();
          return Promise.resolve();
        },
        [Symbol.asyncIterator]: () => accepted[Symbol.asyncIterator](),
      });
    });
  });
}

/**
 * Serves WebSocket connections on Node.
 *
 * @example Echo server
 * ```ts ignore
 * import { serve } from "@wsflow/wsflow/node";
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
