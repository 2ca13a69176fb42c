// Fuzz properties of the validateUpgradeRequest on random requests (tests/_helpers/security_fuzz.ts), with the
// suite's fixed seed and bounded runs; `npm run fuzz` runs the same properties with a random
// seed and 100 times the runs.
import fc from "fast-check";
import { describe, it } from "vitest";
import { FUZZ_SEED, fuzzTargets } from "../_helpers/security_fuzz.ts";

describe("fuzz: validateUpgradeRequest on random requests", () => {
  for (const target of fuzzTargets("upgrade-request")) {
    it(target.name, () => {
      fc.assert(target.property(), { seed: FUZZ_SEED, numRuns: target.runs });
    });
  }
});
