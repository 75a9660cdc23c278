import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { capRangeSelectors, labRules, parsePromDuration } from '../../lab/pipeline/rules.js';
import { loadScenarioDirectory } from '../../src/scenario/index.js';

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: Array<{ name: string; rules: Rule[] }>;
}

const RULES_TEXT = readFileSync('deploy/rules/gameday-mesh.rules.yml', 'utf8');
const rules = (text: string): Rule[] =>
  (parse(text) as RuleFile).groups.flatMap((group) => group.rules);
const production = rules(RULES_TEXT);
const byName = new Map(production.map((rule) => [rule.alert, rule]));

/** Every `[duration]` range selector in an expression, in milliseconds (subqueries excluded). */
function rangeWindows(expr: string): number[] {
  return [...expr.matchAll(/\[\s*(\w+)\s*\]/g)].flatMap(([, text]) => {
    const ms = parsePromDuration(text ?? '');
    return ms === undefined ? [] : [ms];
  });
}

describe('deploy/rules/gameday-mesh.rules.yml', () => {
  it('defines every alert a scenario expects', async () => {
    const { documents, errors } = await loadScenarioDirectory('scenarios');
    expect(errors).toEqual([]);
    const expected = documents.flatMap((document) =>
      document.kind === 'Scenario'
        ? document.spec.detection.alerts.map((alert) => alert.alertname)
        : [],
    );
    expect(expected.length).toBeGreaterThan(0);
    for (const name of expected) expect(byName.has(name), name).toBe(true);
  });

  it('defines the alerts of the issue that no scenario names yet', () => {
    for (const name of [
      'IstioHigh5xxErrorRate',
      'IstiodOOMKilled',
      'IstioRootCertificateExpiringSoon',
      'IstioCertChainExpiringSoon',
      'IstioGatewayCertificateExpiringSoon',
      'IstioSidecarMemoryHigh',
    ]) {
      expect(byName.has(name), name).toBe(true);
    }
  });

  it('gives every alert a unique name, a for:, a severity and the annotations responders read', () => {
    const names = production.map((rule) => rule.alert);
    expect(new Set(names).size).toBe(names.length);
    for (const rule of production) {
      expect(rule.alert, rule.expr).toBeDefined();
      expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/);
      expect(['critical', 'warning'], rule.alert).toContain(rule.labels?.severity);
      expect(Object.keys(rule.annotations ?? {}).sort(), rule.alert).toEqual([
        'description',
        'runbook_url',
        'summary',
      ]);
      expect(rule.annotations?.runbook_url, rule.alert).toMatch(/^https:\/\//);
    }
  });

  it('keeps the labels scenarios match on', () => {
    // Scenarios match these alerts on { namespace: istio-system }: the label must survive aggregation.
    for (const name of ['IstiodXdsPushErrors', 'IstiodUnavailable']) {
      expect(byName.get(name)?.expr, name).toMatch(/by \(namespace\)/);
    }
    expect(byName.get('KubePodCrashLooping')?.expr).not.toMatch(/\bby\b|\bsum\b/);
  });

  it('uses the unsigned Envoy certificate gauge as == 0, never < 0', () => {
    const uses = production.filter((rule) =>
      rule.expr.includes('envoy_server_days_until_first_cert_expiring'),
    );
    expect(uses.length).toBeGreaterThan(0);
    for (const rule of uses) expect(rule.expr, rule.alert).not.toMatch(/<\s*0\b/);
    expect(byName.get('EnvoySslCertificateExpired')?.expr).toMatch(/== 0/);
  });

  it('uses production windows: 5m-ish ranges and for: of a minute or more for traffic alerts', () => {
    for (const rule of production) {
      for (const window of rangeWindows(rule.expr)) {
        expect(window, rule.alert).toBeGreaterThanOrEqual(60_000);
      }
    }
    expect(byName.get('IstioHigh4xxErrorRate')?.for).toBe('1m');
    expect(byName.get('IstioXdsConnectionsDropped')?.for).toBe('1m');
  });
});

describe('labRules', () => {
  const lab = labRules(RULES_TEXT);
  const labRulesList = rules(lab);

  it('keeps every rule, its labels and annotations, in the same order', () => {
    expect(labRulesList.map((rule) => rule.alert)).toEqual(production.map((rule) => rule.alert));
    labRulesList.forEach((rule, index) => {
      expect(rule.labels).toEqual(production[index]?.labels);
      expect(rule.annotations).toEqual(production[index]?.annotations);
    });
  });

  it('divides every for: by 60 with a floor of 1s, and keeps 0 at 0', () => {
    const scaled = Object.fromEntries(labRulesList.map((rule) => [rule.alert, rule.for]));
    expect(scaled['KubePodCrashLooping']).toBe('5s');
    expect(scaled['IstioSidecarInjectionFailing']).toBe('2s');
    expect(scaled['IstioHigh4xxErrorRate']).toBe('1s');
    expect(scaled['EnvoySslCertificateExpired']).toBe('0s');
  });

  it('caps every range selector at 30s and changes nothing else in the expressions', () => {
    labRulesList.forEach((rule, index) => {
      for (const window of rangeWindows(rule.expr)) expect(window, rule.alert).toBe(30_000);
      const original = production[index]?.expr ?? '';
      expect(rule.expr.replace(/\[30s\]/g, '[5m]')).toBe(original.replace(/\[(5m|10m)\]/g, '[5m]'));
    });
  });

  it('says it is generated, and keeps comments and block-scalar expressions', () => {
    expect(lab).toMatch(/^# Lab variant generated by labRules\(\)/);
    expect(lab).toContain('# Anchored on kube-state-metrics');
    expect(lab).toMatch(/expr: \|\n\s+sum by \(namespace\)/);
  });

  it('takes a different scale and window', () => {
    const text = `groups:
  - name: g
    rules:
      - alert: A
        expr: rate(x[10m]) > 0 and rate(y[1m]) > 0
        for: 10m
      - alert: B
        expr: x > 0
        for: 90s
`;
    const [a, b] = rules(labRules(text, { forScale: 10, maxWindow: '2m' }));
    expect(a).toMatchObject({ expr: 'rate(x[2m]) > 0 and rate(y[1m]) > 0', for: '1m' });
    expect(b?.for).toBe('9s');
    expect(rules(labRules(text))[1]?.for).toBe('1s500ms');
  });

  it('rejects what is not a rule file and options that make no sense', () => {
    expect(() => labRules('foo: bar\n')).toThrow(/no `groups`/);
    expect(() => labRules('groups: [\n')).toThrow();
    expect(() => labRules(RULES_TEXT, { maxWindow: '5 minutes' })).toThrow(/maxWindow/);
    expect(() => labRules(RULES_TEXT, { forScale: 0 })).toThrow(/forScale/);
    const badFor =
      'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: x\n        for: soon\n';
    expect(() => labRules(badFor)).toThrow(/soon/);
  });
});

describe('capRangeSelectors', () => {
  const cap = (expr: string): string => capRangeSelectors(expr, 30_000);

  it('caps long ranges, including compound durations and spaces inside the brackets', () => {
    expect(cap('rate(x[5m])')).toBe('rate(x[30s])');
    expect(cap('increase(x[1h30m])')).toBe('increase(x[30s])');
    expect(cap('rate(x[ 2m ])')).toBe('rate(x[30s])');
    expect(cap('rate(x{a="b"}[1d]) offset 1h')).toBe('rate(x{a="b"}[30s]) offset 1h');
  });

  it('leaves short ranges, subqueries, strings and comments alone', () => {
    expect(cap('rate(x[10s]) + rate(y[30s])')).toBe('rate(x[10s]) + rate(y[30s])');
    expect(cap('max_over_time(rate(x[1m])[30m:1m])')).toBe('max_over_time(rate(x[30s])[30m:1m])');
    expect(cap('x{code=~"5[0-9]{2}"}')).toBe('x{code=~"5[0-9]{2}"}');
    expect(cap('x{path="[5m]"} or y{p=\'[5m]\'} or z{p=`[5m]`}')).toBe(
      'x{path="[5m]"} or y{p=\'[5m]\'} or z{p=`[5m]`}',
    );
    expect(cap('x{a="\\"[5m]"}')).toBe('x{a="\\"[5m]"}');
    expect(cap('rate(x[5m]) # was [5m]\n')).toBe('rate(x[30s]) # was [5m]\n');
  });

  it('throws on an unterminated string instead of guessing', () => {
    expect(() => cap('x{a="[5m]}')).toThrow(/unterminated/);
  });
});

describe('parsePromDuration', () => {
  it('reads PromQL durations', () => {
    expect(parsePromDuration('250ms')).toBe(250);
    expect(parsePromDuration('1h30m')).toBe(5_400_000);
    expect(parsePromDuration('1y')).toBe(365 * 86_400_000);
    expect(parsePromDuration('5')).toBeUndefined();
    expect(parsePromDuration('5 m')).toBeUndefined();
    expect(parsePromDuration('')).toBeUndefined();
  });
});
