// The test suite's own set-up (scripts/test_programs.ts, scripts/test_setup.ts): how missing
// Debian packages are brought, and that every program the table names was provided to the tests.
import { describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { planDebianInstall, programPath, TEST_PROGRAMS } from "../../scripts/test_programs.ts";

describe("planDebianInstall", () => {
  it("does nothing when nothing is missing", () => {
    expect(planDebianInstall([], { isRoot: false, hasAptGet: false })).toEqual({ kind: "nothing" });
  });

  it("installs the missing packages with apt-get as root, once each, after an update", () => {
    expect(planDebianInstall(["redis-server", "openssl", "redis-server"], {
      isRoot: true,
      hasAptGet: true,
    })).toEqual({
      kind: "install",
      commands: [
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "--no-install-recommends", "openssl", "redis-server"],
      ],
    });
  });

  it("stops with the exact sudo command when not root", () => {
    const plan = planDebianInstall(["redis-server"], { isRoot: false, hasAptGet: true });
    expect(plan.kind).toBe("stop");
    expect(plan.kind === "stop" && plan.message).toContain(
      "sudo apt-get update && sudo apt-get install -y --no-install-recommends redis-server",
    );
  });

  it("stops and names the packages when there is no apt-get", () => {
    const plan = planDebianInstall(["redis-server"], { isRoot: true, hasAptGet: false });
    expect(plan.kind).toBe("stop");
    expect(plan.kind === "stop" && plan.message).toContain("redis-server");
  });
});

describe("programs provided by npm test's set-up step", () => {
  for (const program of TEST_PROGRAMS) {
    it(`${program.name} is in the manifest and exists (${program.usedBy})`, () => {
      expect(existsSync(programPath(program.name))).toBe(true);
    });
  }

  it("an unknown program fails with the command that sets it up", () => {
    expect(() => programPath("no-such-program")).toThrow("npm run test:setup");
  });
});
