import { describe, expect, it } from 'vitest';
import { mdCell, mdText, renderMarkdown } from '../../src/report/index.js';
import {
  abortedRun,
  at,
  completedRun,
  failedAtBaselineRun,
  HOSTILE_DESCRIPTION,
  hostileRun,
  RUNBOOK_URL,
  undetectedRun,
} from './report-fixtures.js';

/** The cells of a Markdown table row, split on unescaped pipes. */
function cells(row: string): string[] {
  return row
    .trim()
    .replace(/^\|/, '')
    .replace(/(?<!\\)\|$/, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

/** The rows (header excluded) of the table that follows `## heading`. */
function tableAfter(md: string, heading: string): string[][] {
  const start = md.indexOf(`## ${heading}\n`);
  if (start === -1) throw new Error(`no section ${heading}`);
  const lines = md.slice(start).split('\n').slice(2);
  const rows: string[] = [];
  for (const line of lines) {
    if (!line.startsWith('|')) break;
    rows.push(line);
  }
  return rows.slice(2).map(cells);
}

describe('renderMarkdown', () => {
  it('opens with the scenario and the outcome', () => {
    expect(renderMarkdown(completedRun()).split('\n')[0]).toBe('# GameDay bad-deny-policy: FAIL');
    expect(renderMarkdown(abortedRun()).split('\n')[0]).toBe('# GameDay bad-deny-policy: ABORTED');
    expect(renderMarkdown(failedAtBaselineRun()).split('\n')[0]).toBe(
      '# GameDay bad-deny-policy: RUN FAILED',
    );
  });

  it('summarises the times, verdict, clock offset and measurement lag in a table', () => {
    const rows = tableAfter(renderMarkdown(completedRun()), 'Summary');
    expect(Object.fromEntries(rows.map(([k, v]) => [k, v]))).toEqual({
      'Time to detect': '42.5s',
      Impact: 'after 10s, worst 40%',
      'Time to recover': '2m5s',
      'Recovery after revert': '4s',
      Verdict: 'FAIL',
      'Clock offset': '+120ms (±15ms, Prometheus − tool)',
      'Measurement lag': '1m',
    });
  });

  it('lists objectives with their outcome and reason', () => {
    const rows = tableAfter(renderMarkdown(completedRun()), 'Objectives');
    expect(rows).toEqual([
      ['timeToDetect ≤ 5m', '42.5s', 'met', 'detected in 42.5s, objective 5m'],
      ['timeToRecover ≤ 2m', '2m5s', 'missed', 'recovered in 2m5s, over the objective 2m'],
    ]);
  });

  it('shows preflight findings, detection detail, collateral alerts and recovery signals', () => {
    const md = renderMarkdown(completedRun());
    expect(md).toContain('- **warning**: PeerAuthentication in payments is PERMISSIVE');
    expect(md).toContain('- **info**: 3 workloads match the selector');
    expect(md).toContain('- Status: **detected**');
    expect(md).toContain('- Timestamp source: startsAt');
    expect(md).toContain('- Alert: IstioRequestErrors {namespace="payments", severity="page"}');
    const collateral = tableAfter(md, 'Collateral alerts');
    expect(collateral).toEqual([
      [
        'KubePodCrashLooping',
        'pod="orders-api-7d9f", severity="warning"',
        '+20s',
        '+30s (activeAt+for)',
        '+2m30s',
        'prometheus, alertmanager',
      ],
    ]);
    const recovery = tableAfter(md, 'Recovery');
    expect(recovery.map((r) => [r[0], r[1], r[4]])).toEqual([
      ['traffic (success ≥ 99% for 30s)', 'recovered', '2m5s'],
      ['xds-pushes', 'recovered', '2m20s'],
    ]);
  });

  it('renders the timeline as a table, in time order, offsets from injection', () => {
    const input = completedRun();
    const rows = tableAfter(renderMarkdown(input), 'Timeline');
    expect(rows).toHaveLength(input.events.length);
    expect(rows[0]).toEqual(['-59s', '2023-11-14T22:12:21.000Z', 'state → preflight']);
    expect(rows.find((r) => r[0] === '0s')?.[2]).toBe('inject accepted');
    const events = rows.map((r) => r[2]);
    const pending = events.indexOf(
      'expected alert IstioRequestErrors pending (prometheus) {namespace="payments", severity="page"}',
    );
    const collateral = events.findIndex((e) =>
      e?.startsWith('collateral alert KubePodCrashLooping'),
    );
    expect(pending).toBeGreaterThan(-1);
    expect(collateral).toBeGreaterThan(pending);
    expect(events).toContain('alice acknowledged: looking at payments-api 403s');
  });

  it('shows revert verification and a multi-line runbook as a fenced block', () => {
    const md = renderMarkdown(completedRun());
    expect(md).toContain(
      '## Revert verification\n\nState: **reverted**\n\n- AuthorizationPolicy payments/gameday-deny is gone',
    );
    expect(md).toMatch(/## Runbook\n\n```text\nSYMPTOMS\n {2}- 403s from payments-api\nFIX\n/);
  });

  it('links a runbook URL, and fences a runbook that contains backticks with a longer fence', () => {
    const linked = completedRun();
    linked.record.scenario.metadata.runbook = RUNBOOK_URL;
    expect(renderMarkdown(linked)).toContain(`## Runbook\n\n[${RUNBOOK_URL}](<${RUNBOOK_URL}>)`);
    const fenced = completedRun();
    fenced.record.scenario.metadata.runbook = 'run:\n```\nkubectl get pods\n```';
    expect(renderMarkdown(fenced)).toContain('````text\nrun:\n```\nkubectl get pods\n```\n````');
  });

  it('reports an undetected run as such', () => {
    const md = renderMarkdown(undetectedRun());
    const summary = Object.fromEntries(tableAfter(md, 'Summary').map(([k, v]) => [k, v]));
    expect(summary['Time to detect']).toBe('not detected');
    expect(summary['Impact']).toBe('no impact');
    expect(md).toContain('- Status: **undetected**');
    expect(md).toContain(
      '- Reason: no expected alert (IstioRequestErrors) fired within the 5m timeout',
    );
    expect(tableAfter(md, 'Objectives')[0]?.[2]).toBe('missed');
    expect(md).toContain('## Collateral alerts\n\nNone.');
  });

  it('says why an aborted run stopped', () => {
    const md = renderMarkdown(abortedRun());
    expect(md).toContain('> aborted: halt — kill switch: payments maintenance window');
    expect(md).toContain(
      'Stopped: **halt** by ops-oncall — kill switch: payments maintenance window',
    );
  });

  it('handles a run that never injected', () => {
    const md = renderMarkdown(failedAtBaselineRun());
    expect(md).toContain(
      'Not judged (run failed before the fault was injected): timeToDetect ≤ 5m, timeToRecover ≤ 2m.',
    );
    expect(md).toContain('Not measured: the fault was never injected.');
    expect(md).toContain('| Clock offset | unknown (PROMETHEUS\\_URL is not set) |');
    for (const row of tableAfter(md, 'Timeline')) expect(row[0]).toBe('—');
  });

  it('escapes pipes and line breaks in table cells, and HTML in text', () => {
    const input = completedRun();
    input.events.push({
      at: at(100),
      type: 'responder',
      event: 'note',
      author: 'carol',
      text: 'a | b\nc',
    });
    const md = renderMarkdown(input);
    const row = md.split('\n').find((line) => line.includes('carol note'));
    expect(row).toBe('| +1m40s | 2023-11-14T22:15:00.000Z | carol note: a \\| b<br>c |');
    expect(cells(row!)).toHaveLength(3);
    const hostile = renderMarkdown(hostileRun());
    expect(hostile).not.toContain(HOSTILE_DESCRIPTION);
    expect(hostile).toContain('\\<script\\>alert(1)\\</script\\>');
    expect(hostile).not.toMatch(/(?<!\\)<img/);
    expect(hostile).toContain('\\<img src=x onerror=alert(1)\\>');
    expect(hostile).not.toMatch(/\]\(<?javascript:/);
  });
});

describe('mdText and mdCell', () => {
  it('escape inline Markdown and block markers', () => {
    expect(mdText('# not a heading')).toBe('\\# not a heading');
    expect(mdText('1. not a list')).toBe('1\\. not a list');
    expect(mdText('*bold* [link](x) `code` <b>')).toBe(
      '\\*bold\\* \\[link\\](x) \\`code\\` \\<b\\>',
    );
    expect(mdText('two\nlines')).toBe('two lines');
    expect(mdCell('a|b\r\nc')).toBe('a\\|b<br>c');
  });
});
