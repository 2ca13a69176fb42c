/**
 * The socket bridge of the Node adapter: a `node:net` (or `node:tls`) socket as a web byte
 * stream that keeps backpressure both ways (the socket is paused while the readable is full;
 * writes wait for `drain`) and hands on plain `Uint8Array` views rather than `Buffer`s. The
 * same bridge serves accepted sockets, the client's, and sockets taken over from `node:http`
 * (`node_http.ts`). Measured against `Duplex.toWeb` on a raw 256 MiB echo it is as fast (best
 * of 3: 656 vs 649 MB/s), and its writes settle only once the socket is done with the bytes,
 * which lets a connection reuse its output buffer.
 *
 * It has a file of its own so that `node.ts` and `node_http.ts` can both use it without
 * importing each other (the layer check rejects import cycles).
 *
 * @module
 */

import type { Socket } from "node:net";
import type { ByteStream } from "../streams/byte_stream.ts";

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
