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

/** Opens one socket and completes the opening handshake; resolves once 101 arrived. */
export function openIdle(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let head = "";
    socket.setEncoding("latin1");
    socket.once("error", reject);
    socket.on("data", function onData(text: string) {
      head += text;
      if (!head.includes("\r\n\r\n")) return;
      socket.off("data", onData);
      if (head.startsWith("HTTP/1.1 101")) resolve(socket);
      else reject(new Error(`Handshake refused: ${head.split("\r\n")[0]}`));
    });
    socket.write(REQUEST);
  });
}

/** Opens `count` idle connections, `batch` at a time so the listen backlog keeps up. */
export async function openIdleMany(port: number, count: number, batch = 250): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let i = 0; i < count; i += batch) {
    const size = Math.min(batch, count - i);
    sockets.push(...await Promise.all(Array.from({ length: size }, () => openIdle(port))));
  }
  return sockets;
}
