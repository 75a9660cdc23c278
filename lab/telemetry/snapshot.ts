/**
 * A value read from the mesh model, cached for a short while so that events (which must be
 * cheap) do not re-read the model each time; scrapes always re-read it.
 */
export class StateSnapshot<T> {
  #value: T | undefined;
  #readAt = -Infinity;

  constructor(private readonly read: () => T) {}

  /** The cached value, re-read when it is older than `maxAgeMs`. */
  get(maxAgeMs: number): T {
    if (this.#value === undefined || Date.now() - this.#readAt > maxAgeMs) return this.refresh();
    return this.#value;
  }

  refresh(): T {
    this.#value = this.read();
    this.#readAt = Date.now();
    return this.#value;
  }
}

/** How stale a snapshot events may use is; a scrape refreshes it anyway. */
export const EVENT_SNAPSHOT_MAX_AGE_MS = 250;
/** After a lookup misses, how old the snapshot must be before it is read again. */
export const MISS_SNAPSHOT_MAX_AGE_MS = 20;

export function podKey(ref: { namespace: string; pod: string }): string {
  return `${ref.namespace}/${ref.pod}`;
}
