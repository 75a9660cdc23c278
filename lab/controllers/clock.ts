/**
 * Time inside the lab. Durations the real control plane uses (restart back-off, progress
 * deadlines, container start-up) are cluster durations; `speed` > 1 makes them pass faster
 * in wall time so a GameDay against the lab finishes in seconds, not minutes.
 */
export interface LabClock {
  now(): Date;
  /** Wall-clock milliseconds that `clusterMs` of cluster time take at this speed. */
  wall(clusterMs: number): number;
  readonly speed: number;
}

export function realClock(speed = 1): LabClock {
  if (!(speed > 0)) throw new RangeError(`lab speed must be positive, got ${speed}`);
  return {
    speed,
    now: () => new Date(),
    wall: (clusterMs) => clusterMs / speed,
  };
}

/** RFC 3339 with second precision, as Kubernetes timestamps are. */
export function kubeTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
