/** The Markdown report: what a person pastes into a post-mortem or a pull request. */
import { formatElapsed } from '../measure/format.js';
import type { AlertTimeline } from '../measure/types.js';
import {
  describeEvent,
  formatInstant,
  formatLabels,
  formatOffset,
  formatPercent,
  formatSeconds,
  headline,
  notJudgedReason,
  runbookUrl,
  summaryRows,
  targetText,
  unjudgedObjectives,
} from './common.js';
import { buildReport } from './json.js';
import type { ReportInput, RunReport } from './types.js';

/**
 * Text from the record (user input) as inline Markdown that renders literally: inline Markdown
 * punctuation and HTML are backslash-escaped, as is a block marker at the start (`#`, `-`, `1.`);
 * line breaks become spaces.
 */
export function mdText(text: string): string {
  return mdInline(text.replace(/\r\n?|\n/g, ' ')).replace(
    /^(\s*)([#=+-]|\d+[.)])/,
    (_, space: string, marker: string) => `${space}${marker.replace(/[#=+\-.)]/, '\\$&')}`,
  );
}

function mdInline(text: string): string {
  return text.replace(/[\\`*_[\]<>|~]/g, '\\$&');
}

/** A table cell: inline Markdown escaped (so `|` cannot end the cell), line breaks as `<br>`. */
export function mdCell(text: string): string {
  return text
    .split(/\r\n?|\n/)
    .map((line) => mdInline(line))
    .join('<br>');
}

/** A Markdown table; every cell escaped with {@link mdCell}. */
export function mdTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map(mdCell).join(' | ')} |`;
  return [line(header), `|${header.map(() => ' --- ').join('|')}|`, ...rows.map(line)].join('\n');
}

/** A fenced code block whose fence is longer than any backtick run in the text. */
function fenced(text: string): string {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}text\n${text.replace(/\r\n?/g, '\n').replace(/\n+$/, '')}\n${fence}`;
}

function offsetOf(report: RunReport, at: number | undefined | null): string {
  if (at === undefined || at === null) return '—';
  return report.times.t0 === null ? formatInstant(at) : formatOffset(at - report.times.t0);
}

function alertRows(report: RunReport, alerts: AlertTimeline[]): string[][] {
  return alerts.map((alert) => [
    alert.alertname,
    formatLabels(alert.labels) || '—',
    offsetOf(report, alert.pendingAt),
    `${offsetOf(report, alert.firedAt)}${alert.firedAtSource ? ` (${alert.firedAtSource})` : ''}`,
    offsetOf(report, alert.resolvedAt),
    alert.sources.join(', '),
  ]);
}

const ALERT_HEADER = ['Alert', 'Labels', 'Pending', 'Firing', 'Resolved', 'Sources'];

function detectionSection(report: RunReport): string[] {
  const detection = report.detection;
  if (detection === null) return ['Not measured: the fault was never injected.'];
  const lines = [`- Status: **${mdText(detection.status)}**`];
  if (detection.alert !== null) {
    const labels = formatLabels(detection.alert.labels);
    lines.push(
      `- Alert: ${mdText(detection.alert.alertname)}${labels ? ` {${mdText(labels)}}` : ''}`,
    );
  }
  if (detection.at !== null) {
    lines.push(`- Detected at: ${formatInstant(detection.at)} (${offsetOf(report, detection.at)})`);
  }
  if (detection.timestampSource !== null) {
    lines.push(`- Timestamp source: ${mdText(detection.timestampSource)}`);
  }
  if (detection.reason !== null) lines.push(`- Reason: ${mdText(detection.reason)}`);
  lines.push(`- Expected alerts: ${mdText(report.measurement.expectedAlerts.join(', '))}`);
  if (detection.preexisting.length > 0) {
    lines.push('', 'Already firing before injection (not counted):', '');
    lines.push(mdTable(ALERT_HEADER, alertRows(report, detection.preexisting)));
  }
  return lines;
}

function recoverySection(report: RunReport): string[] {
  const recovery = report.recovery;
  const traffic = report.measurement.traffic;
  const rows: string[][] = [];
  if (recovery !== null) {
    rows.push([
      `traffic (success ≥ ${formatPercent(traffic.threshold)} for ${traffic.sustainFor})`,
      recovery.status,
      offsetOf(report, recovery.impactStart),
      offsetOf(report, recovery.at),
      formatSeconds(recovery.timeToRecover),
      recovery.reason ?? '',
    ]);
  }
  for (const signal of report.signals) {
    rows.push([
      signal.name,
      signal.status,
      offsetOf(report, signal.brokenAt),
      offsetOf(report, signal.at),
      formatSeconds(signal.timeToRecover),
      signal.reason ?? '',
    ]);
  }
  if (rows.length === 0) return ['Not measured.'];
  return [mdTable(['Signal', 'Status', 'Broken', 'Recovered', 'Time to recover', 'Reason'], rows)];
}

function runbookSection(runbook: string): string {
  const url = runbookUrl(runbook);
  if (url !== undefined) return `[${mdText(url)}](<${url}>)`;
  if (/\r|\n/.test(runbook.trim())) return fenced(runbook);
  return mdText(runbook);
}

/** How a run's report sits in a document: its title and the level of that title. */
export interface MarkdownPlacement {
  /** Level of the title heading (1 in a run report); sections are one below. */
  level: number;
  /** The title, as Markdown (escape user text with {@link mdText}). */
  title?: string;
}

export function renderMarkdownReport(
  report: RunReport,
  where: MarkdownPlacement = { level: 1 },
): string {
  const head = headline(report);
  const out: string[] = [];
  const push = (...lines: string[]) => out.push(...lines);
  const h2 = '#'.repeat(where.level + 1);

  push(
    `${'#'.repeat(where.level)} ${where.title ?? `GameDay ${mdText(report.scenario.name)}: ${head.label}`}`,
    '',
  );
  if (head.detail) push(`> ${mdText(head.detail)}`, '');
  if (report.scenario.description) push(mdText(report.scenario.description), '');
  push(
    mdTable(
      ['Run', 'Target', 'Fault', 'Created', 'By', 'gameday'],
      [
        [
          report.run.id,
          targetText(report),
          report.fault.type,
          formatInstant(report.run.createdAt),
          report.run.createdBy,
          report.toolVersion,
        ],
      ],
    ),
    '',
  );
  const labels = Object.entries(report.scenario.labels);
  if (labels.length > 0) {
    push(`Labels: ${labels.map(([k, v]) => mdText(`${k}=${v}`)).join(', ')}`, '');
  }

  push(`${h2} Summary`, '', mdTable(['Measure', 'Value'], summaryRows(report)), '');
  if (report.run.stop !== null) {
    const stop = report.run.stop;
    push(
      `Stopped: **${mdText(stop.kind)}**${stop.by ? ` by ${mdText(stop.by)}` : ''} — ${mdText(stop.message)}`,
      '',
    );
  }
  if (report.run.error !== null) push(`Error: ${mdText(report.run.error)}`, '');

  push(`${h2} Objectives`, '');
  const objectives = report.verdict?.objectives ?? [];
  const unjudged = unjudgedObjectives(report);
  if (unjudged.length > 0) {
    push(
      `Not judged (${mdText(notJudgedReason(report))}): ${unjudged.map((o) => mdText(o.title)).join(', ')}.`,
      '',
    );
  } else if (objectives.length === 0) push('No objectives were judged.', '');
  else {
    push(
      mdTable(
        ['Objective', 'Actual', 'Outcome', 'Reason'],
        objectives.map((o) => [
          o.title,
          o.actualMs === undefined ? '—' : formatElapsed(o.actualMs),
          o.outcome,
          o.reason,
        ]),
      ),
      '',
    );
  }

  push(`${h2} Preflight findings`, '');
  if (report.preflightFindings.length === 0) push('None.', '');
  else {
    for (const finding of report.preflightFindings) {
      push(`- **${finding.severity}**: ${mdText(finding.message)}`);
    }
    push('');
  }

  push(`${h2} Detection`, '', ...detectionSection(report), '');

  push(`${h2} Collateral alerts`, '');
  if (report.collateralAlerts.length === 0) push('None.', '');
  else push(mdTable(ALERT_HEADER, alertRows(report, report.collateralAlerts)), '');

  push(`${h2} Recovery`, '', ...recoverySection(report), '');

  push(`${h2} Timeline`, '');
  if (report.timeline.length === 0) push('No events.', '');
  else {
    push(
      mdTable(
        ['Offset', 'Time (UTC)', 'Event'],
        report.timeline.map((e) => [
          formatOffset(e.offsetMs),
          formatInstant(e.at),
          describeEvent(e),
        ]),
      ),
      '',
    );
  }

  if (report.samplesSummary !== null) {
    const s = report.samplesSummary;
    push(
      `${h2} Traffic samples`,
      '',
      `${s.count} samples after injection, ${s.belowThreshold} below the threshold, ${s.noData} without data${s.min === undefined ? '' : `; min ${formatPercent(s.min)}, mean ${formatPercent(s.mean)}, max ${formatPercent(s.max)}`}.`,
      '',
    );
  }

  push(`${h2} Revert verification`, '');
  const verification = report.revertVerification;
  if (verification === null) push('Not verified (nothing was reverted).', '');
  else {
    push(`State: **${mdText(verification.state)}**`, '');
    for (const detail of verification.details) push(`- ${mdText(detail)}`);
    if (verification.details.length > 0) push('');
  }

  if (report.plannedWrites !== null) {
    push(`${h2} Planned writes (dry run)`, '');
    push(
      mdTable(
        ['Verb', 'Kind', 'Namespace', 'Name'],
        report.plannedWrites.map((w) => [w.verb, w.kind, w.namespace ?? '', w.name]),
      ),
      '',
    );
  }

  push(`${h2} Runbook`, '');
  push(report.scenario.runbook === null ? 'None.' : runbookSection(report.scenario.runbook), '');

  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}

export function renderMarkdown(input: ReportInput): string {
  return renderMarkdownReport(buildReport(input));
}
