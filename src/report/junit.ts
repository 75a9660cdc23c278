/**
 * JUnit XML for CI pipelines: one test case per objective (met passes, missed fails, unknown is
 * skipped), and a `run` test case with an error when the run did not complete.
 */
import { formatElapsed } from '../measure/format.js';
import type { ObjectiveResult } from '../measure/types.js';
import {
  formatSeconds,
  notJudgedReason,
  targetText,
  unjudgedObjectives,
  verdictText,
} from './common.js';
import { escapeXml, escapeXmlText } from './escape.js';
import { buildReport } from './json.js';
import type { ReportInput, RunReport } from './types.js';

type CaseResult =
  | { kind: 'pass' }
  | { kind: 'failure'; message: string; type: string; details: string }
  | { kind: 'error'; message: string; type: string; details: string }
  | { kind: 'skipped'; message: string };

interface TestCase {
  name: string;
  /** Seconds. */
  time: number;
  result: CaseResult;
}

const ERROR_TYPE = { failed: 'RunFailed', aborted: 'RunAborted', error: 'RunError' } as const;

function objectiveCase(report: RunReport, o: ObjectiveResult & { title: string }): TestCase {
  const time = o.actualMs === undefined ? 0 : o.actualMs / 1000;
  const details = [
    `objective: ${o.title}`,
    `actual: ${o.actualMs === undefined ? 'not measured' : formatElapsed(o.actualMs)}`,
    `outcome: ${o.outcome}`,
    `reason: ${o.reason}`,
    ...(report.run.summary === null ? [] : [`run: ${report.run.summary}`]),
  ].join('\n');
  switch (o.outcome) {
    case 'met':
      return { name: o.title, time, result: { kind: 'pass' } };
    case 'missed':
      return {
        name: o.title,
        time,
        result: { kind: 'failure', message: o.reason, type: 'ObjectiveMissed', details },
      };
    case 'unknown':
      return { name: o.title, time, result: { kind: 'skipped', message: o.reason } };
  }
}

function testCases(report: RunReport): TestCase[] {
  const cases: TestCase[] = [];
  if (report.verdict !== null) {
    cases.push(...report.verdict.objectives.map((o) => objectiveCase(report, o)));
  } else {
    // No verdict: list the scenario's objectives as skipped, so CI shows what was at stake.
    const reason = notJudgedReason(report);
    for (const objective of unjudgedObjectives(report)) {
      cases.push({
        name: objective.title,
        time: 0,
        result: { kind: 'skipped', message: `not judged: ${reason}` },
      });
    }
  }
  const outcome = report.run.outcome;
  const runTime = (report.run.updatedAt - report.run.createdAt) / 1000;
  if (outcome === 'failed' || outcome === 'aborted' || outcome === 'error') {
    const summary = report.run.summary ?? `run ${outcome}`;
    const stop = report.run.stop;
    const details = [
      `outcome: ${outcome}`,
      `summary: ${summary}`,
      ...(stop === null
        ? []
        : [`stop: ${stop.kind}${stop.by ? ` by ${stop.by}` : ''}: ${stop.message}`]),
      ...(report.run.error === null ? [] : [`error: ${report.run.error}`]),
      ...(report.revertVerification === null
        ? []
        : [`revert verification: ${report.revertVerification.state}`]),
    ].join('\n');
    cases.push({
      name: 'run',
      time: runTime,
      result: { kind: 'error', message: summary, type: ERROR_TYPE[outcome], details },
    });
  } else if (outcome === null) {
    cases.push({
      name: 'run',
      time: runTime,
      result: { kind: 'skipped', message: `run still ${report.run.state}` },
    });
  } else if (cases.length === 0) {
    // A completed run without objectives: one passing case, so the suite is not empty.
    cases.push({ name: 'run', time: runTime, result: { kind: 'pass' } });
  }
  return cases;
}

const seconds = (value: number) => (Number.isFinite(value) ? Math.max(0, value) : 0).toFixed(3);

/** xs:dateTime without a zone, as the JUnit schema wants it (the value is UTC). */
function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '');
}

export function attrs(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([name, value]) => ` ${name}="${escapeXml(String(value))}"`)
    .join('');
}

function renderCase(classname: string, c: TestCase): string {
  const open = `    <testcase${attrs({ classname, name: c.name, time: seconds(c.time) })}`;
  const r = c.result;
  switch (r.kind) {
    case 'pass':
      return `${open}/>`;
    case 'skipped':
      return `${open}>\n      <skipped${attrs({ message: r.message })}/>\n    </testcase>`;
    case 'failure':
    case 'error':
      return `${open}>\n      <${r.kind}${attrs({ message: r.message, type: r.type })}>${escapeXmlText(r.details)}</${r.kind}>\n    </testcase>`;
  }
}

/** The counters of a `<testsuite>` or `<testsuites>` element. */
export interface JunitCounters {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
  /** Seconds. */
  time: number;
}

/** A run as one `<testsuite>` element (indented for a `<testsuites>` root), with its counters. */
export function renderJunitSuite(
  report: RunReport,
  extraProperties: Array<[string, string]> = [],
): { xml: string; counters: JunitCounters } {
  const name = report.scenario.name;
  const classname = `gameday.${name}`;
  const cases = testCases(report);
  const count = (kind: CaseResult['kind']) => cases.filter((c) => c.result.kind === kind).length;
  const counters: JunitCounters = {
    tests: cases.length,
    failures: count('failure'),
    errors: count('error'),
    skipped: count('skipped'),
    time: (report.run.updatedAt - report.run.createdAt) / 1000,
  };
  const properties: Array<[string, string]> = [
    ['run.id', report.run.id],
    ...(report.run.parentId === null
      ? []
      : [['run.parentId', report.run.parentId] as [string, string]]),
    ['scenario', name],
    ['target', targetText(report)],
    ['fault', report.fault.type],
    ['outcome', report.run.outcome ?? report.run.state],
    ['verdict', verdictText(report)],
    ['detection', report.detection?.status ?? 'not measured'],
    ['timeToDetect', formatSeconds(report.times.timeToDetect, 'none')],
    ['timeToRecover', formatSeconds(report.times.timeToRecover, 'none')],
    ['createdAt', new Date(report.run.createdAt).toISOString()],
    ['toolVersion', report.toolVersion],
    ...extraProperties,
  ];
  const lines = [
    `  <testsuite${attrs({ name: `gameday: ${name}`, ...counterAttrs(counters), timestamp: timestamp(report.run.createdAt) })}>`,
    '    <properties>',
    ...properties.map(([n, v]) => `      <property${attrs({ name: n, value: v })}/>`),
    '    </properties>',
    ...cases.map((c) => renderCase(classname, c)),
    ...(report.run.summary === null
      ? []
      : [`    <system-out>${escapeXmlText(report.run.summary)}</system-out>`]),
    '  </testsuite>',
  ];
  return { xml: lines.join('\n'), counters };
}

/** Counters as attributes (time with three decimals, never negative). */
export function counterAttrs(counters: JunitCounters): Record<string, string | number> {
  return { ...counters, time: seconds(counters.time) };
}

/** A `<testsuites>` document around suites rendered by {@link renderJunitSuite}. */
export function junitDocument(
  name: string,
  suites: Array<{ xml: string; counters: JunitCounters }>,
  time?: number,
): string {
  const sum = (key: keyof JunitCounters) => suites.reduce((n, s) => n + s.counters[key], 0);
  const totals: JunitCounters = {
    tests: sum('tests'),
    failures: sum('failures'),
    errors: sum('errors'),
    skipped: sum('skipped'),
    time: time ?? sum('time'),
  };
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs({ name, ...counterAttrs(totals) })}>`,
    ...suites.map((s) => s.xml),
    '</testsuites>',
  ];
  return `${lines.join('\n')}\n`;
}

export function renderJunitReport(report: RunReport): string {
  return junitDocument('gameday', [renderJunitSuite(report)]);
}

export function renderJunit(input: ReportInput): string {
  return renderJunitReport(buildReport(input));
}
