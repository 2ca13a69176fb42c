/**
 * An upgrade request as the dispatch reads it: its URL and header fields at once, the web
 * `Request` only when an upgrade hook or a handler asks for it. Building a `Request` (its own
 * copy of the fields, an `AbortSignal`, a parsed URL) for every handshake cost more than the
 * route and Origin checks it fed, which need only the URL and two fields.
 *
 * @module
 */

import {
  type Http1Request,
  ParsedRequest,
  requestField,
} from "../protocol/http1_request_parser.ts";

/**
 * The parts of an upgrade request the route and Origin checks read: a web `Request` has them.
 *
 * @example
 * ```ts
 * import type { RequestParts } from "./upgrade_request.ts";
 * const parts: RequestParts = new Request("http://localhost/chat");
 * console.log(parts.url); // http://localhost/chat
 * ```
 */
export interface RequestParts {
  /** The request's URL, `http:` or `https:`, with its path and query. */
  readonly url: string;
  /** The request's header fields. */
  readonly headers: { get(name: string): string | null };
  /**
   * The path of `url`, when it is already known: saves parsing `url` again.
   * @default {parsed from `url`}
   */
  readonly pathname?: string | undefined;
}

/**
 * An upgrade request whose web `Request` is made on first use.
 *
 * @example
 * ```ts
 * import { requestView } from "./upgrade_request.ts";
 * const view = requestView(new Request("http://localhost/chat"));
 * console.log(view.url, view.request().method); // http://localhost/chat GET
 * ```
 */
export interface UpgradeRequestView extends RequestParts {
  /** The request's header fields: the connection's `headers` too. */
  readonly headers: Headers;
  /**
   * The header lines `headers` was made from, when the request was read from bytes: the
   * connection keeps these, and makes its own `Headers` of them only if they are read. As one
   * string of `Name: value\r\n` lines when they arrived so (a head read whole).
   * @default {undefined}
   */
  readonly fields?: readonly (readonly [name: string, value: string])[] | string | undefined;
  /**
   * The request's URL and fields for the route and Origin checks, when they can be read
   * without making `headers`.
   * @default {undefined: the view itself}
   */
  readonly parts?: RequestParts | undefined;
  /**
   * The web `Request`, the same one at every call.
   * @returns The request.
   */
  request(): Request;
}

/**
 * The view of a `Request` that already exists.
 *
 * @example
 * ```ts
 * import { requestView } from "./upgrade_request.ts";
 * const request = new Request("http://localhost/chat");
 * console.log(requestView(request).request() === request); // true
 * ```
 * @param request The request.
 * @returns Its view.
 */
export function requestView(request: Request): UpgradeRequestView {
  return { url: request.url, headers: request.headers, request: () => request };
}

/**
 * The view of a request head that arrived as bytes: its `Request` is built from the URL,
 * method and fields on first use, and its `headers` are the head's, made when first read (the
 * route and Origin checks read the head's fields through `parts`). The `Request` gets its own
 * copy of the fields, as a `Request` always does.
 *
 * @example
 * ```ts
 * import { Http1RequestParser } from "../protocol/http1_request_parser.ts";
 * import { lazyRequestView } from "./upgrade_request.ts";
 * const head = new Http1RequestParser().push(
 *   new TextEncoder().encode("GET /chat HTTP/1.1\r\nHost: localhost\r\n\r\n"),
 * )!;
 * const view = lazyRequestView("http://localhost/chat", "GET", head);
 * console.log(view.headers.get("host"), view.request().headers.get("host")); // localhost localhost
 * ```
 * @param url The request's URL, `http:` or `https:`.
 * @param method The method as sent; one a `Request` cannot carry becomes `POST` (the handshake
 *   checks the method as sent, not the `Request`'s).
 * @param head The request head: its header fields and lines.
 * @param pathname The path of `url`, when known.
 * @returns The view.
 */
export function lazyRequestView(
  url: string,
  method: string,
  head: Pick<Http1Request, "headers" | "rawHeaders">,
  pathname?: string,
): UpgradeRequestView {
  return new LazyRequestView(url, method, head, pathname);
}

// A class, so that a handshake makes one object and no closure. It is its own `parts` (a
// lookup by name is all the checks ask of `headers`).
class LazyRequestView implements UpgradeRequestView, RequestParts {
  readonly url: string;
  readonly pathname: string | undefined;
  readonly #method: string;
  readonly #head: Pick<Http1Request, "headers" | "rawHeaders">;
  #request: Request | undefined;

  constructor(
    url: string,
    method: string,
    head: Pick<Http1Request, "headers" | "rawHeaders">,
    pathname: string | undefined,
  ) {
    this.url = url;
    this.pathname = pathname;
    this.#method = method;
    this.#head = head;
  }

  get headers(): Headers {
    return this.#head.headers;
  }

  get fields(): readonly (readonly [name: string, value: string])[] | string {
    const head = this.#head;
    return (head instanceof ParsedRequest ? head.fieldBlock : undefined) ?? head.rawHeaders;
  }

  get parts(): RequestParts {
    return { url: this.url, headers: this, pathname: this.pathname };
  }

  /** A field by name, without making `headers`: what `parts.headers` reads. */
  get(name: string): string | null {
    return requestField(this.#head, name);
  }

  request(): Request {
    const method = this.#method;
    return this.#request ??= new Request(this.url, {
      method: method === "GET" || method === "HEAD" ? method : "POST",
      headers: this.headers,
    });
  }
}
