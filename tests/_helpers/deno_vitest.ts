// Deno-only stand-in for the "vitest" module (mapped in deno.json "imports").
// Test structure comes from Deno's node:test, assertions from @vitest/expect, so the same
// *.test.ts files run under vitest (Node), bun test (which maps "vitest" itself) and deno test.
// Only describe/it/test/expect and the four hooks may be imported from "vitest" in tests.
import { chai, JestAsymmetricMatchers, JestChaiExpect, JestExtend } from "@vitest/expect";
import type { ExpectStatic } from "@vitest/expect";
export {
  after as afterAll,
  afterEach,
  before as beforeAll,
  beforeEach,
  describe,
  it,
  test,
} from "node:test";

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(JestAsymmetricMatchers);

/** Jest-style `expect`, as vitest exports it. */
export const expect: ExpectStatic = chai.expect as unknown as ExpectStatic;
