// A real HTTP proxy with CONNECT for the proxy tests: the `proxy` npm package (TooTallNate's),
// run in a Node process of its own whichever runtime the tests run on, so every runtime's client
// meets the same proxy. Prints `LISTENING <port>` once it accepts, then `CONNECT <target>` for
// each tunnel request it is asked for.
//   PROXY_USER / PROXY_PASS  require these Basic credentials (else 407 Proxy Authentication
//                            Required, with Proxy-Authenticate: Basic)
//   PROXY_DENY=1             answer every CONNECT 403 Forbidden (a proxy's access policy)
import { createServer } from "node:http";
import process from "node:process";
import { createProxy } from "proxy";

const user = process.env.PROXY_USER;
const pass = process.env.PROXY_PASS;
const deny = process.env.PROXY_DENY === "1";

const server = createServer();
if (deny) {
  server.on("connect", (req, socket) => {
    console.log(`CONNECT ${req.url}`);
    socket.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  });
} else {
  server.prependListener("connect", (req) => console.log(`CONNECT ${req.url}`));
  const proxy = createProxy(server);
  if (user !== undefined) {
    const expected = `Basic ${Buffer.from(`${user}:${pass ?? ""}`).toString("base64")}`;
    proxy.authenticate = (req) => req.headers["proxy-authorization"] === expected;
  }
}
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  console.log(`LISTENING ${typeof address === "object" && address !== null ? address.port : 0}`);
});
process.on("SIGTERM", () => process.exit(0));
