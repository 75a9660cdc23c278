import { describe, expect, it } from 'vitest';
import {
  compare,
  durationMs,
  formatPath,
  matchesAlert,
  parseComparison,
  parseMatcher,
  scenarioDurations,
  validateGameDay,
  validateManifest,
  validateScenario,
} from '../../src/scenario/index.js';
import type { Manifest, Scenario, ValidationIssue } from '../../src/scenario/index.js';

/** The smallest valid Scenario, as an author writes it. */
function minimal(): Record<string, unknown> & { spec: Record<string, unknown> } {
  return {
    apiVersion: 'gameday/v1',
    kind: 'Scenario',
    metadata: { name: 'istiod-oom' },
    spec: {
      target: { namespace: 'istio-system' },
      fault: { type: 'istiod-oom' },
      detection: { alerts: [{ alertname: 'IstiodDown' }] },
      traffic: { promql: 'avg(probe_success)' },
    },
  };
}

function withSpec(patch: Record<string, unknown>) {
  const doc = minimal();
  doc.spec = { ...doc.spec, ...patch };
  return doc;
}

function valid(data: unknown): Manifest {
  const result = validateManifest(data);
  if (!result.ok) throw new Error(`unexpected issues: ${JSON.stringify(result.issues)}`);
  return result.value;
}

function scenario(data: unknown): Scenario {
  const manifest = valid(data);
  if (manifest.kind !== 'Scenario') throw new Error('not a Scenario');
  return manifest;
}

/** The issues, as `path: message` lines. */
function issues(data: unknown): string[] {
  const result = validateManifest(data);
  if (result.ok) return [];
  return result.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
}

function onlyIssue(data: unknown): ValidationIssue {
  const result = validateManifest(data);
  if (result.ok) throw new Error('expected an issue');
  expect(result.issues).toHaveLength(1);
  return result.issues[0] as ValidationIssue;
}

const fault = (type: string, params?: unknown) =>
  withSpec({ fault: params === undefined ? { type } : { type, params } });

describe('Scenario defaults', () => {
  it('fills every default of SPEC §3', () => {
    expect(valid(minimal())).toEqual({
      apiVersion: 'gameday/v1',
      kind: 'Scenario',
      metadata: { name: 'istiod-oom' },
      spec: {
        target: { context: '', namespace: 'istio-system' },
        fault: {
          type: 'istiod-oom',
          params: {
            mode: 'oom',
            memoryLimit: '32Mi',
            strategy: { maxSurge: 0, maxUnavailable: '100%' },
          },
        },
        detection: { alerts: [{ alertname: 'IstiodDown' }], timeout: '10m' },
        traffic: {
          promql: 'avg(probe_success)',
          interval: '5s',
          successThreshold: 0.99,
          sustainFor: '30s',
        },
        recovery: { mode: 'auto', holdFor: '2m', timeout: '15m', signals: [] },
        objectives: {},
        guards: [],
      },
    });
  });

  it('fills the HTTP probe defaults', () => {
    const traffic = scenario(withSpec({ traffic: { http: { url: 'https://shop.example.com/' } } }))
      .spec.traffic;
    expect(traffic.http).toEqual({
      url: 'https://shop.example.com/',
      method: 'GET',
      expectStatus: [200],
      requestsPerInterval: 5,
    });
    expect(
      scenario(
        withSpec({
          traffic: { http: { url: 'https://shop.example.com/', tls: { caFile: 'ca.pem' } } },
        }),
      ).spec.traffic.http?.tls,
    ).toEqual({ caFile: 'ca.pem', insecure: false });
  });

  it('fills guard and schedule defaults', () => {
    const spec = scenario(
      withSpec({ guards: [{ promql: 'sum(x)', abortIf: '> 0' }], schedule: '0 10 * * 6' }),
    ).spec;
    expect(spec.guards).toEqual([{ promql: 'sum(x)', abortIf: { op: '>', value: 0 }, for: '0s' }]);
    expect(spec.schedule).toEqual({ cron: '0 10 * * 6', timezone: 'UTC' });
  });

  it('validates its own output unchanged, so stored documents can be checked again', () => {
    const rich = withSpec({
      fault: { type: 'deny-policy', params: { rule: 'typo-principal', principal: 'td/ns/a/sa/b' } },
      detection: {
        alerts: [{ alertname: 'A', labels: { severity: 'page' }, matchers: ['pod=~"x.*"'] }],
      },
      guards: [{ promql: 'sum(x)', abortIf: '>= 0.5', for: '30s' }],
      recovery: { signals: [{ name: 'xds', promql: 'sum(y)', recoveredIf: '== 1' }] },
      schedule: { cron: '0 10 * * 6', timezone: 'Europe/Berlin' },
    });
    const once = valid(rich);
    expect(valid(JSON.parse(JSON.stringify(once)))).toEqual(once);
    for (const type of ['istiod-oom', 'cert-expiry'] as const) {
      const params = type === 'cert-expiry' ? { gateway: { name: 'gw', namespace: 'ns' } } : {};
      const output = valid(fault(type, params));
      expect(valid(JSON.parse(JSON.stringify(output)))).toEqual(output);
    }
  });
});

describe('fault params', () => {
  it('istiod-oom: kill mode has no memory or strategy, and refuses them', () => {
    expect(scenario(fault('istiod-oom', { mode: 'kill', revision: 'canary' })).spec.fault).toEqual({
      type: 'istiod-oom',
      params: { mode: 'kill', revision: 'canary' },
    });
    expect(onlyIssue(fault('istiod-oom', { mode: 'kill', memoryLimit: '64Mi' }))).toEqual({
      path: ['spec', 'fault', 'params', 'memoryLimit'],
      message: 'is only used with mode: oom',
      target: 'key',
    });
  });

  it('istiod-oom: memoryLimit is a positive Kubernetes quantity, a bare number included', () => {
    expect(scenario(fault('istiod-oom', { memoryLimit: 33554432 })).spec.fault.params).toEqual({
      mode: 'oom',
      memoryLimit: '33554432',
      strategy: { maxSurge: 0, maxUnavailable: '100%' },
    });
    expect(issues(fault('istiod-oom', { memoryLimit: '0' }))).toEqual([
      "spec.fault.params.memoryLimit: must be greater than 0; got '0'",
    ]);
    expect(issues(fault('istiod-oom', { memoryLimit: true }))).toEqual([
      'spec.fault.params.memoryLimit: expected a Kubernetes quantity such as 32Mi, got true',
    ]);
  });

  it('istiod-oom: a partial strategy keeps the other default; both zero is refused', () => {
    expect(
      scenario(fault('istiod-oom', { strategy: { maxSurge: '25%' } })).spec.fault.params,
    ).toMatchObject({ strategy: { maxSurge: '25%', maxUnavailable: '100%' } });
    expect(issues(fault('istiod-oom', { strategy: { maxUnavailable: '0%' } }))).toEqual([
      'spec.fault.params.strategy.maxUnavailable: maxSurge and maxUnavailable cannot both be 0 (the rollout could never proceed)',
    ]);
    expect(issues(fault('istiod-oom', { strategy: { maxUnavailable: '150%' } }))).toEqual([
      'spec.fault.params.strategy.maxUnavailable: must be at most 100%; got 150%',
    ]);
    expect(issues(fault('istiod-oom', { strategy: { maxSurge: 1.5 } }))).toEqual([
      "spec.fault.params.strategy.maxSurge: expected a non-negative integer or a percentage such as '25%', got 1.5",
    ]);
  });

  it('istiod-oom: revision is a DNS label', () => {
    expect(issues(fault('istiod-oom', { revision: '1.22' }))).toEqual([
      "spec.fault.params.revision: must be a DNS-1123 label (at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit); got '1.22'",
    ]);
  });

  it('port-block: ports are required, from the enum, without repeats', () => {
    expect(scenario(fault('port-block', { ports: [15012] })).spec.fault.params).toEqual({
      ports: [15012],
      restartControlPlane: true,
    });
    expect(issues(fault('port-block'))).toEqual(['spec.fault.params: is required']);
    expect(issues(fault('port-block', { ports: [] }))).toEqual([
      'spec.fault.params.ports: must list at least 1 item',
    ]);
    expect(issues(fault('port-block', { ports: [15012, 15012] }))).toEqual([
      'spec.fault.params.ports[1]: port 15012 is listed twice',
    ]);
    expect(issues(fault('port-block', { ports: ['15012'] }))).toEqual([
      "spec.fault.params.ports[0]: must be one of 15010, 15012, 15017; got '15012'",
    ]);
  });

  it('cert-expiry: mode gateway needs the gateway; mesh-ca refuses it', () => {
    expect(
      scenario(fault('cert-expiry', { gateway: { name: 'shop', namespace: 'istio-ingress' } })).spec
        .fault.params,
    ).toEqual({
      mode: 'gateway',
      gateway: { name: 'shop', namespace: 'istio-ingress' },
      expiredFor: '24h',
    });
    expect(issues(fault('cert-expiry'))).toEqual([
      'spec.fault.params.gateway: is required with mode: gateway ({ name, namespace } of the Gateway)',
    ]);
    expect(scenario(fault('cert-expiry', { mode: 'mesh-ca' })).spec.fault.params).toEqual({
      mode: 'mesh-ca',
      expiredFor: '24h',
    });
    expect(issues(fault('cert-expiry', { mode: 'mesh-ca', server: 'https' }))).toEqual([
      'spec.fault.params.server: is only used with mode: gateway',
    ]);
    expect(issues(fault('cert-expiry', { mode: 'mesh-ca', expiredFor: '0s' }))).toEqual([
      'spec.fault.params.expiredFor: must be longer than 0s',
    ]);
  });

  it('deny-policy: defaults to deny-all; principal only with typo-principal, as a full principal', () => {
    expect(scenario(fault('deny-policy')).spec.fault.params).toEqual({
      rule: 'deny-all',
      rehearse: false,
    });
    expect(issues(fault('deny-policy', { principal: 'cluster.local/ns/a/sa/b' }))).toEqual([
      'spec.fault.params.principal: is only used with rule: typo-principal',
    ]);
    expect(issues(fault('deny-policy', { rule: 'typo-principal', principal: 'checkout' }))).toEqual(
      [
        "spec.fault.params.principal: must be a principal <trust-domain>/ns/<namespace>/sa/<service-account>, e.g. cluster.local/ns/payments/sa/checkout; got 'checkout'",
      ],
    );
    expect(issues(fault('deny-policy', { selector: { matchLabels: {} } }))).toEqual([
      'spec.fault.params.selector.matchLabels: must list at least one label',
    ]);
    expect(
      issues(fault('deny-policy', { selector: { matchLabels: { 'bad key!': 'x' } } })),
    ).toEqual([
      `spec.fault.params.selector.matchLabels["bad key!"]: 'bad key!' is not a valid label key: an optional DNS subdomain prefix and '/', then at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit`,
    ]);
  });

  it('names the known fault types when the type is wrong or missing', () => {
    expect(issues(fault('istiod-crash'))).toEqual([
      "spec.fault.type: 'istiod-crash' is not a known type; expected one of istiod-oom, port-block, cert-expiry, deny-policy",
    ]);
    expect(issues(withSpec({ fault: { params: {} } }))).toEqual([
      'spec.fault.type: is required: one of istiod-oom, port-block, cert-expiry, deny-policy',
    ]);
  });

  it('params of one type are not accepted under another', () => {
    expect(issues(fault('deny-policy', { ports: [15012] }))).toEqual([
      "spec.fault.params.ports: unknown field 'ports'; expected one of name, selector, rule, principal, rehearse",
    ]);
  });
});

describe('unknown fields', () => {
  it.each([
    [{ ...minimal(), status: {} }, ['status']],
    [{ ...minimal(), metadata: { name: 'x', annotations: {} } }, ['metadata', 'annotations']],
    [withSpec({ target: { namespace: 'a', cluster: 'b' } }), ['spec', 'target', 'cluster']],
    [
      withSpec({ detection: { alerts: [{ alertname: 'A', severity: 'page' }] } }),
      ['spec', 'detection', 'alerts', 0, 'severity'],
    ],
    [
      withSpec({ traffic: { http: { url: 'https://x/', tls: { insecure: true, sni: 'x' } } } }),
      ['spec', 'traffic', 'http', 'tls', 'sni'],
    ],
    [withSpec({ schedule: { cron: '0 10 * * 6', tz: 'UTC' } }), ['spec', 'schedule', 'tz']],
  ])('are refused at any depth: %#', (data, path) => {
    expect(onlyIssue(data)).toMatchObject({ path, target: 'key' });
  });

  it('suggest the field that was meant', () => {
    expect(issues(withSpec({ recovery: { holdfor: '1m' } }))).toEqual([
      "spec.recovery.holdfor: unknown field 'holdfor'; did you mean 'holdFor'?",
    ]);
    expect(issues(withSpec({ detection: { alerts: [{ alertname: 'A', lables: {} }] } }))).toEqual([
      "spec.detection.alerts[0].lables: unknown field 'lables'; did you mean 'labels'?",
    ]);
  });
});

describe('document header', () => {
  it('reports apiVersion and kind before anything else', () => {
    expect(issues({ apiVersion: 'gameday/v2', kind: 'Scenario' })).toEqual([
      "apiVersion: unsupported apiVersion 'gameday/v2'; expected gameday/v1",
    ]);
    expect(issues({ apiVersion: 'gameday/v1', kind: 'Experiment', spec: 1 })).toEqual([
      "kind: unknown kind 'Experiment'; expected Scenario or GameDay",
    ]);
    expect(issues({ metadata: {} })).toEqual([
      'apiVersion: is required: gameday/v1',
      'kind: is required: Scenario or GameDay',
    ]);
    expect(issues(['a'])).toEqual([
      ': expected a mapping with apiVersion, kind, metadata and spec; got a list',
    ]);
  });

  it('validateScenario and validateGameDay accept only their kind', () => {
    expect(validateScenario(minimal()).ok).toBe(true);
    const result = validateGameDay(minimal());
    expect(result.ok ? [] : result.issues.map((issue) => issue.message)).toEqual([
      "unknown kind 'Scenario'; expected GameDay",
    ]);
  });
});

describe('names, durations and thresholds', () => {
  it('names are DNS-1123 labels', () => {
    expect(issues({ ...minimal(), metadata: { name: 'Istiod_OOM' } })).toEqual([
      "metadata.name: must be a DNS-1123 label (at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit); got 'Istiod_OOM'",
    ]);
    expect(issues(withSpec({ target: { context: 'prod' } }))).toEqual([
      'spec.target.namespace: is required',
    ]);
  });

  it('durations are checked with the shared parser, positive where zero makes no sense', () => {
    expect(issues(withSpec({ traffic: { promql: 'x', interval: '0s' } }))).toEqual([
      'spec.traffic.interval: must be longer than 0s',
    ]);
    expect(issues(withSpec({ traffic: { promql: 'x', sustainFor: 30 } }))).toEqual([
      'spec.traffic.sustainFor: expected a duration such as 90s, 5m or 1h30m (units: ms, s, m, h, d, w), got 30',
    ]);
    expect(scenario(withSpec({ recovery: { holdFor: '0s' } })).spec.recovery.holdFor).toBe('0s');
  });

  it('converts every duration of a scenario to milliseconds for the engine', () => {
    const s = scenario(
      withSpec({
        objectives: { timeToDetect: '5m' },
        guards: [{ promql: 'x', abortIf: '> 0', for: '1m30s' }],
      }),
    );
    expect(scenarioDurations(s)).toEqual({
      detectionTimeout: 600_000,
      trafficInterval: 5_000,
      sustainFor: 30_000,
      holdFor: 120_000,
      recoveryTimeout: 900_000,
      objectives: { timeToDetect: 300_000 },
      guards: [90_000],
    });
    expect(() => durationMs('5 minutes')).toThrow(RangeError);
  });

  it('successThreshold is in (0, 1]', () => {
    expect(
      scenario(withSpec({ traffic: { promql: 'x', successThreshold: 1 } })).spec.traffic,
    ).toMatchObject({ successThreshold: 1 });
    expect(issues(withSpec({ traffic: { promql: 'x', successThreshold: 0 } }))).toEqual([
      'spec.traffic.successThreshold: must be greater than 0; got 0',
    ]);
    expect(issues(withSpec({ traffic: { promql: 'x', successThreshold: 99 } }))).toEqual([
      'spec.traffic.successThreshold: must be at most 1; got 99',
    ]);
  });
});

describe('traffic', () => {
  it('takes exactly one of promql and http', () => {
    expect(issues(withSpec({ traffic: { interval: '5s' } }))).toEqual([
      'spec.traffic: set one of promql (a success-ratio query) or http (a probe)',
    ]);
    expect(onlyIssue(withSpec({ traffic: { promql: 'x', http: { url: 'http://x/' } } }))).toEqual({
      path: ['spec', 'traffic', 'http'],
      message: 'set exactly one of promql or http, not both',
      target: 'key',
    });
  });

  it('checks the probe URL, statuses and TLS settings', () => {
    const http = (probe: Record<string, unknown>) => withSpec({ traffic: { http: probe } });
    expect(issues(http({ url: 'ftp://x/' }))).toEqual([
      "spec.traffic.http.url: must be an http:// or https:// URL; got 'ftp://x/'",
    ]);
    expect(issues(http({ url: 'https://x/', expectStatus: [200, 700] }))).toEqual([
      'spec.traffic.http.expectStatus[1]: must be at most 599; got 700',
    ]);
    expect(issues(http({ url: 'http://x/', tls: { insecure: true } }))).toEqual([
      'spec.traffic.http.tls: only applies to https:// URLs',
    ]);
    expect(issues(http({ url: 'https://x/', tls: { insecure: true, caFile: 'ca.pem' } }))).toEqual([
      'spec.traffic.http.tls.insecure: set caFile or insecure: true, not both',
    ]);
    expect(issues(http({ url: 'https://x/', requestsPerInterval: 0 }))).toEqual([
      'spec.traffic.http.requestsPerInterval: must be at least 1; got 0',
    ]);
  });
});

describe('comparisons', () => {
  it.each([
    ['> 0', { op: '>', value: 0 }],
    ['>= 0.5', { op: '>=', value: 0.5 }],
    ['< 0.9', { op: '<', value: 0.9 }],
    ['== 1', { op: '==', value: 1 }],
    ['!= 0', { op: '!=', value: 0 }],
    ['<=-1e3', { op: '<=', value: -1000 }],
    ['  > .5  ', { op: '>', value: 0.5 }],
  ])('parses %j', (text, parsed) => {
    expect(parseComparison(text)).toEqual(parsed);
  });

  it.each(['', '>', '0', '=> 0', '= 1', '> x', '> 0 0', 'above 5', '>> 1'])(
    'rejects %j',
    (text) => {
      expect(parseComparison(text)).toBeUndefined();
    },
  );

  it('compares samples', () => {
    expect(compare({ op: '>', value: 0 }, 1)).toBe(true);
    expect(compare({ op: '>', value: 0 }, 0)).toBe(false);
    expect(compare({ op: '>=', value: 0.5 }, 0.5)).toBe(true);
    expect(compare({ op: '<', value: 0.9 }, 0.9)).toBe(false);
    expect(compare({ op: '<=', value: 0.9 }, 0.9)).toBe(true);
    expect(compare({ op: '==', value: 1 }, 1)).toBe(true);
    expect(compare({ op: '!=', value: 0 }, 0)).toBe(false);
    expect(compare({ op: '>', value: 0 }, NaN)).toBe(false);
  });

  it('accepts the parsed form and reports a bad one where it is', () => {
    const guards = (abortIf: unknown) => withSpec({ guards: [{ promql: 'x', abortIf }] });
    expect(scenario(guards({ op: '<', value: 0.9 })).spec.guards[0]?.abortIf).toEqual({
      op: '<',
      value: 0.9,
    });
    expect(issues(guards({ op: '=>', value: 1 }))).toEqual([
      "spec.guards[0].abortIf.op: must be one of >, >=, <, <=, ==, !=; got '=>'",
    ]);
    expect(issues(guards(5))).toEqual([
      "spec.guards[0].abortIf: expected a comparison such as '> 0', '>= 0.5', '< 0.9', '== 1' or '!= 0', got 5",
    ]);
  });
});

describe('schedules', () => {
  const at = (schedule: unknown) => withSpec({ schedule });

  it('reads the string form in UTC and keeps an explicit time zone', () => {
    expect(scenario(at(' 0 10 * * 6 ')).spec.schedule).toEqual({
      cron: '0 10 * * 6',
      timezone: 'UTC',
    });
    expect(
      scenario(at({ cron: '0 10 * * SAT', timezone: 'America/New_York' })).spec.schedule,
    ).toEqual({ cron: '0 10 * * SAT', timezone: 'America/New_York' });
  });

  it.each([
    [
      '0 10 * * 6 *',
      "spec.schedule: must be a cron expression with 5 fields (minute hour day-of-month month day-of-week), e.g. '0 10 * * 6'; got 6 fields in '0 10 * * 6 *'",
    ],
    [
      '@weekly',
      "spec.schedule: must be a cron expression with 5 fields (minute hour day-of-month month day-of-week), e.g. '0 10 * * 6'; got 1 field in '@weekly'",
    ],
    [
      '0 10 * * 8',
      "spec.schedule: invalid cron expression '0 10 * * 8' (minute hour day-of-month month day-of-week): Constraint error, got value 8 expected range 0-7",
    ],
    [
      '0 10 31 2 *',
      "spec.schedule: invalid cron expression '0 10 31 2 *' (minute hour day-of-month month day-of-week): Invalid explicit day of month definition",
    ],
  ])('refuses %j', (cron, message) => {
    expect(issues(at(cron))).toEqual([message]);
  });

  it('checks the time zone and points at the field of the object form', () => {
    expect(issues(at({ cron: '0 10 * * 6', timezone: 'Mars/Olympus_Mons' }))).toEqual([
      "spec.schedule.timezone: unknown time zone 'Mars/Olympus_Mons'; use an IANA zone name such as Europe/Berlin, America/New_York or UTC",
    ]);
    expect(issues(at({ cron: '0 10 * *' }))).toEqual([
      "spec.schedule.cron: must be a cron expression with 5 fields (minute hour day-of-month month day-of-week), e.g. '0 10 * * 6'; got 4 fields in '0 10 * *'",
    ]);
  });
});

describe('expected alerts', () => {
  it('parses matcher strings and objects', () => {
    expect(parseMatcher('pod=~"istiod-.*"')).toEqual({
      name: 'pod',
      type: '=~',
      value: 'istiod-.*',
    });
    expect(parseMatcher('severity != info')).toEqual({
      name: 'severity',
      type: '!=',
      value: 'info',
    });
    expect(parseMatcher('msg="say \\"hi\\""')).toEqual({
      name: 'msg',
      type: '=',
      value: 'say "hi"',
    });
    expect(parseMatcher('9lives=x')).toMatch(/^must be a label matcher/);
    expect(parseMatcher('pod=~"(unclosed"')).toMatch(/^invalid regular expression '\(unclosed'/);
  });

  it('refuses the alert name among labels and matchers', () => {
    const detection = (alert: Record<string, unknown>) =>
      withSpec({ detection: { alerts: [{ alertname: 'A', ...alert }] } });
    expect(issues(detection({ labels: { alertname: 'B' } }))).toEqual([
      'spec.detection.alerts[0].labels.alertname: the alert name goes in alertname, not in labels',
    ]);
    expect(issues(detection({ matchers: ['alertname=~"B.*"'] }))).toEqual([
      'spec.detection.alerts[0].matchers[0]: the alert name goes in alertname, not in matchers',
    ]);
    expect(issues(detection({ labels: { 'app.kubernetes.io/name': 'x' } }))).toEqual([
      `spec.detection.alerts[0].labels["app.kubernetes.io/name"]: 'app.kubernetes.io/name' is not a Prometheus label name (letters, digits and '_', not starting with a digit)`,
    ]);
    expect(issues(withSpec({ detection: { alerts: [] } }))).toEqual([
      'spec.detection.alerts: must list at least 1 item',
    ]);
  });

  it('matches firing alerts by name, exact labels and anchored matchers', () => {
    const alert = scenario(
      withSpec({
        detection: {
          alerts: [
            {
              alertname: 'KubePodCrashLooping',
              labels: { namespace: 'istio-system' },
              matchers: ['pod=~"istiod-.*"', 'container!~"(?i)ISTIO-PROXY"'],
            },
          ],
        },
      }),
    ).spec.detection.alerts[0];
    if (!alert) throw new Error('no alert');
    const firing = {
      alertname: 'KubePodCrashLooping',
      namespace: 'istio-system',
      pod: 'istiod-7d9f-abcde',
      container: 'discovery',
    };
    expect(matchesAlert(alert, firing)).toBe(true);
    expect(matchesAlert(alert, { ...firing, alertname: 'KubePodNotReady' })).toBe(false);
    expect(matchesAlert(alert, { ...firing, namespace: 'payments' })).toBe(false);
    expect(matchesAlert(alert, { ...firing, pod: 'my-istiod-1' })).toBe(false); // anchored
    expect(matchesAlert(alert, { ...firing, container: 'istio-proxy' })).toBe(false);
    const { namespace: _, ...unlabelled } = firing;
    expect(matchesAlert(alert, unlabelled)).toBe(false); // a missing label is ''
  });
});

describe('GameDay', () => {
  const gameDay = (spec: Record<string, unknown>) => ({
    apiVersion: 'gameday/v1',
    kind: 'GameDay',
    metadata: { name: 'q3' },
    spec,
  });

  it('takes scenario names and inline scenarios, with defaults', () => {
    const inline = minimal();
    inline.metadata = { name: 'inline-one' };
    expect(valid(gameDay({ scenarios: ['istiod-oom', inline] }))).toEqual({
      apiVersion: 'gameday/v1',
      kind: 'GameDay',
      metadata: { name: 'q3' },
      spec: {
        scenarios: ['istiod-oom', { ...valid(minimal()), metadata: { name: 'inline-one' } }],
        pauseBetween: '1m',
        participants: [],
      },
    });
  });

  it('reports problems inside an inline scenario at their path', () => {
    const inline = withSpec({ target: { namespace: 'istio-system', zone: 'a' } });
    expect(issues(gameDay({ scenarios: [inline] }))).toEqual([
      "spec.scenarios[0].spec.target.zone: unknown field 'zone'; expected one of context, namespace",
    ]);
    expect(issues(gameDay({ scenarios: [5] }))).toEqual([
      'spec.scenarios[0]: expected a scenario name or an inline Scenario, got 5',
    ]);
    expect(issues(gameDay({ scenarios: [] }))).toEqual([
      'spec.scenarios: must list at least 1 item',
    ]);
  });

  it('refuses repeated inline names, inline schedules and repeated participants', () => {
    const inline = withSpec({ schedule: '0 1 * * *' });
    expect(issues(gameDay({ scenarios: [inline] }))).toEqual([
      'spec.scenarios[0].spec.schedule: an inline scenario runs when its GameDay runs; schedule the GameDay instead',
    ]);
    expect(issues(gameDay({ scenarios: [minimal(), minimal()] }))).toEqual([
      "spec.scenarios[1].metadata.name: inline scenario 'istiod-oom' is already defined at scenarios[0]",
    ]);
    expect(
      issues(
        gameDay({
          scenarios: ['a'],
          participants: [
            { name: 'Ana', role: 'commander' },
            { name: 'Ana', role: 'observer' },
          ],
        }),
      ),
    ).toEqual(["spec.participants[1].name: participant 'Ana' is already used by item 0"]);
    expect(
      issues(gameDay({ scenarios: ['a'], participants: [{ name: 'Bo', role: 'boss' }] })),
    ).toEqual([
      "spec.participants[0].role: must be one of commander, responder, observer; got 'boss'",
    ]);
  });
});

describe('formatPath', () => {
  it('writes indices in brackets and quotes keys that are not identifiers', () => {
    expect(formatPath([])).toBe('');
    expect(formatPath(['spec', 'fault', 'params', 'memoryLimit'])).toBe(
      'spec.fault.params.memoryLimit',
    );
    expect(formatPath(['spec', 'detection', 'alerts', 0, 'labels', 'app.kubernetes.io/name'])).toBe(
      'spec.detection.alerts[0].labels["app.kubernetes.io/name"]',
    );
  });
});
