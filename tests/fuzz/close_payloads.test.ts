// Fuzz properties of the close payloads (tests/_helpers/security_fuzz.ts), with the
// suite's fixed seed and bounded runs; `npm run fuzz` runs the same properties with a random
// seed and 100 times the runs.
import fc from "fast-check";
import { describe, it } from "vitest";
import { FUZZ_SEED, fuzzTargets } from "../_helpers/security_fuzz.ts";

describe("fuzz: close payloads", () => {
  for (const target of fuzzTargets("close-payload")) {
    it(target.name, () => {
      fc.assert(target.property(), { seed: FUZZ_SEED, numRuns: target.runs });
    });
  }
});
