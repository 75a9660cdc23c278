import { formatDuration } from '../duration.js';

/**
 * A measured time as a report reads it: `250ms`, `42.1s`, `1m30s`, `11m`. Under a minute it keeps
 * a tenth of a second; from a minute on, whole seconds.
 */
export function formatElapsed(ms: number): string {
  if (ms < 0) return `-${formatElapsed(-ms)}`;
  if (ms < 999.5) return `${Math.round(ms)}ms`;
  if (ms < 59_950) return `${Number((ms / 1_000).toFixed(1))}s`;
  return formatDuration(Math.round(ms / 1_000) * 1_000);
}
