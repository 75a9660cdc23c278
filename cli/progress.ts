import { formatElapsed } from '../src/measure/format.js';
import type { RunRecord } from '../src/run/types.js';
import { timeToDetectText } from './summary.js';

/** What a run in this state is busy with, when the run record does not say more. */
const BUSY: Partial<Record<RunRecord['state'], string>> = {
  queued: 'waiting for a worker (or for another run on this target to end)',
  preflight: 'checking the target and permissions',
  baseline: 'checking traffic and alerts are healthy before injecting',
  injecting: 'injecting the fault',
  observing: 'watching alerts and traffic',
  reverting: 'reverting the fault',
  verifying: 'checking the revert and measuring recovery',
};

/**
 * A run's progress for people waiting on it: its state, what it waits for now and until when,
 * and the time to detect once known — `verifying · waiting for the 1m PromQL window to cover
 * the recovery (≈55s left)`. `key` leaves out the countdown: it changes only with the state.
 */
export function runProgress(record: RunRecord, now = Date.now()): { text: string; key: string } {
  const parts: string[] = [record.state];
  const waiting = record.waiting;
  if (waiting) {
    const left =
      waiting.until !== undefined
        ? ` (≈${formatElapsed(Math.max(0, waiting.until - now))} left)`
        : '';
    parts.push(`waiting for ${waiting.for}${left}`);
  } else if (BUSY[record.state]) {
    parts.push(BUSY[record.state]!);
  }
  const key = [record.state, waiting?.for ?? ''];
  if (record.result.detection?.status === 'detected') {
    parts.push(`detected in ${timeToDetectText(record)}`);
    key.push('detected');
  }
  return { text: parts.join(' · '), key: key.join('|') };
}
