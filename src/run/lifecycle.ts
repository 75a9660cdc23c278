/**
 * The run lifecycle (SPEC §5) as one table. Every state change of a run goes through
 * {@link assertTransition}, so an impossible sequence (re-injecting after a revert, leaving a
 * final state) is a bug that stops the run instead of a silent corruption of its record.
 */
export const RUN_STATES = [
  'queued',
  'preflight',
  'baseline',
  'injecting',
  'observing',
  'reverting',
  'verifying',
  'completed',
  'failed',
  'aborted',
  'error',
] as const;
export type RunState = (typeof RUN_STATES)[number];

export const FINAL_STATES = ['completed', 'failed', 'aborted', 'error'] as const;
export type FinalState = (typeof FINAL_STATES)[number];

/** Where each state may go next. Any non-final state may end in error or aborted. */
const NEXT: Record<RunState, readonly RunState[]> = {
  queued: ['preflight', 'failed', 'aborted', 'error'],
  // A dry run ends after preflight: it renders the inject's writes and sends none.
  preflight: ['baseline', 'completed', 'failed', 'aborted', 'error'],
  baseline: ['injecting', 'failed', 'aborted', 'error'],
  // A failed or interrupted inject still reverts whatever it managed to apply.
  injecting: ['observing', 'reverting', 'error', 'aborted'],
  observing: ['reverting', 'error', 'aborted'],
  reverting: ['verifying', 'error', 'aborted'],
  verifying: ['completed', 'failed', 'aborted', 'error'],
  completed: [],
  failed: [],
  aborted: [],
  error: [],
};

export function isFinal(state: RunState): state is FinalState {
  return (FINAL_STATES as readonly RunState[]).includes(state);
}

/** States in which the cluster may hold something the run changed. */
export function mayHoldFault(state: RunState): boolean {
  return state === 'injecting' || state === 'observing' || state === 'reverting';
}

export class IllegalTransition extends Error {
  override name = 'IllegalTransition';
  readonly retryable = false;
}

export function assertTransition(from: RunState, to: RunState): void {
  if (!NEXT[from].includes(to)) {
    throw new IllegalTransition(`a run cannot go from ${from} to ${to}`);
  }
}
