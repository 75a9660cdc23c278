/** Pass or fail against the scenario's objectives (SPEC §3 `objectives`, §6). */
import { formatElapsed } from './format.js';
import type {
  Detection,
  ObjectiveResult,
  ObjectiveTargets,
  Recovery,
  Verdict,
  VerdictOutcome,
} from './types.js';

function judge(
  name: ObjectiveResult['name'],
  targetMs: number,
  actualMs: number,
  verb: string,
): ObjectiveResult {
  const met = actualMs <= targetMs;
  const objective = `objective ${formatElapsed(targetMs)}`;
  return {
    name,
    targetMs,
    actualMs,
    outcome: met ? 'met' : 'missed',
    reason: `${verb} in ${formatElapsed(actualMs)}, ${met ? objective : `over the ${objective}`}`,
  };
}

function timeToDetect(detection: Detection, targetMs: number): ObjectiveResult {
  const name = 'timeToDetect';
  const why = detection.reason === undefined ? '' : `: ${detection.reason}`;
  switch (detection.status) {
    case 'detected':
      return judge(name, targetMs, detection.timeToDetectMs ?? 0, 'detected');
    case 'undetected':
      return { name, targetMs, outcome: 'missed', reason: `not detected${why}` };
    case 'pending':
      return { name, targetMs, outcome: 'unknown', reason: `detection still pending${why}` };
    case 'unknown':
      return { name, targetMs, outcome: 'unknown', reason: `detection unknown${why}` };
  }
}

function timeToRecover(recovery: Recovery, targetMs: number): ObjectiveResult {
  const name = 'timeToRecover';
  const why = recovery.reason === undefined ? '' : `: ${recovery.reason}`;
  switch (recovery.status) {
    case 'recovered':
      return judge(name, targetMs, recovery.timeToRecoverMs ?? 0, 'recovered');
    case 'no impact':
      return { name, targetMs, outcome: 'met', reason: 'no traffic impact' };
    case 'not recovered':
      return { name, targetMs, outcome: 'missed', reason: `traffic did not recover${why}` };
    case 'unknown':
      return { name, targetMs, outcome: 'unknown', reason: `recovery unknown${why}` };
  }
}

/** Any objective missed fails the run; otherwise any unknown leaves it inconclusive. */
export function verdict(
  detection: Detection,
  recovery: Recovery,
  objectives: ObjectiveTargets,
): Verdict {
  const results: ObjectiveResult[] = [];
  if (objectives.timeToDetect !== undefined) {
    results.push(timeToDetect(detection, objectives.timeToDetect));
  }
  if (objectives.timeToRecover !== undefined) {
    results.push(timeToRecover(recovery, objectives.timeToRecover));
  }
  const outcomes = new Set(results.map((r) => r.outcome));
  const outcome: VerdictOutcome = outcomes.has('missed')
    ? 'fail'
    : outcomes.has('unknown')
      ? 'inconclusive'
      : 'pass';
  return { outcome, objectives: results };
}
