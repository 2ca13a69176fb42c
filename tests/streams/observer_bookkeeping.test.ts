// What a connection keeps for its observer: who started the end (the first one told wins), the
// code this end sent, and heartbeat round trips. A hand-made observer records the calls.
import { describe, expect, it } from "vitest";
import type { CloseEvent } from "../../src/protocol/session_events.ts";
import type {
  CloseInitiator,
  ConnectionObserver,
  ObservedConnection,
} from "../../src/streams/connection_observer.ts";
import { ObserverBookkeeping } from "../../src/streams/observer_bookkeeping.ts";

const CONNECTION: ObservedConnection = {
  url: new URL("ws://localhost/"),
  protocol: "",
  remoteAddr: undefined,
};

function recorder(): {
  observer: ConnectionObserver;
  closes: [number, CloseInitiator][];
  trips: number[];
} {
  const closes: [number, CloseInitiator][] = [];
  const trips: number[] = [];
  const observer: ConnectionObserver = {
    opened() {},
    received() {},
    sent() {},
    dropped() {},
    roundTrip: (_connection, milliseconds) => trips.push(milliseconds),
    closed: (_connection, code, initiator) => closes.push([code, initiator]),
  };
  return { observer, closes, trips };
}

const CLEAN: CloseEvent = { code: 1000, reason: "", wasClean: true };

describe("ObserverBookkeeping", () => {
  it("rfc6455#section-7.1.5 after a clean close this end started, counts the code it sent, not the peer's echo", () => {
    const { observer, closes } = recorder();
    const bookkeeping = new ObserverBookkeeping(observer, CONNECTION, "server", undefined);
    bookkeeping.sentClose(4000);
    bookkeeping.closed({ code: 1000, reason: "", wasClean: true });
    expect(closes).toEqual([[4000, "server"]]);
  });

  it("the first end told wins; without one, the peer started it", () => {
    const first = recorder();
    const peerFirst = new ObserverBookkeeping(first.observer, CONNECTION, "client", undefined);
    peerFirst.peerEnd();
    peerFirst.ownEnd();
    peerFirst.sentClose(1001);
    peerFirst.closed(CLEAN);
    expect(first.closes).toEqual([[1000, "server"]]);

    const none = recorder();
    new ObserverBookkeeping(none.observer, CONNECTION, "server", undefined).closed({
      code: 1006,
      reason: "",
      wasClean: false,
    });
    expect(none.closes).toEqual([[1006, "client"]]);
  });

  it("observes a Pong's round trip only when it answers the heartbeat", () => {
    const { observer, trips } = recorder();
    const heartbeat = { roundTrip: (data: Uint8Array): number => data.length === 1 ? 12 : -1 };
    const bookkeeping = new ObserverBookkeeping(observer, CONNECTION, "server", heartbeat);
    bookkeeping.pong(new Uint8Array(2));
    bookkeeping.pong(new Uint8Array(1));
    expect(trips).toEqual([12]);
  });
});
