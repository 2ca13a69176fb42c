// The one subscription point for diagnostics events, the same on every runtime.
import { describe, expect, it } from "vitest";
import { TimeoutError } from "../../src/protocol/errors.ts";
import {
  type DiagnosticEvent,
  diagnosticsWanted,
  publishDiagnostic,
  subscribeDiagnostics,
} from "../../src/streams/diagnostics.ts";

const EVENT: DiagnosticEvent = {
  type: "connection-limit",
  limit: "idle",
  code: 1001,
  role: "server",
  url: "ws://example.com/",
  remoteAddr: undefined,
  error: new TimeoutError("idle", "Cannot keep connection: nothing arrived for 1 ms", 1001),
};

describe("subscribeDiagnostics", () => {
  it("delivers each event to every listener until it unsubscribes", () => {
    const first: DiagnosticEvent[] = [];
    const second: DiagnosticEvent[] = [];
    const stopFirst = subscribeDiagnostics((event) => first.push(event));
    const stopSecond = subscribeDiagnostics((event) => second.push(event));
    expect(diagnosticsWanted()).toBe(true);
    publishDiagnostic(EVENT);
    stopFirst();
    publishDiagnostic(EVENT);
    stopSecond();
    stopSecond(); // twice is harmless
    publishDiagnostic(EVENT);
    expect(first).toEqual([EVENT]);
    expect(second).toEqual([EVENT, EVENT]);
  });

  it("a listener that throws stops neither the others nor the publisher", () => {
    const seen: DiagnosticEvent[] = [];
    const stopThrowing = subscribeDiagnostics(() => {
      throw new Error("listener failed");
    });
    const stop = subscribeDiagnostics((event) => seen.push(event));
    expect(() => publishDiagnostic(EVENT)).not.toThrow();
    stopThrowing();
    stop();
    expect(seen).toEqual([EVENT]);
  });

  it("a listener may unsubscribe while being called", () => {
    const seen: string[] = [];
    const stopA = subscribeDiagnostics(() => {
      seen.push("a");
      stopA();
    });
    const stopB = subscribeDiagnostics(() => seen.push("b"));
    publishDiagnostic(EVENT);
    publishDiagnostic(EVENT);
    stopB();
    expect(seen).toEqual(["a", "b", "b"]);
  });
});
