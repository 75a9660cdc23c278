/**
 * The offset between the tool's clock and Prometheus's (SPEC §6), measured at run start by
 * querying `time()` and read NTP-style: the server read its clock, on average, halfway through the
 * round trip.
 */
import type { ClockOffset, ClockProbe } from './types.js';

/**
 * The offset from the probe with the shortest round trip, the one whose midpoint is least
 * uncertain. Probes whose reply came back before the request left (the tool's clock stepped) are
 * ignored; throws when no usable probe is left.
 */
export function estimateClockOffset(probes: readonly ClockProbe[]): ClockOffset {
  let best: ClockProbe | undefined;
  for (const probe of probes) {
    const roundTrip = probe.receivedAt - probe.sentAt;
    if (!(roundTrip >= 0)) continue;
    if (best === undefined || roundTrip < best.receivedAt - best.sentAt) best = probe;
  }
  if (best === undefined) throw new RangeError('no usable clock probe to estimate the offset from');
  const roundTripMs = best.receivedAt - best.sentAt;
  return { offsetMs: best.serverTime - (best.sentAt + roundTripMs / 2), roundTripMs };
}

/** A source timestamp on the tool's clock, given offset = source clock − tool clock. */
export function toToolClock(sourceMs: number, offsetMs: number): number {
  return sourceMs - offsetMs;
}
