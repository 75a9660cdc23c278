/**
 * The HTML report: one self-contained page (inline style, inline SVG chart, no script, no
 * request to anywhere), readable at a glance and with a screen reader.
 */
import { formatElapsed } from '../measure/format.js';
import type { AlertTimeline } from '../measure/types.js';
import { chartCss, chartMarkers, chartOrigin, MARKER_STYLE, renderChart } from './chart.js';
import {
  afterRevertText,
  describeEvent,
  detectText,
  formatInstant,
  formatLabels,
  formatOffset,
  formatPercent,
  formatSeconds,
  headline,
  impactText,
  notJudgedReason,
  recoverText,
  runbookUrl,
  summaryRows,
  targetText,
  type Headline,
  type Tone,
  unjudgedObjectives,
} from './common.js';
import { escapeHtml } from './escape.js';
import { buildReport } from './json.js';
import type { ReportInput, RunReport } from './types.js';

export { escapeHtml };

const e = escapeHtml;

const SYMBOL: Record<Tone, string> = { pass: '✔', fail: '✖', warn: '⚠', neutral: '•' };

/** Colours chosen for at least 7:1 contrast of text on its background (WCAG AAA). */
const STYLE = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1a1a1a; background: #fff; }
main { max-width: 1040px; margin: 0 auto; padding: 24px 16px 48px; }
h1 { font-size: 1.75rem; margin: 0 0 4px; }
h2 { font-size: 1.3rem; margin: 32px 0 8px; border-bottom: 1px solid #c8ccd2; padding-bottom: 4px; }
h3 { font-size: 1.05rem; margin: 16px 0 6px; }
.meta { color: #3b4250; margin: 0 0 16px; }
.description { margin: 8px 0 16px; white-space: pre-wrap; }
.banner { display: flex; gap: 12px; align-items: baseline; padding: 14px 18px; border-radius: 6px; border: 2px solid; margin: 16px 0; }
.banner strong { font-size: 1.5rem; letter-spacing: 0.04em; }
.banner .symbol { font-size: 1.5rem; }
.tone-pass { background: #e7f5ea; color: #0b4d1c; border-color: #1b7a34; }
.tone-fail { background: #fdecec; color: #7a0c0c; border-color: #b3261e; }
.tone-warn { background: #fff6dc; color: #5c3d00; border-color: #a86b00; }
.tone-neutral { background: #eef0f3; color: #23292f; border-color: #6b7480; }
.stats { display: grid; grid-template-columns: repeat(auto-fit, minmax(200px, 1fr)); gap: 12px; margin: 16px 0; }
.stat { border: 1px solid #c8ccd2; border-radius: 6px; padding: 10px 14px; margin: 0; }
.stat dt { color: #3b4250; font-size: 0.9rem; }
.stat dd { margin: 0; font-size: 2rem; font-weight: 700; line-height: 1.2; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; font-size: 0.95rem; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid #dde0e4; }
thead th { background: #f1f3f5; border-bottom: 2px solid #b6bcc4; }
tbody th { font-weight: 600; }
td.num, th.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
.outcome-met { color: #0b4d1c; font-weight: 600; }
.outcome-missed { color: #7a0c0c; font-weight: 600; }
.outcome-unknown { color: #5c3d00; font-weight: 600; }
.sev-blocker { color: #7a0c0c; font-weight: 600; }
.sev-warning { color: #5c3d00; font-weight: 600; }
pre { background: #f4f5f7; border: 1px solid #dde0e4; border-radius: 4px; padding: 10px; overflow-x: auto; white-space: pre-wrap; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.9em; }
a { color: #0b4fa8; }
figure { margin: 8px 0; }
figcaption { color: #3b4250; font-size: 0.9rem; }
.chart { display: block; max-width: 100%; height: auto; font-size: 11px; font-family: inherit; }
.chart .plot { fill: #fff; stroke: #8a919b; }
.chart .grid { stroke: #e2e5e9; }
.chart .tick, .chart .axis-title { fill: #3b4250; }
.chart .fault-band { fill: #fbe3e1; }
.chart .band-label { fill: #7a0c0c; }
.chart .threshold { stroke: #3b4250; stroke-dasharray: 6 4; }
.chart .threshold-label { fill: #3b4250; }
.chart .curve { fill: none; stroke: #0b4fa8; stroke-width: 2.5; stroke-linejoin: round; }
.chart .no-data { stroke: #6b7480; stroke-width: 2; }
.chart .marker line { stroke-width: 1.75; }

.chart .label { font-weight: 600; paint-order: stroke; stroke: #fff; stroke-width: 4px; stroke-linejoin: round; }
${chartCss()}
.legend { display: flex; flex-wrap: wrap; gap: 6px 18px; list-style: none; padding: 0; margin: 8px 0; font-size: 0.9rem; }
.legend li { display: flex; align-items: center; gap: 6px; }
.legend .swatch { display: inline-block; width: 28px; height: 0; }
.legend .swatch-curve { border-top: 3px solid #0b4fa8; }
.legend .swatch-threshold { border-top: 2px dashed #3b4250; }
.legend .swatch-band { height: 12px; background: #fbe3e1; border: 1px solid #b3261e; }
footer { margin-top: 40px; color: #3b4250; font-size: 0.85rem; }
@media print { .banner { border-width: 3px; } details { display: block; } }
`;

/** An accessible table; cells are HTML already escaped by the caller. */
export function htmlTable(
  caption: string | undefined,
  header: string[],
  rows: string[][],
  options: { rowHeader?: boolean; numeric?: number[]; className?: string } = {},
): string {
  const numeric = new Set(options.numeric ?? []);
  const cls = (i: number) => (numeric.has(i) ? ' class="num"' : '');
  const head = header.map((h, i) => `<th scope="col"${cls(i)}>${e(h)}</th>`).join('');
  const body = rows
    .map(
      (row) =>
        `<tr>${row
          .map((cell, i) =>
            i === 0 && options.rowHeader
              ? `<th scope="row">${cell}</th>`
              : `<td${cls(i)}>${cell}</td>`,
          )
          .join('')}</tr>`,
    )
    .join('\n');
  return [
    `<table${options.className ? ` class="${options.className}"` : ''}>`,
    caption === undefined ? '' : `<caption class="visually-hidden">${e(caption)}</caption>`,
    `<thead><tr>${head}</tr></thead>`,
    `<tbody>\n${body}\n</tbody></table>`,
  ].join('');
}

function offsetOf(report: RunReport, at: number | undefined | null): string {
  if (at === undefined || at === null) return '—';
  return report.times.t0 === null ? formatInstant(at) : formatOffset(at - report.times.t0);
}

function alertTable(report: RunReport, alerts: AlertTimeline[], caption: string): string {
  return htmlTable(
    caption,
    ['Alert', 'Labels', 'Pending', 'Firing', 'Resolved', 'Sources'],
    alerts.map((a) => [
      e(a.alertname),
      e(formatLabels(a.labels) || '—'),
      e(offsetOf(report, a.pendingAt)),
      e(`${offsetOf(report, a.firedAt)}${a.firedAtSource ? ` (${a.firedAtSource})` : ''}`),
      e(offsetOf(report, a.resolvedAt)),
      e(a.sources.join(', ')),
    ]),
    { numeric: [2, 3, 4] },
  );
}

/** Where a run's sections go: the heading level of its sections and a prefix for their ids. */
export interface HtmlPlacement {
  /** Heading level of the sections (2 in a run report); sub-headings are one below. */
  level: number;
  /** Prefix of every id, so several runs can share one page. */
  idPrefix: string;
}

const RUN_PAGE: HtmlPlacement = { level: 2, idPrefix: '' };

function sectionAt(where: HtmlPlacement) {
  return (id: string, title: string, body: string): string => {
    const full = `${where.idPrefix}${id}`;
    return `<section aria-labelledby="${full}">\n<h${where.level} id="${full}">${e(title)}</h${where.level}>\n${body}\n</section>`;
  };
}

/** A sub-heading (one level below the sections) with a prefixed id. */
function subHeading(where: HtmlPlacement, id: string, text: string): string {
  const level = where.level + 1;
  return `<h${level} id="${where.idPrefix}${id}">${text}</h${level}>`;
}

function chartSection(report: RunReport, where: HtmlPlacement): string {
  const section = sectionAt(where);
  const origin = chartOrigin(report);
  const legend = [
    '<li><span class="swatch swatch-curve"></span>success ratio</li>',
    '<li><span class="swatch swatch-threshold"></span>threshold</li>',
    '<li><span class="swatch swatch-band"></span>fault active</li>',
    ...Object.entries(MARKER_STYLE).map(
      ([kind, style]) => `<li><span class="swatch legend-${kind}"></span>${e(style.legend)}</li>`,
    ),
  ];
  const markers = chartMarkers(report);
  const samples = report.series.successRatio;
  const seconds = (at: number) => `${Math.round((at - origin) / 100) / 10} s`;
  return section(
    'chart-heading',
    'Timeline chart',
    [
      '<figure>',
      renderChart(report, where.idPrefix),
      `<figcaption>Traffic success ratio (${samples.length} samples) against the threshold, with the moments that matter. x: ${report.times.t0 === null ? 'seconds from the start of the run (the fault was never injected)' : 'seconds from injection (t0)'}.</figcaption>`,
      '</figure>',
      `<ul class="legend" aria-label="Legend">${legend.join('')}</ul>`,
      '<details>',
      '<summary>Chart data as tables</summary>',
      subHeading(where, 'chart-markers-heading', 'Markers'),
      htmlTable(
        'Chart markers',
        ['Time (s)', 'Marker', 'Detail'],
        markers.map((m) => [e(seconds(m.at)), e(MARKER_STYLE[m.kind].legend), e(m.title)]),
        { numeric: [0] },
      ),
      subHeading(where, 'chart-samples-heading', 'Samples'),
      samples.length === 0
        ? '<p>No traffic samples.</p>'
        : htmlTable(
            'Traffic samples',
            ['Time (s)', 'Success ratio', 'Detail'],
            samples.map((s) => [e(seconds(s.at)), e(formatPercent(s.value)), e(s.detail ?? '')]),
            { numeric: [0, 1] },
          ),
      '</details>',
    ].join('\n'),
  );
}

function runbookHtml(runbook: string): string {
  const url = runbookUrl(runbook);
  if (url !== undefined) {
    return `<p><a href="${e(url)}" rel="noopener noreferrer">${e(url)}</a></p>`;
  }
  return /\r|\n/.test(runbook.trim())
    ? `<pre><code>${e(runbook)}</code></pre>`
    : `<p>${e(runbook)}</p>`;
}

/** The verdict banner. */
export function banner(head: Headline): string {
  return `<div class="banner tone-${head.tone}" role="status"><span class="symbol" aria-hidden="true">${SYMBOL[head.tone]}</span><strong>${e(head.label)}</strong><span>${e(head.detail)}</span></div>`;
}

/**
 * The start of a self-contained page, up to and including `<main>`: inline style only, and a
 * Content-Security-Policy that lets it load nothing at all.
 */
export function htmlPageStart(title: string, extraStyle = ''): string[] {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    // Belt and braces: even if something slipped through escaping, the page can load nothing.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'">`,
    '<meta name="referrer" content="no-referrer">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${e(title)}</title>`,
    `<style>${STYLE}.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }${extraStyle}</style>`,
    '</head>',
    '<body>',
    '<main>',
  ];
}

export const HTML_PAGE_END = ['</main>', '</body>', '</html>'] as const;

export function renderHtmlReport(report: RunReport): string {
  const head = headline(report);
  const name = report.scenario.name;
  const parts: string[] = [];
  const push = (...lines: string[]) => parts.push(...lines);

  push(
    ...htmlPageStart(`GameDay ${name}: ${head.label}`),
    '<header>',
    `<h1>GameDay report: ${e(name)}</h1>`,
    `<p class="meta">Run <code>${e(report.run.id)}</code> · target <code>${e(targetText(report))}</code> · fault <code>${e(report.fault.type)}</code> · ${e(formatInstant(report.run.createdAt))} by ${e(report.run.createdBy)}</p>`,
  );
  if (report.scenario.description) {
    push(`<p class="description">${e(report.scenario.description)}</p>`);
  }
  const labels = Object.entries(report.scenario.labels);
  if (labels.length > 0) {
    push(
      `<p class="meta">Labels: ${labels.map(([k, v]) => `<code>${e(`${k}=${v}`)}</code>`).join(' ')}</p>`,
    );
  }
  push('</header>', renderHtmlRunBody(report, RUN_PAGE));
  push(
    `<footer>Report version ${report.reportVersion} · gameday ${e(report.toolVersion)} · run updated ${e(formatInstant(report.run.updatedAt))}</footer>`,
    ...HTML_PAGE_END,
  );
  return `${parts.join('\n')}\n`;
}

/**
 * A run's report below its header: verdict banner, headline numbers and every section, at the
 * heading level and with the id prefix given (the GameDay report holds several runs).
 */
export function renderHtmlRunBody(report: RunReport, where: HtmlPlacement): string {
  const head = headline(report);
  const section = sectionAt(where);
  const parts: string[] = [];
  const push = (...lines: string[]) => parts.push(...lines);
  push(banner(head));

  const stats: Array<[string, string]> = [
    ['Time to detect', detectText(report)],
    ['Impact', impactText(report)],
    ['Time to recover', recoverText(report)],
    ['Recovery after revert', afterRevertText(report)],
  ];
  push(
    `<dl class="stats">${stats.map(([k, v]) => `<div class="stat"><dt>${e(k)}</dt><dd>${e(v)}</dd></div>`).join('')}</dl>`,
  );

  if (report.run.stop !== null || report.run.error !== null) {
    const lines: string[] = [];
    const stop = report.run.stop;
    if (stop !== null) {
      lines.push(
        `<p><strong>Stopped (${e(stop.kind)})</strong>${stop.by ? ` by ${e(stop.by)}` : ''} at ${e(offsetOf(report, stop.at))}: ${e(stop.message)}</p>`,
      );
    }
    if (report.run.error !== null)
      lines.push(`<p><strong>Error:</strong> ${e(report.run.error)}</p>`);
    push(section('stop-heading', 'Why the run ended', lines.join('\n')));
  }

  push(
    section(
      'summary-heading',
      'Summary',
      htmlTable(
        'Summary',
        ['Measure', 'Value'],
        summaryRows(report).map(([k, v]) => [e(k), e(v)]),
        {
          rowHeader: true,
        },
      ),
    ),
  );

  push(chartSection(report, where));

  const objectives = report.verdict?.objectives ?? [];
  const unjudged = unjudgedObjectives(report);
  push(
    section(
      'objectives-heading',
      'Objectives',
      unjudged.length > 0
        ? `<p>Not judged (${e(notJudgedReason(report))}): ${unjudged.map((o) => e(o.title)).join(', ')}.</p>`
        : objectives.length === 0
          ? '<p>No objectives were judged.</p>'
          : htmlTable(
              'Objectives',
              ['Objective', 'Actual', 'Outcome', 'Reason'],
              objectives.map((o) => [
                e(o.title),
                e(o.actualMs === undefined ? '—' : formatElapsed(o.actualMs)),
                `<span class="outcome-${o.outcome}">${e(o.outcome)}</span>`,
                e(o.reason),
              ]),
              { rowHeader: true, numeric: [1] },
            ),
    ),
  );

  push(
    section(
      'preflight-heading',
      'Preflight findings',
      report.preflightFindings.length === 0
        ? '<p>None.</p>'
        : `<ul>${report.preflightFindings.map((f) => `<li><span class="sev-${f.severity}">${e(f.severity)}</span>: ${e(f.message)}</li>`).join('')}</ul>`,
    ),
  );

  const detection = report.detection;
  let detectionBody = '<p>Not measured: the fault was never injected.</p>';
  if (detection !== null) {
    const rows: Array<[string, string]> = [['Status', detection.status]];
    if (detection.alert !== null) {
      const labelText = formatLabels(detection.alert.labels);
      rows.push(['Alert', `${detection.alert.alertname}${labelText ? ` {${labelText}}` : ''}`]);
    }
    if (detection.at !== null) {
      rows.push([
        'Detected at',
        `${formatInstant(detection.at)} (${offsetOf(report, detection.at)})`,
      ]);
    }
    if (detection.timeToDetect !== null)
      rows.push(['Time to detect', formatSeconds(detection.timeToDetect)]);
    if (detection.timestampSource !== null)
      rows.push(['Timestamp source', detection.timestampSource]);
    if (detection.reason !== null) rows.push(['Reason', detection.reason]);
    rows.push(['Expected alerts', report.measurement.expectedAlerts.join(', ')]);
    rows.push(['Detection timeout', report.measurement.detectionTimeout]);
    detectionBody = htmlTable(
      'Detection',
      ['Field', 'Value'],
      rows.map(([k, v]) => [e(k), e(v)]),
      {
        rowHeader: true,
      },
    );
    if (detection.preexisting.length > 0) {
      detectionBody += `\n${subHeading(where, 'preexisting-heading', 'Already firing before injection (not counted)')}\n${alertTable(report, detection.preexisting, 'Pre-existing alerts')}`;
    }
  }
  push(section('detection-heading', 'Detection', detectionBody));

  push(
    section(
      'collateral-heading',
      'Collateral alerts',
      report.collateralAlerts.length === 0
        ? '<p>None.</p>'
        : alertTable(report, report.collateralAlerts, 'Collateral alerts'),
    ),
  );

  const traffic = report.measurement.traffic;
  const recoveryRows: string[][] = [];
  if (report.recovery !== null) {
    const r = report.recovery;
    recoveryRows.push(
      [
        `traffic (success ≥ ${formatPercent(traffic.threshold)} for ${traffic.sustainFor})`,
        r.status,
        offsetOf(report, r.impactStart),
        offsetOf(report, r.at),
        formatSeconds(r.timeToRecover),
        r.reason ?? '',
      ].map(e),
    );
  }
  for (const s of report.signals) {
    recoveryRows.push(
      [
        s.name,
        s.status,
        offsetOf(report, s.brokenAt),
        offsetOf(report, s.at),
        formatSeconds(s.timeToRecover),
        s.reason ?? '',
      ].map(e),
    );
  }
  push(
    section(
      'recovery-heading',
      'Recovery',
      recoveryRows.length === 0
        ? '<p>Not measured.</p>'
        : htmlTable(
            'Recovery signals',
            ['Signal', 'Status', 'Broken', 'Recovered', 'Time to recover', 'Reason'],
            recoveryRows,
            { rowHeader: true, numeric: [2, 3, 4] },
          ),
    ),
  );

  push(
    section(
      'timeline-heading',
      'Timeline',
      report.timeline.length === 0
        ? '<p>No events.</p>'
        : htmlTable(
            'Timeline',
            ['Offset', 'Time (UTC)', 'Event'],
            report.timeline.map((ev) => [
              e(formatOffset(ev.offsetMs)),
              e(formatInstant(ev.at)),
              e(describeEvent(ev)),
            ]),
            { numeric: [0, 1] },
          ),
    ),
  );

  const v = report.revertVerification;
  push(
    section(
      'revert-heading',
      'Revert verification',
      v === null
        ? '<p>Not verified (nothing was reverted).</p>'
        : `<p>State: <strong>${e(v.state)}</strong></p>${v.details.length === 0 ? '' : `<ul>${v.details.map((d) => `<li>${e(d)}</li>`).join('')}</ul>`}`,
    ),
  );

  if (report.plannedWrites !== null) {
    push(
      section(
        'planned-heading',
        'Planned writes (dry run)',
        htmlTable(
          'Planned writes',
          ['Verb', 'Kind', 'Namespace', 'Name'],
          report.plannedWrites.map((w) => [w.verb, w.kind, w.namespace ?? '', w.name].map(e)),
        ),
      ),
    );
  }

  push(
    section(
      'runbook-heading',
      'Runbook',
      report.scenario.runbook === null ? '<p>None.</p>' : runbookHtml(report.scenario.runbook),
    ),
  );

  const s = report.samplesSummary;
  const details: Array<[string, string]> = [
    ['Fault', report.fault.type],
    ['Recovery mode', report.measurement.recoveryMode],
    [
      'Traffic',
      traffic.kind === 'promql'
        ? `PromQL: ${traffic.promql}`
        : `HTTP probe: ${traffic.method} ${traffic.url}`,
    ],
    [
      'Sampling',
      `every ${traffic.interval}, recovered after ${traffic.sustainFor} above the threshold`,
    ],
    [
      'Samples after t0',
      s === null
        ? '—'
        : `${s.count} (${s.belowThreshold} below threshold, ${s.noData} without data${s.min === undefined ? '' : `; min ${formatPercent(s.min)}, mean ${formatPercent(s.mean)}, max ${formatPercent(s.max)}`})`,
    ],
    ['t0 (inject accepted)', formatInstant(report.times.t0)],
    ['Inject sent', formatInstant(report.times.injectStartedAt)],
    ['Reverted', formatInstant(report.times.revertedAt)],
    [
      'Options',
      `dry run: ${report.options.dryRun}, mesh-wide allowed: ${report.options.allowMeshWide}, target busy: ${report.options.onTargetBusy}`,
    ],
    ['State', `${report.run.state}${report.run.outcome ? ` (${report.run.outcome})` : ''}`],
    ['gameday version', report.toolVersion],
  ];
  push(
    section(
      'details-heading',
      'Run details',
      htmlTable(
        'Run details',
        ['Field', 'Value'],
        details.map(([k, val]) => [e(k), e(val)]),
        {
          rowHeader: true,
        },
      ) +
        `\n${subHeading(where, 'params-heading', 'Fault parameters')}\n<pre><code>${e(JSON.stringify(report.fault.params, null, 2) ?? 'null')}</code></pre>`,
    ),
  );

  return parts.join('\n');
}

export function renderHtml(input: ReportInput): string {
  return renderHtmlReport(buildReport(input));
}
