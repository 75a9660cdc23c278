/** The offset between the tool's clock and Prometheus's (SPEC §6), NTP-style. */
import { estimateClockOffset } from '../measure/clock-offset.js';
import type { Clock, ClockOffset, ClockProbe } from '../measure/types.js';

export type { ClockOffset };

/** Anything that reads Prometheus's clock, e.g. a PrometheusClient. */
export interface ServerClock {
  serverTime(): Promise<number>;
}

/**
 * Asks Prometheus for `time()` `probes` times, one after the other, and keeps the probe with the
 * smallest round trip: offset = serverTime − (sentAt + rtt/2), assuming the server read its clock
 * half-way through. Probes that fail are skipped; if all fail, the last error is thrown
 * (a SignalUnavailable from the client).
 */
export async function measurePrometheusOffset(
  client: ServerClock,
  clock: Clock,
  probes = 3,
): Promise<ClockOffset> {
  const taken: ClockProbe[] = [];
  let lastError: unknown;
  for (let i = 0; i < Math.max(1, Math.floor(probes)); i += 1) {
    const sentAt = clock.now();
    try {
      const serverTime = await client.serverTime();
      taken.push({ sentAt, receivedAt: clock.now(), serverTime });
    } catch (error) {
      lastError = error;
    }
  }
  if (taken.length === 0) throw lastError;
  return estimateClockOffset(taken);
}
