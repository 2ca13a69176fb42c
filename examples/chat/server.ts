// A chat with rooms: one server serves the page (index.html, on GET /) and the WebSockets
// (/rooms/:room) on the same port, on Deno, Bun and Node alike; ../../shared/PUBSUB-CONTRACT.md
// section 1.
//
//   deno run --allow-net --allow-env --allow-read examples/chat/server.ts
//   bun examples/chat/server.ts
//   tsx examples/chat/server.ts
//
// then open http://127.0.0.1:8080/ in two browser windows. HOST (default 127.0.0.1) and PORT
// (default 8080; 0 picks a free port) come from the environment; the server prints
// `LISTENING http://HOST:PORT` once it accepts connections.
//
// With REDIS_URL (e.g. redis://127.0.0.1:6379/0), any number of these servers, on any mix of
// runtimes, behave as one: a room's members may be connected to any of them. node-redis by
// default, ioredis with REDIS_CLIENT=ioredis. While Redis is unreachable, members on the same
// server still talk; once it is back, rooms span the servers again by themselves.
//
// Each room is a topic. Events are JSON: {"event":"joined"|"left"|"message","name":…,"text":…}.
// Every member gets every event of its room, its own included, each exactly once; a member that
// does not read misses messages past a bounded backlog instead of slowing the room.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { env, loadServe } from "../_runtime.ts";
import { topicsFromEnv } from "../_topics.ts";
import { Router } from "../../mod.ts";

/** Longest message the server relays, in bytes; longer ones close the connection with 1009. */
const MAX_MESSAGE_BYTES = 16 * 1024;
/** Bytes a member may have waiting to be sent before it misses further messages. */
const MAX_BACKLOG_BYTES = 1024 * 1024;

const topics = await topicsFromEnv();

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
    const room = `room:${params.room}`;
    const { name } = data;
    // The member leaves the topic by itself however the connection ends; then the others
    // hear that it left.
    topics.subscribe(ws, room);
    void ws.closed.then(() => {
      topics.publish(room, JSON.stringify({ event: "left", name }));
    });
    // Announce it only once other servers' members can hear it, and it them.
    await topics.ready(room);
    topics.publish(room, JSON.stringify({ event: "joined", name }));
    for await (const message of ws) {
      if (typeof message !== "string") continue; // the page only sends text
      topics.publish(room, JSON.stringify({ event: "message", name, text: message }));
    }
  },
});

const serve = await loadServe();
const server = await serve(router, {
  hostname: env("HOST") ?? "127.0.0.1",
  port: Number(env("PORT") ?? 8080),
  limits: { maxMessageSize: MAX_MESSAGE_BYTES },
  // Publishing never waits for a member: one that falls this far behind misses messages.
  sendBuffer: { limit: MAX_BACKLOG_BYTES, policy: "drop" },
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
