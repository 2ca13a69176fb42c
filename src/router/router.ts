/**
 * Dispatch of WebSocket upgrades by path and subprotocol. What a route's upgrade hook is lives in
 * `upgrade_hook.ts`; running it, after the `Origin` check, in `upgrade.ts`.
 *
 * **Which pattern.** Of the patterns that match a path, the most specific wins, comparing
 * segment by segment from the left: a literal beats a `:param`, which beats `*`. So `/rooms/new`
 * beats `/rooms/:id`, which beats `/rooms/*`, which beats `*`; and `/a/b/:x` beats `/a/:y/c` on
 * `/a/b/c`. Routes whose patterns match the same paths (`/rooms/:id` and `/rooms/:name`) share
 * that path, in the order they were added; there is no falling through to a less specific
 * pattern. A route for `*` takes every path, even one whose percent-encoding is malformed
 * (which no other pattern matches; its `*` param is then the path as it arrived).
 *
 * **Which route and subprotocol** (rfc6455#section-4.2.2). Among the routes of that path, the
 * first protocol in the client's `Sec-WebSocket-Protocol` offer that some route speaks is chosen,
 * with that route: the client's preference wins over the order of routes. When no offered
 * protocol is spoken there, the route that accepts connections without a subprotocol (one with
 * no `protocols`, or `protocolRequired: false`) gets the connection with protocol `""`; if there
 * is none, the upgrade is refused with 400 and a body naming the supported protocols.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-4.2.2}
 */

import { HandshakeError } from "../protocol/errors.ts";
import { isToken } from "../protocol/header_lists.ts";
import type { StreamingLimits } from "../protocol/limits.ts";
import type { PerMessageDeflateOptions } from "../protocol/permessage_deflate.ts";
import type { Handler, MessageHooks } from "./handler.ts";
import { type OriginOption, OriginPolicy } from "./origin.ts";
import { type RouteParams, RoutePattern, splitPath } from "./route_pattern.ts";
import type { UpgradeHook } from "./upgrade_hook.ts";

/**
 * A route's options; the second argument of {@linkcode Router.prototype.route}.
 *
 * @example
 * ```ts
 * import type { RouteOptions } from "@wsflow/wsflow";
 * const options: RouteOptions<{ room: string }, undefined> = {
 *   protocols: ["chat.v2", "chat"],
 *   handler: (ws, ctx) => ws.close(1000, ctx.params.room),
 * };
 * console.log(options.protocols); // ["chat.v2", "chat"]
 * ```
 * @typeParam Params The route's params, from its pattern.
 * @typeParam Data What the upgrade hook accepts connections with.
 */
export interface RouteOptions<Params, Data> {
  /**
   * Subprotocols this route speaks (tokens, compared case-sensitively). Their order does not
   * matter: the client's order of preference decides (rfc6455#section-4.2.2).
   * @default {[]}
   */
  protocols?: readonly string[] | undefined;
  /**
   * Whether a client must offer one of `protocols`. When `false`, a client that offers none of
   * them gets this route without a subprotocol. Ignored when `protocols` is empty.
   * @default {true}
   */
  protocolRequired?: boolean | undefined;
  /**
   * Which browser origins may connect (rfc6455#section-10.2). Without it, the server's
   * `origins` option applies, and without that `"same-origin"`.
   * @default {undefined}
   */
  origins?: OriginOption | undefined;
  /**
   * permessage-deflate on this route (rfc7692): its parameters, or `false` to never negotiate
   * it here. Without it, the server's `perMessageDeflate` option applies.
   * @default {undefined}
   */
  perMessageDeflate?: PerMessageDeflateOptions | false | undefined;
  /**
   * Receive this route's messages as streams (`ws.messageStreams()`), never held whole: `true`
   * with {@linkcode DEFAULT_STREAMING_LIMITS}, or the streamed messages' own limits (total bytes,
   * frame size, fragment count). Unless `perMessageDeflate` is set on the route, a streaming
   * route does not negotiate permessage-deflate, since compressed messages are held to be
   * inflated.
   * @default {false}
   */
  streaming?: boolean | Partial<StreamingLimits> | undefined;
  /**
   * Runs before the 101 response to refuse (return a `Response`) or to accept with data and
   * extra headers.
   * @default {undefined}
   */
  upgrade?: UpgradeHook<Params, Data> | undefined;
  /** Runs once per connection. */
  handler: Handler<Params, Data> | MessageHooks<Params, Data>;
}

/**
 * A route as the router keeps it, with its options resolved.
 *
 * @example
 * ```ts
 * import { Router } from "@wsflow/wsflow";
 * const router = new Router().route("/chat", { protocols: ["chat"], handler: () => {} });
 * const found = router.match(new Request("http://localhost/chat"), ["chat"]);
 * if (found.kind === "found") console.log(found.route.protocols); // ["chat"]
 * ```
 */
export interface Route {
  /** The compiled path pattern. */
  readonly pattern: RoutePattern;
  /** The subprotocols this route speaks. */
  readonly protocols: readonly string[];
  /** Whether a client must offer one of `protocols`; `false` when `protocols` is empty. */
  readonly protocolRequired: boolean;
  /** The route's origin policy; `undefined` to use the server's. */
  readonly origins: OriginPolicy | undefined;
  /** The route's permessage-deflate options; `undefined` to use the server's. */
  readonly perMessageDeflate: PerMessageDeflateOptions | false | undefined;
  /** Whether (and with which limits) the route's messages are received as streams. */
  readonly streaming: boolean | Partial<StreamingLimits>;
  /** The upgrade hook, if any. */
  readonly upgrade: UpgradeHook<Record<string, string>, unknown> | undefined;
  /** The handler. */
  readonly handler: Handler<Record<string, string>, unknown> | MessageHooks;
}

/**
 * A route was found for the path and offer.
 *
 * @example
 * ```ts
 * import { Router } from "@wsflow/wsflow";
 * const router = new Router().route("/rooms/:room", { handler: () => {} });
 * const found = router.match(new Request("http://localhost/rooms/lobby"), []);
 * if (found.kind === "found") console.log(found.params, found.protocol); // { room: "lobby" } ""
 * ```
 */
export interface RouteFound {
  /** Discriminant. */
  readonly kind: "found";
  /** The chosen route. */
  readonly route: Route;
  /** The path params, percent-decoded. */
  readonly params: Record<string, string>;
  /** The chosen subprotocol, one the client offered, or `""` for none. */
  readonly protocol: string;
}

/**
 * No route takes the request: `"not-found"` when no pattern matches the path (404),
 * `"no-protocol"` when routes exist for the path but all require a subprotocol the client did not
 * offer (400). `error` is ready to send: its status and its message as the body.
 *
 * @example
 * ```ts
 * import { Router } from "@wsflow/wsflow";
 * const router = new Router().route("/rpc", { protocols: ["jsonrpc"], handler: () => {} });
 * const refused = router.match(new Request("http://localhost/rpc"), ["mqtt"]);
 * if (refused.kind !== "found") console.log(refused.error.status); // 400
 * ```
 */
export interface RouteRefused {
  /** Discriminant. */
  readonly kind: "not-found" | "no-protocol";
  /** The refusal, with its HTTP status (404 or 400) and a message naming what was missing. */
  readonly error: HandshakeError;
  /** For `"no-protocol"`, the subprotocols the path's routes speak; otherwise empty. */
  readonly supported: readonly string[];
}

/**
 * What {@linkcode Router.prototype.match} decides.
 *
 * @example
 * ```ts
 * import type { RouteMatch } from "@wsflow/wsflow";
 * function status(match: RouteMatch): number {
 *   return match.kind === "found" ? 101 : match.error.status;
 * }
 * console.log(typeof status); // "function"
 * ```
 */
export type RouteMatch = RouteFound | RouteRefused;

/** The key of the patterns that match every path: `*` and `/*`. */
const CATCH_ALL_KEY: string = new RoutePattern("*").key;

/** The routes whose patterns match the same paths, in the order they were added. */
interface PathGroup {
  readonly pattern: RoutePattern;
  readonly routes: Route[];
}

/**
 * WebSocket routes by path pattern and subprotocol. See the module documentation for how a
 * pattern, a route and a subprotocol are chosen.
 *
 * @example Two protocols on one path: the client's offer picks the handler
 * ```ts
 * import { parseTokenList, Router } from "@wsflow/wsflow";
 * const router = new Router()
 *   .route("/rpc", { protocols: ["jsonrpc.v2"], handler: (ws) => ws.close() })
 *   .route("/rpc", { protocols: ["mqtt"], handler: (ws) => ws.close() })
 *   .route("/rooms/:room", { handler: (ws, ctx) => ws.close(1000, ctx.params.room) });
 *
 * const request = new Request("http://localhost/rpc", {
 *   headers: { "sec-websocket-protocol": "mqtt, jsonrpc.v2" },
 * });
 * const offer = parseTokenList(request.headers.get("sec-websocket-protocol") ?? "");
 * const found = router.match(request, offer);
 * if (found.kind === "found") console.log(found.protocol); // "mqtt": first in the client's order
 * ```
 */
export class Router {
  readonly #groups: PathGroup[] = [];

  /**
   * Adds a route. Several routes may share a path when they speak different subprotocols; at
   * most one of them may accept connections without a subprotocol.
   *
   * @example
   * ```ts
   * import { Router } from "@wsflow/wsflow";
   * const router = new Router().route("/rooms/:room", {
   *   upgrade(request) {
   *     const user = request.headers.get("x-user");
   *     if (user === null) return new Response("log in first", { status: 401 });
   *     return { data: { user }, headers: { "set-cookie": "seen=1" } };
   *   },
   *   handler(ws, ctx) {
   *     console.log(ctx.data.user, ctx.params.room); // typed: string, string
   *     return ws.close();
   *   },
   * });
   * console.log(router.hasPath("/rooms/lobby")); // true
   * ```
   * @typeParam P The pattern text, which types the params.
   * @typeParam Data What the upgrade hook accepts connections with, inferred from it.
   * @param pattern A path pattern (see {@linkcode RoutePattern}).
   * @param options Subprotocols, origins, the upgrade hook and the handler.
   * @returns This router, to chain calls.
   * @throws {TypeError} When the pattern or an option is malformed, when a subprotocol is already
   * spoken by another route of the same path, or when a second route of that path would accept
   * connections without a subprotocol.
   */
  route<P extends string, Data = undefined>(
    pattern: P,
    options: RouteOptions<RouteParams<P>, Data>,
  ): this {
    const compiled = new RoutePattern(pattern);
    const protocols = [...(options.protocols ?? [])];
    for (const protocol of protocols) {
      // rfc6455#section-4.1: each subprotocol is a token
      if (!isToken(protocol)) {
        throw new TypeError(
          `Cannot add route ${pattern}: subprotocol ${JSON.stringify(protocol)} is not a token ` +
            `(rfc6455#section-4.1)`,
        );
      }
    }
    const handler = options.handler;
    if (typeof handler !== "function") {
      if (typeof handler !== "object" || handler === null) {
        throw new TypeError(
          `Cannot add route ${pattern}: handler is neither a function nor message hooks`,
        );
      }
      for (const hook of ["open", "message", "close"] as const) {
        const fn = handler[hook];
        if (typeof fn !== "function" && (hook === "message" || fn !== undefined)) {
          throw new TypeError(`Cannot add route ${pattern}: hooks.${hook} is not a function`);
        }
      }
      if ((options.streaming ?? false) !== false) {
        throw new TypeError(
          `Cannot add route ${pattern}: a streaming route reads messageStreams(), which message ` +
            "hooks do not; give it a handler function",
        );
      }
    }
    const route: Route = {
      pattern: compiled,
      protocols,
      protocolRequired: protocols.length > 0 && options.protocolRequired !== false,
      origins: options.origins === undefined ? undefined : new OriginPolicy(options.origins),
      perMessageDeflate: options.perMessageDeflate,
      streaming: options.streaming ?? false,
      upgrade: options.upgrade as Route["upgrade"],
      handler: options.handler as Route["handler"],
    };
    let group = this.#groups.find((candidate) => candidate.pattern.key === compiled.key);
    if (group === undefined) {
      group = { pattern: compiled, routes: [] };
      // Keep groups sorted, most specific first; equal ones keep the order they were added in.
      let at = this.#groups.length;
      while (at > 0 && RoutePattern.compare(compiled, this.#groups[at - 1]!.pattern) < 0) at--;
      this.#groups.splice(at, 0, group);
    }
    for (const other of group.routes) {
      const shared = protocols.find((protocol) => other.protocols.includes(protocol));
      if (shared !== undefined) {
        throw new TypeError(
          `Cannot add route ${pattern}: subprotocol "${shared}" is already spoken by route ` +
            `${other.pattern.source}, which matches the same paths`,
        );
      }
      if (!route.protocolRequired && !other.protocolRequired) {
        throw new TypeError(
          `Cannot add route ${pattern}: route ${other.pattern.source} already takes connections ` +
            `without a subprotocol on the same paths`,
        );
      }
    }
    group.routes.push(route);
    return this;
  }

  /**
   * Chooses the route, params and subprotocol for an upgrade request; see the module
   * documentation for the rules.
   *
   * @example
   * ```ts
   * import { Router } from "@wsflow/wsflow";
   * const router = new Router().route("/echo", { handler: (ws) => ws.close() });
   * console.log(router.match(new Request("http://localhost/echo"), ["chat"]).kind); // "found"
   * console.log(router.match(new Request("http://localhost/nope"), []).kind); // "not-found"
   * ```
   * @param request The upgrade request (a web `Request`, or anything with its `url`); its URL's
   *   path is matched: `pathname` when given (a server that has parsed the URL passes it),
   *   else parsed from `url`.
   * @param offeredProtocols The client's `Sec-WebSocket-Protocol` tokens in its order, as
   * `parseTokenList` gives them (all field lines combined).
   * @returns The chosen route, or why there is none.
   */
  match(
    request: { readonly url: string; readonly pathname?: string | undefined },
    offeredProtocols: readonly string[],
  ): RouteMatch {
    const pathname = request.pathname ?? new URL(request.url).pathname;
    const found = this.#find(pathname);
    if (found === null) {
      return {
        kind: "not-found",
        error: new HandshakeError(`Cannot upgrade: no WebSocket route for path ${pathname}`, 404),
        supported: [],
      };
    }
    const { group, segments } = found;
    // rfc6455#section-4.2.2: the server selects one of the offered subprotocols, or none; the
    // client lists them in its order of preference, so the first one any route speaks wins
    for (const protocol of offeredProtocols) {
      const route = group.routes.find((candidate) => candidate.protocols.includes(protocol));
      if (route !== undefined) return foundRoute(route, segments, pathname, protocol);
    }
    const fallback = group.routes.find((candidate) => !candidate.protocolRequired);
    if (fallback !== undefined) return foundRoute(fallback, segments, pathname, "");
    const supported = group.routes.flatMap((route) => route.protocols);
    const offered = offeredProtocols.length === 0 ? "none" : offeredProtocols.join(", ");
    return {
      kind: "no-protocol",
      error: new HandshakeError(
        `Cannot upgrade: ${pathname} requires one of the subprotocols ${supported.join(", ")}; ` +
          `offered: ${offered} (rfc6455#section-4.2.2)`,
        400,
      ),
      supported,
    };
  }

  /**
   * Whether some route's pattern matches `pathname`, whatever the subprotocol: a server answers
   * plain HTTP there with 426 Upgrade Required, and elsewhere with 404.
   *
   * @example
   * ```ts
   * import { Router } from "@wsflow/wsflow";
   * const router = new Router().route("/files/*", { handler: (ws) => ws.close() });
   * console.log(router.hasPath("/files/a/b"), router.hasPath("/files")); // true false
   * ```
   * @param pathname A URL path (`URL.pathname`), percent-encoded as it arrived.
   * @returns `true` when a WebSocket route exists for the path.
   */
  hasPath(pathname: string): boolean {
    return this.#find(pathname) !== null;
  }

  /** The most specific group matching the path, with the path's decoded segments. */
  #find(pathname: string): { group: PathGroup; segments: string[] | null } | null {
    const segments = splitPath(pathname);
    if (segments === null) {
      // Malformed percent-encoding: no pattern's segments can be compared, but a route for
      // every path (`*`, which a server's plain handler runs as) still takes the request.
      const all = this.#groups.find((candidate) => candidate.pattern.key === CATCH_ALL_KEY);
      return all === undefined || pathname.charCodeAt(0) !== 0x2f
        ? null
        : { group: all, segments: null };
    }
    // The groups are sorted most specific first, so the first match is the best one.
    const group = this.#groups.find((candidate) => candidate.pattern.matchSegments(segments));
    return group === undefined ? null : { group, segments };
  }
}

function foundRoute(
  route: Route,
  segments: readonly string[] | null,
  pathname: string,
  protocol: string,
): RouteFound {
  // Routes of one group may name their params differently (`:id`, `:name`): use the chosen one's.
  // A path that could not be decoded is the catch-all's rest as it arrived.
  const params = segments === null
    ? { "*": pathname.slice(1) }
    : route.pattern.matchSegments(segments) ?? {};
  return { kind: "found", route, params, protocol };
}
