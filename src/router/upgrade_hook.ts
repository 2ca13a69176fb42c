/**
 * What a route's upgrade hook is: a function of the upgrade request that runs before the 101
 * response, once the route, params and subprotocol are known, and refuses (a `Response`) or
 * accepts (with data for the handler and extra 101 header fields). `upgrade.ts` runs it.
 *
 * @module
 */

/**
 * What the upgrade hook is told besides the request.
 *
 * @example
 * ```ts
 * import type { UpgradeContext } from "@wsflow/wsflow";
 * const ctx: UpgradeContext<{ room: string }> = { params: { room: "lobby" }, protocol: "" };
 * console.log(ctx.params.room); // "lobby"
 * ```
 * @typeParam Params The route's params, from its pattern.
 */
export interface UpgradeContext<Params> {
  /** The path params, percent-decoded. */
  readonly params: Params;
  /** The subprotocol that will be selected, or `""` for none. */
  readonly protocol: string;
}

/**
 * The upgrade hook's way to accept: per-connection data for the handler, and header fields for
 * the 101 response (such as `Set-Cookie`). With no `Data` to pass, `data` may be left out.
 *
 * @example
 * ```ts
 * import type { UpgradeAccept } from "@wsflow/wsflow";
 * const accept: UpgradeAccept<{ user: string }> = {
 *   data: { user: "ada" },
 *   headers: { "set-cookie": "seen=1; HttpOnly" },
 * };
 * console.log(accept.data.user); // "ada"
 * ```
 * @typeParam Data The type of `data`.
 */
export type UpgradeAccept<Data> =
  & {
    /**
     * Header fields to add to the 101 response. The handshake's own fields are refused.
     * @default {undefined}
     */
    headers?: HeadersInit | undefined;
    /**
     * The subprotocol to select instead of the route's choice (`ctx.protocol`): one the client
     * offered (rfc6455#section-4.2.2), or `""` for none. For servers that choose at run time, as
     * `ws`'s `handleProtocols` does.
     * @default {ctx.protocol}
     */
    protocol?: string | undefined;
  }
  & (undefined extends Data ? { data?: Data } : { data: Data });

/**
 * What an upgrade hook returns: a `Response` refuses the upgrade and is sent as it is (any
 * status, headers and body; even a 2xx does not upgrade), an {@linkcode UpgradeAccept} accepts
 * with data and headers, and nothing accepts with `data` undefined.
 *
 * @example
 * ```ts
 * import type { UpgradeResult } from "@wsflow/wsflow";
 * const refusal: UpgradeResult<undefined> = new Response("log in first", { status: 401 });
 * console.log(refusal instanceof Response); // true
 * ```
 * @typeParam Data The type of the accepted connection's `data`.
 */
export type UpgradeResult<Data> = Response | UpgradeAccept<Data> | undefined | void;

/**
 * Runs before the 101 response, once the route, params and subprotocol are known and the
 * `Origin` check has passed: authenticate, then refuse or accept.
 *
 * @example
 * ```ts
 * import type { UpgradeHook } from "@wsflow/wsflow";
 * const requireToken: UpgradeHook<Record<string, string>, { token: string }> = (request) => {
 *   const token = new URL(request.url).searchParams.get("token");
 *   if (token === null) return new Response("token required", { status: 401 });
 *   return { data: { token } };
 * };
 * console.log(typeof requireToken); // "function"
 * ```
 * @typeParam Params The route's params, from its pattern.
 * @typeParam Data What accepted connections carry.
 */
export type UpgradeHook<Params, Data> = (
  request: Request,
  ctx: UpgradeContext<Params>,
) => UpgradeResult<Data> | Promise<UpgradeResult<Data>>;
