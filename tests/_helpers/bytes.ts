// Large byte arrays: jest-style deep equality walks them element by element (seconds for a
// few MiB), so tests compare them with this and report where they differ.

/** Returns "" when equal, otherwise a description of the first difference. */
export function bytesDiff(actual: Uint8Array | undefined, expected: Uint8Array): string {
  if (actual === undefined) return "actual is undefined";
  if (actual.length !== expected.length) {
    return `length ${actual.length}, expected ${expected.length}`;
  }
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) return `byte ${i} is ${actual[i]}, expected ${expected[i]}`;
  }
  return "";
}
