/**
 * Brings every program the tests run (the table in `scripts/test_programs.ts`) and writes the
 * manifest the tests read. `npm test` runs it first, so `npm ci && npm test` works on a fresh
 * machine; run it alone with `npm run test:setup`. A second run finds everything in place and
 * takes well under a second.
 *
 * ```sh
 * npm run test:setup     # = node --import tsx scripts/test_setup.ts
 * ```
 *
 * Exits non-zero, printing what to do, when a program can be had neither from npm nor from
 * apt-get on this machine.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { readFileSync, writeFileSync } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";
import process from "node:process";
import {
  MANIFEST_FILE,
  overrideVariable,
  planDebianInstall,
  PROGRAMS_DIR,
  type ProgramSource,
  REPO_ROOT,
  TEST_PROGRAMS,
  type TestProgram,
} from "./test_programs.ts";

const started = performance.now();
const platform = `${process.platform}-${process.arch}`;
mkdirSync(PROGRAMS_DIR, { recursive: true });

/** Finds an executable by absolute path or on PATH. */
function which(command: string): string | undefined {
  const candidates = isAbsolute(command)
    ? [command]
    : (process.env.PATH ?? "").split(delimiter).filter(Boolean).map((dir) => join(dir, command));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Unpacks `@sparticuz/chromium`'s binary once into the cache; returns its path. */
async function unpackNpmChromium(packageName: string): Promise<string> {
  const manifestPath = join(REPO_ROOT, "node_modules", packageName, "package.json");
  const version = (JSON.parse(readFileSync(manifestPath, "utf8")) as { version: string }).version;
  const dir = join(PROGRAMS_DIR, `chromium-${version}`);
  const binary = join(dir, "chromium");
  if (existsSync(binary)) return binary;
  // The package unpacks into os.tmpdir(); point that at a scratch folder of ours and move the
  // folder into place only when complete, so an interrupted run never leaves half a binary.
  const scratch = `${dir}.partial-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  const savedTmpdir = process.env.TMPDIR;
  process.env.TMPDIR = scratch;
  try {
    const { default: chromium } = await import(packageName) as {
      default: { executablePath(): Promise<string> };
    };
    const unpacked = await chromium.executablePath();
    if (unpacked !== join(scratch, "chromium")) {
      throw new Error(`${packageName} unpacked to ${unpacked}, expected ${scratch}/chromium`);
    }
  } finally {
    if (savedTmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmpdir;
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(scratch, dir);
  return binary;
}

/** Runs `binary --version` to prove it starts here (shared libraries, architecture). */
function versionOf(binary: string, args: readonly string[] = ["--version"]): string {
  const result = spawnSync(binary, args, { encoding: "utf8", timeout: 30_000 });
  if (result.status !== 0) {
    throw new Error(
      `${binary} ${args.join(" ")} failed (${result.error?.message ?? `exit ${result.status}`}): ` +
        `${result.stderr.trim()}`,
    );
  }
  return result.stdout.trim().split("\n")[0] ?? "";
}

function versionArgs(program: TestProgram): readonly string[] {
  return program.name === "openssl" ? ["version"] : ["--version"];
}

const manifest: Record<string, string> = {};
const log: string[] = [];
const debianWanted: { program: TestProgram; source: Extract<ProgramSource, { kind: "debian" }> }[] =
  [];

for (const program of TEST_PROGRAMS) {
  const override = process.env[overrideVariable(program.name)];
  if (override !== undefined && override !== "") {
    manifest[program.name] = override;
    log.push(`${program.name}: ${override} (from ${overrideVariable(program.name)})`);
    continue;
  }
  let found = false;
  for (const source of program.sources) {
    if (source.kind === "npm") {
      if (!source.platforms.includes(platform)) continue;
      const t0 = performance.now();
      const path = await unpackNpmChromium(source.package);
      manifest[program.name] = path;
      log.push(
        `${program.name}: ${path} (npm ${source.package}, ${
          ((performance.now() - t0) / 1000).toFixed(1)
        } s)`,
      );
      found = true;
      break;
    }
    const path = which(source.command);
    if (path !== undefined) {
      manifest[program.name] = path;
      log.push(`${program.name}: ${path} (Debian ${source.package})`);
      found = true;
      break;
    }
  }
  if (!found) {
    const debian = program.sources.find((s) => s.kind === "debian");
    if (debian === undefined || debian.kind !== "debian") {
      console.error(`test setup: no source of ${program.name} works on ${platform}`);
      process.exit(1);
    }
    debianWanted.push({ program, source: debian });
  }
}

const plan = planDebianInstall(debianWanted.map((w) => w.source.package), {
  isRoot: process.getuid?.() === 0,
  hasAptGet: which("apt-get") !== undefined,
});
if (plan.kind === "stop") {
  console.error(`test setup: ${plan.message}`);
  console.error(`(used by: ${debianWanted.map((w) => w.program.usedBy).join("; ")})`);
  process.exit(1);
}
if (plan.kind === "install") {
  const t0 = performance.now();
  for (const command of plan.commands) {
    console.log(`test setup: ${command.join(" ")}`);
    const result = spawnSync(command[0]!, command.slice(1), {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    if (result.status !== 0) {
      console.error(`test setup: \`${command.join(" ")}\` failed (exit ${result.status})`);
      process.exit(1);
    }
  }
  for (const { program, source } of debianWanted) {
    const path = which(source.command);
    if (path === undefined) {
      console.error(`test setup: ${source.package} installed, yet ${source.command} is missing`);
      process.exit(1);
    }
    manifest[program.name] = path;
    log.push(`${program.name}: ${path} (Debian ${source.package}, installed now)`);
  }
  log.push(`apt-get took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

for (const program of TEST_PROGRAMS) {
  const path = manifest[program.name]!;
  try {
    const version = versionOf(path, versionArgs(program));
    const index = log.findIndex((line) => line.startsWith(`${program.name}:`));
    log[index] = `${log[index]}: ${version}`;
  } catch (error) {
    console.error(`test setup: ${program.name} does not start: ${(error as Error).message}`);
    process.exit(1);
  }
}

writeFileSync(MANIFEST_FILE, `${JSON.stringify(manifest, null, 2)}\n`);
for (const line of log) console.log(`test setup: ${line}`);
console.log(`test setup: ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
