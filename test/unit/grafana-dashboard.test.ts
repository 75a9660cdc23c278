import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerRunMetrics, RUN_METRIC_FAMILIES } from '../../src/metrics-collectors.js';
import type { Redis } from '../../src/redis.js';

const DASHBOARD = new URL('../../deploy/grafana/gameday-dashboard.json', import.meta.url);
const PROMTOOL = '/usr/bin/promtool';

interface Target {
  expr?: string;
  refId?: string;
  datasource?: { uid?: string };
}

interface Panel {
  id: number;
  type: string;
  title?: string;
  targets?: Target[];
  panels?: Panel[];
  datasource?: { uid?: string };
}

interface Dashboard {
  schemaVersion: number;
  uid: string;
  title: string;
  panels: Panel[];
  templating: {
    list: { name: string; type: string; query?: unknown; definition?: string }[];
  };
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

const panels = allPanels(dashboard.panels);
const queries = panels.flatMap((p) =>
  (p.targets ?? []).map((t) => ({ panel: p.title ?? String(p.id), target: t })),
);
const variableQueries = dashboard.templating.list
  .filter((v) => v.type === 'query')
  .map((v) => ({ panel: `variable ${v.name}`, expr: v.definition ?? '' }));
const exprs = [
  ...queries.map((q) => ({ panel: q.panel, expr: q.target.expr ?? '' })),
  ...variableQueries,
];

/** The metric families the API exposes, by name and type, as registered. */
function registeredFamilies(): Map<string, string> {
  const registry = new Registry();
  // Registration reads nothing: the collectors only touch Redis and the queue at scrape time.
  registerRunMetrics(registry, {
    redis: {} as Redis,
    queue: { getJobCounts: () => Promise.resolve({}) },
  });
  return new Map(
    registry.getMetricsAsArray().map((m) => [m.name, (m as unknown as { type: string }).type]),
  );
}

/** The series names a family exposes: a histogram's `_bucket`, `_sum` and `_count`. */
function exposedNames(families: Map<string, string>): Set<string> {
  const names = new Set<string>();
  for (const [name, type] of families) {
    if (type === 'histogram') {
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
    } else {
      names.add(name);
    }
  }
  return names;
}

describe('Grafana dashboard (deploy/grafana/gameday-dashboard.json)', () => {
  it('is a current dashboard with a templated Prometheus data source and a scenario variable', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
    const variables = new Map(dashboard.templating.list.map((v) => [v.name, v]));
    expect(variables.get('DS_PROMETHEUS')).toMatchObject({
      type: 'datasource',
      query: 'prometheus',
    });
    expect(variables.get('scenario')?.definition).toBe(
      'label_values(gameday_runs_total, scenario)',
    );
    for (const panel of panels.filter((p) => p.type !== 'row')) {
      expect(panel.datasource?.uid, panel.title).toBe('${DS_PROMETHEUS}');
      for (const target of panel.targets ?? []) {
        expect(target.datasource?.uid, panel.title).toBe('${DS_PROMETHEUS}');
      }
    }
  });

  it('gives every panel a title and a unique id, and every query a unique refId', () => {
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of panels) {
      expect(Number.isInteger(panel.id), JSON.stringify(panel.title)).toBe(true);
      expect(panel.title?.trim(), `panel ${panel.id}`).toBeTruthy();
      const refIds = (panel.targets ?? []).map((t) => t.refId);
      expect(new Set(refIds).size, panel.title).toBe(refIds.length);
      for (const target of panel.targets ?? []) {
        expect(target.expr?.trim(), panel.title).toBeTruthy();
      }
    }
  });

  it('queries only metrics the API exposes', () => {
    const families = registeredFamilies();
    expect(Object.fromEntries(families)).toEqual(RUN_METRIC_FAMILIES);
    const exposed = exposedNames(families);
    const used = new Set<string>();
    for (const { panel, expr } of exprs) {
      const names = expr.match(/\bgameday_[a-z_]+/g) ?? [];
      expect(names.length, `${panel}: ${expr}`).toBeGreaterThan(0);
      for (const name of names) {
        expect(exposed.has(name), `${panel} uses ${name}, which no family exposes`).toBe(true);
        used.add(name);
      }
    }
    // Every SPEC §8 family is on the dashboard.
    for (const family of families.keys()) {
      expect(
        [...used].some((name) => name === family || name.startsWith(`${family}_`)),
        `${family} is not on the dashboard`,
      ).toBe(true);
    }
  });

  it.runIf(existsSync(PROMTOOL))('has PromQL that promtool parses', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gameday-dashboard-'));
    try {
      // Grafana's variables become what Grafana would put there; each query becomes a rule.
      const rules = exprs
        .filter(({ expr }) => !expr.startsWith('label_values('))
        .map(({ expr }, i) => {
          const promql = expr
            .replaceAll('$__rate_interval', '5m')
            .replaceAll('$__range', '30d')
            .replaceAll('$scenario', '.*');
          return `      - record: dashboard:query_${i}\n        expr: ${JSON.stringify(promql)}`;
        });
      const file = join(dir, 'dashboard.rules.yml');
      writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules.join('\n')}\n`);
      const check = spawnSync(PROMTOOL, ['check', 'rules', file], { encoding: 'utf8' });
      expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
