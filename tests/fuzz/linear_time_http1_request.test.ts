// Linear time of the HTTP/1.1 request head parser on 64 KiB adversarial header text
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

describe(`linear time: the HTTP/1.1 request head parser (${LARGE_BYTES / 1024} KiB vs ${SMALL_BYTES / 1024} KiB, ratio < ${MAX_RATIO})`, () => {
  for (const linearCase of linearCases("http1")) {
    it(`rfc7230#section-3 ${linearCase.name} stays linear on ${linearCase.shape}`, () => {
      const measurement = measureLinearCase(linearCase);
      expect(growthProblem(linearCase, measurement)).toBeUndefined();
    });
  }
});
