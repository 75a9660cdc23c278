/** Wording shared by the Markdown, HTML and JUnit reports, so they say the same thing. */
import { parseDuration } from '../duration.js';
import { formatElapsed } from '../measure/format.js';
import type { ObjectiveResult } from '../measure/types.js';
import type { ReportEvent, RunReport } from './types.js';

export type Tone = 'pass' | 'fail' | 'warn' | 'neutral';

export interface Headline {
  tone: Tone;
  /** One or two words, upper case: PASS, FAIL, INCONCLUSIVE, ABORTED… */
  label: string;
  /** Why, in one line. */
  detail: string;
}

/** Did the run reach `completed`? Anything else final means it was cut short or failed. */
export function completed(report: RunReport): boolean {
  return report.run.outcome === 'completed';
}

/** The verdict as a banner says it: the run's outcome first, then the objectives. */
export function headline(report: RunReport): Headline {
  const summary = report.run.summary ?? '';
  const detail = (fallback: string) => (summary === '' ? fallback : summary);
  switch (report.run.outcome) {
    case null:
      return { tone: 'neutral', label: 'RUNNING', detail: `run is ${report.run.state}` };
    case 'error':
      return {
        tone: 'fail',
        label: 'ERROR',
        detail: detail('the revert failed: the fault may still be in effect'),
      };
    case 'failed':
      return { tone: 'fail', label: 'RUN FAILED', detail: detail('the run failed') };
    case 'aborted':
      return { tone: 'warn', label: 'ABORTED', detail: detail('the run was aborted') };
    case 'completed':
      break;
  }
  const verdict = report.verdict;
  if (verdict === null) {
    const label = report.options.dryRun ? 'DRY RUN' : 'COMPLETED';
    return { tone: 'neutral', label, detail: detail('nothing was measured') };
  }
  const tone: Tone =
    verdict.outcome === 'pass' ? 'pass' : verdict.outcome === 'fail' ? 'fail' : 'warn';
  return { tone, label: verdict.outcome.toUpperCase(), detail: detail('') };
}

/** `42.1s`, `-20s`, or the fallback for null. */
export function formatSeconds(value: number | null | undefined, fallback = '—'): string {
  return value === null || value === undefined ? fallback : formatElapsed(value * 1000);
}

/** Offset from t0: `+42.1s`, `-5s`, `—`. */
export function formatOffset(ms: number | null): string {
  if (ms === null) return '—';
  if (ms === 0) return '0s';
  return ms < 0 ? formatElapsed(ms) : `+${formatElapsed(ms)}`;
}

export function formatInstant(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  return new Date(ms).toISOString();
}

/** A ratio as a percentage with at most one decimal: `99.5%`, `40%`. */
export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined) return 'no data';
  return `${Number((value * 100).toFixed(1))}%`;
}

/** `severity="critical", pod="istiod-1"`: an alert's labels except its name. */
export function formatLabels(labels: Record<string, string>): string {
  return Object.entries(labels)
    .filter(([name]) => name !== 'alertname')
    .map(([name, value]) => `${name}="${value}"`)
    .join(', ');
}

export function formatClockOffset(report: RunReport): string {
  const offset = report.clockOffset;
  if (offset === null) return 'not measured';
  if ('unknown' in offset) return `unknown (${offset.unknown})`;
  const sign = offset.offsetMs < 0 ? '' : '+';
  return `${sign}${formatElapsed(offset.offsetMs)} (±${formatElapsed(offset.roundTripMs / 2)}, Prometheus − tool)`;
}

export function formatLag(report: RunReport): string {
  return report.measurementLagMs === null ? 'none' : formatElapsed(report.measurementLagMs);
}

/** Time to detect as a headline number, or what happened instead. */
export function detectText(report: RunReport): string {
  const detection = report.detection;
  if (detection === null) return 'not measured';
  switch (detection.status) {
    case 'detected':
      return formatSeconds(report.times.timeToDetect ?? detection.timeToDetect, 'detected');
    case 'undetected':
      return 'not detected';
    case 'pending':
      return 'pending';
    case 'unknown':
      return 'unknown';
  }
}

export function impactText(report: RunReport): string {
  const recovery = report.recovery;
  if (recovery === null) return 'not measured';
  switch (recovery.impact) {
    case 'impact': {
      const after = report.times.timeToImpact;
      const worst =
        recovery.worstValue === undefined ? '' : `, worst ${formatPercent(recovery.worstValue)}`;
      return after === null ? `impact${worst}` : `after ${formatSeconds(after)}${worst}`;
    }
    case 'no impact':
      return 'no impact';
    case 'unknown':
      return 'unknown';
  }
}

export function recoverText(report: RunReport): string {
  const recovery = report.recovery;
  if (recovery === null) return 'not measured';
  switch (recovery.status) {
    case 'recovered':
      return formatSeconds(report.times.timeToRecover ?? recovery.timeToRecover, 'recovered');
    case 'not recovered':
      return 'not recovered';
    case 'no impact':
      return 'no impact';
    case 'unknown':
      return 'unknown';
  }
}

export function afterRevertText(report: RunReport): string {
  const value = report.times.recoveryAfterRevert;
  if (value === null) return '—';
  return value < 0 ? `${formatSeconds(-value)} before the revert` : formatSeconds(value);
}

export function verdictText(report: RunReport): string {
  return report.verdict === null ? 'none' : report.verdict.outcome.toUpperCase();
}

/** The summary table's rows, label first. */
export function summaryRows(report: RunReport): Array<[string, string]> {
  return [
    ['Time to detect', detectText(report)],
    ['Impact', impactText(report)],
    ['Time to recover', recoverText(report)],
    ['Recovery after revert', afterRevertText(report)],
    ['Verdict', verdictText(report)],
    ['Clock offset', formatClockOffset(report)],
    ['Measurement lag', formatLag(report)],
  ];
}

/** A timeline event in one line of plain text (renderers escape it). */
export function describeEvent(event: ReportEvent): string {
  const suffix = (message: string | undefined) => (message ? `: ${message}` : '');
  switch (event.type) {
    case 'state':
      return `state → ${event.state}${suffix(event.message)}`;
    case 'finding':
      return `preflight ${event.finding.severity}${suffix(event.finding.message)}`;
    case 'inject':
      return `inject ${event.phase}${suffix(event.message)}`;
    case 'revert':
      return `revert ${event.phase}${suffix(event.message)}`;
    case 'alert': {
      const labels = formatLabels(event.labels);
      return `${event.expected ? 'expected' : 'collateral'} alert ${event.alertname} ${event.state} (${event.source})${labels ? ` {${labels}}` : ''}`;
    }
    case 'impact':
      return `impact${suffix(event.message)}`;
    case 'recovery':
      return `recovery${suffix(event.message)}`;
    case 'guard':
      return `guard ${event.name}${event.value === null ? '' : ` = ${event.value}`}${suffix(event.message)}`;
    case 'stop':
      return `stopped (${event.reason.kind}${event.reason.by ? ` by ${event.reason.by}` : ''})${suffix(event.reason.message)}`;
    case 'responder':
      return `${event.author} ${event.event}${suffix(event.text)}`;
    case 'warning':
      return `warning${suffix(event.message)}`;
  }
}

/** A runbook that is a single http(s) URL, to be rendered as a link; undefined otherwise. */
export function runbookUrl(runbook: string): string | undefined {
  const text = runbook.trim();
  if (!/^https?:\/\/\S+$/i.test(text)) return undefined;
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

export function targetText(report: RunReport): string {
  return `${report.target.context || '(current context)'}/${report.target.namespace}`;
}

/** `timeToDetect ≤ 5m`. */
export function objectiveTitle(objective: Pick<ObjectiveResult, 'name' | 'targetMs'>): string {
  return `${objective.name} ≤ ${formatElapsed(objective.targetMs)}`;
}

/** Why a run has no verdict, for objectives listed as not judged. */
export function notJudgedReason(report: RunReport): string {
  if (report.run.outcome === null) return `run still ${report.run.state}`;
  if (report.options.dryRun) return 'dry run: nothing measured';
  if (report.times.t0 === null) return `run ${report.run.outcome} before the fault was injected`;
  return `run ${report.run.outcome} without a verdict`;
}

/** The scenario's objectives when the run judged none (no verdict): what was at stake. */
export function unjudgedObjectives(
  report: RunReport,
): Array<{ name: ObjectiveResult['name']; targetMs: number; title: string }> {
  if (report.verdict !== null) return [];
  return (['timeToDetect', 'timeToRecover'] as const).flatMap((name) => {
    const text = report.measurement.objectives[name];
    const targetMs = text === null ? undefined : parseDuration(text);
    return targetMs === undefined
      ? []
      : [{ name, targetMs, title: objectiveTitle({ name, targetMs }) }];
  });
}
