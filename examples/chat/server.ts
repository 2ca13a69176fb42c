// A chat with rooms: one server serves the page (index.html, on GET /) and the WebSockets
// (/rooms/:room) on the same port, on Deno, Bun and Node alike.
//
//   deno run --allow-net --allow-env --allow-read examples/chat/server.ts
//   bun examples/chat/server.ts
//   tsx examples/chat/server.ts
//
// then open http://127.0.0.1:8080/ in two browser windows. HOST (default 127.0.0.1) and PORT
// (default 8080; 0 picks a free port) come from the environment; the server prints
// `LISTENING http://HOST:PORT` once it accepts connections.
//
// Every text message a client sends goes to everyone in the same room, the sender included: the
// sender sees its message when the server has relayed it, in the same order as everyone else.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { env, loadServe } from "../_runtime.ts";
import { type Connection, Router } from "../../mod.ts";

/** Longest message the server relays, in bytes; longer ones close the connection with 1009. */
const MAX_MESSAGE_BYTES = 16 * 1024;
/** Messages a member may have waiting to be sent before it misses further ones. */
const MAX_BACKLOG = 256;

interface Member {
  readonly ws: Connection;
  readonly name: string;
  /** Relayed messages not yet taken by the socket. */
  backlog: number;
}

/** Who is in each room; a room is dropped when its last member leaves. */
const rooms = new Map<string, Set<Member>>();

/** Sends `message` to everyone in `room`, without waiting for any one of them. */
function broadcast(room: string, message: Record<string, string>): void {
  const text = JSON.stringify(message);
  for (const member of rooms.get(room) ?? []) {
    // A reader that falls far behind misses messages rather than making the server hold an
    // ever longer queue for it; awaiting each send in turn would let it stall the whole room.
    if (member.backlog >= MAX_BACKLOG) continue;
    member.backlog++;
    const done = (): void => {
      member.backlog--;
    };
    member.ws.send(text).then(done, done);
  }
}

// The page is read once, at startup, next to this file.
const page = readFileSync(fileURLToPath(new URL("./index.html", import.meta.url).href), "utf8");

const router = new Router().route("/rooms/:room", {
  // Runs before the 101: refuse bad names with a plain HTTP answer.
  upgrade(request, { params }) {
    const name = new URL(request.url).searchParams.get("name")?.trim() || "guest";
    if (params.room.length > 64 || name.length > 32) {
      return new Response("room names have at most 64 characters, user names 32", {
        status: 400,
      });
    }
    return { data: { name } };
  },
  async handler(ws, { params, data }) {
    const room = params.room;
    const member: Member = { ws, name: data.name, backlog: 0 };
    const members = rooms.get(room) ?? new Set<Member>();
    rooms.set(room, members);
    members.add(member);
    // Leave the room however the connection ends: a Close, an error, or a vanished peer.
    void ws.closed.then(() => {
      members.delete(member);
      if (members.size === 0 && rooms.get(room) === members) rooms.delete(room);
      broadcast(room, { event: "left", name: member.name });
    });
    broadcast(room, { event: "joined", name: member.name });
    for await (const message of ws) {
      if (typeof message !== "string") continue; // the page only sends text
      broadcast(room, { event: "message", name: member.name, text: message });
    }
  },
});

const serve = await loadServe();
const server = await serve(router, {
  hostname: env("HOST") ?? "127.0.0.1",
  port: Number(env("PORT") ?? 8080),
  limits: { maxMessageSize: MAX_MESSAGE_BYTES },
  // The page comes from this server, so the default Origin policy, "same-origin", lets it in
  // and keeps other sites' pages out (rfc6455#section-10.2).
  fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/" && (request.method === "GET" || request.method === "HEAD")) {
      return new Response(page, { headers: { "content-type": "text/html; charset=utf-8" } });
    }
    return new Response("Not found\n", { status: 404 });
  },
});

console.log(`LISTENING http://${server.addr.hostname}:${server.addr.port}`);
