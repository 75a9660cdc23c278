/**
 * Redis keys of the run store. Kept apart from BullMQ's `gameday:<queue>:*` keys by the
 * `gameday:v1:` prefix; the version moves if the layout ever changes incompatibly.
 */
const PREFIX = 'gameday:v1';

export const keys = {
  run: (id: string) => `${PREFIX}:run:${id}`,
  journal: (id: string) => `${PREFIX}:run:${id}:journal`,
  events: (id: string) => `${PREFIX}:run:${id}:events`,
  samples: (id: string) => `${PREFIX}:run:${id}:samples`,
  signalSamples: (id: string) => `${PREFIX}:run:${id}:signal-samples`,
  observations: (id: string) => `${PREFIX}:run:${id}:observations`,
  lease: (id: string) => `${PREFIX}:run:${id}:lease`,
  abort: (id: string) => `${PREFIX}:run:${id}:abort`,
  /** Every run not yet in a final state: what halt and the sweeper walk. */
  active: `${PREFIX}:runs:active`,
  /** All runs by creation time (score: ms since the epoch). */
  byTime: `${PREFIX}:runs:by-time`,
  /** The runs of one scenario by creation time. */
  byScenario: (name: string) => `${PREFIX}:runs:by-scenario:${name}`,
  /** Audit log of API writes, newest first (capped). */
  audit: `${PREFIX}:audit`,
  targetLock: (context: string, namespace: string) =>
    `${PREFIX}:lock:${encodeURIComponent(context)}/${namespace}`,
  halt: `${PREFIX}:halt`,
  gameDay: (id: string) => `${PREFIX}:gameday:${id}`,
  gameDaysByTime: `${PREFIX}:gamedays:by-time`,
  /** Alertmanager webhook notifications, as received by the API (a stream). */
  webhookAlerts: `${PREFIX}:alerts:webhook`,
} as const;

/** Every per-run key, for deletion by retention. */
export function runKeys(id: string): string[] {
  return [
    keys.run(id),
    keys.journal(id),
    keys.events(id),
    keys.samples(id),
    keys.signalSamples(id),
    keys.observations(id),
    keys.lease(id),
    keys.abort(id),
  ];
}
