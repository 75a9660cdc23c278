/**
 * Impact and recovery (SPEC §6): traffic success and recovery signals, as series of samples that
 * are good, bad or without data. Only samples at or after t0 (and not after `now`) count.
 *
 * A sample without data (null, or a NaN ratio from `0/0` when there is no traffic) is neither
 * impact nor success, and it breaks a sustained window: recovery has to be seen, not assumed.
 */
import { formatElapsed } from './format.js';
import type {
  Recovery,
  RecoveryInput,
  SignalRecovery,
  SignalSample,
  TrafficSample,
} from './types.js';

type State = 'good' | 'bad' | null;

interface Point {
  at: number;
  state: State;
}

type Run =
  | { recoveredAt: number }
  | { recoveredAt?: undefined; open?: { start: number; heldMs: number }; lastState?: State };

/**
 * The start of the first run of consecutive good points, from `from` on, spanning at least
 * `sustainForMs` from its first to its last point (0: one good point is enough). Otherwise the
 * run still open when the points end, if any.
 */
function firstSustainedRun(points: readonly Point[], from: number, sustainForMs: number): Run {
  let start: number | undefined;
  for (const point of points.slice(from)) {
    if (point.state !== 'good') {
      start = undefined;
      continue;
    }
    start ??= point.at;
    if (point.at - start >= sustainForMs) return { recoveredAt: start };
  }
  const last = points.at(-1);
  return {
    ...(start !== undefined && last !== undefined && { open: { start, heldMs: last.at - start } }),
    ...(last !== undefined && { lastState: last.state }),
  };
}

function inWindow<T extends { at: number }>(samples: readonly T[], t0: number, now: number): T[] {
  return samples.filter((s) => s.at >= t0 && s.at <= now).sort((a, b) => a.at - b.at);
}

function notRecoveredReason(
  run: Run,
  sustainForMs: number,
  words: { subject: string; never: string },
): string {
  if (run.recoveredAt === undefined && run.open !== undefined) {
    return `${words.subject} held for ${formatElapsed(run.open.heldMs)} of the required ${formatElapsed(sustainForMs)} when measurement ended`;
  }
  const noData =
    run.recoveredAt === undefined && run.lastState === null ? '; the last samples had no data' : '';
  return `${words.never}${noData}`;
}

function valueOf(sample: TrafficSample): number | null {
  return sample.value !== null && Number.isFinite(sample.value) ? sample.value : null;
}

export function measureRecovery(input: RecoveryInput): Recovery {
  const { t0, threshold, sustainForMs, revertedAt } = input;
  const samples = inWindow(input.samples, t0, input.now);
  const points: Point[] = samples.map((sample) => {
    const value = valueOf(sample);
    return { at: sample.at, state: value === null ? null : value >= threshold ? 'good' : 'bad' };
  });
  const worstValue = samples.reduce<number | undefined>((worst, sample) => {
    const value = valueOf(sample);
    return value !== null && (worst === undefined || value < worst) ? value : worst;
  }, undefined);
  const worst = worstValue === undefined ? {} : { worstValue };

  const impactIndex = points.findIndex((p) => p.state === 'bad');
  if (impactIndex < 0) {
    if (input.unavailable !== undefined) {
      const reason = `traffic source unavailable: ${input.unavailable}`;
      return { impact: 'unknown', status: 'unknown', ...worst, reason };
    }
    if (worstValue === undefined) {
      const reason = 'no traffic data since injection';
      return { impact: 'unknown', status: 'unknown', reason };
    }
    return {
      impact: 'no impact',
      status: 'no impact',
      worstValue,
      reason: `success never fell below ${threshold} after injection (lowest ${worstValue})`,
    };
  }

  const impactStart = (points[impactIndex] as Point).at;
  const impact = { impact: 'impact' as const, impactStart, ...worst };
  const run = firstSustainedRun(points, impactIndex + 1, sustainForMs);
  if (run.recoveredAt !== undefined) {
    const at = run.recoveredAt;
    return {
      ...impact,
      status: 'recovered',
      at,
      timeToRecoverMs: at - t0,
      ...(revertedAt !== undefined && { recoveryAfterRevertMs: at - revertedAt }),
      reason: `success at or above ${threshold} for ${formatElapsed(sustainForMs)} from ${formatElapsed(at - t0)} after injection`,
    };
  }
  if (input.unavailable !== undefined) {
    const reason = `traffic source unavailable: ${input.unavailable}`;
    return { ...impact, status: 'unknown', reason };
  }
  const reason = notRecoveredReason(run, sustainForMs, {
    subject: 'success',
    never: `success not at or above ${threshold} again since the impact started`,
  });
  return { ...impact, status: 'not recovered', reason };
}

/** A recovery signal (SPEC §6 `recovery.signals`): broken after t0, then holding again. */
export function measureSignal(
  name: string,
  samples: readonly SignalSample[],
  t0: number,
  sustainForMs: number,
  now: number,
): SignalRecovery {
  const points: Point[] = inWindow(samples, t0, now).map((s) => ({
    at: s.at,
    state: s.holds === null ? null : s.holds ? 'good' : 'bad',
  }));
  const brokenIndex = points.findIndex((p) => p.state === 'bad');
  if (brokenIndex < 0) {
    return points.some((p) => p.state !== null)
      ? { name, status: 'unaffected', reason: 'held throughout the run' }
      : { name, status: 'unknown', reason: 'no data since injection' };
  }
  const brokenAt = (points[brokenIndex] as Point).at;
  const run = firstSustainedRun(points, brokenIndex + 1, sustainForMs);
  if (run.recoveredAt === undefined) {
    return {
      name,
      status: 'not recovered',
      brokenAt,
      reason: notRecoveredReason(run, sustainForMs, {
        subject: 'the condition',
        never: 'not holding again since it broke',
      }),
    };
  }
  const at = run.recoveredAt;
  return {
    name,
    status: 'recovered',
    brokenAt,
    at,
    timeToRecoverMs: at - t0,
    reason: `holding again for ${formatElapsed(sustainForMs)} from ${formatElapsed(at - t0)} after injection`,
  };
}
