/**
 * The client half of WebSockets over HTTP/2 on Node (RFC 8441): extended CONNECT streams on
 * `node:http2` sessions, one session per origin shared by every WebSocket to it. A session is
 * opened on the first WebSocket, its SETTINGS checked (rfc8441#section-3), and closed (GOAWAY)
 * once its last WebSocket's stream has closed.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc8441}
 */

import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  connect as http2Connect,
  constants,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from "node:http2";
import { isIP } from "node:net";
import type { OpenedHttp2Stream, OpenHttp2Stream } from "../client/connect_http2.ts";
import type { SocketTarget } from "../client/connect.ts";
import { duplexToByteStream } from "./node_socket.ts";

/** A session to one origin, and how many WebSockets (and attempts) use it. */
interface SharedSession {
  readonly ready: Promise<ClientHttp2Session>;
  users: number;
}

const sessions = new Map<string, SharedSession>();

/**
 * Opens an extended CONNECT stream on the session to `target`'s origin (opening that session
 * first if there is none): the `OpenHttp2Stream` of Node's `connect` with `http2`.
 *
 * @example
 * ```ts ignore
 * const opened = await openHttp2Stream({ hostname: "localhost", port: 8443, tls: {} }, fields);
 * ```
 * @param target Host, port, TLS options and abort signal.
 * @param fields The request's fields, from `createExtendedConnect`.
 * @returns The stream and the answer, or `null` when the server's SETTINGS do not enable
 *   extended CONNECT.
 */
export const openHttp2Stream: OpenHttp2Stream = async (target, fields) => {
  const key = sessionKey(target);
  let shared = sessions.get(key);
  if (shared === undefined) {
    shared = { ready: openSession(target), users: 0 };
    sessions.set(key, shared);
    const opened = shared;
    // A session that fails to open is forgotten, so the next attempt opens another.
    opened.ready.catch(() => {
      if (sessions.get(key) === opened) sessions.delete(key);
    });
  }
  shared.users++;
  let session: ClientHttp2Session;
  try {
    session = await withSignal(shared.ready, target.signal);
  } catch (error) {
    release(key, shared);
    throw error;
  }
  // rfc8441#section-3: a client MUST NOT send :protocol unless the server enabled it
  if (session.remoteSettings.enableConnectProtocol !== true) {
    release(key, shared);
    return null;
  }
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of fields) {
    const previous = headers[name];
    headers[name] = previous === undefined ? value : `${String(previous)}, ${value}`;
  }
  let request: ClientHttp2Stream;
  try {
    request = session.request(headers, { endStream: false });
  } catch (error) {
    release(key, shared);
    throw error;
  }
  const owner = shared;
  request.once("close", () => release(key, owner));
  request.on("error", () => {});
  const response = await withSignal(
    new Promise<IncomingHttpHeaders>((resolve, reject) => {
      request.once("response", resolve);
      request.once("close", () => reject(new Error("the stream closed before an answer")));
    }),
    target.signal,
  ).catch((error) => {
    if (!request.closed) request.close(constants.NGHTTP2_CANCEL);
    throw error;
  });
  const answer = new Headers();
  let status = 0;
  for (const name in response) {
    const value = response[name];
    if (name === ":status") status = Number(value);
    else if (name.startsWith(":") || value === undefined) continue;
    else if (Array.isArray(value)) { for (const item of value) answer.append(name, item); }
    else answer.append(name, String(value));
  }
  const socket = session.socket;
  const stream = duplexToByteStream(request, () => {
    // rfc8441#section-6: an RST_STREAM with CANCEL stands for a TCP RST
    if (!request.closed) request.close(constants.NGHTTP2_CANCEL);
  }, {
    hostname: socket?.remoteAddress ?? target.hostname,
    port: socket?.remotePort ?? target.port,
  });
  const opened: OpenedHttp2Stream = { status, headers: answer, stream };
  return opened;
};

function sessionKey(target: SocketTarget): string {
  const { tls } = target;
  const ca = tls?.ca === undefined ? "" : typeof tls.ca === "string" ? tls.ca : tls.ca.join("");
  return JSON.stringify([target.hostname, target.port, tls !== undefined, ca, tls?.serverName]);
}

function release(key: string, shared: SharedSession): void {
  shared.users--;
  if (shared.users > 0) return;
  if (sessions.get(key) === shared) sessions.delete(key);
  shared.ready.then((session) => session.close(), () => {});
}

function openSession(target: SocketTarget): Promise<ClientHttp2Session> {
  const { hostname, port, tls } = target;
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  const authority = `${tls === undefined ? "http" : "https"}://${host}:${port}`;
  const servername = tls?.serverName ?? (isIP(hostname) === 0 ? hostname : undefined);
  const session = http2Connect(authority, {
    ...(tls?.ca === undefined ? {} : { ca: typeof tls.ca === "string" ? tls.ca : [...tls.ca] }),
    ...(servername === undefined ? {} : { servername }),
  });
  return new Promise((resolve, reject) => {
    const fail = (error: unknown): void => {
      session.destroy();
      reject(error);
    };
    session.once("error", fail);
    session.once("close", () => reject(new Error("the HTTP/2 connection closed")));
    // The server's first SETTINGS say whether extended CONNECT is enabled.
    session.once("remoteSettings", () => {
      session.off("error", fail);
      session.on("error", () => {});
      resolve(session);
    });
  });
}

function withSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
