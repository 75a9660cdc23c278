import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { keys } from '../../src/run/keys.js';
import type { Scenario } from '../../src/scenario/schema.js';
import { startEntryProcess } from '../support/entry-process.js';
import { startRunHarness, TOKENS, type RunHarness } from '../support/run-harness.js';

// The `gameday` CLI as CI runs it: a process against a running API, its exit code the verdict.

let harness: RunHarness;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gameday-cli-'));
  harness = await startRunHarness();
  await harness.startWorker('cli-worker');
}, 180_000);

afterAll(async () => {
  await harness?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** When each stderr line came. */
  stderrAt: number[];
}

async function gameday(args: string[], token = TOKENS.operator[0]!): Promise<CliResult> {
  const cli = startEntryProcess(
    'cli/main.ts',
    {
      GAMEDAY_API_URL: harness.apiUrl,
      GAMEDAY_TOKEN: token,
      HOME: process.env.HOME ?? '/tmp',
    },
    args,
  );
  const exit = await cli.exited;
  return {
    code: exit.code,
    stdout: cli.stdout.join('\n'),
    stderr: cli.stderr.join('\n'),
    stderrAt: cli.stderrAt,
  };
}

/** The lab-scaled bad-deny-policy with an automatic revert and the given objectives, as a file. */
async function denyPolicyFile(
  name: string,
  objectives: Scenario['spec']['objectives'],
): Promise<{ file: string; scenario: Scenario }> {
  const scenario = await harness.scenario('bad-deny-policy.yaml');
  scenario.spec.recovery = { ...scenario.spec.recovery, mode: 'auto', holdFor: '15s' };
  scenario.spec.objectives = objectives;
  const file = join(dir, name);
  await writeFile(file, stringify(scenario));
  return { file, scenario };
}

describe('gameday CLI', () => {
  let passedRunId: string | undefined;

  it('validates files locally: ok for a valid one, file:line:col and the field for a broken one', async () => {
    const { file } = await denyPolicyFile('valid.yaml', { timeToDetect: '1m' });
    const broken = join(dir, 'broken.yaml');
    await writeFile(
      broken,
      (await readFile(file, 'utf8')).replace('type: deny-policy', 'type: deny-polcy'),
    );
    const ok = await gameday(['validate', file]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`ok ${file}: Scenario/bad-deny-policy`);

    const bad = await gameday(['validate', file, broken]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      new RegExp(
        `${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+ spec\\.fault\\.type: `,
      ),
    );

    // An invalid file is refused before anything is sent.
    const run = await gameday(['run', broken, '--wait']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('spec.fault.type');
  });

  it('exits 3 with the API detail for a bad token', async () => {
    const result = await gameday(['status', 'no-such-run'], 'not-a-token-0123456789');
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/Unauthorized/i);
  });

  it('engages and releases the kill switch with the admin token', async () => {
    const refused = await gameday(['halt', '--reason', 'cli test']);
    expect(refused.code).toBe(3); // operator is not admin
    expect(refused.stderr).toMatch(/admin/);

    const halt = await gameday(['halt', '--reason', 'cli test'], TOKENS.admin[0]!);
    expect(halt.code, halt.stderr).toBe(0);
    expect(halt.stdout).toContain('halted');
    const { file } = await denyPolicyFile('halted.yaml', { timeToDetect: '1m' });
    const blocked = await gameday(['run', file]);
    expect(blocked.code).toBe(3);
    expect(blocked.stderr).toMatch(/kill switch|halt/i);

    const release = await gameday(['release', '--json'], TOKENS.admin[0]!);
    expect(release.code, release.stderr).toBe(0);
    expect(JSON.parse(release.stdout)).toEqual({ halted: false });
  });

  it('run --wait exits 0 and prints PASS when the objective is met', async () => {
    const { file, scenario } = await denyPolicyFile('met.yaml', { timeToDetect: '1m' });
    await harness.settle(scenario);
    const result = await gameday(['run', file, '--wait']);
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toMatch(/Verdict:\s+PASS/);
    expect(result.stdout).toMatch(/Time to detect:\s+\d+(\.\d)?s \(IstioHigh4xxErrorRate\)/);
    expect(result.stdout).toMatch(/✓ timeToDetect met/);
    expect(result.stderr).toMatch(/observing/); // progress while waiting
    // What it waits for, and never silent for more than 10 s while it waits.
    expect(result.stderr).toMatch(/observing · waiting for the 15s hold to end; .*\(≈\d/);
    expect(result.stderr).toMatch(
      /verifying · waiting for the \d+s PromQL window to cover the recovery/,
    );
    const gaps = result.stderrAt.slice(1).map((at, i) => at - result.stderrAt[i]!);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(10_000);
    passedRunId = /^Run (\S+):/m.exec(result.stdout)?.[1];
    expect(passedRunId).toBeDefined();
  }, 300_000);

  it('status --json prints the run record', async () => {
    expect(passedRunId).toBeDefined();
    const result = await gameday(['status', passedRunId!, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const record = JSON.parse(result.stdout) as { id: string; state: string };
    expect(record).toMatchObject({ id: passedRunId, state: 'completed' });

    const report = await gameday(['report', passedRunId!, '--format', 'junit']);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toContain('<testsuite');
  });

  it('run --wait exits 1 and names the missed objective when it is tightened', async () => {
    const { file, scenario } = await denyPolicyFile('missed.yaml', { timeToDetect: '1ms' });
    await harness.settle(scenario);
    const result = await gameday(['run', file, '--wait']);
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(1);
    expect(result.stdout).toMatch(/Verdict:\s+FAIL/);
    expect(result.stdout).toMatch(/✗ timeToDetect missed: .*objective 1ms/);
  }, 300_000);

  it('run --wait of a GameDay file: progress, the per-scenario table, exit 0; then its report', async () => {
    const { scenario } = await denyPolicyFile('gameday-child.yaml', { timeToDetect: '1m' });
    const file = join(dir, 'gameday.yaml');
    await writeFile(
      file,
      stringify({
        apiVersion: 'gameday/v1',
        kind: 'GameDay',
        metadata: { name: 'cli-gameday' },
        spec: {
          scenarios: [scenario],
          pauseBetween: '1s',
          participants: [{ name: 'Ada', role: 'commander' }],
        },
      }),
    );
    await harness.settle(scenario);
    const result = await gameday(['run', file, '--wait']);
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    const id = /^GameDay (gd-\S+): cli-gameday: completed, verdict PASS$/m.exec(result.stdout)?.[1];
    expect(id, result.stdout).toBeDefined();
    expect(result.stdout).toMatch(
      /#\s+SCENARIO\s+RUN\s+STATE\s+TIME TO DETECT\s+TIME TO RECOVER\s+VERDICT/,
    );
    expect(result.stdout).toMatch(
      new RegExp(`^\\s+1\\s+bad-deny-policy\\s+${id}-1\\s+completed\\s+\\d.*PASS$`, 'm'),
    );
    expect(result.stderr).toMatch(/scenario 1\/1 bad-deny-policy · observing/); // progress

    const report = await gameday(['report', id!, '--format', 'md']);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toMatch(/^# GameDay cli-gameday: PASS$/m);
    expect(report.stdout).toContain('## Scenario 1: bad-deny-policy — PASS');
    expect(report.stdout).toContain('| Ada | commander |');
    const status = await gameday(['status', id!, '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({
      id,
      state: 'completed',
      children: [`${id}-1`],
    });
  }, 300_000);

  it('run tells a catalogue GameDay from a scenario by asking the catalogue', async () => {
    // --refuse-if-busy is for single runs: refused before anything starts, which shows the
    // name was recognised as a GameDay.
    const result = await gameday(['run', 'mesh-failures', '--refuse-if-busy']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('applies to single scenarios, not to a GameDay');
  });

  it('lists the catalogue, shows a scenario with its runbook, and suggests the nearest name', async () => {
    const list = await gameday(['scenarios']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^SCENARIO\s+FAULT\s+NAMESPACE\s+RECOVERY\s+DESCRIPTION$/m);
    expect(list.stdout).toMatch(/^istiod-oom\s+istiod-oom\s+istio-system\s+auto\s+/m);
    expect(list.stdout).toMatch(/^mesh-failures\s+bad-deny-policy, istiod-oom/m);

    const show = await gameday(['scenarios', 'bad-deny-policy']);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/^Scenario bad-deny-policy$/m);
    expect(show.stdout).toMatch(/^fault:\n {2}type: deny-policy$/m);
    expect(show.stdout).toMatch(/^runbook:\n {2}SYMPTOMS$/m);

    const runsBefore = await harness.store.redis.zcard(keys.byTime);
    for (const args of [
      ['scenarios', 'istiod-oomm'],
      ['run', 'istiod-oomm', '--wait'],
    ]) {
      const typo = await gameday(args);
      expect(typo.code).toBe(2);
      expect(typo.stderr.split('\n')[0]).toBe(
        `gameday ${args[0]}: no scenario or GameDay named 'istiod-oomm' in the catalogue; did you mean 'istiod-oom'?`,
      );
      expect(typo.stderr.match(/istiod-oomm/g)).toHaveLength(1); // said once
    }
    // Nothing was sent for the misspelled run.
    expect(await harness.store.redis.zcard(keys.byTime)).toBe(runsBefore);
  });

  it('lists runs (with filters) and GameDays, newest first', async () => {
    const runs = await gameday(['runs', '--scenario', 'bad-deny-policy', '--state', 'completed']);
    expect(runs.code, runs.stderr).toBe(0);
    expect(runs.stdout).toMatch(
      /^RUN\s+SCENARIO\s+NAMESPACE\s+STATE\s+DETECT\s+RECOVER\s+VERDICT\s+CREATED \(UTC\)$/m,
    );
    expect(runs.stdout).toContain(passedRunId!);
    expect(runs.stdout).not.toMatch(/\s(failed|aborted)\s/);
    const listed = JSON.parse((await gameday(['runs', '--json', '--limit', '1'])).stdout) as {
      items: unknown[];
    };
    expect(listed.items).toHaveLength(1);

    const gameDays = await gameday(['gamedays']);
    expect(gameDays.code, gameDays.stderr).toBe(0);
    expect(gameDays.stdout).toMatch(
      /^GAMEDAY\s+NAME\s+STATE\s+VERDICT\s+SCENARIOS\s+CREATED \(UTC\)$/m,
    );
    expect(gameDays.stdout).toMatch(/^gd-\S+\s+cli-gameday\s+completed\s+PASS\s+1\/1\s/m);
  });

  it('refuses a mesh-wide scenario without --allow-mesh-wide, saying so once in its own words', async () => {
    const scenario = await harness.scenario('istiod-oom.yaml');
    const file = join(dir, 'mesh-wide.yaml');
    await writeFile(file, stringify(scenario));
    const result = await gameday(['run', file, '--wait']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      'istiod-oom affects the whole mesh: run it again with --allow-mesh-wide to confirm',
    );
    expect(result.stdout).not.toContain('allowMeshWide');
    expect(result.stdout.match(/affects the whole mesh/g)).toHaveLength(1);
  });
});
