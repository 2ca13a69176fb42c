/**
 * wsflow's diagnostics events on `node:diagnostics_channel`, as undici publishes its client's:
 * `wsflow:upgrade:refused`, `wsflow:connection:limit` and `wsflow:handler:error`, each message
 * the event as `subscribeDiagnostics` gives it. Loaded with Node's adapter (its socket bridge
 * imports it), so Node tools that watch channels (APMs, `diagnostics_channel.subscribe`) see
 * wsflow's events without importing wsflow. A channel without subscribers is skipped.
 *
 * @module
 */

import { channel } from "node:diagnostics_channel";
import { type DiagnosticEvent, subscribeDiagnostics } from "../streams/diagnostics.ts";

const CHANNELS = {
  "upgrade-refused": channel("wsflow:upgrade:refused"),
  "connection-limit": channel("wsflow:connection:limit"),
  "handler-error": channel("wsflow:handler:error"),
} as const;

subscribeDiagnostics((event: DiagnosticEvent) => {
  const target = CHANNELS[event.type];
  if (target.hasSubscribers) target.publish(event);
});
