/**
 * The run's timeline chart as inline SVG, drawn on the server: no script, no external resource.
 * x = seconds from injection (t0), y = traffic success ratio; the fault-active band, the
 * threshold, and a vertical marker for each moment that matters.
 */
import { formatElapsed } from '../measure/format.js';
import { describeEvent, formatLabels, formatPercent } from './common.js';
import { escapeHtml } from './escape.js';
import type { ReportEvent, RunReport } from './types.js';

export type MarkerKind =
  | 'inject'
  | 'expected-pending'
  | 'expected-firing'
  | 'collateral-pending'
  | 'collateral-firing'
  | 'detected'
  | 'impact'
  | 'revert'
  | 'recovery'
  | 'stop'
  | 'note';

export interface Marker {
  at: number;
  kind: MarkerKind;
  /** Short text drawn above the line. */
  label: string;
  /** The full text: tooltip and data table. */
  title: string;
}

/** How each kind of marker is drawn; the legend and the CSS come from this table. */
export const MARKER_STYLE: Record<MarkerKind, { colour: string; dash?: string; legend: string }> = {
  inject: { colour: '#1a1a1a', legend: 'injection (t0)' },
  'expected-pending': { colour: '#8a4500', dash: '5 3', legend: 'expected alert pending' },
  'expected-firing': { colour: '#8a4500', legend: 'expected alert firing' },
  detected: { colour: '#8a4500', legend: 'detection' },
  'collateral-pending': { colour: '#6a3d9a', dash: '5 3', legend: 'collateral alert pending' },
  'collateral-firing': { colour: '#6a3d9a', legend: 'collateral alert firing' },
  impact: { colour: '#b00020', dash: '2 2', legend: 'impact start' },
  revert: { colour: '#1b5e20', legend: 'revert' },
  recovery: { colour: '#00695c', dash: '8 3', legend: 'recovery' },
  stop: { colour: '#37474f', dash: '2 4', legend: 'stop' },
  note: { colour: '#37474f', dash: '1 3', legend: 'responder note' },
};

/** The first pending and first firing of each alert (sources report the same alert several times). */
function alertMarkers(timeline: ReportEvent[]): Marker[] {
  const seen = new Set<string>();
  const markers: Marker[] = [];
  for (const event of timeline) {
    if (event.type !== 'alert' || event.state === 'resolved') continue;
    const key = `${event.fingerprint}/${event.state}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const labels = formatLabels(event.labels);
    markers.push({
      at: event.at,
      kind: `${event.expected ? 'expected' : 'collateral'}-${event.state}`,
      label: `${event.alertname} ${event.state}${event.expected ? '' : ' (collateral)'}`,
      title: `${event.expected ? 'expected' : 'collateral'} alert ${event.alertname} ${event.state}, seen by ${event.source}${labels ? ` {${labels}}` : ''}`,
    });
  }
  return markers;
}

/** Every marker of the chart, in time order. */
export function chartMarkers(report: RunReport): Marker[] {
  const markers: Marker[] = [];
  const { times } = report;
  if (times.t0 !== null) {
    markers.push({ at: times.t0, kind: 'inject', label: 'inject', title: 'fault injected (t0)' });
  }
  markers.push(...alertMarkers(report.timeline));
  const detection = report.detection;
  if (detection?.status === 'detected' && detection.at !== null) {
    markers.push({
      at: detection.at,
      kind: 'detected',
      label: 'detected',
      title: `detected by ${detection.alert?.alertname ?? 'an expected alert'}${detection.timestampSource ? ` (timestamp: ${detection.timestampSource})` : ''}`,
    });
  }
  if (times.impactStart !== null) {
    const worst = report.recovery?.worstValue;
    markers.push({
      at: times.impactStart,
      kind: 'impact',
      label: 'impact',
      title: `impact start: first sample below the threshold${worst === undefined ? '' : `; worst ${formatPercent(worst)}`}`,
    });
  }
  if (times.revertedAt !== null) {
    markers.push({
      at: times.revertedAt,
      kind: 'revert',
      label: 'revert',
      title: 'fault reverted',
    });
  }
  if (times.recoveredAt !== null) {
    markers.push({
      at: times.recoveredAt,
      kind: 'recovery',
      label: 'recovered',
      title: 'traffic recovered: start of the first sustained good window',
    });
  }
  for (const event of report.timeline) {
    if (event.type === 'stop') {
      markers.push({
        at: event.at,
        kind: 'stop',
        label: `stop: ${event.reason.kind}`,
        title: describeEvent(event),
      });
    } else if (
      event.type === 'state' &&
      (event.state === 'failed' || event.state === 'error') &&
      !report.timeline.some((e) => e.type === 'stop')
    ) {
      markers.push({
        at: event.at,
        kind: 'stop',
        label: `run ${event.state}`,
        title: describeEvent(event),
      });
    } else if (event.type === 'responder') {
      markers.push({
        at: event.at,
        kind: 'note',
        label: `✎ ${event.author}`,
        title: describeEvent(event),
      });
    }
  }
  return markers
    .map((m, i) => ({ m, i }))
    .sort((a, b) => a.m.at - b.m.at || a.i - b.i)
    .map((x) => x.m);
}

/** The instant the chart's x axis counts from: t0, or the run's first moment when it never injected. */
export function chartOrigin(report: RunReport): number {
  if (report.times.t0 !== null) return report.times.t0;
  const first = [
    ...report.series.successRatio.map((s) => s.at),
    ...report.timeline.map((e) => e.at),
  ];
  return first.length === 0 ? report.run.createdAt : Math.min(...first);
}

const WIDTH = 960;
const HEIGHT = 380;
const LABEL_ROWS = 5;
const ROW_HEIGHT = 14;
const MARGIN = { left: 56, right: 24, top: 12 + LABEL_ROWS * ROW_HEIGHT, bottom: 48 };
const PLOT_W = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_H = HEIGHT - MARGIN.top - MARGIN.bottom;
const TICK_STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600];

const n = (value: number) => String(Math.round(value * 10) / 10);

function niceStep(spanS: number): number {
  return TICK_STEPS_S.find((step) => spanS / step <= 10) ?? Math.ceil(spanS / 10);
}

/** Assigns each label a row in the top margin, so nearby markers do not print over each other. */
function layoutLabels(
  xs: number[],
  labels: string[],
): Array<{ row: number; anchor: 'start' | 'end' }> {
  const rowEnds = new Array<number>(LABEL_ROWS).fill(-Infinity);
  return xs.map((x, i) => {
    const width = (labels[i]?.length ?? 0) * 6.4 + 6;
    const anchor = x + width > WIDTH - MARGIN.right ? 'end' : 'start';
    const from = anchor === 'start' ? x : x - width;
    let row = rowEnds.findIndex((end) => end <= from);
    if (row === -1) row = rowEnds.indexOf(Math.min(...rowEnds));
    rowEnds[row] = from + width + 4;
    return { row, anchor };
  });
}

/**
 * The chart's SVG element. Its accessible name is `<title>` + `aria-label`; a screen reader gets
 * the same data from the table that follows it in the report (see `chartDataTable`).
 */
export function renderChart(report: RunReport, idPrefix = ''): string {
  const origin = chartOrigin(report);
  const samples = report.series.successRatio;
  const markers = chartMarkers(report);
  const { t0, revertedAt } = report.times;
  const instants = [
    ...samples.map((s) => s.at),
    ...markers.map((m) => m.at),
    origin,
    ...(revertedAt === null ? [] : [revertedAt]),
  ];
  let min = Math.min(...instants);
  let max = Math.max(...instants);
  if (max - min < 10_000) {
    const pad = (10_000 - (max - min)) / 2;
    min -= pad;
    max += pad;
  }
  const x = (at: number) => MARGIN.left + ((at - min) / (max - min)) * PLOT_W;
  const y = (value: number) => MARGIN.top + (1 - Math.min(1, Math.max(0, value))) * PLOT_H;
  const bottom = MARGIN.top + PLOT_H;
  const out: string[] = [];
  const title =
    t0 === null
      ? 'Traffic success ratio (the fault was never injected)'
      : 'Traffic success ratio over time, from injection (t0)';
  const descParts = [
    `${samples.length} samples from ${n((min - origin) / 1000)} s to ${n((max - origin) / 1000)} s`,
    `threshold ${formatPercent(report.series.threshold)}`,
    ...markers.map((m) => `${m.title} at ${n((m.at - origin) / 1000)} s`),
  ];

  out.push(
    `<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" role="img" aria-label="${escapeHtml(title)}" aria-describedby="${idPrefix}chart-desc" preserveAspectRatio="xMidYMid meet">`,
    `<title>${escapeHtml(title)}</title>`,
    `<desc id="${idPrefix}chart-desc">${escapeHtml(descParts.join('; '))}</desc>`,
    `<rect class="plot" x="${MARGIN.left}" y="${MARGIN.top}" width="${PLOT_W}" height="${PLOT_H}"/>`,
  );

  if (t0 !== null) {
    const end = revertedAt ?? max;
    out.push(
      `<rect class="fault-band" x="${n(x(t0))}" y="${MARGIN.top}" width="${n(Math.max(1, x(end) - x(t0)))}" height="${PLOT_H}"><title>${escapeHtml(`fault active: ${formatElapsed(end - t0)}${revertedAt === null ? ' (not reverted)' : ''}`)}</title></rect>`,
      `<text class="band-label" x="${n(x(t0) + 4)}" y="${bottom - 6}">fault active</text>`,
    );
  }

  // y grid and axis
  for (const value of [0, 0.25, 0.5, 0.75, 1]) {
    out.push(
      `<line class="grid" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${n(y(value))}" y2="${n(y(value))}"/>`,
      `<text class="tick" x="${MARGIN.left - 6}" y="${n(y(value) + 4)}" text-anchor="end">${value * 100}%</text>`,
    );
  }
  // x ticks in whole seconds from the origin
  const step = niceStep((max - min) / 1000);
  const firstTick = Math.ceil((min - origin) / 1000 / step) * step;
  for (let s = firstTick; origin + s * 1000 <= max; s += step) {
    const tx = n(x(origin + s * 1000));
    out.push(
      `<line class="grid" x1="${tx}" x2="${tx}" y1="${bottom}" y2="${bottom + 5}"/>`,
      `<text class="tick" x="${tx}" y="${bottom + 18}" text-anchor="middle">${s}</text>`,
    );
  }
  out.push(
    `<text class="axis-title" x="${MARGIN.left + PLOT_W / 2}" y="${HEIGHT - 8}" text-anchor="middle">${t0 === null ? 'seconds from the start of the run' : 'seconds from injection (t0)'}</text>`,
    `<text class="axis-title" transform="translate(14 ${MARGIN.top + PLOT_H / 2}) rotate(-90)" text-anchor="middle">success ratio</text>`,
  );

  // threshold
  const ty = n(y(report.series.threshold));
  out.push(
    `<line class="threshold" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${ty}" y2="${ty}"><title>${escapeHtml(`success threshold ${formatPercent(report.series.threshold)}`)}</title></line>`,
    `<text class="threshold-label" x="${WIDTH - MARGIN.right - 4}" y="${n(y(report.series.threshold) + 14)}" text-anchor="end">threshold ${escapeHtml(formatPercent(report.series.threshold))}</text>`,
  );

  // the success-ratio curve, broken where there was no data
  const segments: string[] = [];
  let open = false;
  for (const sample of samples) {
    if (sample.value === null) {
      open = false;
      continue;
    }
    segments.push(`${open ? 'L' : 'M'}${n(x(sample.at))} ${n(y(sample.value))}`);
    open = true;
  }
  if (segments.length > 0) {
    out.push(
      `<path class="curve" d="${segments.join(' ')}"><title>traffic success ratio</title></path>`,
    );
  }
  for (const sample of samples) {
    if (sample.value === null) {
      out.push(
        `<line class="no-data" x1="${n(x(sample.at))}" x2="${n(x(sample.at))}" y1="${bottom - 8}" y2="${bottom}"><title>${escapeHtml(`no data at ${n((sample.at - origin) / 1000)} s${sample.detail ? `: ${sample.detail}` : ''}`)}</title></line>`,
      );
    }
  }

  // markers
  const xs = markers.map((m) => x(m.at));
  const layout = layoutLabels(
    xs,
    markers.map((m) => m.label),
  );
  // Lines first, labels after: a label is never crossed by a later marker's line.
  const labels: string[] = [];
  markers.forEach((marker, i) => {
    const mx = n(xs[i] ?? 0);
    const { row, anchor } = layout[i] ?? { row: 0, anchor: 'start' };
    const labelY = 12 + row * ROW_HEIGHT;
    const labelX = n((xs[i] ?? 0) + (anchor === 'start' ? 3 : -3));
    const title = `<title>${escapeHtml(`${marker.title} (${n((marker.at - origin) / 1000)} s)`)}</title>`;
    out.push(
      `<g class="marker marker-${marker.kind}">${title}` +
        `<line x1="${mx}" x2="${mx}" y1="${labelY + 3}" y2="${bottom}"/>` +
        (marker.kind === 'note' ? `<circle cx="${mx}" cy="${bottom - 14}" r="4"/>` : '') +
        '</g>',
    );
    labels.push(
      `<text class="label label-${marker.kind}" x="${labelX}" y="${labelY}" text-anchor="${anchor}">${title}${escapeHtml(marker.label)}</text>`,
    );
  });
  out.push('<g class="labels">', ...labels, '</g>');
  out.push('</svg>');
  return out.join('\n');
}

/** CSS for the chart's marker classes, generated from {@link MARKER_STYLE}. */
export function chartCss(): string {
  return Object.entries(MARKER_STYLE)
    .map(
      ([kind, style]) =>
        `.marker-${kind} line { stroke: ${style.colour};${style.dash ? ` stroke-dasharray: ${style.dash};` : ''} }\n` +
        `.marker-${kind} circle, .label-${kind} { fill: ${style.colour}; }\n` +
        `.legend-${kind} { border-top: 3px ${style.dash ? 'dashed' : 'solid'} ${style.colour}; }`,
    )
    .join('\n');
}
