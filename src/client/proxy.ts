/**
 * HTTP proxies for the client: which proxy a URL goes through (an option, or `HTTPS_PROXY` /
 * `HTTP_PROXY` / `NO_PROXY` as curl and undici read them), and the `CONNECT` exchange that
 * opens a tunnel through it (rfc9110#section-9.3.6), with Basic credentials from the proxy
 * URL's userinfo (rfc9110#section-11.7.1). Runtime-free: the environment is an argument, and
 * the tunnel is opened over the read and write functions an adapter gives it. `wss://` through
 * the tunnel is TLS end to end with the origin; the proxy sees only the host and port.
 *
 * @module
 * @see {@link https://www.rfc-editor.org/rfc/rfc9110#section-9.3.6}
 */

import { HandshakeError } from "../protocol/errors.ts";
import { type Http1Response, Http1ResponseParser } from "../protocol/http1_response_parser.ts";
import type { Limits } from "../protocol/limits.ts";

/**
 * The environment variables a proxy is taken from. Upper- and lower-case names both count;
 * where both are set, lower case wins (as curl reads them).
 *
 * @example
 * ```ts
 * import type { ProxyEnv } from "@wsflow/wsflow";
 * const env: ProxyEnv = { HTTPS_PROXY: "http://proxy.corp:3128", NO_PROXY: "localhost,.internal" };
 * console.log(env.HTTPS_PROXY);
 * ```
 */
export type ProxyEnv = Readonly<Record<string, string | undefined>>;

/**
 * A proxy refused the tunnel (`status` is its answer: 407 without or with wrong credentials,
 * 403 by its policy, 502 when it cannot reach the origin…), or could not be reached (`status`
 * 0, the transport's error as `cause`). A `HandshakeError`, since the WebSocket handshake
 * never started.
 *
 * @example
 * ```ts
 * import { ProxyError } from "@wsflow/wsflow";
 * const error = new ProxyError("Cannot open a tunnel through http://proxy:3128: 407", 407);
 * console.log(error.status, error instanceof Error); // 407 true
 * ```
 */
export class ProxyError extends HandshakeError {
  /**
   * Creates the instance.
   * @param message What failed, naming the proxy without its credentials.
   * @param status The proxy's HTTP status, or 0 when it could not be reached.
   * @param headers The proxy's response header fields.
   * @param options Standard error options (`cause`).
   */
  constructor(message: string, status: number, headers?: HeadersInit, options?: ErrorOptions) {
    super(message, status, headers, options);
    this.name = "ProxyError";
  }
}

/**
 * Whether `NO_PROXY` exempts a host from the proxy: a comma (or space) separated list whose
 * entries are `*` (every host), a host name that matches itself and its subdomains (a leading
 * `.` or `*.` is the same), or an IP address that matches itself; each optionally with `:port`,
 * then only for that port. IPv6 addresses may be written in brackets. CIDR ranges are not
 * supported.
 *
 * @example
 * ```ts
 * import { matchesNoProxy } from "@wsflow/wsflow";
 * console.log(matchesNoProxy("api.internal", 443, "localhost,.internal")); // true
 * console.log(matchesNoProxy("example.com", 8080, "example.com:443")); // false
 * ```
 * @param hostname The host connected to (an IPv6 address without brackets).
 * @param port The port connected to.
 * @param noProxy The variable's value.
 * @returns `true` when the host goes direct.
 */
export function matchesNoProxy(hostname: string, port: number, noProxy: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  for (const raw of noProxy.split(/[\s,]+/)) {
    let entry = raw.trim().toLowerCase();
    if (entry === "") continue;
    if (entry === "*") return true;
    let entryPort: number | undefined;
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    if (bracketed !== null) {
      entry = bracketed[1]!;
      entryPort = bracketed[2] === undefined ? undefined : Number(bracketed[2]);
    } else {
      const colon = entry.lastIndexOf(":");
      // One colon is host:port; more is an IPv6 address without a port.
      if (colon !== -1 && entry.indexOf(":") === colon) {
        entryPort = Number(entry.slice(colon + 1));
        entry = entry.slice(0, colon);
      }
    }
    if (entryPort !== undefined && entryPort !== port) continue;
    entry = entry.replace(/^\*?\./, "").replace(/\.$/, "");
    if (host === entry || host.endsWith(`.${entry}`)) return true;
  }
  return false;
}

/**
 * The proxy for `url` from the environment: `https_proxy` / `HTTPS_PROXY` for `wss:`,
 * `http_proxy` / `HTTP_PROXY` for `ws:`, unless `no_proxy` / `NO_PROXY` exempts the host (see
 * {@linkcode matchesNoProxy}). A value without a scheme is taken as `http://`. An empty value
 * means none.
 *
 * @example
 * ```ts
 * import { proxyFromEnv } from "@wsflow/wsflow";
 * const env = { HTTPS_PROXY: "proxy.corp:3128", https_proxy: "http://local:8888" };
 * console.log(proxyFromEnv(new URL("wss://example.com/"), env)?.href); // "http://local:8888/"
 * console.log(proxyFromEnv(new URL("ws://example.com/"), env)); // undefined
 * ```
 * @param url The `ws:` or `wss:` URL connected to.
 * @param env The environment's variables.
 * @returns The proxy's URL, or `undefined` to go direct.
 */
export function proxyFromEnv(url: URL, env: ProxyEnv): URL | undefined {
  const secure = url.protocol === "wss:" || url.protocol === "https:";
  const value = secure ? env.https_proxy ?? env.HTTPS_PROXY : env.http_proxy ?? env.HTTP_PROXY;
  if (value === undefined || value.trim() === "") return undefined;
  const noProxy = env.no_proxy ?? env.NO_PROXY;
  const hostname = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = url.port === "" ? (secure ? 443 : 80) : Number(url.port);
  if (noProxy !== undefined && matchesNoProxy(hostname, port, noProxy)) return undefined;
  return parseProxyUrl(value);
}

/**
 * Parses a proxy URL: `http://[user:password@]host[:port]`, the scheme optional. Only HTTP
 * proxies are supported; the port defaults to 80.
 *
 * @example
 * ```ts
 * import { parseProxyUrl } from "@wsflow/wsflow";
 * console.log(parseProxyUrl("proxy.corp:3128").href); // "http://proxy.corp:3128/"
 * ```
 * @param value The URL.
 * @returns It, parsed.
 * @throws {TypeError} When it is not a valid `http:` URL.
 */
export function parseProxyUrl(value: string | URL): URL {
  const text = String(value).trim();
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`);
  } catch {
    throw new TypeError(`Cannot use proxy ${text}: not a URL`);
  }
  if (url.protocol !== "http:") {
    throw new TypeError(
      `Cannot use proxy ${
        redact(url)
      }: only http:// proxies are supported (the tunnel to the origin is still TLS for wss://)`,
    );
  }
  return url;
}

/**
 * How an adapter talks to the proxy before the tunnel is open: raw bytes on the TCP socket.
 *
 * @example
 * ```ts ignore
 * const io: TunnelIo = { write: (bytes) => conn.write(bytes).then(() => {}), read: readChunk };
 * ```
 */
export interface TunnelIo {
  /** Writes bytes to the proxy. */
  write(bytes: Uint8Array): Promise<void>;
  /** The next bytes from the proxy, or `null` once it closed. */
  read(): Promise<Uint8Array | null>;
}

/**
 * What an opener needs to go through a proxy: where the proxy is, and the function that opens
 * the tunnel over the socket to it (the `CONNECT` exchange). After `open`, the socket carries
 * the origin's bytes: an opener for `wss:` starts TLS on it.
 *
 * @example
 * ```ts ignore
 * const tcp = await Deno.connect({ hostname: proxy.hostname, port: proxy.port });
 * await proxy.open({ write: (b) => tcp.write(b).then(() => {}), read: readChunkOf(tcp) });
 * ```
 */
export interface SocketProxy {
  /** The proxy's host name or address (IPv6 without brackets). */
  hostname: string;
  /** The proxy's port. */
  port: number;
  /**
   * Sends `CONNECT` and reads the proxy's answer.
   * @throws {ProxyError} (rejects) When the proxy refuses, or closes, or the answer is invalid.
   */
  open(io: TunnelIo): Promise<void>;
}

/**
 * A {@linkcode SocketProxy} for a tunnel to `hostname:port` through `proxy`.
 *
 * @example
 * ```ts
 * import { socketProxy } from "@wsflow/wsflow";
 * const proxy = socketProxy(new URL("http://user:pw@127.0.0.1:3128"), "example.com", 443);
 * console.log(proxy.hostname, proxy.port); // "127.0.0.1" 3128
 * ```
 * @param proxy The proxy's URL, with credentials in its userinfo if it wants them.
 * @param hostname The origin's host (IPv6 without brackets).
 * @param port The origin's port.
 * @param limits Response-head limits for the proxy's answer.
 * @returns The proxy's address and its tunnel opener.
 */
export function socketProxy(
  proxy: URL,
  hostname: string,
  port: number,
  limits?: Partial<Limits>,
): SocketProxy {
  const authority = `${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
  const lines = [
    `CONNECT ${authority} HTTP/1.1`,
    `Host: ${authority}`,
  ];
  if (proxy.username !== "" || proxy.password !== "") {
    // rfc7617#section-2: Basic is base64 of user-id ":" password, in UTF-8
    const credentials = `${decodeURIComponent(proxy.username)}:${
      decodeURIComponent(proxy.password)
    }`;
    const bytes = new TextEncoder().encode(credentials);
    lines.push(`Proxy-Authorization: Basic ${btoa(String.fromCharCode(...bytes))}`);
  }
  const request = new TextEncoder().encode(`${lines.join("\r\n")}\r\n\r\n`);
  const name = redact(proxy);
  return {
    hostname: proxy.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: proxy.port === "" ? 80 : Number(proxy.port),
    async open(io: TunnelIo): Promise<void> {
      await io.write(request);
      const parser = new Http1ResponseParser(limits);
      while (true) {
        const chunk = await io.read();
        if (chunk === null) {
          throw new ProxyError(
            `Cannot open a tunnel through ${name}: the proxy closed the connection without answering (rfc9110#section-9.3.6)`,
            0,
          );
        }
        let response: Http1Response | null;
        try {
          response = parser.push(chunk);
        } catch (error) {
          throw new ProxyError(
            `Cannot open a tunnel through ${name}: invalid answer: ${(error as Error).message}`,
            0,
            undefined,
            { cause: error },
          );
        }
        if (response === null) continue;
        // rfc9110#section-9.3.6: any 2xx means the tunnel is open; anything else is a refusal
        if (response.status < 200 || response.status > 299) {
          throw new ProxyError(
            `Cannot open a tunnel through ${name}: the proxy answered ${response.status} ${response.statusText}`
              .trimEnd(),
            response.status,
            response.headers,
          );
        }
        if (response.rest.length > 0) {
          throw new ProxyError(
            `Cannot open a tunnel through ${name}: the proxy sent bytes before the origin could have`,
            0,
          );
        }
        return;
      }
    },
  };
}

/**
 * A proxy URL for messages: without its credentials.
 *
 * @example
 * ```ts
 * import { redactProxyUrl } from "@wsflow/wsflow";
 * console.log(redactProxyUrl(new URL("http://user:secret@proxy:3128"))); // "http://proxy:3128"
 * ```
 * @param url The proxy's URL.
 * @returns `scheme://host:port`.
 */
export function redactProxyUrl(url: URL): string {
  return redact(url);
}

function redact(url: URL): string {
  return `${url.protocol}//${url.host}`;
}
