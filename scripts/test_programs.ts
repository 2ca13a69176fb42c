/**
 * The programs outside JavaScript that the test suite runs, where each comes from, and the
 * manifest through which the tests find them. `scripts/test_setup.ts` (run first by `npm test`)
 * provides them; the tests read the manifest with {@linkcode programPath}.
 *
 * Each program names its sources in order of preference:
 *
 * - `npm`: a devDependency that ships the binary inside its tarball, so `npm ci` already
 *   downloaded it, pinned by the lockfile, with no root and no network at test time. Chromium
 *   comes this way (`@sparticuz/chromium`: a brotli-packed headless Chromium for Linux x64 that
 *   set-up unpacks once into `node_modules/.cache/`).
 * - `debian`: a Debian package, for programs that npm does not carry (`redis-server`, `openssl`).
 *   Set-up installs the missing ones with `apt-get` when it runs as root and apt is there, as on
 *   a fresh machine of this project; otherwise it stops at once and prints the command to run.
 *
 * An environment variable (`WSFLOW_<NAME>`, e.g. `WSFLOW_CHROMIUM=/usr/bin/chromium`) overrides
 * every source with a binary of the user's choosing.
 *
 * This file uses only `node:` modules that Deno and Bun also provide, so the tests read the
 * manifest on all three runtimes.
 *
 * @module
 */

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Where one program can come from. */
export type ProgramSource =
  | {
    kind: "npm";
    /** The devDependency that ships the binary. */
    package: string;
    /** The platforms (`process.platform-process.arch`) its binary runs on. */
    platforms: readonly string[];
  }
  | {
    kind: "debian";
    /** The Debian package to install. */
    package: string;
    /** The file the package installs (absolute), or a command name looked up on `PATH`. */
    command: string;
  };

/** A program the tests run. */
export interface TestProgram {
  /** Short name, the manifest key. */
  name: string;
  /** Which tests use it, for the set-up log and error messages. */
  usedBy: string;
  /** Sources, most preferred first. */
  sources: readonly ProgramSource[];
}

/** Every program the test suite needs. Add a row when a test starts a new program. */
export const TEST_PROGRAMS: readonly TestProgram[] = [
  {
    name: "chromium",
    usedBy: "tests/examples/chat_chromium.test.ts and router_h2_chromium.test.ts (the chat " +
      "example, and WebSockets over HTTP/2, in a real browser)",
    sources: [
      { kind: "npm", package: "@sparticuz/chromium", platforms: ["linux-x64"] },
      { kind: "debian", package: "chromium", command: "/usr/bin/chromium" },
    ],
  },
  {
    name: "openssl",
    usedBy: "tests/_helpers/test_certs.ts (the wss:// tests' certificates)",
    sources: [{ kind: "debian", package: "openssl", command: "openssl" }],
  },
  {
    name: "redis-server",
    usedBy: "tests/pubsub/redis_*.test.ts and tests/examples/pubsub_contract.test.ts " +
      "(topics across processes over a real Redis)",
    sources: [{ kind: "debian", package: "redis-server", command: "redis-server" }],
  },
];

/** The repository root. */
export const REPO_ROOT: string = fileURLToPath(new URL("../", import.meta.url).href);

/** Where set-up keeps unpacked binaries and the manifest; `npm ci` starts it afresh. */
export const PROGRAMS_DIR: string = join(
  REPO_ROOT,
  "node_modules",
  ".cache",
  "wsflow-test-programs",
);

/** The manifest: program name → absolute path of its binary. */
export const MANIFEST_FILE: string = join(PROGRAMS_DIR, "programs.json");

/** The environment variable that overrides a program's sources. */
export function overrideVariable(name: string): string {
  return `WSFLOW_${name.toUpperCase()}`;
}

/** What set-up should do about the Debian packages that are missing. */
export type DebianPlan =
  | { kind: "nothing" }
  | { kind: "install"; commands: readonly (readonly string[])[] }
  | { kind: "stop"; message: string };

/**
 * Decides how to bring missing Debian packages: install them with apt-get as root, or stop
 * with the exact command a user has to run. Pure, so a test covers every branch.
 */
export function planDebianInstall(
  missing: readonly string[],
  machine: { isRoot: boolean; hasAptGet: boolean },
): DebianPlan {
  if (missing.length === 0) return { kind: "nothing" };
  const packages = [...new Set(missing)].sort();
  const install = ["apt-get", "install", "-y", "--no-install-recommends", ...packages];
  if (!machine.hasAptGet) {
    return {
      kind: "stop",
      message: `The tests need the Debian packages ${packages.join(", ")}, and this machine ` +
        `has no apt-get: install their equivalents (or set ${
          packages.map((p) => overrideVariable(p)).join(", ")
        } to binaries), then run npm test again.`,
    };
  }
  if (!machine.isRoot) {
    return {
      kind: "stop",
      message: `The tests need the Debian packages ${packages.join(", ")}. Run:\n` +
        `  sudo apt-get update && sudo ${install.join(" ")}\nthen npm test again.`,
    };
  }
  return { kind: "install", commands: [["apt-get", "update"], install] };
}

/**
 * The path of a program that `npm test`'s set-up step provided, for the tests that start it.
 * Throws with the command to run when set-up has not run (a test file started on its own).
 */
export function programPath(name: string): string {
  const override = readVariable(overrideVariable(name));
  if (override !== undefined && override !== "") return override;
  let manifest: Record<string, string> = {};
  if (existsSync(MANIFEST_FILE)) {
    manifest = JSON.parse(readFileSync(MANIFEST_FILE, "utf8")) as Record<string, string>;
  }
  const path = manifest[name];
  if (path === undefined || !existsSync(path)) {
    throw new Error(
      `${name} is not set up for the tests: run \`npm run test:setup\` (\`npm test\` runs it first)`,
    );
  }
  return path;
}

function readVariable(name: string): string | undefined {
  const deno = (globalThis as { Deno?: { env: { get(name: string): string | undefined } } }).Deno;
  if (deno !== undefined) return deno.env.get(name);
  return (globalThis as { process?: { env: Record<string, string | undefined> } }).process
    ?.env[name];
}
