import { formatElapsed } from '../src/measure/format.js';
import type { PlannedWrite } from '../src/faults/fault.js';
import type { RunRecord } from '../src/run/types.js';
import { EXIT } from './errors.js';

const seconds = (value: number | null | undefined): string | undefined =>
  typeof value === 'number' ? formatElapsed(value * 1_000) : undefined;

/** The exit code a finished run stands for: 0 only for a pass (or a completed dry run). */
export function exitCodeOf(record: RunRecord): number {
  if (record.state !== 'completed') return EXIT.failed;
  if (record.options.dryRun) return EXIT.ok;
  return record.result.verdict?.outcome === 'pass' ? EXIT.ok : EXIT.failed;
}

export function timeToDetectText(record: RunRecord): string {
  const { result } = record;
  const measured = seconds(result.timeToDetect);
  const alert = result.detection?.alert?.alertname;
  if (measured !== undefined) return alert ? `${measured} (${alert})` : measured;
  const status = result.detection?.status;
  if (status === undefined) return '-';
  return result.detection?.reason ? `${status}: ${result.detection.reason}` : status;
}

export function timeToRecoverText(record: RunRecord): string {
  const { result } = record;
  const measured = seconds(result.timeToRecover);
  if (measured !== undefined) return measured;
  const status = result.recovery?.status;
  if (status === undefined) return '-';
  return result.recovery?.reason ? `${status}: ${result.recovery.reason}` : status;
}

/** The end-of-run summary a person reads: times, verdict and each objective. */
export function runSummaryLines(record: RunRecord): string[] {
  const lines = [
    `Run ${record.id}: ${record.scenario.metadata.name} in ${record.target.namespace}` +
      `${record.options.dryRun ? ' (dry run)' : ''}: ${record.state}`,
  ];
  const consent = record.preflightFindings.find((f) => f.code === 'mesh-wide-consent');
  if (consent && record.state === 'failed') {
    // The API's words are for API callers (allowMeshWide); here it is a flag.
    lines.push(
      `  ${record.scenario.spec.fault.type} affects the whole mesh: run it again with --allow-mesh-wide to confirm`,
    );
    for (const other of record.preflightFindings) {
      if (other.severity === 'blocker' && other !== consent) lines.push(`  ${other.message}`);
    }
    return lines;
  }
  if (record.summary) lines.push(`  ${record.summary}`);
  // The summary usually says the error already (`failed: <error>`).
  if (record.error && !record.summary?.includes(record.error)) {
    lines.push(`  error: ${record.error}`);
  }
  if (record.options.dryRun) {
    for (const write of record.result.plannedWrites ?? []) {
      lines.push(`  would ${describeWrite(write)}`);
    }
    return lines;
  }
  lines.push(`  Time to detect:   ${timeToDetectText(record)}`);
  lines.push(`  Time to recover:  ${timeToRecoverText(record)}`);
  const verdict = record.result.verdict;
  lines.push(`  Verdict:          ${verdict ? verdict.outcome.toUpperCase() : '-'}`);
  for (const objective of verdict?.objectives ?? []) {
    const actual =
      objective.actualMs !== undefined ? formatElapsed(objective.actualMs) : 'not measured';
    const mark = objective.outcome === 'met' ? '✓' : objective.outcome === 'missed' ? '✗' : '?';
    lines.push(
      `    ${mark} ${objective.name} ${objective.outcome}: ${actual}, objective ${formatElapsed(objective.targetMs)}` +
        (objective.reason ? ` (${objective.reason})` : ''),
    );
  }
  return lines;
}

function describeWrite(write: PlannedWrite): string {
  const where = write.namespace !== undefined ? `${write.namespace}/` : '';
  return `${write.verb} ${write.kind} ${where}${write.name}`;
}
