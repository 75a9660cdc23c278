import { describe, expect, it } from 'vitest';
import { escapeHtml, renderHtml, type ReportInput } from '../../src/report/index.js';
import {
  abortedRun,
  completedRun,
  failedAtBaselineRun,
  HOSTILE_DESCRIPTION,
  HOSTILE_NOTE,
  hostileRun,
  RUNBOOK_URL,
  undetectedRun,
  xmlProblems,
} from './report-fixtures.js';

const ALL: Array<[string, () => ReportInput]> = [
  ['completed', completedRun],
  ['undetected', undetectedRun],
  ['aborted', abortedRun],
  ['failed at baseline', failedAtBaselineRun],
  ['hostile', hostileRun],
];

function svgOf(html: string): string {
  const svg = /<svg\b[\s\S]*?<\/svg>/.exec(html)?.[0];
  if (svg === undefined) throw new Error('no <svg>');
  return svg;
}

interface DrawnMarker {
  kind: string;
  title: string;
  x: number;
}

function markers(svg: string): DrawnMarker[] {
  const pattern = /<g class="marker marker-([\w-]+)"><title>([^<]*)<\/title><line x1="([\d.]+)"/g;
  return [...svg.matchAll(pattern)].map(([, kind = '', title = '', x = '0']) => ({
    kind,
    title,
    x: Number(x),
  }));
}

/** References that would make the page load something from elsewhere (links excluded). */
function externalReferences(html: string): string[] {
  const withoutAnchors = html.replace(/<a\b[^>]*>/gi, '<a>');
  return [
    ...withoutAnchors.matchAll(
      /\b(?:src|href|xlink:href|srcset|poster|action|data)\s*=\s*["']?\s*(?:[a-z]+:)?\/\/[^\s"'>]*/gi,
    ),
    ...withoutAnchors.matchAll(/url\s*\(/gi),
    ...withoutAnchors.matchAll(/@import/gi),
    ...withoutAnchors.matchAll(/<(?:script|link|img|iframe|object|embed|video|audio|source)\b/gi),
  ].map((m) => m[0]);
}

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

describe('escapeHtml', () => {
  it('escapes everything that could open a tag, an attribute or an entity', () => {
    expect(escapeHtml('<script>alert(1)</script>')).toBe('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(escapeHtml(`"><img src=x onerror=alert(1)>`)).toBe(
      '&quot;&gt;&lt;img src=x onerror=alert(1)&gt;',
    );
    expect(escapeHtml(`' onfocus='x' &amp;`)).toBe('&#39; onfocus=&#39;x&#39; &amp;amp;');
    expect(escapeHtml('plain text, ünïcode ✔')).toBe('plain text, ünïcode ✔');
  });
});

describe('renderHtml', () => {
  it.each(ALL)('is one self-contained page that loads nothing from anywhere (%s)', (_, make) => {
    const html = renderHtml(make());
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html.match(/<style>/g)).toHaveLength(1);
    expect(externalReferences(html)).toEqual([]);
    expect(html).toContain(`Content-Security-Policy" content="default-src 'none'`);
  });

  it('keeps the runbook link, the one allowed reference to elsewhere', () => {
    const input = completedRun();
    input.record.scenario.metadata.runbook = RUNBOOK_URL;
    const html = renderHtml(input);
    expect(html).toContain(`<a href="${RUNBOOK_URL}" rel="noopener noreferrer">${RUNBOOK_URL}</a>`);
    expect(externalReferences(html)).toEqual([]);
    // The check itself catches a resource outside an anchor.
    expect(externalReferences(html.replace('<a href', '<img src'))).not.toEqual([]);
  });

  it('is accessible: one h1, no skipped heading level, scoped table headers', () => {
    for (const [name, make] of ALL) {
      const html = renderHtml(make());
      const levels = [...html.matchAll(/<h([1-6])\b/g)].map((m) => Number(m[1]));
      expect(levels[0], name).toBe(1);
      expect(
        levels.filter((l) => l === 1),
        name,
      ).toHaveLength(1);
      levels.forEach((level, i) => {
        if (i > 0) expect(level, `${name}: heading ${i}`).toBeLessThanOrEqual(levels[i - 1]! + 1);
      });
      const headers = [...html.matchAll(/<th\b[^>]*>/g)].map((m) => m[0]);
      expect(headers.length, name).toBeGreaterThan(0);
      for (const th of headers) expect(th, name).toMatch(/ scope="(?:col|row)"/);
    }
  });

  it('shows the verdict as colour and text, and the times as big numbers', () => {
    const html = renderHtml(completedRun());
    expect(html).toMatch(
      /<div class="banner tone-fail" role="status"><span class="symbol" aria-hidden="true">✖<\/span><strong>FAIL<\/strong>/,
    );
    expect(html).toContain('<dt>Time to detect</dt><dd>42.5s</dd>');
    expect(html).toContain('<dt>Time to recover</dt><dd>2m5s</dd>');
    expect(renderHtml(undetectedRun())).toContain('<dt>Time to detect</dt><dd>not detected</dd>');
    expect(renderHtml(abortedRun())).toContain('class="banner tone-warn"');
    const pass = completedRun();
    pass.record.result.verdict!.outcome = 'pass';
    expect(renderHtml(pass)).toMatch(/class="banner tone-pass"[^]*?<strong>PASS<\/strong>/);
  });

  it('uses colours with enough contrast for their text (WCAG AA, 4.5:1)', () => {
    const html = renderHtml(completedRun());
    const tones = [
      ...html.matchAll(/\.tone-\w+ \{ background: (#[0-9a-f]{6}); color: (#[0-9a-f]{6});/g),
    ];
    expect(tones).toHaveLength(4);
    for (const [rule, background = '', colour = ''] of tones) {
      expect(contrast(background, colour), rule).toBeGreaterThanOrEqual(4.5);
    }
    const markerColours = [...html.matchAll(/\.label-[\w-]+ \{ fill: (#[0-9a-f]{6})/g)];
    expect(markerColours).toHaveLength(11);
    for (const [rule, colour = ''] of markerColours) {
      expect(contrast('#ffffff', colour), rule).toBeGreaterThanOrEqual(4.5);
    }
  });

  it('draws the timeline chart as inline SVG with a title, a description and a data table', () => {
    const input = completedRun();
    const html = renderHtml(input);
    const svg = svgOf(html);
    expect(xmlProblems(svg)).toEqual([]);
    expect(svg).toMatch(
      /^<svg class="chart" viewBox="0 0 \d+ \d+"[^>]* role="img" aria-label="[^"]+"/,
    );
    expect(svg).toMatch(/<title>Traffic success ratio over time, from injection \(t0\)<\/title>/);
    expect(svg).toContain('<desc id="chart-desc">');
    expect(svg).toContain('seconds from injection (t0)');
    expect(svg).toMatch(/<rect class="fault-band" /);
    expect(svg).toMatch(/<line class="threshold" /);
    expect(html).toContain('<summary>Chart data as tables</summary>');
    // The fallback table has one row per sample.
    const samplesTable = /Samples<\/h3>\n<table>[\s\S]*?<\/table>/.exec(html)?.[0] ?? '';
    expect(samplesTable.match(/<tr>/g)).toHaveLength(input.samples.length + 1);
  });

  it('draws the success-ratio curve, broken where there is no data', () => {
    const input = completedRun();
    const svg = svgOf(renderHtml(input));
    const d = /<path class="curve" d="([^"]+)"/.exec(svg)?.[1];
    expect(d).toBeDefined();
    const points = d!.match(/[ML][\d.]+ [\d.]+/g) ?? [];
    const withData = input.samples.filter((s) => s.value !== null).length;
    expect(points).toHaveLength(withData);
    // One null sample in the middle: two segments.
    expect(d!.match(/M/g)).toHaveLength(2);
    // The dip at 40% is drawn lower (larger y) than the 100% baseline.
    const ys = points.map((p) => Number(p.split(' ')[1]));
    expect(Math.max(...ys)).toBeGreaterThan(Math.min(...ys));
    expect(svg).toMatch(/<line class="no-data" /);
  });

  it('marks injection, alerts (expected vs collateral), impact, revert, recovery and notes', () => {
    const svg = svgOf(renderHtml(completedRun()));
    const drawn = markers(svg);
    const kinds = drawn.map((m) => m.kind);
    expect(kinds).toEqual([
      'inject',
      'impact',
      'expected-pending',
      'collateral-firing',
      'detected',
      'expected-firing', // the first of three sightings only
      'note',
      'note',
      'revert',
      'recovery',
    ]);
    const x = (kind: string) => drawn.find((m) => m.kind === kind)!.x;
    expect(x('inject')).toBeLessThan(x('impact'));
    expect(x('impact')).toBeLessThan(x('detected'));
    expect(x('detected')).toBeLessThan(x('revert'));
    expect(x('revert')).toBeLessThan(x('recovery'));
    const band = /<rect class="fault-band" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/.exec(svg);
    expect(Number(band?.[1])).toBeCloseTo(x('inject'), 0);
    expect(Number(band?.[1]) + Number(band?.[2])).toBeCloseTo(x('revert'), 0);
    const note = drawn.find((m) => m.kind === 'note')!;
    expect(note.title).toBe('alice acknowledged: looking at payments-api 403s (60 s)');
    expect(drawn.find((m) => m.kind === 'collateral-firing')?.title).toMatch(
      /^collateral alert KubePodCrashLooping firing/,
    );
    // Expected and collateral alerts are told apart by colour too.
    const html = renderHtml(completedRun());
    const colour = (kind: string) =>
      new RegExp(`\\.marker-${kind} line \\{ stroke: (#[0-9a-f]{6})`).exec(html)?.[1];
    expect(colour('expected-firing')).toBeDefined();
    expect(colour('expected-firing')).not.toBe(colour('collateral-firing'));
  });

  it('marks the stop of an aborted run and charts a run that never injected', () => {
    expect(markers(svgOf(renderHtml(abortedRun()))).map((m) => m.kind)).toContain('stop');
    const html = renderHtml(failedAtBaselineRun());
    const svg = svgOf(html);
    expect(xmlProblems(svg)).toEqual([]);
    expect(svg).not.toContain('fault-band');
    expect(svg).toContain('seconds from the start of the run');
    expect(markers(svg).map((m) => m.kind)).toEqual(['stop']);
    expect(html).toContain('<strong>RUN FAILED</strong>');
  });

  it('contains the report sections', () => {
    const html = renderHtml(completedRun());
    for (const heading of [
      'Summary',
      'Timeline chart',
      'Objectives',
      'Preflight findings',
      'Detection',
      'Collateral alerts',
      'Recovery',
      'Timeline',
      'Revert verification',
      'Runbook',
    ]) {
      expect(html).toMatch(new RegExp(`<h2 id="[\\w-]+">${heading}</h2>`));
    }
    expect(html).toContain('PeerAuthentication in payments is PERMISSIVE');
    expect(html).toContain('<td>KubePodCrashLooping</td>');
    expect(html).toContain('<span class="outcome-missed">missed</span>');
    expect(html).toContain('+120ms (±15ms, Prometheus − tool)');
  });

  it('escapes hostile scenario text, labels and notes', () => {
    const html = renderHtml(hostileRun());
    expect(html).not.toContain(HOSTILE_DESCRIPTION);
    expect(html).not.toContain(HOSTILE_NOTE);
    expect(html).toContain(escapeHtml(HOSTILE_DESCRIPTION));
    expect(html).toContain(escapeHtml(HOSTILE_NOTE));
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toContain('<b>');
    // No event-handler attribute on any tag: the label did not break out of its attribute.
    expect(html).not.toMatch(/<[^>]*\son\w+\s*=/i);
    // A javascript: runbook is text, not a link.
    expect(html).not.toMatch(/href="javascript:/i);
    expect(html).toContain('<p>javascript:alert(1)</p>');
    // The SVG is still well-formed with the hostile note in a tooltip.
    expect(xmlProblems(svgOf(html))).toEqual([]);
    expect(svgOf(html)).toContain(`✎ mallory&lt;b&gt;`);
  });
});
