// A hand-driven HTTP/2 client (node:http2, which Deno and Bun also provide) for extended CONNECT
// (RFC 8441): it sends exactly the pseudo-header fields and fields a test chooses, including
// broken ones, and hands back the stream with the answer.
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  connect,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from "node:http2";
import { withTimeout } from "./with_timeout.ts";

/** Opens an HTTP/2 session over TLS to 127.0.0.1:`port`, trusting `ca`, and waits for SETTINGS. */
export async function h2Session(port: number, ca: string): Promise<ClientHttp2Session> {
  const session = connect(`https://127.0.0.1:${port}`, { ca });
  session.on("error", () => {});
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      session.once("remoteSettings", () => resolve());
      session.once("close", () => reject(new Error("the session closed before SETTINGS")));
    }),
    5_000,
    "the server's SETTINGS",
  );
  return session;
}

/** The fields of a valid extended CONNECT for `path`, with `extra` merged over them. */
export function connectFields(
  port: number,
  path: string,
  extra: OutgoingHttpHeaders = {},
): OutgoingHttpHeaders {
  return {
    ":method": "CONNECT",
    ":protocol": "websocket",
    ":scheme": "https",
    ":path": path,
    ":authority": `localhost:${port}`,
    "sec-websocket-version": "13",
    ...extra,
  };
}

/** A stream opened with `fields`, and its answer (with the body, when the server ended it). */
export interface H2Answer {
  stream: ClientHttp2Stream;
  status: number;
  headers: IncomingHttpHeaders;
}

/** Sends `fields` on `session` and waits for the answer's fields. */
export async function h2Request(
  session: ClientHttp2Session,
  fields: OutgoingHttpHeaders,
): Promise<H2Answer> {
  const stream = session.request(fields, { endStream: false });
  stream.on("error", () => {});
  const headers = await withTimeout(
    new Promise<IncomingHttpHeaders>((resolve, reject) => {
      stream.once("response", resolve);
      stream.once("close", () => reject(new Error(`reset before an answer (${stream.rstCode})`)));
    }),
    5_000,
    "the answer",
  );
  return { stream, status: Number(headers[":status"]), headers };
}

/** Reads a stream to its end, as text. */
export function readText(stream: ClientHttp2Stream): Promise<string> {
  let text = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => (text += chunk));
  return withTimeout(
    new Promise<string>((resolve) => {
      stream.once("end", () => resolve(text));
      stream.once("close", () => resolve(text));
    }),
    5_000,
    "the body",
  );
}
