/**
 * Closing the transport under a connection, in the order RFC 6455 gives each role.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-7.1.1}
 */

import type { Role } from "../protocol/frame.ts";
import type { Clock } from "./clock.ts";
import { type Deadline, deadlineQueue } from "./deadline_queue.ts";
import type { TransportReader } from "./read_pump.ts";
import type { ByteWriter } from "./channel_writer.ts";

function noop(): void {}

/**
 * Closes the transport once the connection has ended.
 *
 * Graceful (the closing handshake is done or the connection failed with a Close frame sent):
 * the final writes are let out, then the TCP connection closes in the role's order, all within
 * one deadline: a peer that stops reading could otherwise keep the final writes (and `closed`)
 * pending forever. Past the deadline, or when not graceful, the transport is aborted.
 *
 * @example
 * ```ts ignore
 * await closeTransport(reader, writer, "server", true, undefined, REAL_CLOCK, 10_000);
 * ```
 * @param reader The transport's reader.
 * @param writer The transport's writer.
 * @param role This endpoint's role.
 * @param graceful Whether to close in order rather than abort.
 * @param peerClosed Settles when the peer has closed its side; `undefined` when it already has.
 * @param clock Where the deadline is measured.
 * @param timeout Milliseconds the graceful close may take.
 * @returns A promise that settles when the transport is closed.
 */
export async function closeTransport(
  reader: TransportReader,
  writer: ByteWriter,
  role: Role,
  graceful: boolean,
  peerClosed: Promise<void> | undefined,
  clock: Clock,
  timeout: number,
): Promise<void> {
  if (graceful) {
    // Every connection of a server has the same close timeout: one timer serves them all.
    const deadlines = deadlineQueue(clock, timeout);
    let timer: Deadline | undefined;
    const deadline = new Promise<false>((resolve) => {
      timer = deadlines.add(() => resolve(false));
    });
    const inTime = <T>(promise: Promise<T>): Promise<T | false> =>
      Promise.race([promise, deadline]);
    // rfc6455#section-7.1.1: the server closes the TCP connection first; a client waits for
    // the server to do so. A server keeps reading (and dropping) until the peer closes too,
    // so unread bytes do not make the kernel reset the connection before the Close frame
    // is read.
    let clean = true;
    if (role === "server") {
      clean = await inTime(writer.close().then(() => true, () => true));
    }
    if (clean && peerClosed !== undefined) {
      clean = await inTime(peerClosed.then(() => true));
    }
    if (clean && role === "client") {
      clean = await inTime(writer.close().then(() => true, () => true));
    }
    deadlines.cancel(timer!);
    if (!clean) await writer.abort().catch(noop);
  } else {
    await writer.abort().catch(noop);
  }
  await reader.cancel().catch(noop);
}
