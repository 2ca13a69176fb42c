// Idle WebSocket connections and a server's memory, shared by the 10,000-connection load test
// and `npm run bench:idle`.
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";

const REQUEST = new TextEncoder().encode(
  "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
);

/** Resident memory of a process, in bytes, from /proc (Linux). */
export function rss(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (match === null) throw new Error(`No VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}

/**
 * A client's masked binary frame (rfc6455#section-5.3) of `size` bytes (under 64 KiB), with the
 * length of the unmasked frame an echo server answers with.
 */
function messageFrame(size: number): { frame: Uint8Array; echo: number } {
  const header = size < 126 ? 2 : 4;
  const frame = new Uint8Array(header + 4 + size);
  frame[0] = 0x82;
  if (header === 2) frame[1] = 0x80 | size;
  else {
    frame[1] = 0x80 | 126;
    frame[2] = size >> 8;
    frame[3] = size & 0xff;
  }
  frame.set([1, 2, 3, 4], header); // the mask key; the payload is zeros, masked
  for (let i = 0; i < size; i++) frame[header + 4 + i] = (i & 3) + 1;
  return { frame, echo: header + size };
}

/**
 * Opens one socket and completes the opening handshake; resolves once 101 arrived, or, with
 * `message` bytes, once one binary message of that size has been sent and its echo read (a
 * connection that has been used, then goes quiet).
 */
export function openIdle(port: number, message = 0): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let head = "";
    let echoed = -1;
    const { frame, echo } = messageFrame(message);
    socket.setEncoding("latin1");
    socket.once("error", reject);
    socket.on("data", function onData(text: string) {
      if (echoed >= 0) {
        echoed += text.length;
        if (echoed < echo) return;
        socket.off("data", onData);
        resolve(socket);
        return;
      }
      head += text;
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      if (!head.startsWith("HTTP/1.1 101")) {
        socket.off("data", onData);
        reject(new Error(`Handshake refused: ${head.split("\r\n")[0]}`));
      } else if (message === 0) {
        socket.off("data", onData);
        resolve(socket);
      } else {
        echoed = head.length - end - 4;
        socket.write(frame);
      }
    });
    socket.write(REQUEST);
  });
}

/**
 * Opens `count` idle connections, `batch` at a time so the listen backlog keeps up; with
 * `message` bytes, each one first has one message of that size echoed.
 */
export async function openIdleMany(
  port: number,
  count: number,
  batch = 250,
  message = 0,
): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let i = 0; i < count; i += batch) {
    const size = Math.min(batch, count - i);
    sockets.push(
      ...await Promise.all(Array.from({ length: size }, () => openIdle(port, message))),
    );
  }
  return sockets;
}
