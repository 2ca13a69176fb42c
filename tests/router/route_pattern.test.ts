import { describe, expect, it } from "vitest";
import { type RouteParams, RoutePattern, splitPath } from "../../src/router/route_pattern.ts";

// Compile-time checks: `tsc -p tsconfig.json` fails if the param types drift.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;
const typeChecks: [
  Equal<RouteParams<"/rooms/:id/:user">, { id: string; user: string }>,
  // deno-lint-ignore ban-types -- a mapped type over no keys is exactly `{}`
  Equal<RouteParams<"/echo">, {}>,
  Equal<RouteParams<"/files/*">, { "*": string }>,
  Equal<RouteParams<"*">, { "*": string }>,
  Equal<RouteParams<"/a/:x/b/*">, { x: string; "*": string }>,
  Equal<RouteParams<string>, Record<string, string>>,
] = [true, true, true, true, true, true];

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error("Expected an error, none was thrown");
}

describe("RouteParams", () => {
  it("types params from the pattern text", () => {
    expect(typeChecks.every((check) => check)).toBe(true);
    const params = new RoutePattern("/rooms/:id/:user").match("/rooms/lobby/ada");
    // `params.id` is typed `string` here, without a cast.
    const id: string | undefined = params?.id;
    expect(id).toBe("lobby");
  });
});

describe("splitPath", () => {
  it("drops the leading slash and keeps empty segments", () => {
    expect(splitPath("/")).toEqual([""]);
    expect(splitPath("/a/b")).toEqual(["a", "b"]);
    expect(splitPath("/a//b/")).toEqual(["a", "", "b", ""]);
  });

  it("percent-decodes each segment on its own, so %2F stays inside its segment", () => {
    expect(splitPath("/a%2Fb/c%20d")).toEqual(["a/b", "c d"]);
    expect(splitPath("/caf%C3%A9")).toEqual(["café"]);
  });

  it("gives null for malformed percent-encoding and for a path without a leading slash", () => {
    expect(splitPath("/a/%E0%A4")).toBeNull();
    expect(splitPath("/%zz")).toBeNull();
    expect(splitPath("/%")).toBeNull();
    expect(splitPath("rooms")).toBeNull();
    expect(splitPath("")).toBeNull();
  });
});

describe("RoutePattern: exact", () => {
  it("matches only the same path, case-sensitively", () => {
    const pattern = new RoutePattern("/echo");
    expect(pattern.match("/echo")).toEqual({});
    expect(pattern.match("/Echo")).toBeNull();
    expect(pattern.match("/echo/")).toBeNull();
    expect(pattern.match("/echo/x")).toBeNull();
    expect(pattern.match("/ech")).toBeNull();
  });

  it("compares literals after decoding, on both sides", () => {
    expect(new RoutePattern("/echo").match("/ech%6F")).toEqual({});
    expect(new RoutePattern("/café").match("/caf%C3%A9")).toEqual({});
    expect(new RoutePattern("/caf%C3%A9").match("/café")).toEqual({});
    expect(new RoutePattern("/a b").match("/a%20b")).toEqual({});
  });

  it("matches the root", () => {
    expect(new RoutePattern("/").match("/")).toEqual({});
    expect(new RoutePattern("/").match("/a")).toBeNull();
  });
});

describe("RoutePattern: params", () => {
  it("captures one segment per param", () => {
    const pattern = new RoutePattern("/rooms/:id/:user");
    expect(pattern.match("/rooms/lobby/ada")).toEqual({ id: "lobby", user: "ada" });
    expect(pattern.match("/rooms/lobby")).toBeNull();
    expect(pattern.match("/rooms/lobby/ada/x")).toBeNull();
    expect(pattern.match("/Rooms/lobby/ada")).toBeNull();
  });

  it("percent-decodes params, %2F included", () => {
    const pattern = new RoutePattern("/rooms/:id");
    expect(pattern.match("/rooms/caf%C3%A9")).toEqual({ id: "café" });
    expect(pattern.match("/rooms/a%2Fb")).toEqual({ id: "a/b" });
    expect(pattern.match("/rooms/a%20b%3F")).toEqual({ id: "a b?" });
    expect(pattern.match("/rooms/a+b")).toEqual({ id: "a+b" });
  });

  it("does not match an empty segment", () => {
    expect(new RoutePattern("/rooms/:id").match("/rooms/")).toBeNull();
  });

  it("refuses paths with malformed percent-encoding", () => {
    expect(new RoutePattern("/rooms/:id").match("/rooms/%E0%A4")).toBeNull();
  });

  it("keeps odd param names as ordinary keys", () => {
    const params = new RoutePattern("/:__proto__/:constructor").match("/a/b")!;
    expect(Object.keys(params)).toEqual(["__proto__", "constructor"]);
    expect(Object.getPrototypeOf(params)).toBe(Object.prototype);
  });
});

describe("RoutePattern: rest and anything", () => {
  it("/files/* matches the /files/ prefix with any rest, decoded", () => {
    const pattern = new RoutePattern("/files/*");
    expect(pattern.match("/files/a/b%20c")).toEqual({ "*": "a/b c" });
    expect(pattern.match("/files/readme")).toEqual({ "*": "readme" });
    expect(pattern.match("/files/")).toEqual({ "*": "" });
    expect(pattern.match("/files")).toBeNull();
    expect(pattern.match("/filesx/a")).toBeNull();
  });

  it("* matches every path", () => {
    const pattern = new RoutePattern("*");
    expect(pattern.match("/")).toEqual({ "*": "" });
    expect(pattern.match("/a/b")).toEqual({ "*": "a/b" });
    expect(pattern.match("/%E0")).toBeNull();
  });

  it("combines params and rest", () => {
    expect(new RoutePattern("/u/:user/*").match("/u/ada/x/y")).toEqual({ user: "ada", "*": "x/y" });
  });
});

describe("RoutePattern: compile errors", () => {
  const cases: [source: string, detail: string][] = [
    ["rooms", 'must be "*" or start with "/"'],
    ["", 'must be "*" or start with "/"'],
    ["/files/*/x", '"*" may only be the last segment'],
    ["/:", "needs a name"],
    ["/:a-b", "needs a name"],
    ["/:id.json", "needs a name"],
    ["/:id/:id", "appears twice"],
    ["/a*", "a param takes a whole segment"],
    ["/a?b", "a param takes a whole segment"],
    ["/a#b", "a param takes a whole segment"],
    ["/%E0", "malformed percent-encoding"],
  ];
  for (const [source, detail] of cases) {
    it(`refuses ${JSON.stringify(source)}: ${detail}`, () => {
      const error = thrown(() => new RoutePattern(source));
      expect(error).toBeInstanceOf(TypeError);
      const message = (error as TypeError).message;
      expect(message).toContain(`Cannot compile route pattern ${JSON.stringify(source)}`);
      expect(message).toContain(detail);
    });
  }
});

describe("RoutePattern: key and specificity", () => {
  it("gives patterns that match the same paths the same key", () => {
    expect(new RoutePattern("/rooms/:id").key).toBe(new RoutePattern("/rooms/:name").key);
    expect(new RoutePattern("/a/%3Ax").key).not.toBe(new RoutePattern("/a/:x").key);
    expect(new RoutePattern("/a/b").key).not.toBe(new RoutePattern("/a/:x").key);
    expect(new RoutePattern("*").key).toBe(new RoutePattern("/*").key);
  });

  it("orders literal before param before rest, left to right", () => {
    const sources = ["*", "/rooms/*", "/:x/c", "/rooms/:id", "/rooms/new", "/a/:y/c", "/a/b/:z"];
    const sorted = sources.map((source) => new RoutePattern(source)).sort(RoutePattern.compare);
    expect(sorted.map((pattern) => pattern.source)).toEqual([
      "/rooms/new",
      "/a/b/:z",
      "/rooms/:id",
      "/a/:y/c",
      "/rooms/*",
      "/:x/c",
      "*",
    ]);
  });
});

describe("RoutePattern: hostile input", () => {
  it("handles 64 KiB paths of many segments or many escapes", () => {
    const hostile = "/" + "a/".repeat(32 * 1024) + "%";
    expect(new RoutePattern("/:a/*").match(hostile)).toBeNull();
    const long = "/" + "%41".repeat(20_000);
    expect(new RoutePattern("/:id").match(long)).toEqual({ id: "A".repeat(20_000) });
  });
});
