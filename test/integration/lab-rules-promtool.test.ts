import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMap, isSeq, parse, parseDocument } from 'yaml';
import { labRules } from '../../lab/pipeline/rules.js';
import { findOnPath } from '../../lab/services/backend.js';
import { makeTempDir, removeTempDir } from '../../lab/services/cleanup.js';
import { loadScenarioDirectory } from '../../src/scenario/index.js';

// Proves with Prometheus' own rule engine (`promtool test rules`) that the lab variant of the
// shipped rules fires each scenario's expected alert on series shaped like the lab's telemetry,
// and nothing on a healthy mesh. Fixtures in test/fixtures/rules name the rule files below.
const RULES = 'deploy/rules/gameday-mesh.rules.yml';
const FIXTURES = 'test/fixtures/rules';
const LAB_RULES = 'gameday-mesh.lab.rules.yml';
/** The lab variant without annotations: promtool compares them too, and only labels matter here. */
const LAB_RULES_LABELS_ONLY = 'gameday-mesh.lab.labels-only.rules.yml';
const HEALTHY_FIXTURE = 'healthy-mesh.test.yml';

const fixtures = readdirSync(FIXTURES)
  .filter((name) => name.endsWith('.test.yml'))
  .sort();

interface PromtoolTestFile {
  tests: Array<{
    alert_rule_test?: Array<{
      alertname: string;
      exp_alerts?: Array<{ exp_labels?: Record<string, string> }>;
    }>;
  }>;
}

interface Outcome {
  code: number;
  output: string;
}

function promtool(binary: string, args: string[], cwd: string): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(binary, args, { cwd, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

function withoutAnnotations(rulesYaml: string): string {
  const doc = parseDocument(rulesYaml);
  const groups = doc.get('groups');
  if (!isSeq(groups)) throw new Error('no groups');
  for (const group of groups.items) {
    const rules = isMap(group) ? group.get('rules') : undefined;
    if (!isSeq(rules)) continue;
    for (const rule of rules.items) if (isMap(rule)) rule.delete('annotations');
  }
  return doc.toString();
}

function alertNames(rulesYaml: string): string[] {
  const file = parse(rulesYaml) as { groups: Array<{ rules: Array<{ alert?: string }> }> };
  return file.groups.flatMap((group) => group.rules.flatMap((rule) => rule.alert ?? []));
}

function readFixture(name: string): PromtoolTestFile {
  return parse(readFileSync(join(FIXTURES, name), 'utf8')) as PromtoolTestFile;
}

describe('alert rules under promtool', () => {
  let binary: string;
  let dir: string;
  const productionRules = readFileSync(RULES, 'utf8');

  beforeAll(async () => {
    const found = await findOnPath(['promtool']);
    if (found === undefined) {
      throw new Error(
        'promtool is not on PATH: install it with `sudo apt-get install -y prometheus` (Debian/Ubuntu)',
      );
    }
    binary = found;
    dir = await makeTempDir('promtool');
    const lab = labRules(productionRules);
    await writeFile(join(dir, 'gameday-mesh.rules.yml'), productionRules);
    await writeFile(join(dir, LAB_RULES), lab);
    await writeFile(join(dir, LAB_RULES_LABELS_ONLY), withoutAnnotations(lab));
    for (const name of fixtures) await copyFile(join(FIXTURES, name), join(dir, name));
  });

  afterAll(async () => {
    if (dir !== undefined) await removeTempDir(dir);
  });

  it.each(['gameday-mesh.rules.yml', LAB_RULES])(
    'promtool check rules accepts %s',
    async (file) => {
      const { code, output } = await promtool(binary, ['check', 'rules', file], dir);
      expect(output).toContain(`SUCCESS: ${alertNames(productionRules).length} rules found`);
      expect(code, output).toBe(0);
    },
  );

  it.each(fixtures)('promtool test rules %s', async (file) => {
    const { code, output } = await promtool(binary, ['test', 'rules', file], dir);
    expect(code, output).toBe(0);
    expect(output).toContain('SUCCESS');
  });

  it('the healthy-mesh fixture checks every alert of the rule file', () => {
    const checked = readFixture(HEALTHY_FIXTURE).tests.flatMap((test) =>
      (test.alert_rule_test ?? []).map((check) => {
        expect(check.exp_alerts ?? [], `${check.alertname} must not fire`).toEqual([]);
        return check.alertname;
      }),
    );
    expect([...new Set(checked)].sort()).toEqual([...alertNames(productionRules)].sort());
  });

  it("every scenario's expected alert is proven to fire with the scenario's labels", async () => {
    const { documents, errors } = await loadScenarioDirectory('scenarios');
    expect(errors).toEqual([]);
    const fired = fixtures.flatMap((name) =>
      readFixture(name).tests.flatMap((test) =>
        (test.alert_rule_test ?? []).flatMap((check) =>
          (check.exp_alerts ?? []).map((alert) => ({
            alertname: check.alertname,
            labels: alert.exp_labels ?? {},
          })),
        ),
      ),
    );
    for (const document of documents) {
      if (document.kind !== 'Scenario') continue;
      for (const expected of document.spec.detection.alerts) {
        const proof = fired.find(
          ({ alertname, labels }) =>
            alertname === expected.alertname &&
            Object.entries(expected.labels ?? {}).every(([key, value]) => labels[key] === value),
        );
        expect(proof, `${document.metadata.name}: ${JSON.stringify(expected)}`).toBeDefined();
      }
    }
  });
});
