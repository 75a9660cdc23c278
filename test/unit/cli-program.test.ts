import { describe, expect, it } from 'vitest';
import { runProgress } from '../../cli/progress.js';
import { main } from '../../cli/program.js';
import type { Output } from '../../cli/output.js';
import { runSummaryLines } from '../../cli/summary.js';
import type { RunRecord } from '../../src/run/types.js';
import { closestNames, didYouMean } from '../../src/suggest.js';

// The CLI's words to a person, without an API: help, mistakes and their suggestions. The commands
// that call the API are exercised against a real one in test/integration/cli.test.ts.

function capture(): Output & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    line: (text = '') => stdout.push(text),
    json: (value) => stdout.push(JSON.stringify(value)),
    raw: (text) => stdout.push(text),
    error: (text) => stderr.push(text),
    progress: (text) => stderr.push(text),
    endProgress: () => undefined,
  };
}

async function gameday(...argv: string[]) {
  const out = capture();
  const code = await main(argv, out);
  return { code, stdout: out.stdout.join('\n'), stderr: out.stderr.join('\n') };
}

describe('gameday help', () => {
  it('lists every command with --help, and one command with help <command> or <command> --help', async () => {
    const all = await gameday('--help');
    expect(all.code).toBe(0);
    for (const command of ['scenarios', 'runs', 'gamedays', 'run', 'status', 'schedule add']) {
      expect(all.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    }
    const one = await gameday('help', 'runs');
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/^usage: gameday runs \[--scenario name\]/);
    expect((await gameday('runs', '--help')).stdout).toBe(one.stdout);
    expect((await gameday('schedule', 'add', '-h')).stdout).toMatch(/^usage: gameday schedule add/);
  });

  it('without arguments prints the usage to stderr and exits 2', async () => {
    const none = await gameday();
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^usage: gameday <command>/);
  });
});

describe('mistakes', () => {
  it('an unknown command: one line with the nearest commands, exit 2, not the whole usage', async () => {
    const result = await gameday('scenaros');
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "gameday: unknown command 'scenaros'; did you mean 'scenarios'?\nRun gameday --help for the commands.",
    );
    expect((await gameday('gameday')).stderr).toMatch(/did you mean 'gamedays'\?/);
    expect((await gameday('schedule', 'lst')).stderr).toBe(
      "gameday schedule: unknown subcommand 'lst'; did you mean 'list'?",
    );
    expect((await gameday('help', 'stauts')).stderr).toMatch(/did you mean 'status'\?/);
  });

  it('an unknown or incomplete option, in the CLI words, with the nearest option', async () => {
    const typo = await gameday('run', 'istiod-oom', '--wiat');
    expect(typo.code).toBe(2);
    expect(typo.stderr.split('\n')[0]).toBe(
      'gameday run: unknown option --wiat; did you mean --wait?',
    );
    expect(typo.stderr).not.toMatch(/positional argument/); // Node's own text
    const mesh = await gameday('run', 'istiod-oom', '--allow-meshwide');
    expect(mesh.stderr).toMatch(/did you mean --allow-mesh-wide\?/);
    const missing = await gameday('report', 'some-run', '--format');
    expect(missing.stderr.split('\n')[0]).toBe('gameday report: --format needs a value');
    const extra = await gameday('runs', '--json=yes');
    expect(extra.stderr.split('\n')[0]).toBe('gameday runs: --json takes no value');
    const limit = await gameday('runs', '--limit', 'lots');
    expect(limit.stderr.split('\n')[0]).toMatch(/--limit must be a whole number from 1 to 200/);
    const state = await gameday('runs', '--state', 'complted');
    expect(state.stderr.split('\n')[0]).toBe(
      "gameday runs: --state: unknown state 'complted'; did you mean 'completed'?",
    );
  });
});

describe('suggestions', () => {
  it('finds typos, swapped letters and (when asked) names that start with what was typed', () => {
    const catalogue = ['istiod-oom', 'istiod-kill', 'bad-deny-policy', 'block-xds-15012'];
    expect(closestNames('istiod-oomm', catalogue)).toEqual(['istiod-oom']);
    expect(closestNames('istoid-oom', catalogue)).toEqual(['istiod-oom']);
    expect(closestNames('istiod', catalogue)).toEqual([]);
    expect(closestNames('istiod', catalogue, { prefixes: true })).toEqual([
      'istiod-oom',
      'istiod-kill',
    ]);
    expect(didYouMean('nothing-like-it', catalogue)).toBe('');
    expect(didYouMean('istiod', catalogue, { prefixes: true })).toBe(
      "; did you mean 'istiod-oom' or 'istiod-kill'?",
    );
  });
});

function record(patch: Partial<RunRecord>): RunRecord {
  return {
    schemaVersion: 1,
    id: 'run-1',
    scenario: { metadata: { name: 'istiod-oom' }, spec: { fault: { type: 'istiod-oom' } } },
    target: { context: '', namespace: 'istio-system' },
    options: { dryRun: false, allowMeshWide: false, onTargetBusy: 'wait' },
    createdBy: 'test',
    createdAt: 0,
    updatedAt: 0,
    state: 'observing',
    preflightFindings: [],
    result: {},
    toolVersion: 'test',
    ...patch,
  } as RunRecord;
}

describe('run summaries and progress', () => {
  it('says a mesh-wide refusal once, with the flag that lifts it', () => {
    const message =
      'istiod-oom affects the whole mesh: start the run with allowMeshWide: true to confirm';
    const lines = runSummaryLines(
      record({
        state: 'failed',
        summary: `failed: preflight: ${message}`,
        error: `preflight: ${message}`,
        preflightFindings: [{ severity: 'blocker', message, code: 'mesh-wide-consent' }],
      }),
    );
    expect(lines).toEqual([
      'Run run-1: istiod-oom in istio-system: failed',
      '  istiod-oom affects the whole mesh: run it again with --allow-mesh-wide to confirm',
    ]);
  });

  it('prints an error the summary already says only once', () => {
    const lines = runSummaryLines(
      record({
        state: 'failed',
        summary: 'failed: baseline: traffic success must be at least 0.99 before injecting',
        error: 'baseline: traffic success must be at least 0.99 before injecting',
      }),
    );
    expect(lines.filter((l) => l.includes('traffic success'))).toHaveLength(1);
  });

  it('says what the run waits for and how long at most, and keys the line without the countdown', () => {
    const waiting = record({
      state: 'verifying',
      waiting: { for: 'the 1m PromQL window to cover the recovery', until: 100_000 },
    });
    const early = runProgress(waiting, 45_000);
    expect(early.text).toBe(
      'verifying · waiting for the 1m PromQL window to cover the recovery (≈55s left)',
    );
    expect(runProgress(waiting, 90_000).key).toBe(early.key);
    expect(runProgress(record({ state: 'queued' }), 0).text).toMatch(
      /^queued · waiting for a worker/,
    );
  });
});
