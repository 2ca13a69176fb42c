// A throwaway certificate authority and a server certificate it signed, made with openssl at
// test time (nothing secret is kept in the repository). The leaf is valid for localhost,
// 127.0.0.1 and ::1 and says CA:FALSE, which Deno's verifier requires of an end entity.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** PEM text of a test CA and of a server certificate and key it issued. */
export interface TestCerts {
  /** The CA's certificate: what a client trusts. */
  ca: string;
  /** The server's certificate. */
  cert: string;
  /** The server's private key. */
  key: string;
}

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/** Makes a fresh CA and server certificate in a temporary directory, then removes it. */
export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), "wsflow-certs-"));
  const path = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): void => {
    execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
  };
  try {
    // deno-fmt-ignore
    openssl(
      "req", "-x509", ...EC_KEY, "-days", "1", "-subj", "/CN=wsflow test CA",
      "-addext", "basicConstraints=critical,CA:TRUE",
      "-addext", "keyUsage=critical,keyCertSign,cRLSign",
      "-keyout", path("ca.key"), "-out", path("ca.pem"),
    );
    // deno-fmt-ignore
    openssl(
      "req", ...EC_KEY, "-subj", "/CN=localhost",
      "-keyout", path("key.pem"), "-out", path("leaf.csr"),
    );
    writeFileSync(
      path("leaf.ext"),
      [
        "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1",
        "basicConstraints=critical,CA:FALSE",
        "keyUsage=critical,digitalSignature",
        "extendedKeyUsage=serverAuth",
        "subjectKeyIdentifier=hash",
        "authorityKeyIdentifier=keyid",
      ].join("\n"),
    );
    // deno-fmt-ignore
    openssl(
      "x509", "-req", "-in", path("leaf.csr"), "-days", "1",
      "-CA", path("ca.pem"), "-CAkey", path("ca.key"), "-CAcreateserial",
      "-extfile", path("leaf.ext"), "-out", path("cert.pem"),
    );
    return {
      ca: readFileSync(path("ca.pem"), "utf8"),
      cert: readFileSync(path("cert.pem"), "utf8"),
      key: readFileSync(path("key.pem"), "utf8"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
