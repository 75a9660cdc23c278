import { describe, expect, it } from 'vitest';
import {
  escapeXml,
  renderJunit,
  renderReport,
  stripXmlIllegal,
  type ReportInput,
} from '../../src/report/index.js';
import {
  abortedRun,
  completedRun,
  failedAtBaselineRun,
  undetectedRun,
  xmlProblems,
} from './report-fixtures.js';

interface Case {
  classname: string;
  name: string;
  time: string;
  child: 'pass' | 'failure' | 'error' | 'skipped';
  message?: string;
  type?: string;
  body?: string;
}

function unescape(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [, name = '', value = ''] of tag.matchAll(/\s([\w.:-]+)="([^"]*)"/g)) {
    out[name] = unescape(value);
  }
  return out;
}

/** The test cases of a JUnit document, each with the one outcome element it carries (if any). */
function testcases(xml: string): Case[] {
  const cases: Case[] = [];
  const pattern = /<testcase\b([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const [, attrs = '', inner = ''] of xml.matchAll(pattern)) {
    const a = attributes(attrs);
    const child = /<(failure|error|skipped)\b([^>]*?)(?:\/>|>([\s\S]*?)<\/\1>)/.exec(inner);
    const childAttrs = child ? attributes(child[2] ?? '') : {};
    cases.push({
      classname: a['classname'] ?? '',
      name: a['name'] ?? '',
      time: a['time'] ?? '',
      child: (child?.[1] as Case['child'] | undefined) ?? 'pass',
      ...(childAttrs['message'] !== undefined && { message: childAttrs['message'] }),
      ...(childAttrs['type'] !== undefined && { type: childAttrs['type'] }),
      ...(child?.[3] !== undefined && { body: unescape(child[3]) }),
    });
  }
  return cases;
}

function suite(xml: string, element: 'testsuite' | 'testsuites'): Record<string, string> {
  const match = new RegExp(`<${element}\\b([^>]*)>`).exec(xml);
  if (!match) throw new Error(`no <${element}>`);
  return attributes(match[1] ?? '');
}

function properties(xml: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [, attrs = ''] of xml.matchAll(/<property\b([^>]*)\/>/g)) {
    const a = attributes(attrs);
    out[a['name'] ?? ''] = a['value'] ?? '';
  }
  return out;
}

/** The counters a suite must carry for these cases. */
function expectCounters(xml: string): void {
  const cases = testcases(xml);
  const count = (child: Case['child']) => String(cases.filter((c) => c.child === child).length);
  for (const element of ['testsuites', 'testsuite'] as const) {
    const attrs = suite(xml, element);
    expect(attrs['tests'], element).toBe(String(cases.length));
    expect(attrs['failures'], element).toBe(count('failure'));
    expect(attrs['errors'], element).toBe(count('error'));
    expect(attrs['skipped'], element).toBe(count('skipped'));
    expect(Number(attrs['time']), element).toBeGreaterThanOrEqual(0);
  }
}

describe('the XML well-formedness checker used by these tests', () => {
  it('accepts a well-formed document and rejects broken ones', () => {
    expect(
      xmlProblems('<?xml version="1.0"?>\n<a x="1 &amp; 2"><b/><c>t &lt; u</c></a>\n'),
    ).toEqual([]);
    expect(xmlProblems('<a><b></a></b>')).not.toEqual([]);
    expect(xmlProblems('<a><b></a>')).not.toEqual([]);
    expect(xmlProblems('<a x="1" x="2"/>')).not.toEqual([]);
    expect(xmlProblems('<a>fish & chips</a>')).not.toEqual([]);
    expect(xmlProblems('<a x="<b>"/>')).not.toEqual([]);
    expect(xmlProblems('<a>1 < 2</a>')).not.toEqual([]);
    expect(xmlProblems('<a/><b/>')).not.toEqual([]);
    expect(xmlProblems('<a>\u0001</a>')).not.toEqual([]);
    expect(xmlProblems("<a x='single'/>")).not.toEqual([]);
  });
});

describe('escapeXml', () => {
  it('escapes the five special characters and strips what XML 1.0 forbids', () => {
    expect(escapeXml(`a&b<c>d"e'f`)).toBe('a&amp;b&lt;c&gt;d&quot;e&apos;f');
    expect(escapeXml('x\u0000\u0007\u001b\uD800\uFFFE\uFFFFy')).toBe('xy');
    expect(escapeXml('tab\tline\nret\r')).toBe('tab&#9;line&#10;ret&#13;');
    expect(stripXmlIllegal('ok 😀 \u00e9')).toBe('ok 😀 \u00e9');
  });
});

describe('renderJunit', () => {
  const all: Array<[string, () => ReportInput]> = [
    ['completed', completedRun],
    ['undetected', undetectedRun],
    ['aborted', abortedRun],
    ['failed at baseline', failedAtBaselineRun],
  ];

  it.each(all)('renders a well-formed document whose counters match its cases (%s)', (_, make) => {
    const xml = renderJunit(make());
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites')).toBe(true);
    expect(xmlProblems(xml)).toEqual([]);
    expect(xml.match(/<testsuite\b/g)).toHaveLength(1);
    expectCounters(xml);
    const attrs = suite(xml, 'testsuite');
    expect(attrs['name']).toBe('gameday: bad-deny-policy');
    expect(attrs['timestamp']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    for (const c of testcases(xml)) expect(c.classname).toBe('gameday.bad-deny-policy');
  });

  it('has one test case per objective: met passes, missed fails with the reason', () => {
    const xml = renderJunit(completedRun());
    const cases = testcases(xml);
    expect(cases.map((c) => [c.name, c.child])).toEqual([
      ['timeToDetect ≤ 5m', 'pass'],
      ['timeToRecover ≤ 2m', 'failure'],
    ]);
    const missed = cases[1]!;
    expect(missed.type).toBe('ObjectiveMissed');
    expect(missed.message).toBe('recovered in 2m5s, over the objective 2m');
    expect(missed.body).toContain('actual: 2m5s');
    expect(cases[0]!.time).toBe('42.500');
    expect(suite(xml, 'testsuite')).toMatchObject({ tests: '2', failures: '1', errors: '0' });
  });

  it('fails timeToDetect for an undetected run', () => {
    const cases = testcases(renderJunit(undetectedRun()));
    expect(cases.map((c) => [c.name, c.child])).toEqual([
      ['timeToDetect ≤ 5m', 'failure'],
      ['timeToRecover ≤ 2m', 'pass'],
    ]);
    expect(cases[0]!.message).toMatch(/^not detected: no expected alert/);
  });

  it('skips unknown objectives and adds an erroring `run` case for an aborted run', () => {
    const xml = renderJunit(abortedRun());
    const cases = testcases(xml);
    expect(cases.map((c) => [c.name, c.child])).toEqual([
      ['timeToDetect ≤ 5m', 'skipped'],
      ['timeToRecover ≤ 2m', 'skipped'],
      ['run', 'error'],
    ]);
    expect(cases[0]!.message).toBe('detection still pending');
    const run = cases[2]!;
    expect(run.type).toBe('RunAborted');
    expect(run.message).toBe('aborted: halt — kill switch: payments maintenance window');
    expect(run.body).toContain('stop: halt by ops-oncall');
    expect(suite(xml, 'testsuite')).toMatchObject({ errors: '1', skipped: '2', failures: '0' });
  });

  it('lists the objectives as not judged when the run failed before injecting', () => {
    const cases = testcases(renderJunit(failedAtBaselineRun()));
    expect(cases.map((c) => [c.name, c.child])).toEqual([
      ['timeToDetect ≤ 5m', 'skipped'],
      ['timeToRecover ≤ 2m', 'skipped'],
      ['run', 'error'],
    ]);
    expect(cases[0]!.message).toBe('not judged: run failed before the fault was injected');
    expect(cases[2]!.type).toBe('RunFailed');
    expect(cases[2]!.message).toMatch(/^failed: baseline not healthy/);
  });

  it('carries run id, target and outcome as properties', () => {
    const props = properties(renderJunit(abortedRun()));
    expect(props).toMatchObject({
      'run.id': 'run-aborted',
      target: 'kind-lab/payments',
      outcome: 'aborted',
      scenario: 'bad-deny-policy',
    });
  });

  it('escapes hostile text and drops characters XML cannot carry', () => {
    const input = abortedRun();
    input.record.state = 'error';
    input.record.outcome = 'error';
    const hostile = `revert failed: <b>"quoted" & 'single'</b>\u0000\u0008]]>\uFFFE`;
    input.record.summary = hostile;
    input.record.error = hostile;
    const xml = renderJunit(input);
    expect(xmlProblems(xml)).toEqual([]);
    expect(xml).not.toContain('<b>');
    const run = testcases(xml).find((c) => c.name === 'run')!;
    expect(run.child).toBe('error');
    expect(run.type).toBe('RunError');
    expect(run.message).toBe(`revert failed: <b>"quoted" & 'single'</b>]]>`);
    expectCounters(xml);
  });

  it('is served as XML', () => {
    const rendered = renderReport(completedRun(), 'junit');
    expect(rendered.contentType).toBe('application/xml; charset=utf-8');
    expect(rendered.body).toBe(renderJunit(completedRun()));
  });
});
