// The answer to plain HTTP: the fetch fallback with its body limit, over an in-memory pair.
import { describe, expect, it } from "vitest";
import { handleStream } from "../../src/server/handle_stream.ts";
import type { ErrorContext, ServeOptions } from "../../src/server/options.ts";
import { byteStreamPair } from "../../src/testing/byte_stream_pair.ts";
import { readAnswer, readBody, writeText } from "../_helpers/memory_upgrade.ts";

async function ask(
  head: string,
  options: ServeOptions,
): Promise<{ status: number; body: string; headers: Headers }> {
  const [server, client] = byteStreamPair();
  const done = handleStream(server, (ws) => ws.close(), options);
  await writeText(client, head);
  const answer = await readAnswer(client);
  const body = await readBody(answer);
  await done;
  return { status: answer.response.status, body, headers: answer.response.headers };
}

describe("plain HTTP fallback", () => {
  it("hands the request, body included, to fetch and sends its Response with Connection: close", async () => {
    let seen = "";
    const answer = await ask(
      "POST /submit?x=1 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello",
      {
        fetch: async (request) => {
          seen = `${request.method} ${request.url} ${await request.text()}`;
          return new Response("thanks", { status: 201 });
        },
      },
    );
    expect(seen).toBe("POST http://localhost/submit?x=1 hello");
    expect(answer.status).toBe(201);
    expect(answer.body).toBe("thanks");
    expect(answer.headers.get("connection")).toBe("close");
    expect(answer.headers.get("content-length")).toBe("6");
  });

  it("refuses a chunked body with 411 and a body over 1 MiB with 413", async () => {
    const fetch = (): Response => new Response("never");
    const chunked = "POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n";
    expect((await ask(chunked, { fetch })).status).toBe(411);
    const large = `POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${2 ** 20 + 1}\r\n\r\n`;
    expect((await ask(large, { fetch })).status).toBe(413);
  });

  it("answers 500 and reports a fetch that throws", async () => {
    const phases: ErrorContext["phase"][] = [];
    const answer = await ask("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", {
      fetch: () => {
        throw new Error("boom");
      },
      onError: (_error, context) => phases.push(context.phase),
    });
    expect(answer.status).toBe(500);
    expect(phases).toEqual(["fetch"]);
  });

  it("rfc9110#section-15.6.2 answers 501 to a method this runtime's Request cannot carry", async () => {
    // It used to make the per-stream promise reject, unhandled: one request could end the
    // process. Node and Deno refuse to build a TRACE or CONNECT Request; Bun builds one.
    for (const method of ["TRACE", "CONNECT"]) {
      let carried = true;
      try {
        new Request("http://localhost/", { method });
      } catch {
        carried = false;
      }
      const answer = await ask(`${method} / HTTP/1.1\r\nHost: localhost\r\n\r\n`, {
        fetch: () => new Response("fetched"),
      });
      expect(answer.status, method).toBe(carried ? 200 : 501);
    }
  });

  it("a HEAD request gets the headers without the body", async () => {
    const answer = await ask("HEAD / HTTP/1.1\r\nHost: localhost\r\n\r\n", {
      fetch: () => new Response("body"),
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-length")).toBe("4");
    expect(answer.body).toBe("");
  });
});
