/**
 * The `WebSocketServer` of the `ws` package, as graphql-ws's `useServer`, tRPC's
 * `applyWSSHandler`, y-websocket's server and Engine.IO (`wsEngine`) use it, over wsflow's own
 * upgrade path: every upgrade goes through node_http's `serveNodeUpgrade`, so wsflow's head
 * rules and limits, `acceptUpgrade`'s validation (rfc6455#section-4.2.1), permessage-deflate
 * negotiation and `Connection` serve it, and the socket a library gets is `node_ws_socket.ts`'s.
 *
 * The `ws` hooks run where wsflow's upgrade hook runs, after the request is validated and
 * before the 101: `verifyClient`, then `handleProtocols` (which picks the subprotocol), then
 * the `headers` event (whose added lines go into the 101).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { EventEmitter } from "node:events";
import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server as HttpServer,
  STATUS_CODES,
} from "node:http";
import type { Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { acceptKey } from "../protocol/accept_key.ts";
import type { PerMessageDeflateOptions } from "../protocol/permessage_deflate.ts";
import { Router } from "../router/router.ts";
import type { UpgradeResult } from "../router/upgrade_hook.ts";
import type { ServeOptions } from "../server/options.ts";
import { createServerContext } from "../server/server_context.ts";
import type { Connection } from "../streams/connection.ts";
import { serveNodeUpgrade } from "./node_http.ts";
import { adoptConnection, type WebSocket } from "./node_ws_socket.ts";
import { zlibDeflateEngine } from "./zlib_deflate.ts";

/**
 * What `verifyClient` is told about an upgrade request, as `ws` tells it.
 *
 * @example
 * ```ts
 * import type { VerifyClientInfo } from "@wsflow/wsflow/ws";
 * const allowed = (info: VerifyClientInfo): boolean => info.origin === "https://app.example.com";
 * console.log(typeof allowed); // function
 * ```
 */
export interface VerifyClientInfo {
  /** The `Origin` header, if any. */
  readonly origin: string | undefined;
  /** Whether the request came over TLS. */
  readonly secure: boolean;
  /** The request, as `node:http` parsed it. */
  readonly req: IncomingMessage;
}

/**
 * Decides whether to accept an upgrade: synchronously by returning, or, when it declares two
 * parameters, by calling `done` (with an HTTP status, message and header fields to refuse
 * with; 401 by default).
 *
 * @example
 * ```ts
 * import type { VerifyClient } from "@wsflow/wsflow/ws";
 * const verify: VerifyClient = (info, done) => done!(info.secure, 403, "TLS only");
 * console.log(verify.length); // 2
 * ```
 */
export type VerifyClient = (
  info: VerifyClientInfo,
  done?: (
    verified: boolean,
    code?: number,
    message?: string,
    headers?: OutgoingHttpHeaders,
  ) => void,
) => boolean | void;

/**
 * Options of {@linkcode WebSocketServer}: `ws`'s, and `wsflow` for everything wsflow's own
 * servers take (limits, timeouts, heartbeat, Origin policy).
 *
 * @example
 * ```ts
 * import type { ServerOptions } from "@wsflow/wsflow/ws";
 * const options: ServerOptions = { noServer: true, maxPayload: 1 << 20, clientTracking: false };
 * console.log(options.noServer); // true
 * ```
 */
export interface ServerOptions {
  /**
   * Listen on this port (0 picks a free one) with a `node:http` server of its own, which
   * answers plain requests with 426. One of `port`, `server` and `noServer`.
   * @default {undefined}
   */
  port?: number | undefined;
  /**
   * The address to listen on with `port`.
   * @default {"::" or "0.0.0.0", as node:http listens}
   */
  host?: string | undefined;
  /**
   * The listen backlog with `port`.
   * @default {node:http's}
   */
  backlog?: number | undefined;
  /**
   * Take the `upgrade` events of this `node:http` or `node:https` server.
   * @default {undefined}
   */
  server?: HttpServer | HttpsServer | undefined;
  /**
   * No server: call {@linkcode WebSocketServer.prototype.handleUpgrade} from your own
   * `upgrade` listener.
   * @default {false}
   */
  noServer?: boolean | undefined;
  /**
   * Accept only upgrades to this path (the query aside); others get 400.
   * @default {undefined, every path}
   */
  path?: string | undefined;
  /**
   * Keep the open sockets in `clients`.
   * @default {true}
   */
  clientTracking?: boolean | undefined;
  /**
   * Picks the subprotocol from the client's offer (called only when it offers some); `false`
   * selects none. Read at each upgrade, so it may be set on `options` later, as graphql-ws does.
   * It must return one the client offered (rfc6455#section-4.2.2): another is refused with 400.
   * @default {the client's first}
   */
  handleProtocols?:
    | ((protocols: Set<string>, request: IncomingMessage) => string | false)
    | undefined;
  /**
   * Accepts or refuses each upgrade (see {@linkcode VerifyClient}).
   * @default {undefined, accept}
   */
  verifyClient?: VerifyClient | undefined;
  /**
   * The largest message and frame accepted, in bytes; a larger one closes the connection with
   * 1009 before its payload is read.
   * @default {16 MiB, wsflow's maxMessageSize and maxFrameSize}
   */
  maxPayload?: number | undefined;
  /**
   * permessage-deflate (rfc7692): `false` declines it, `true` or an object accepts offers with
   * wsflow's engine (`serverNoContextTakeover`, `clientNoContextTakeover`,
   * `serverMaxWindowBits`, `clientMaxWindowBits` and `threshold` are honoured; `ws`'s zlib
   * tuning options are ignored).
   * @default {true: wsflow's default, unlike `ws`}
   */
  perMessageDeflate?: boolean | (PerMessageDeflateOptions & Record<string, unknown>) | undefined;
  /**
   * wsflow's server options (limits, `heartbeatInterval`, `closeTimeout`, `handshakeTimeout`,
   * `origins`, `onError`…). The Origin policy defaults to `"*"` here, as `ws` checks none.
   * @default {{}}
   */
  wsflow?: ServeOptions | undefined;
  /** Other `ws` options (`clientTracking`'s siblings such as `skipUTF8Validation`) are ignored. */
  [option: string]: unknown;
}

const RUNNING = 0;
const CLOSING = 1;
const CLOSED = 2;

/**
 * A WebSocket server with the `ws` package's interface, running on wsflow.
 *
 * Events: `connection (socket, request)`, `headers (lines, request)` (push `"Name: value"` lines
 * to add fields to the 101), `listening`, `error`, `close`.
 *
 * @example With a `node:http` server of its own
 * ```ts
 * import { WebSocket, WebSocketServer } from "@wsflow/wsflow/ws";
 * const server = new WebSocketServer({ port: 0, host: "127.0.0.1" });
 * server.on("connection", (socket, request) => {
 *   socket.send(`hello ${request.url}`);
 * });
 * await new Promise((resolve) => server.once("listening", resolve));
 * const client = new WebSocket(`ws://127.0.0.1:${server.address().port}/there`);
 * const [message] = await new Promise<[Buffer]>((resolve) => client.once("message", (...a) => resolve(a as [Buffer])));
 * console.log(message.toString()); // hello /there
 * client.terminate();
 * await new Promise((resolve) => server.close(resolve));
 * ```
 * @example `noServer`, sharing a `node:http` server's upgrades
 * ```ts
 * import { createServer } from "node:http";
 * import { WebSocketServer } from "@wsflow/wsflow/ws";
 * const wss = new WebSocketServer({ noServer: true });
 * const http = createServer().on("upgrade", (request, socket, head) => {
 *   if (request.url === "/ws") {
 *     wss.handleUpgrade(request, socket, head, (ws) => wss.emit("connection", ws, request));
 *   } else socket.destroy();
 * });
 * http.close();
 * ```
 */
export class WebSocketServer extends EventEmitter {
  /**
   * The options; `handleProtocols` and `verifyClient` are read from here at each upgrade.
   */
  readonly options: ServerOptions;
  /** The open sockets, unless `clientTracking` is `false`. */
  readonly clients: Set<WebSocket> | undefined;
  #server: HttpServer | HttpsServer | undefined;
  #removeListeners: (() => void) | undefined;
  #state = RUNNING;
  #emitCloseWhenEmpty = false;
  readonly #serveOptions: ServeOptions;

  /**
   * Makes the server; with `port`, starts listening (`listening` follows).
   *
   * @param options One of `port`, `server` and `noServer`, and the rest.
   * @param callback With `port`: called once listening.
   * @throws {TypeError} Unless exactly one of `port`, `server` and `noServer` is given.
   */
  constructor(options: ServerOptions, callback?: () => void) {
    super();
    const modes = [options.port !== undefined, options.server !== undefined, !!options.noServer];
    if (modes.filter(Boolean).length !== 1) {
      throw new TypeError(
        'One and only one of the "port", "server", or "noServer" options must be specified',
      );
    }
    this.options = { clientTracking: true, ...options };
    this.clients = this.options.clientTracking === false ? undefined : new Set();
    this.#serveOptions = serveOptionsOf(options);
    if (options.port !== undefined) {
      const server = createServer((_request, response) => {
        const body = STATUS_CODES[426]!;
        response.writeHead(426, { "Content-Length": body.length, "Content-Type": "text/plain" });
        response.end(body);
      });
      server.listen(options.port, options.host, options.backlog, callback);
      this.#server = server;
    } else if (options.server !== undefined) {
      this.#server = options.server;
    }
    const server = this.#server;
    if (server !== undefined) {
      const onListening = (): void => void this.emit("listening");
      const onError = (error: Error): void => void this.emit("error", error);
      const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
        this.handleUpgrade(request, socket, head, (ws) => this.emit("connection", ws, request));
      };
      server.on("listening", onListening);
      server.on("error", onError);
      server.on("upgrade", onUpgrade);
      this.#removeListeners = () => {
        server.off("listening", onListening);
        server.off("error", onError);
        server.off("upgrade", onUpgrade);
      };
    }
  }

  /**
   * The address the server listens on.
   *
   * @returns `node:http`'s `address()`, or `null` once closed.
   * @throws {Error} In `noServer` mode.
   */
  address(): AddressInfo {
    if (this.options.noServer) throw new Error('The server is operating in "noServer" mode');
    return (this.#server?.address() ?? null) as AddressInfo;
  }

  /**
   * Whether an upgrade request is this server's: with `path`, only that path.
   *
   * @param request The request.
   * @returns `true` to handle it.
   */
  shouldHandle(request: IncomingMessage): boolean {
    const path = this.options.path;
    if (path === undefined) return true;
    const url = request.url ?? "";
    const query = url.indexOf("?");
    return (query === -1 ? url : url.slice(0, query)) === path;
  }

  /**
   * Takes one upgrade request (from a `node:http` server's `upgrade` event) through wsflow's
   * opening handshake; `callback` gets the open socket. A refused request is answered on the
   * socket (400, 401, 404…) and `callback` is not called.
   *
   * @param request The request.
   * @param socket Its socket.
   * @param head The bytes after the request head.
   * @param callback Called with the socket and the request once the 101 is on its way.
   */
  handleUpgrade(
    request: IncomingMessage,
    socket: Duplex,
    head: Uint8Array,
    callback: (socket: WebSocket, request: IncomingMessage) => void,
  ): void {
    if (this.#state !== RUNNING) return abortHandshake(socket, 503);
    if (!this.shouldHandle(request)) return abortHandshake(socket, 400);
    const router = new Router().route("*", {
      upgrade: (upgrade) => this.#upgrade(upgrade, request, socket),
      handler: (connection) => this.#accept(connection, request, callback),
    });
    serveNodeUpgrade(createServerContext(router, this.#serveOptions), request, socket, head);
  }

  /**
   * Stops taking upgrades: with `port`, closes its own `node:http` server. Open sockets stay
   * open (as with `ws` 8); `close` is emitted once the server is closed and, when tracked,
   * every client has gone.
   *
   * @param callback Called on `close`; with an error when the server was already closed.
   */
  close(callback?: (error?: Error) => void): void {
    if (this.#state === CLOSED) {
      if (callback !== undefined) {
        this.once("close", () => callback(new Error("The server is not running")));
      }
      queueMicrotask(() => this.#emitClose());
      return;
    }
    if (callback !== undefined) this.once("close", callback);
    if (this.#state === CLOSING) return;
    this.#state = CLOSING;
    const server = this.#server;
    this.#removeListeners?.();
    this.#removeListeners = undefined;
    this.#server = undefined;
    if (this.options.port !== undefined && server !== undefined) {
      server.close(() => this.#emitClose());
    } else if (this.clients !== undefined && this.clients.size > 0) {
      this.#emitCloseWhenEmpty = true;
    } else {
      queueMicrotask(() => this.#emitClose());
    }
  }

  #emitClose(): void {
    this.#state = CLOSED;
    this.emit("close");
  }

  async #upgrade(
    upgrade: Request,
    request: IncomingMessage,
    socket: Duplex,
  ): Promise<UpgradeResult<undefined>> {
    const verify = this.options.verifyClient;
    if (verify !== undefined) {
      const tls = socket as Partial<{ authorized: boolean; encrypted: boolean }>;
      const info: VerifyClientInfo = {
        origin: request.headers.origin,
        secure: Boolean(tls.authorized || tls.encrypted),
        req: request,
      };
      const verdict = verify.length === 2
        ? await new Promise<Refusal>((resolve) =>
          verify(
            info,
            (verified, code, message, headers) => resolve({ verified, code, message, headers }),
          )
        )
        : { verified: verify(info) === true };
      if (!verdict.verified) return refusal(verdict.code ?? 401, verdict.message, verdict.headers);
    }
    // Validated by now (rfc6455#section-4.2.1): a token list without repeats.
    const offer = upgrade.headers.get("sec-websocket-protocol");
    let protocol = "";
    if (offer !== null) {
      const offered = offer.split(",").map((token) => token.trim());
      const choose = this.options.handleProtocols;
      const chosen = choose === undefined ? offered[0]! : choose(new Set(offered), request);
      protocol = chosen === false ? "" : chosen;
    }
    const lines = [
      "HTTP/1.1 101 Switching Protocols",
      "Upgrade: websocket",
      "Connection: Upgrade",
      `Sec-WebSocket-Accept: ${await acceptKey(upgrade.headers.get("sec-websocket-key")!)}`,
    ];
    if (protocol !== "") lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
    const base = lines.length;
    this.emit("headers", lines, request);
    const headers = new Headers();
    for (const line of lines.slice(base)) {
      const colon = line.indexOf(":");
      headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
    return { headers, protocol };
  }

  #accept(
    connection: Connection,
    request: IncomingMessage,
    callback: (socket: WebSocket, request: IncomingMessage) => void,
  ): void {
    const socket = adoptConnection(connection);
    const clients = this.clients;
    if (clients !== undefined) {
      clients.add(socket);
      socket.once("close", () => {
        clients.delete(socket);
        if (this.#emitCloseWhenEmpty && clients.size === 0) {
          this.#emitCloseWhenEmpty = false;
          queueMicrotask(() => this.#emitClose());
        }
      });
    }
    callback(socket, request);
  }
}

interface Refusal {
  verified: boolean;
  code?: number | undefined;
  message?: string | undefined;
  headers?: OutgoingHttpHeaders | undefined;
}

function refusal(status: number, message?: string, fields?: OutgoingHttpHeaders): Response {
  const headers = new Headers({ "content-type": "text/html" });
  for (const [name, value] of Object.entries(fields ?? {})) {
    if (value !== undefined) headers.set(name, String(value));
  }
  return new Response(message ?? STATUS_CODES[status] ?? "", { status, headers });
}

/** Answers on the raw socket, before wsflow has it, as `ws` answers a request it will not take. */
function abortHandshake(socket: Duplex, status: number): void {
  const message = STATUS_CODES[status] ?? "";
  socket.on("error", () => {}); // a peer gone meanwhile: nothing to answer
  socket.once("finish", () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${message}\r\nConnection: close\r\nContent-Type: text/html\r\n` +
      `Content-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`,
  );
}

/** wsflow's options for a `ws` server's options: maxPayload, deflate, and `ws`'s open Origin. */
function serveOptionsOf(options: ServerOptions): ServeOptions {
  const own = options.wsflow ?? {};
  const max = options.maxPayload;
  const deflate = options.perMessageDeflate;
  return {
    deflateEngine: zlibDeflateEngine,
    ...own,
    origins: own.origins ?? "*",
    ...(max === undefined ? {} : {
      limits: { ...own.limits, maxMessageSize: max, maxFrameSize: max },
    }),
    ...(deflate === undefined || deflate === true ? {} : {
      perMessageDeflate: deflate === false ? false : deflateOptionsOf(deflate),
    }),
  };
}

function deflateOptionsOf(options: PerMessageDeflateOptions): PerMessageDeflateOptions {
  const picked: PerMessageDeflateOptions = {};
  if (options.serverNoContextTakeover !== undefined) {
    picked.serverNoContextTakeover = options.serverNoContextTakeover;
  }
  if (options.clientNoContextTakeover !== undefined) {
    picked.clientNoContextTakeover = options.clientNoContextTakeover;
  }
  if (typeof options.serverMaxWindowBits === "number") {
    picked.serverMaxWindowBits = options.serverMaxWindowBits;
  }
  if (typeof options.clientMaxWindowBits === "number") {
    picked.clientMaxWindowBits = options.clientMaxWindowBits;
  }
  if (options.threshold !== undefined) picked.threshold = options.threshold;
  return picked;
}
