/**
 * The combined GameDay report (SPEC §3): one document for a GameDay's child runs. It is made of
 * the run report's own pieces — each child is a {@link RunReport} from {@link buildReport}, so it
 * carries the same redaction (no probe URL tokens, no planned-write bodies), and its Markdown,
 * HTML and JUnit sections come from the run report's renderers.
 */
import { buildInfo } from '../build-info.js';
import { formatElapsed } from '../measure/format.js';
import type { VerdictOutcome } from '../measure/types.js';
import type { GameDayRecord } from '../run/gameday.js';
import { FINAL_STATES, type RunState } from '../run/lifecycle.js';
import {
  detectText,
  formatInstant,
  headline,
  impactText,
  recoverText,
  targetText,
  type Headline,
} from './common.js';
import { escapeHtml as e } from './escape.js';
import { banner, HTML_PAGE_END, htmlPageStart, htmlTable, renderHtmlRunBody } from './html.js';
import { buildReport } from './json.js';
import {
  attrs,
  counterAttrs,
  junitDocument,
  renderJunitSuite,
  type JunitCounters,
} from './junit.js';
import { mdTable, mdText, renderMarkdownReport } from './markdown.js';
import type { ReportFormat, ReportInput, RunReport } from './types.js';

/** Bumped whenever the GameDay report's shape changes incompatibly. */
export const GAMEDAY_REPORT_VERSION = 1;

/** A GameDay record and what its child runs stored (children whose record is gone are left out). */
export interface GameDayReportInput {
  record: GameDayRecord;
  children: ReportInput[];
}

/** Where a scenario of the GameDay stands: a run state, or why it has no run. */
export type GameDayRowState = RunState | 'not started' | 'not run' | 'missing';

/** One line of the summary table: a scenario of the GameDay and its child run. */
export interface GameDayReportRow {
  /** 1-based position in the GameDay. */
  index: number;
  scenario: string;
  fault: string;
  runId: string | null;
  state: GameDayRowState;
  /** Seconds, null when not measured. */
  timeToDetect: number | null;
  timeToRecover: number | null;
  impact: 'impact' | 'no impact' | 'unknown' | null;
  verdict: VerdictOutcome | null;
  summary: string | null;
}

export interface GameDayReport {
  reportVersion: typeof GAMEDAY_REPORT_VERSION;
  kind: 'GameDayReport';
  toolVersion: string;
  gameDay: {
    id: string;
    name: string;
    description: string | null;
    labels: Record<string, string>;
    participants: Array<{ name: string; role: string }>;
    createdBy: string;
    startedAt: number;
    /** When it ended; null while it runs. */
    endedAt: number | null;
    updatedAt: number;
    state: GameDayRecord['state'];
    inProgress: boolean;
    pauseBetweenMs: number;
    options: GameDayRecord['options'];
    /** Why it stopped early (the kill switch), null otherwise. */
    stop: string | null;
  };
  verdict: {
    /** The combined verdict; null while the GameDay runs. */
    outcome: VerdictOutcome | null;
    /** Why, one line each. */
    reasons: string[];
  };
  summary: GameDayReportRow[];
  /** The child runs' reports, in order. */
  runs: RunReport[];
}

export function buildGameDayReport(input: GameDayReportInput): GameDayReport {
  const { record } = input;
  const byId = new Map(input.children.map((child) => [child.record.id, child]));
  const runs: RunReport[] = [];
  const summary = record.scenarios.map((scenario, i): GameDayReportRow => {
    const runId = record.children[i];
    const base = {
      index: i + 1,
      scenario: scenario.metadata.name,
      fault: scenario.spec.fault.type,
      runId: runId ?? null,
      timeToDetect: null,
      timeToRecover: null,
      impact: null,
      verdict: null,
      summary: null,
    };
    if (runId === undefined) {
      return { ...base, state: record.state === 'running' ? 'not started' : 'not run' };
    }
    const child = byId.get(runId);
    if (child === undefined) {
      const stored = record.result?.runs.find((r) => r.runId === runId);
      return stored === undefined
        ? { ...base, state: 'missing', summary: 'the run record is no longer stored' }
        : {
            ...base,
            state: stored.state,
            timeToDetect: stored.timeToDetect,
            timeToRecover: stored.timeToRecover,
            verdict: stored.verdict as VerdictOutcome,
            summary: stored.summary || null,
          };
    }
    const report = buildReport(child);
    runs.push(report);
    return {
      ...base,
      state: report.run.state,
      timeToDetect: report.times.timeToDetect,
      timeToRecover: report.times.timeToRecover,
      impact: report.recovery?.impact ?? null,
      verdict: report.verdict?.outcome ?? null,
      summary: report.run.summary,
    };
  });
  const inProgress = record.state === 'running';
  return {
    reportVersion: GAMEDAY_REPORT_VERSION,
    kind: 'GameDayReport',
    toolVersion: buildInfo().version,
    gameDay: {
      id: record.id,
      name: record.gameDay.metadata.name,
      description: record.gameDay.metadata.description ?? null,
      labels: { ...(record.gameDay.metadata.labels ?? {}) },
      participants: record.gameDay.participants.map((p) => ({ name: p.name, role: p.role })),
      createdBy: record.createdBy,
      startedAt: record.createdAt,
      endedAt: inProgress ? null : record.updatedAt,
      updatedAt: record.updatedAt,
      state: record.state,
      inProgress,
      pauseBetweenMs: record.pauseBetweenMs,
      options: { ...record.options },
      stop: record.stop ?? null,
    },
    verdict: {
      outcome: inProgress ? null : (record.result?.verdict ?? 'inconclusive'),
      reasons: reasons(record, summary),
    },
    summary,
    runs,
  };
}

/** Why the combined verdict is what it is: the scenarios that did not pass, and what did not run. */
function reasons(record: GameDayRecord, rows: GameDayReportRow[]): string[] {
  const out: string[] = [];
  const total = rows.length;
  if (record.state === 'running') {
    const current = rows.find((r) => r.runId !== null && !isEnded(r.state));
    const next = rows.find((r) => r.runId === null);
    if (current) {
      out.push(
        `in progress: scenario ${current.index} of ${total} (${current.scenario}) is ${current.state}`,
      );
    } else if (next) {
      out.push(
        `in progress: scenario ${next.index} of ${total} (${next.scenario}) starts after the pause`,
      );
    } else out.push('in progress: finishing');
  }
  if (record.stop !== undefined) out.push(`stopped early: ${record.stop}`);
  for (const row of rows) {
    const name = `${row.index}. ${row.scenario}`;
    const why = row.summary ? `: ${row.summary}` : '';
    if (row.state === 'missing') out.push(`${name}: ${row.summary}`);
    else if (row.runId === null || !isEnded(row.state)) continue;
    else if (row.state !== 'completed') out.push(`${name}: the run ended ${row.state}${why}`);
    else if (record.options.dryRun) out.push(`${name}: dry run, nothing measured`);
    else if (row.verdict !== 'pass')
      out.push(`${name}: ${(row.verdict ?? 'no verdict').toUpperCase()}${why}`);
  }
  const notRun = rows.filter((r) => r.state === 'not run').length;
  if (notRun > 0) out.push(`${notRun} of ${total} scenario(s) did not run`);
  if (record.state !== 'running' && out.length === 0) {
    out.push(`all ${total} scenario(s) completed and passed their objectives`);
  }
  return out;
}

const isEnded = (state: GameDayRowState) => (FINAL_STATES as readonly string[]).includes(state);

/** The banner: IN PROGRESS while it runs, else the combined verdict. */
export function gameDayHeadline(report: GameDayReport): Headline {
  const detail = report.verdict.reasons.join('; ');
  const outcome = report.verdict.outcome;
  if (outcome === null) return { tone: 'neutral', label: 'IN PROGRESS', detail };
  const stopped = report.gameDay.state === 'completed' ? '' : ` (${report.gameDay.state})`;
  const tone = outcome === 'pass' ? 'pass' : outcome === 'fail' ? 'fail' : 'warn';
  return { tone, label: `${outcome.toUpperCase()}${stopped}`, detail };
}

function rowCells(report: GameDayReport, row: GameDayReportRow): string[] {
  const run = report.runs.find((r) => r.run.id === row.runId);
  const seconds = (value: number | null) => (value === null ? '—' : formatElapsed(value * 1000));
  return [
    String(row.index),
    row.scenario,
    row.runId ?? '—',
    row.state,
    run ? detectText(run) : seconds(row.timeToDetect),
    run ? recoverText(run) : seconds(row.timeToRecover),
    run ? impactText(run) : (row.impact ?? '—'),
    row.verdict === null ? '—' : row.verdict.toUpperCase(),
  ];
}

const SUMMARY_HEADER = [
  '#',
  'Scenario',
  'Run',
  'State',
  'Time to detect',
  'Time to recover',
  'Impact',
  'Verdict',
];

function overview(report: GameDayReport): Array<[string, string]> {
  const g = report.gameDay;
  return [
    ['GameDay', g.id],
    ['State', g.inProgress ? 'running (in progress)' : g.state],
    ['Started', formatInstant(g.startedAt)],
    ['Ended', g.endedAt === null ? 'not yet' : formatInstant(g.endedAt)],
    ['Started by', g.createdBy],
    ['Pause between scenarios', formatElapsed(g.pauseBetweenMs)],
    ['Options', `dry run: ${g.options.dryRun}, mesh-wide allowed: ${g.options.allowMeshWide}`],
    ['gameday', report.toolVersion],
  ];
}

function childTitle(row: GameDayReportRow, run: RunReport | undefined): string {
  const label = run ? headline(run).label : row.state.toUpperCase();
  return `Scenario ${row.index}: ${row.scenario} — ${label}`;
}

function notRunText(row: GameDayReportRow): string {
  switch (row.state) {
    case 'not started':
      return 'Not started yet.';
    case 'missing':
      return `Run ${row.runId ?? ''}: its record is no longer stored.`;
    default:
      return row.runId === null
        ? 'Not run: the GameDay ended before this scenario.'
        : `Run ${row.runId}: ${row.state}${row.summary ? ` (${row.summary})` : ''}; its details are no longer stored.`;
  }
}

export function renderGameDayMarkdown(report: GameDayReport): string {
  const head = gameDayHeadline(report);
  const g = report.gameDay;
  const out: string[] = [`# GameDay ${mdText(g.name)}: ${head.label}`, ''];
  if (head.detail) out.push(`> ${mdText(head.detail)}`, '');
  if (g.description) out.push(mdText(g.description), '');
  out.push(mdTable(['Field', 'Value'], overview(report)), '');
  const labels = Object.entries(g.labels);
  if (labels.length > 0) {
    out.push(`Labels: ${labels.map(([k, v]) => mdText(`${k}=${v}`)).join(', ')}`, '');
  }

  out.push('## Participants', '');
  if (g.participants.length === 0) out.push('None listed.', '');
  else
    out.push(
      mdTable(
        ['Name', 'Role'],
        g.participants.map((p) => [p.name, p.role]),
      ),
      '',
    );

  out.push('## Verdict', '', `**${head.label}**`, '');
  for (const reason of report.verdict.reasons) out.push(`- ${mdText(reason)}`);
  out.push('');
  if (g.stop !== null) out.push(`Stopped early: ${mdText(g.stop)}`, '');

  out.push('## Scenarios', '');
  out.push(
    mdTable(
      SUMMARY_HEADER,
      report.summary.map((row) => rowCells(report, row)),
    ),
    '',
  );
  out.push(`Pause between scenarios: ${formatElapsed(g.pauseBetweenMs)}.`, '');

  for (const row of report.summary) {
    const run = report.runs.find((r) => r.run.id === row.runId);
    const title = mdText(childTitle(row, run));
    if (run === undefined) out.push(`## ${title}`, '', mdText(notRunText(row)), '');
    else {
      out.push(renderMarkdownReport(run, { level: 2, title }).trimEnd(), '');
    }
  }
  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}

const GAMEDAY_STYLE = `
.toc a { font-variant-numeric: tabular-nums; }
.run { border-top: 3px solid #c8ccd2; margin-top: 40px; }
`;

function htmlSection(id: string, title: string, body: string, className = ''): string {
  return `<section aria-labelledby="${id}"${className ? ` class="${className}"` : ''}>\n<h2 id="${id}">${e(title)}</h2>\n${body}\n</section>`;
}

export function renderGameDayHtml(report: GameDayReport): string {
  const head = gameDayHeadline(report);
  const g = report.gameDay;
  const parts: string[] = [
    ...htmlPageStart(`GameDay ${g.name}: ${head.label}`, GAMEDAY_STYLE),
    '<header>',
    `<h1>GameDay report: ${e(g.name)}</h1>`,
    `<p class="meta">GameDay <code>${e(g.id)}</code> · ${report.summary.length} scenario(s) · started ${e(formatInstant(g.startedAt))} by ${e(g.createdBy)}</p>`,
  ];
  if (g.description) parts.push(`<p class="description">${e(g.description)}</p>`);
  const labels = Object.entries(g.labels);
  if (labels.length > 0) {
    parts.push(
      `<p class="meta">Labels: ${labels.map(([k, v]) => `<code>${e(`${k}=${v}`)}</code>`).join(' ')}</p>`,
    );
  }
  parts.push('</header>', banner(head));

  parts.push(
    htmlSection(
      'verdict-heading',
      'Verdict',
      [
        `<p><strong>${e(head.label)}</strong></p>`,
        `<ul>${report.verdict.reasons.map((r) => `<li>${e(r)}</li>`).join('')}</ul>`,
        g.stop === null ? '' : `<p><strong>Stopped early:</strong> ${e(g.stop)}</p>`,
      ].join('\n'),
    ),
    htmlSection(
      'overview-heading',
      'Overview',
      htmlTable(
        'Overview',
        ['Field', 'Value'],
        overview(report).map(([k, v]) => [e(k), e(v)]),
        { rowHeader: true },
      ),
    ),
    htmlSection(
      'participants-heading',
      'Participants',
      g.participants.length === 0
        ? '<p>None listed.</p>'
        : htmlTable(
            'Participants',
            ['Name', 'Role'],
            g.participants.map((p) => [e(p.name), e(p.role)]),
            { rowHeader: true },
          ),
    ),
    htmlSection(
      'scenarios-heading',
      'Scenarios',
      htmlTable(
        'Scenarios',
        SUMMARY_HEADER,
        report.summary.map((row) =>
          rowCells(report, row).map((cell, i) =>
            i === 1 ? `<a href="#run-${row.index}-heading">${e(cell)}</a>` : e(cell),
          ),
        ),
        { rowHeader: true },
      ) + `\n<p>Pause between scenarios: ${e(formatElapsed(g.pauseBetweenMs))}.</p>`,
      'toc',
    ),
  );

  for (const row of report.summary) {
    const run = report.runs.find((r) => r.run.id === row.runId);
    const id = `run-${row.index}-heading`;
    const title = childTitle(row, run);
    if (run === undefined) {
      parts.push(htmlSection(id, title, `<p>${e(notRunText(row))}</p>`, 'run'));
      continue;
    }
    const meta = `<p class="meta">Run <code>${e(run.run.id)}</code> · target <code>${e(targetText(run))}</code> · fault <code>${e(run.fault.type)}</code> · ${e(formatInstant(run.run.createdAt))}</p>`;
    const description = run.scenario.description
      ? `\n<p class="description">${e(run.scenario.description)}</p>`
      : '';
    parts.push(
      htmlSection(
        id,
        title,
        `${meta}${description}\n${renderHtmlRunBody(run, { level: 3, idPrefix: `run-${row.index}-` })}`,
        'run',
      ),
    );
  }

  parts.push(
    `<footer>GameDay report version ${report.reportVersion} · gameday ${e(report.toolVersion)} · updated ${e(formatInstant(g.updatedAt))}</footer>`,
    ...HTML_PAGE_END,
  );
  return `${parts.join('\n')}\n`;
}

/** A scenario without a run report: a suite with one skipped case, so CI shows what did not run. */
function notRunSuite(
  report: GameDayReport,
  row: GameDayReportRow,
): { xml: string; counters: JunitCounters } {
  const counters: JunitCounters = { tests: 1, failures: 0, errors: 0, skipped: 1, time: 0 };
  const message = notRunText(row);
  const lines = [
    `  <testsuite${attrs({ name: `gameday: ${row.scenario}`, ...counterAttrs(counters) })}>`,
    '    <properties>',
    ...[
      ['gameday.id', report.gameDay.id],
      ['gameday.index', String(row.index)],
      ['scenario', row.scenario],
      ['state', row.state],
      ...(row.runId === null ? [] : [['run.id', row.runId]]),
    ].map(([n, v]) => `      <property${attrs({ name: n!, value: v! })}/>`),
    '    </properties>',
    `    <testcase${attrs({ classname: `gameday.${row.scenario}`, name: 'run', time: '0.000' })}>`,
    `      <skipped${attrs({ message })}/>`,
    '    </testcase>',
    '  </testsuite>',
  ];
  return { xml: lines.join('\n'), counters };
}

export function renderGameDayJunit(report: GameDayReport): string {
  const g = report.gameDay;
  const suites = report.summary.map((row) => {
    const run = report.runs.find((r) => r.run.id === row.runId);
    if (run === undefined) return notRunSuite(report, row);
    return renderJunitSuite(run, [
      ['gameday.id', g.id],
      ['gameday.name', g.name],
      ['gameday.index', String(row.index)],
    ]);
  });
  const end = g.endedAt ?? g.updatedAt;
  return junitDocument(`gameday: ${g.name}`, suites, (end - g.startedAt) / 1000);
}

/** The GameDay report in one format (the content type is the run report's for that format). */
export function renderGameDayBody(input: GameDayReportInput, format: ReportFormat): string {
  const report = buildGameDayReport(input);
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'md':
      return renderGameDayMarkdown(report);
    case 'html':
      return renderGameDayHtml(report);
    case 'junit':
      return renderGameDayJunit(report);
  }
}
