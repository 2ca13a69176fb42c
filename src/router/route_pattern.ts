/**
 * Path patterns of WebSocket routes: `/echo` (exact), `/rooms/:id` (one named segment),
 * `/files/*` (the rest of the path) and `*` (any path).
 *
 * Matching is hand-written segment comparison, no regular expressions: the path is split and
 * percent-decoded once, in one pass, and each pattern then looks at each segment at most once, so
 * a hostile path of n characters costs O(n) per pattern and nothing can backtrack.
 *
 * Rules, all case-sensitive:
 *
 * | Segment | Matches | Param |
 * | --- | --- | --- |
 * | `echo` | exactly `echo` once decoded (`ech%6F` too) | none |
 * | `:id` | one non-empty segment | `id`, percent-decoded (`a%2Fb` gives `"a/b"`) |
 * | `*` (last only) | the rest of the path, possibly empty, `/` included | `"*"`, decoded |
 *
 * A pattern is `*` or starts with `/`. `/files/*` needs the `/files/` prefix (`/files` alone is
 * another path), and `/echo/` is not `/echo`. A path whose percent-encoding is malformed matches
 * no pattern.
 *
 * @module
 */

/**
 * The params a pattern yields, computed from its text: one `string` per `:name` segment, and
 * `"*"` for a trailing `*`. A pattern typed only as `string` gives `Record<string, string>`.
 *
 * @example
 * ```ts
 * import type { RouteParams } from "@wsflow/wsflow";
 * const params: RouteParams<"/rooms/:id/:user"> = { id: "lobby", user: "ada" };
 * const rest: RouteParams<"/files/*"> = { "*": "docs/readme.md" };
 * console.log(params.user, rest["*"]); // "ada" "docs/readme.md"
 * ```
 */
export type RouteParams<P extends string> = string extends P ? Record<string, string>
  : { [K in RouteParamNames<P>]: string };

/**
 * The param names a pattern declares, as a union: `"id" | "user"` for `/rooms/:id/:user`, and
 * `"*"` for a trailing `*`. Tail-recursive over the segments, so long patterns work.
 *
 * @example
 * ```ts
 * import type { RouteParamNames } from "@wsflow/wsflow";
 * const name: RouteParamNames<"/rooms/:id/:user"> = "user";
 * console.log(name); // "user"
 * ```
 */
export type RouteParamNames<P extends string, Found extends string = never> = P extends
  `${infer Head}/${infer Tail}`
  ? RouteParamNames<Tail, Found | (Head extends `:${infer Name}` ? Name : never)>
  : Found | (P extends `:${infer Name}` ? Name : P extends "*" ? "*" : never);

/** What one segment of a compiled pattern is, ordered by specificity: a lower kind wins. */
const SegmentKind = {
  /** A fixed segment, compared after percent-decoding. */
  Literal: 0,
  /** `:name`: any one non-empty segment. */
  Param: 1,
  /** `*`: the rest of the path. */
  Rest: 2,
} as const;

type SegmentKind = typeof SegmentKind[keyof typeof SegmentKind];

/** One compiled segment: the literal text (decoded) or the param name. */
interface Segment {
  readonly kind: SegmentKind;
  readonly text: string;
}

const SLASH = 0x2f;
const PERCENT = 0x25;
const COLON = 0x3a;

/**
 * Splits a URL path into its segments and percent-decodes each one, in one pass. The leading
 * `/` is dropped, so `/` gives `[""]` and `/a/b` gives `["a", "b"]`.
 *
 * @example
 * ```ts
 * console.log(splitPath("/rooms/caf%C3%A9")); // ["rooms", "café"]
 * console.log(splitPath("/bad/%E0%A4")); // null: malformed percent-encoding
 * ```
 * @param pathname A URL path such as `URL.pathname`, starting with `/`.
 * @returns The decoded segments, or `null` when the path does not start with `/` or a segment's
 * percent-encoding is malformed.
 */
export function splitPath(pathname: string): string[] | null {
  if (pathname.charCodeAt(0) !== SLASH) return null;
  const segments: string[] = [];
  let start = 1;
  let encoded = false;
  for (let i = 1; i <= pathname.length; i++) {
    const code = i < pathname.length ? pathname.charCodeAt(i) : SLASH;
    if (code === PERCENT) encoded = true;
    if (code !== SLASH) continue;
    const raw = pathname.slice(start, i);
    if (encoded) {
      const decoded = decode(raw);
      if (decoded === null) return null;
      segments.push(decoded);
    } else {
      segments.push(raw);
    }
    start = i + 1;
    encoded = false;
  }
  return segments;
}

/** `decodeURIComponent`, which is linear, with `null` instead of a `URIError`. */
function decode(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/**
 * A compiled path pattern. Construct once (when the route is added), match many times.
 *
 * @example Match a path
 * ```ts
 * import { RoutePattern } from "@wsflow/wsflow";
 * const pattern = new RoutePattern("/rooms/:id");
 * console.log(pattern.match("/rooms/lobby")); // { id: "lobby" }
 * console.log(pattern.match("/rooms/lobby/extra")); // null
 * ```
 *
 * @example The rest of a path
 * ```ts
 * import { RoutePattern } from "@wsflow/wsflow";
 * console.log(new RoutePattern("/files/*").match("/files/a/b%20c")); // { "*": "a/b c" }
 * ```
 *
 * @typeParam P The pattern text, from which {@linkcode RouteParams} computes the params' type.
 */
export class RoutePattern<P extends string = string> {
  /** The pattern as written. */
  readonly source: P;
  /**
   * An opaque string that two patterns share exactly when they match the same paths, such as
   * `/rooms/:id` and `/rooms/:name` (param names do not count).
   */
  readonly key: string;
  readonly #segments: readonly Segment[];
  readonly #hasRest: boolean;

  /**
   * Compiles `source`.
   * @param source `*`, or a path starting with `/` whose segments are literals (written decoded
   * or percent-encoded), `:name` params (name of ASCII letters, digits and `_`, unique) or a
   * final `*`.
   * @throws {TypeError} When the pattern breaks one of those rules.
   */
  constructor(source: P) {
    this.source = source;
    this.#segments = compile(source);
    const last = this.#segments[this.#segments.length - 1];
    this.#hasRest = last !== undefined && last.kind === SegmentKind.Rest;
    this.key = keyOf(this.#segments);
  }

  /**
   * Matches a URL path against this pattern.
   *
   * @example
   * ```ts
   * import { RoutePattern } from "@wsflow/wsflow";
   * console.log(new RoutePattern("/echo").match("/echo")); // {}
   * console.log(new RoutePattern("/echo").match("/Echo")); // null: case-sensitive
   * ```
   * @param pathname A URL path, starting with `/` (`URL.pathname`).
   * @returns The decoded params, or `null` when the path does not match.
   */
  match(pathname: string): RouteParams<P> | null {
    const segments = splitPath(pathname);
    return segments === null ? null : this.matchSegments(segments);
  }

  /**
   * Matches segments from {@linkcode splitPath}, so a router splits and decodes a path once for
   * all its patterns.
   *
   * @example
   * ```ts
   * import { RoutePattern } from "@wsflow/wsflow";
   * const segments = splitPath("/rooms/lobby")!;
   * console.log(new RoutePattern("/rooms/:id").matchSegments(segments)); // { id: "lobby" }
   * ```
   * @param segments Decoded path segments.
   * @returns The params, or `null` when the segments do not match.
   */
  matchSegments(segments: readonly string[]): RouteParams<P> | null {
    const pattern = this.#segments;
    const fixed = this.#hasRest ? pattern.length - 1 : pattern.length;
    if (this.#hasRest ? segments.length <= fixed : segments.length !== fixed) return null;
    // Entries, not assignments, so a param named `__proto__` is an ordinary key; made only for
    // a pattern with params (`*`, a plain handler's pattern, matches every handshake).
    let entries: [string, string][] | undefined;
    for (let i = 0; i < fixed; i++) {
      const segment = pattern[i]!;
      const actual = segments[i]!;
      if (segment.kind === SegmentKind.Literal) {
        if (actual !== segment.text) return null;
      } else {
        if (actual === "") return null;
        (entries ??= []).push([segment.text, actual]);
      }
    }
    const params: Record<string, string> = entries === undefined ? {} : Object.fromEntries(entries);
    // `*` is no param's name, so assigning it is safe; it stays the last key.
    if (this.#hasRest) {
      params["*"] = segments.length === fixed + 1
        ? segments[fixed]!
        : segments.slice(fixed).join("/");
    }
    return params as RouteParams<P>;
  }

  /**
   * Orders patterns by specificity: segment by segment from the left, a literal beats a
   * `:param`, which beats `*`. Sorting with this puts `/rooms/new` before `/rooms/:id` before
   * `/rooms/*` before `*`, so the first pattern that matches a path is the most specific one.
   *
   * @example
   * ```ts
   * import { RoutePattern } from "@wsflow/wsflow";
   * const patterns = ["*", "/rooms/:id", "/rooms/*", "/rooms/new"].map((p) => new RoutePattern(p));
   * patterns.sort(RoutePattern.compare);
   * console.log(patterns.map((p) => p.source)); // ["/rooms/new", "/rooms/:id", "/rooms/*", "*"]
   * ```
   * @param a A pattern.
   * @param b Another pattern.
   * @returns Negative when `a` is more specific, positive when `b` is, 0 when neither is.
   */
  static compare(a: RoutePattern, b: RoutePattern): number {
    const left = a.#segments;
    const right = b.#segments;
    const shared = Math.min(left.length, right.length);
    for (let i = 0; i < shared; i++) {
      const difference = left[i]!.kind - right[i]!.kind;
      if (difference !== 0) return difference;
    }
    return 0;
  }
}

/** Compiles a pattern's text into segments, in one pass over it. */
function compile(source: string): Segment[] {
  if (source === "*") return [{ kind: SegmentKind.Rest, text: "*" }];
  if (source.charCodeAt(0) !== SLASH) {
    throw invalid(source, 'it must be "*" or start with "/"');
  }
  const segments: Segment[] = [];
  const names = new Set<string>();
  const parts = source.slice(1).split("/");
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === "*") {
      if (i !== parts.length - 1) throw invalid(source, '"*" may only be the last segment');
      segments.push({ kind: SegmentKind.Rest, text: "*" });
    } else if (part.charCodeAt(0) === COLON) {
      const name = part.slice(1);
      if (!isParamName(name)) {
        throw invalid(source, `param "${part}" needs a name of ASCII letters, digits and "_"`);
      }
      if (names.has(name)) throw invalid(source, `param ":${name}" appears twice`);
      names.add(name);
      segments.push({ kind: SegmentKind.Param, text: name });
    } else {
      for (let j = 0; j < part.length; j++) {
        const code = part.charCodeAt(j);
        if (code === 0x2a || code === 0x3f || code === 0x23) {
          throw invalid(
            source,
            `segment "${part}" holds "${part[j]}"; a param takes a whole segment`,
          );
        }
      }
      const text = part.includes("%") ? decode(part) : part;
      if (text === null) throw invalid(source, `segment "${part}" has malformed percent-encoding`);
      segments.push({ kind: SegmentKind.Literal, text });
    }
  }
  return segments;
}

function isParamName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    const ok = (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) ||
      (code >= 0x61 && code <= 0x7a) || code === 0x5f;
    if (!ok) return false;
  }
  return true;
}

/** A string two patterns share exactly when they match the same paths. */
function keyOf(segments: readonly Segment[]): string {
  // Literals are JSON-quoted so a literal ":" or "*" cannot collide with a param or a rest.
  return segments.map((segment) =>
    segment.kind === SegmentKind.Literal
      ? JSON.stringify(segment.text)
      : segment.kind === SegmentKind.Param
      ? ":"
      : "*"
  ).join("/");
}

function invalid(source: string, detail: string): TypeError {
  return new TypeError(`Cannot compile route pattern ${JSON.stringify(source)}: ${detail}`);
}
