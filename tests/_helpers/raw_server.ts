// A deliberately low-level HTTP server over node:net (which Deno, Bun and Node all have), for
// client tests that need a server to answer exactly as they choose: a 101 with a wrong accept
// key, a subprotocol nobody offered, frames glued to the head, or no answer at all.
import { createServer, type Socket } from "node:net";
import { acceptKey } from "../../src/protocol/accept_key.ts";

/** A request head as the raw server read it. */
export interface RawRequest {
  /** The request line, such as `GET /chat HTTP/1.1`. */
  line: string;
  /** Header fields, names lower-cased. */
  headers: Map<string, string>;
}

/** Answers one request head by writing to the socket; returning without writing stays silent. */
export type RawAnswer = (request: RawRequest, socket: Socket) => void | Promise<void>;

/** A running raw server. */
export interface RawServer {
  readonly port: number;
  /** Resolves when the client side of the `index`-th connection (0-based) has gone away. */
  ended(index: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts a raw server on 127.0.0.1 that calls `answer` with each request head. */
export function startRawServer(answer: RawAnswer): Promise<RawServer> {
  const endings: Promise<void>[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    endings.push(
      new Promise<void>((resolve) => {
        socket.once("close", () => {
          sockets.delete(socket);
          resolve();
        });
      }),
    );
    socket.on("error", () => {});
    let head = "";
    const onData = (data: Uint8Array): void => {
      head += new TextDecoder("latin1").decode(data);
      const end = head.indexOf("\r\n\r\n");
      if (end === -1) return;
      socket.off("data", onData);
      const [line = "", ...fields] = head.slice(0, end).split("\r\n");
      const headers = new Map<string, string>();
      for (const field of fields) {
        const colon = field.indexOf(":");
        headers.set(field.slice(0, colon).trim().toLowerCase(), field.slice(colon + 1).trim());
      }
      void answer({ line, headers }, socket);
    };
    socket.on("data", onData);
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      resolve({
        port,
        ended: async (index: number): Promise<void> => {
          while (endings[index] === undefined) await new Promise((r) => setTimeout(r, 10));
          await endings[index];
        },
        close: (): Promise<void> => {
          for (const socket of sockets) socket.destroy();
          return new Promise((done) => server.close(() => done()));
        },
      });
    });
  });
}

/** A `101 Switching Protocols` head with the right accept key for `request`, and `extra` fields. */
export async function switchingProtocols(
  request: RawRequest,
  extra: Record<string, string> = {},
): Promise<string> {
  const accept = await acceptKey(request.headers.get("sec-websocket-key") ?? "");
  const fields = { "Sec-WebSocket-Accept": accept, ...extra };
  return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
    Object.entries(fields).map(([name, value]) => `${name}: ${value}\r\n`).join("") + "\r\n";
}
