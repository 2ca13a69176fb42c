/**
 * The steps between choosing a route and sending the 101: the route's `Origin` check
 * (rfc6455#section-10.2), then its upgrade hook (see `upgrade_hook.ts`).
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-10.2}
 */

import { HandshakeError } from "../protocol/errors.ts";
import type { RouteContext } from "./handler.ts";
import { type OriginOption, OriginPolicy } from "./origin.ts";
import type { RouteFound } from "./router.ts";
import { requestView, type UpgradeRequestView } from "./upgrade_request.ts";

/**
 * Options of {@linkcode runUpgrade}.
 *
 * @example
 * ```ts
 * import type { RunUpgradeOptions } from "@wsflow/wsflow";
 * const options: RunUpgradeOptions = { origins: ["https://app.example.com"] };
 * console.log(options.origins); // ["https://app.example.com"]
 * ```
 */
export interface RunUpgradeOptions {
  /**
   * The server-wide origin policy, for routes without their own `origins`.
   * @default {"same-origin"}
   */
  origins?: OriginOption | OriginPolicy | undefined;
}

/**
 * What {@linkcode runUpgrade} decides: `"accepted"` with the extra 101 headers and the handler's
 * context, `"refused"` by the upgrade hook with its `Response`, or `"forbidden"` by the origin
 * policy with a 403 {@linkcode HandshakeError}.
 *
 * @example
 * ```ts
 * import type { UpgradeDecision } from "@wsflow/wsflow";
 * function status(decision: UpgradeDecision): number {
 *   if (decision.kind === "accepted") return 101;
 *   return decision.kind === "refused" ? decision.response.status : decision.error.status;
 * }
 * console.log(typeof status); // "function"
 * ```
 */
export type UpgradeDecision =
  | {
    readonly kind: "accepted";
    /** Header fields the hook asked to add to the 101 response. */
    readonly headers: Headers;
    /** The context to call the route's handler with. */
    readonly context: RouteContext<Record<string, string>, unknown>;
  }
  | {
    readonly kind: "refused";
    /** The hook's response, to send as it is. */
    readonly response: Response;
  }
  | {
    readonly kind: "forbidden";
    /** Status 403, with the reason as the message. */
    readonly error: HandshakeError;
  };

/**
 * Runs the steps between choosing a route and sending the 101: the route's `Origin` check
 * (rfc6455#section-10.2), then its upgrade hook. A hook that throws makes this reject; the
 * server answers 500.
 *
 * @example
 * ```ts
 * import { Router, runUpgrade } from "@wsflow/wsflow";
 * const router = new Router().route("/chat", {
 *   upgrade: () => ({ data: { user: "ada" }, headers: { "set-cookie": "seen=1" } }),
 *   handler: (ws) => ws.close(),
 * });
 * const request = new Request("http://localhost/chat");
 * const found = router.match(request, []);
 * if (found.kind === "found") {
 *   const decision = await runUpgrade(found, request);
 *   if (decision.kind === "accepted") {
 *     console.log(decision.headers.get("set-cookie"), decision.context.data); // "seen=1" { user: "ada" }
 *   }
 * }
 * ```
 * @param found The route chosen by {@linkcode Router.prototype.match}.
 * @param request The upgrade request.
 * @param options The server-wide origin policy.
 * @returns Accepted with headers and the handler's context, refused by the hook, or forbidden.
 */
export function runUpgrade(
  found: RouteFound,
  request: Request,
  options: RunUpgradeOptions = {},
): Promise<UpgradeDecision> {
  let decided: ViewDecision | Promise<ViewDecision>;
  try {
    decided = decideUpgrade(found, requestView(request), options);
  } catch (error) {
    return Promise.reject(error);
  }
  return Promise.resolve(decided).then((decision) =>
    decision.kind === "accepted"
      ? { ...decision, headers: new Headers(decision.headers) }
      : decision
  );
}

/**
 * What {@linkcode decideUpgrade} decides: an {@linkcode UpgradeDecision}, with the hook's extra
 * 101 headers as it gave them (no `Headers` is made for a hook that gave none).
 *
 * @example
 * ```ts
 * import type { ViewDecision } from "./upgrade.ts";
 * const decision: ViewDecision = {
 *   kind: "accepted",
 *   headers: undefined,
 *   context: { request: new Request("http://localhost/"), params: {}, protocol: "", data: undefined },
 * };
 * console.log(decision.kind); // accepted
 * ```
 */
export type ViewDecision =
  | Exclude<UpgradeDecision, { readonly kind: "accepted" }>
  | {
    readonly kind: "accepted";
    /** Header fields the hook asked to add to the 101 response, if any. */
    readonly headers: HeadersInit | undefined;
    /** The context to call the route's handler with. */
    readonly context: RouteContext<Record<string, string>, unknown>;
  };

/**
 * {@linkcode runUpgrade} on an {@linkcode UpgradeRequestView}: the Origin check reads the view's
 * fields, and its `Request` is made only for a hook, or when the handler reads
 * `context.request`. What a server's every upgrade goes through. Without an upgrade hook it
 * decides at once, with no promise; a hook that throws makes it throw (or reject).
 *
 * @example
 * ```ts
 * import { Router } from "@wsflow/wsflow";
 * import { Http1RequestParser } from "../protocol/http1_request_parser.ts";
 * import { decideUpgrade } from "./upgrade.ts";
 * import { lazyRequestView } from "./upgrade_request.ts";
 * const router = new Router().route("/chat", { handler: (ws) => ws.close() });
 * const head = new Http1RequestParser().push(
 *   new TextEncoder().encode("GET /chat HTTP/1.1\r\nHost: localhost\r\n\r\n"),
 * )!;
 * const view = lazyRequestView("http://localhost/chat", "GET", head);
 * const found = router.match(view, []);
 * if (found.kind === "found") {
 *   const decision = await decideUpgrade(found, view);
 *   console.log(decision.kind); // accepted
 * }
 * ```
 * @param found The route chosen by {@linkcode Router.prototype.match}.
 * @param view The upgrade request.
 * @param options The server-wide origin policy.
 * @returns Accepted with headers and the handler's context, refused by the hook, or forbidden;
 *   a promise of it when the route has an upgrade hook.
 */
export function decideUpgrade(
  found: RouteFound,
  view: UpgradeRequestView,
  options: RunUpgradeOptions = {},
): ViewDecision | Promise<ViewDecision> {
  const { route, params, protocol } = found;
  const policy = route.origins ?? toPolicy(options.origins);
  // rfc6455#section-10.2: a server that is not meant for every site's pages refuses a foreign
  // Origin with a 403; checked before the hook, so a hook never sees a hijacked handshake
  const check = policy.check(view.parts ?? view);
  if (!check.allowed) return { kind: "forbidden", error: new HandshakeError(check.reason, 403) };
  if (route.upgrade === undefined) {
    return {
      kind: "accepted",
      headers: undefined,
      context: routeContext(view, params, protocol, undefined),
    };
  }
  const upgrade = route.upgrade;
  return (async (): Promise<ViewDecision> => {
    const result = await upgrade(view.request(), { params, protocol });
    if (result instanceof Response) return { kind: "refused", response: result };
    if (result !== undefined && (typeof result !== "object" || result === null)) {
      throw new TypeError(
        `Cannot upgrade on ${route.pattern.source}: the upgrade hook returned ${typeof result}; ` +
          `expected a Response, { data, headers } or nothing`,
      );
    }
    return {
      kind: "accepted",
      headers: result?.headers,
      context: routeContext(view, params, result?.protocol ?? protocol, result?.data),
    };
  })();
}

function routeContext(
  view: UpgradeRequestView,
  params: Record<string, string>,
  protocol: string,
  data: unknown,
): RouteContext<Record<string, string>, unknown> {
  return new LazyRouteContext(view, params, protocol, data);
}

/**
 * A route context with `request` as an own accessor, as an object literal's `get request()`
 * made it, but one pair of accessor functions serves every connection. An object literal's
 * accessors are closures made per object, and V8 cannot share a hidden class between objects
 * whose accessors differ: each connection got a hidden class, a descriptor array and the
 * inline-cache handlers of its own, garbage that outlived the handshake in the old generation
 * (about 0.8 KiB per connection of a 10,000-connection burst).
 */
class LazyRouteContext {
  declare readonly request: Request;
  declare readonly params: Record<string, string>;
  declare readonly protocol: string;
  declare readonly data: unknown;
  #view: UpgradeRequestView;
  #request: Request | undefined;

  static readonly #requestAccessor: PropertyDescriptor = {
    get(this: LazyRouteContext): Request {
      return this.#request ??= this.#view.request();
    },
    set(this: LazyRouteContext, value: Request): void {
      this.#request = value;
    },
    enumerable: true,
    configurable: true,
  };

  constructor(
    view: UpgradeRequestView,
    params: Record<string, string>,
    protocol: string,
    data: unknown,
  ) {
    this.#view = view;
    // Own properties in the literal's order, `request` first.
    Object.defineProperty(this, "request", LazyRouteContext.#requestAccessor);
    (this as { params: Record<string, string> }).params = params;
    (this as { protocol: string }).protocol = protocol;
    (this as { data: unknown }).data = data;
  }
}

function toPolicy(option: OriginOption | OriginPolicy | undefined): OriginPolicy {
  return option instanceof OriginPolicy ? option : new OriginPolicy(option);
}
