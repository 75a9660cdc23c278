import { describe, expect, it } from 'vitest';
import {
  buildGameDayReport,
  buildReport,
  GAMEDAY_REPORT_VERSION,
  renderGameDayReport,
  type GameDayReportInput,
  type ReportInput,
} from '../../src/report/index.js';
import type { GameDayRecord } from '../../src/run/gameday.js';
import type { Scenario } from '../../src/scenario/schema.js';
import {
  abortedRun,
  at,
  completedRun,
  HOSTILE_DESCRIPTION,
  HOSTILE_NOTE,
  hostileRun,
  scenario,
  xmlProblems,
} from './report-fixtures.js';

const GD = 'gd-20231114-221320-0a1b2c3d';
const SECRET = 'hunter2-probe-token';

function named(name: string, base: Scenario = scenario()): Scenario {
  return { ...base, metadata: { ...base.metadata, name } };
}

/** A scenario whose HTTP probe URL carries credentials and a token: none may reach a report. */
function secretProbe(name: string): Scenario {
  const s = named(name);
  return {
    ...s,
    spec: {
      ...s.spec,
      traffic: {
        interval: s.spec.traffic.interval,
        successThreshold: s.spec.traffic.successThreshold,
        sustainFor: s.spec.traffic.sustainFor,
        http: {
          url: `https://probe:${SECRET}@payments.example.com/health?token=${SECRET}`,
          method: 'GET',
          expectStatus: [200],
          requestsPerInterval: 5,
        },
      } as Scenario['spec']['traffic'],
    },
  };
}

/** A child run of the GameDay: the fixture, renamed and re-parented. */
function child(input: ReportInput, index: number, scenarioOf: Scenario): ReportInput {
  input.record = {
    ...input.record,
    id: `${GD}-${index}`,
    parentId: GD,
    scenario: scenarioOf,
  };
  return input;
}

/** The completed fixture with every objective met: a passing child. */
function passingRun(): ReportInput {
  const input = completedRun();
  const verdict = input.record.result.verdict!;
  input.record.result.verdict = {
    outcome: 'pass',
    objectives: verdict.objectives.map((o) => ({ ...o, outcome: 'met', reason: 'within target' })),
  };
  input.record.summary = 'completed: detected in 42.5s, recovered in 125.0s; verdict pass';
  return input;
}

function gameDayRecord(overrides: Partial<GameDayRecord>, scenarios: Scenario[]): GameDayRecord {
  return {
    schemaVersion: 1,
    id: GD,
    kind: 'GameDay',
    gameDay: {
      metadata: { name: 'quarterly-payments', description: 'Payments <b>quarterly</b> GameDay' },
      participants: [
        { name: 'Ada', role: 'commander' },
        { name: 'Grace <i>', role: 'responder' },
        { name: 'Linus', role: 'observer' },
      ],
    },
    scenarios,
    pauseBetweenMs: 120_000,
    options: { allowMeshWide: false, dryRun: false },
    createdBy: 'operator:1234abcd',
    createdAt: at(-120),
    updatedAt: at(900),
    state: 'completed',
    children: [],
    ...overrides,
  };
}

/** Completed: scenario 1 passed (with responder notes), scenario 2 failed (hostile user input). */
function finished(): GameDayReportInput {
  const first = named('deny-payments');
  const second = named('deny-orders', hostileRun().record.scenario);
  const children = [child(passingRun(), 1, first), child(hostileRun(), 2, second)];
  const record = gameDayRecord(
    {
      children: children.map((c) => c.record.id),
      result: {
        verdict: 'fail',
        runs: children.map((c) => ({
          runId: c.record.id,
          scenario: c.record.scenario.metadata.name,
          state: 'completed' as const,
          timeToDetect: c.record.result.timeToDetect ?? null,
          timeToRecover: c.record.result.timeToRecover ?? null,
          verdict: c.record.result.verdict!.outcome,
          summary: c.record.summary ?? '',
        })),
      },
    },
    [first, second],
  );
  return { record, children };
}

/** Stopped by the kill switch during scenario 1 of 3. */
function halted(): GameDayReportInput {
  const scenarios = [named('deny-payments'), secretProbe('probe-secret'), named('last-one')];
  const children = [child(abortedRun(), 1, scenarios[0]!)];
  const record = gameDayRecord(
    {
      state: 'aborted',
      children: [children[0]!.record.id],
      stop: `run ${children[0]!.record.id} was stopped by the kill switch`,
      result: {
        verdict: 'inconclusive',
        runs: [
          {
            runId: children[0]!.record.id,
            scenario: 'deny-payments',
            state: 'aborted',
            timeToDetect: null,
            timeToRecover: null,
            verdict: 'inconclusive',
            summary: children[0]!.record.summary ?? '',
          },
        ],
      },
    },
    scenarios,
  );
  return { record, children };
}

/** Still running: scenario 1 done, scenario 2 observing, with a secret-bearing probe. */
function running(): GameDayReportInput {
  const scenarios = [named('deny-payments'), secretProbe('probe-secret'), named('last-one')];
  const first = child(passingRun(), 1, scenarios[0]!);
  const second = child(completedRun(), 2, scenarios[1]!);
  second.record = {
    ...second.record,
    state: 'observing',
    outcome: undefined,
    summary: undefined,
    result: { t0: at(0) },
  };
  second.events = second.events.filter((e) => e.at <= at(60));
  const record = gameDayRecord(
    { state: 'running', children: [first.record.id, second.record.id] },
    scenarios,
  );
  return { record, children: [first, second] };
}

const render = (input: GameDayReportInput, format: 'json' | 'md' | 'html' | 'junit') =>
  renderGameDayReport(input, format).body;

/** Splits a Markdown report at its `## ` headings. */
function mdSections(md: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of md.split(/^(?=## )/m).slice(1)) {
    out.set(part.slice(3, part.indexOf('\n')), part);
  }
  return out;
}

describe('GameDay report: JSON', () => {
  it('is versioned and holds each child as its run report, in order', () => {
    const input = finished();
    const report = JSON.parse(render(input, 'json'));
    expect(report).toMatchObject({
      reportVersion: GAMEDAY_REPORT_VERSION,
      kind: 'GameDayReport',
      gameDay: {
        id: GD,
        name: 'quarterly-payments',
        state: 'completed',
        inProgress: false,
        pauseBetweenMs: 120_000,
        startedAt: at(-120),
        endedAt: at(900),
        stop: null,
        participants: [
          { name: 'Ada', role: 'commander' },
          { name: 'Grace <i>', role: 'responder' },
          { name: 'Linus', role: 'observer' },
        ],
      },
      verdict: { outcome: 'fail' },
    });
    expect(report.runs).toEqual(JSON.parse(JSON.stringify(input.children.map(buildReport))));
    expect(
      report.summary.map((r: { runId: string; verdict: string }) => [r.runId, r.verdict]),
    ).toEqual([
      [`${GD}-1`, 'pass'],
      [`${GD}-2`, 'fail'],
    ]);
    expect(report.verdict.reasons).toEqual([expect.stringMatching(/^2\. deny-orders: FAIL/)]);
  });

  it('says why: all passed, or the kill switch and what did not run', () => {
    const input = finished();
    input.children[1] = child(passingRun(), 2, input.record.scenarios[1]!);
    input.record.result!.verdict = 'pass';
    expect(buildGameDayReport(input).verdict).toEqual({
      outcome: 'pass',
      reasons: ['all 2 scenario(s) completed and passed their objectives'],
    });

    const stopped = buildGameDayReport(halted());
    expect(stopped.verdict.outcome).toBe('inconclusive');
    expect(stopped.verdict.reasons).toEqual([
      `stopped early: run ${GD}-1 was stopped by the kill switch`,
      expect.stringMatching(/^1\. deny-payments: the run ended aborted: aborted: halt/),
      '2 of 3 scenario(s) did not run',
    ]);
    expect(stopped.summary.map((r) => r.state)).toEqual(['aborted', 'not run', 'not run']);
  });

  it('marks a running GameDay in progress, with no verdict yet', () => {
    const report = buildGameDayReport(running());
    expect(report.gameDay).toMatchObject({ inProgress: true, endedAt: null, state: 'running' });
    expect(report.verdict.outcome).toBeNull();
    expect(report.verdict.reasons[0]).toBe(
      'in progress: scenario 2 of 3 (probe-secret) is observing',
    );
    expect(report.summary.map((r) => r.state)).toEqual(['completed', 'observing', 'not started']);
  });
});

describe('GameDay report: Markdown', () => {
  it('has the participants, the summary table, the pause and one section per child', () => {
    const md = render(finished(), 'md');
    expect(md.split('\n')[0]).toBe('# GameDay quarterly-payments: FAIL');
    const sections = mdSections(md);
    expect([...sections.keys()]).toEqual([
      'Participants',
      'Verdict',
      'Scenarios',
      'Scenario 1: deny-payments — PASS',
      'Scenario 2: deny-orders — FAIL',
    ]);
    expect(sections.get('Participants')).toContain('| Grace \\<i\\> | responder |');
    const table = sections.get('Scenarios')!;
    expect(table).toContain(
      '| # | Scenario | Run | State | Time to detect | Time to recover | Impact | Verdict |',
    );
    expect(table).toMatch(
      new RegExp(
        `\\| 1 \\| deny-payments \\| ${GD}-1 \\| completed \\| 42\\.5s \\| .+ \\| PASS \\|`,
      ),
    );
    expect(table).toContain('Pause between scenarios: 2m');
    // Each child's own timeline, responder notes included, sits in its own section.
    const first = sections.get('Scenario 1: deny-payments — PASS')!;
    expect(first).toContain('### Timeline');
    expect(first).toContain('alice acknowledged: looking at payments-api 403s');
    expect(first).not.toContain('mallory');
    expect(sections.get('Scenario 2: deny-orders — FAIL')).toContain('mallory\\<b\\> note');
  });

  it('escapes user text and says why it stopped early', () => {
    const md = render(finished(), 'md');
    expect(md).toContain('Payments \\<b\\>quarterly\\</b\\> GameDay');
    expect(md).not.toContain(HOSTILE_DESCRIPTION);
    const stopped = render(halted(), 'md');
    expect(stopped.split('\n')[0]).toBe('# GameDay quarterly-payments: INCONCLUSIVE (aborted)');
    expect(stopped).toContain(`Stopped early: run ${GD}-1 was stopped by the kill switch`);
    expect(mdSections(stopped).get('Scenario 2: probe-secret — NOT RUN')).toContain(
      'Not run: the GameDay ended before this scenario.',
    );
  });

  it('renders a running GameDay, marked in progress', () => {
    const md = render(running(), 'md');
    expect(md.split('\n')[0]).toBe('# GameDay quarterly-payments: IN PROGRESS');
    expect(md).toContain('| Ended | not yet |');
    expect(md).toContain('## Scenario 2: probe-secret — RUNNING');
    expect(md).toContain('## Scenario 3: last-one — NOT STARTED');
  });
});

describe('GameDay report: HTML', () => {
  const ALL = [finished, halted, running];

  it('is self-contained and escaped: no script, CSP, hostile text inert', () => {
    for (const make of ALL) {
      const html = render(make(), 'html');
      expect(html).toContain(
        `<meta http-equiv="Content-Security-Policy" content="default-src 'none'`,
      );
      expect(html).not.toMatch(/<script/i);
      expect(html).not.toMatch(/<[a-z][^>]*\son\w+=/i);
      expect(html).not.toMatch(/<img/i);
      expect(html).not.toMatch(/\b(?:src|href)="(?:https?:)?\/\//i);
    }
    const html = render(finished(), 'html');
    expect(html).toContain('Payments &lt;b&gt;quarterly&lt;/b&gt; GameDay');
    expect(html).toContain('Grace &lt;i&gt;');
    expect(html).not.toContain(HOSTILE_NOTE);
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
  });

  it('has unique ids, one h1 and no skipped heading level', () => {
    for (const make of ALL) {
      const html = render(make(), 'html');
      const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
      expect(new Set(ids).size, 'duplicate ids').toBe(ids.length);
      for (const [, ref] of html.matchAll(/(?:aria-labelledby|aria-describedby)="([^"]+)"/g)) {
        expect(ids).toContain(ref);
      }
      const levels = [...html.matchAll(/<h([1-6])\b/g)].map((m) => Number(m[1]));
      expect(levels.filter((l) => l === 1)).toHaveLength(1);
      levels.forEach((level, i) => {
        if (i > 0) expect(level).toBeLessThanOrEqual(levels[i - 1]! + 1);
      });
    }
  });

  it('shows the verdict, the summary and each child with its chart and timeline', () => {
    const html = render(finished(), 'html');
    expect(html).toMatch(/<div class="banner tone-fail"[^>]*>.*<strong>FAIL<\/strong>/);
    expect(html).toContain('<a href="#run-1-heading">deny-payments</a>');
    expect(html).toContain('<h2 id="run-1-heading">Scenario 1: deny-payments — PASS</h2>');
    expect(html).toContain('<h3 id="run-1-timeline-heading">Timeline</h3>');
    expect(html.match(/<svg class="chart"/g)).toHaveLength(2);
    const first = html.slice(
      html.indexOf('id="run-1-heading"'),
      html.indexOf('id="run-2-heading"'),
    );
    expect(first).toContain('alice acknowledged: looking at payments-api 403s');
    expect(render(running(), 'html')).toMatch(/<strong>IN PROGRESS<\/strong>/);
  });
});

describe('GameDay report: JUnit', () => {
  it('is one well-formed <testsuites> with a suite per child and objectives as cases', () => {
    const xml = render(finished(), 'junit');
    expect(xmlProblems(xml)).toEqual([]);
    const suites = [...xml.matchAll(/<testsuite (?:name="([^"]*)")[^>]*>/g)].map((m) => m[1]);
    expect(suites).toEqual(['gameday: deny-payments', 'gameday: deny-orders']);
    expect(xml).toMatch(/<testsuites name="gameday: quarterly-payments" tests="4" failures="1"/);
    expect(
      xml.match(/<testcase classname="gameday.deny-payments" name="timeToDetect/g),
    ).toHaveLength(1);
    expect(xml).toContain(`<property name="gameday.id" value="${GD}"/>`);
  });

  it('lists what did not run as skipped, and stays well-formed for every state', () => {
    const xml = render(halted(), 'junit');
    expect(xmlProblems(xml)).toEqual([]);
    expect(xml.match(/<testsuite /g)).toHaveLength(3);
    // The aborted run: its two objectives skipped and an error; then one skipped case per scenario.
    expect(xml).toMatch(/<testsuites [^>]*tests="5" failures="0" errors="1" skipped="4"/);
    expect(xml).toContain('<skipped message="Not run: the GameDay ended before this scenario."/>');
    expect(xmlProblems(render(running(), 'junit'))).toEqual([]);
  });
});

describe('GameDay report: no secrets', () => {
  it('never shows a probe URL token or credentials, in any format', () => {
    const input = running();
    for (const format of ['json', 'md', 'html', 'junit'] as const) {
      expect(render(input, format), format).not.toContain(SECRET);
    }
    const halt = halted();
    for (const format of ['json', 'md', 'html', 'junit'] as const) {
      expect(render(halt, format), format).not.toContain(SECRET);
    }
    const json = JSON.parse(render(input, 'json'));
    expect(json.runs[1].measurement.traffic.url).toBe('https://payments.example.com/health');
  });
});
