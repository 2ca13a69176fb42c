/**
 * What every stream of one server shares: one dispatch path (a `Router`; a plain handler is
 * wrapped as its catch-all route), the server-wide Origin policy compiled once, the options and
 * the admission counts. Made once per server, before the first stream.
 *
 * @module
 */

import { OriginPolicy } from "../router/origin.ts";
import type { MessageHooks, WebSocketHandler } from "../router/handler.ts";
import { Router } from "../router/router.ts";
import type { NetAddr } from "../streams/byte_stream.ts";
import type { Admission } from "./admission.ts";
import type { ErrorContext, ServeOptions } from "./options.ts";
import { resolveLimits } from "../protocol/limits.ts";

/**
 * One server's dispatch, policy, options and counts.
 *
 * @example
 * ```ts
 * import { createServerContext, type ServerContext } from "./server_context.ts";
 * const server: ServerContext = createServerContext((ws) => ws.close(), { protocols: ["chat"] });
 * console.log(server.router.hasPath("/anything")); // true (the catch-all route)
 * ```
 */
export interface ServerContext {
  /** Picks the route, params and subprotocol of every upgrade. */
  readonly router: Router;
  /** The server-wide Origin policy, for routes without their own. */
  readonly origins: OriginPolicy;
  /**
   * The server's options as given, but for its `limits`: resolved once (see
   * {@linkcode resolveLimits}), so each handshake and connection takes them as they are.
   */
  readonly options: ServeOptions;
  /** Socket counts and open connections; `undefined` when the server does not accept sockets itself (`handleStream`, node:http). */
  readonly admission: Admission | undefined;
}

/**
 * Makes a server's context. A plain handler becomes the catch-all route
 * `new Router().route("*", { protocols, protocolRequired: false, handler })`, so a handler and
 * a `Router` go through the same `Router.match` and `runUpgrade`: the same Origin check, the
 * same subprotocol choice (rfc6455#section-4.2.2), the same upgrade answers.
 *
 * @example
 * ```ts
 * import { Router } from "@wsflow/wsflow";
 * import { createServerContext } from "./server_context.ts";
 * const router = new Router().route("/chat", { handler: (ws) => ws.close() });
 * const server = createServerContext(router, {});
 * console.log(server.router === router, server.admission); // true undefined
 * ```
 * @param handler A plain handler or message hooks, or a `Router`.
 * @param options The server's options.
 * @param admission The server's socket counts, when it accepts sockets itself.
 * @returns The context every stream of the server is served with.
 * @throws {TypeError} When `options.protocols` is not empty with a `Router` (each route lists
 * its own), when a protocol is not a token, when `handler` is not a function, message hooks or a
 * `Router`, or when `options.origins` is malformed.
 */
export function createServerContext(
  handler: WebSocketHandler | MessageHooks | Router,
  options: ServeOptions,
  admission?: Admission,
): ServerContext {
  let router: Router;
  if (handler instanceof Router) {
    if (options.protocols !== undefined && options.protocols.length > 0) {
      throw new TypeError(
        "Cannot serve a Router with the protocols option: list each route's protocols in " +
          "its own options instead",
      );
    }
    router = handler;
  } else {
    router = new Router().route("*", {
      protocols: options.protocols ?? [],
      protocolRequired: false,
      handler,
    });
  }
  // The limits resolved once (and checked here, at start), rather than for each handshake's
  // parser and connection.
  const resolved = options.limits === undefined
    ? options
    : { ...options, limits: resolveLimits(options.limits) };
  return { router, origins: new OriginPolicy(options.origins), options: resolved, admission };
}

/**
 * Tells the server's `onError` about an error, which must not take the server down either.
 *
 * @example
 * ```ts
 * import { createServerContext, reportError } from "./server_context.ts";
 * const server = createServerContext((ws) => ws.close(), {
 *   onError: (error, { phase }) => console.log(phase, (error as Error).message),
 * });
 * reportError(server, new Error("handler failed"), "handler", undefined); // handler handler failed
 * ```
 * @param server The server.
 * @param error What went wrong.
 * @param phase Where it went wrong.
 * @param remoteAddr The peer's address, when known.
 */
export function reportError(
  server: ServerContext,
  error: unknown,
  phase: ErrorContext["phase"],
  remoteAddr: NetAddr | undefined,
): void {
  try {
    server.options.onError?.(error, { phase, remoteAddr });
  } catch {
    // onError must not take the server down either
  }
}
