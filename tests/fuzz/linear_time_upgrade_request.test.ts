// Linear time of validateUpgradeRequest on 64 KiB adversarial header text
// (tests/_helpers/security_linear_time.ts): the time for 64 KiB must stay under MAX_RATIO times
// the time for 8 KiB of the same shape. A ratio, best of several timings, so machine speed and
// load do not decide the result; a quadratic parser is over it by a factor of four.
import { describe, expect, it } from "vitest";
import {
  growthProblem,
  LARGE_BYTES,
  linearCases,
  MAX_RATIO,
  measureLinearCase,
  SMALL_BYTES,
} from "../_helpers/security_linear_time.ts";

describe(`linear time: validateUpgradeRequest (${LARGE_BYTES / 1024} KiB vs ${SMALL_BYTES / 1024} KiB, ratio < ${MAX_RATIO})`, () => {
  for (const linearCase of linearCases("upgrade-request")) {
    it(`rfc6455#section-4.2.1 ${linearCase.name} stays linear on ${linearCase.shape}`, () => {
      const measurement = measureLinearCase(linearCase);
      expect(growthProblem(linearCase, measurement)).toBeUndefined();
    });
  }
});
