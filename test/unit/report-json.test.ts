import { describe, expect, it } from 'vitest';
import {
  buildReport,
  isReportFormat,
  REPORT_FORMATS,
  renderReport,
} from '../../src/report/index.js';
import {
  abortedRun,
  at,
  completedRun,
  failedAtBaselineRun,
  scenario,
  T0,
  undetectedRun,
} from './report-fixtures.js';

describe('buildReport', () => {
  it('is versioned and carries the scenario, target, fault, options and tool version', () => {
    const report = buildReport(completedRun());
    expect(report.reportVersion).toBe(1);
    expect(report.toolVersion).toBe('0.1.0');
    expect(report.scenario).toEqual({
      name: 'bad-deny-policy',
      description: 'A DENY policy with a typo locks every caller out of payments-api.',
      runbook: expect.stringContaining('SYMPTOMS') as unknown,
      labels: { team: 'payments', 'failure-mode': 'policy' },
    });
    expect(report.target).toEqual({ context: 'kind-lab', namespace: 'payments' });
    expect(report.fault).toEqual({
      type: 'deny-policy',
      params: { rule: 'deny-all', rehearse: false },
    });
    expect(report.options).toEqual({ dryRun: false, allowMeshWide: false, onTargetBusy: 'wait' });
    expect(report.run).toMatchObject({
      id: 'run-20231114-abc123',
      state: 'completed',
      outcome: 'completed',
      stop: null,
    });
    expect(report.measurement).toMatchObject({
      expectedAlerts: ['IstioRequestErrors'],
      objectives: { timeToDetect: '5m', timeToRecover: '2m' },
      traffic: { kind: 'promql', threshold: 0.99 },
    });
  });

  it('sorts the timeline by time and gives each event its offset from t0', () => {
    const input = completedRun();
    const report = buildReport(input);
    expect(report.timeline).toHaveLength(input.events.length);
    const times = report.timeline.map((e) => e.at);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    for (const event of report.timeline) expect(event.offsetMs).toBe(event.at - T0);
    // Same instant: stored order kept (state change before the revert it announces).
    const at120 = report.timeline.filter((e) => e.at === at(120)).map((e) => e.type);
    expect(at120).toEqual(['state', 'revert']);
    expect(report.timeline[0]).toMatchObject({
      type: 'state',
      state: 'preflight',
      offsetMs: -59_000,
    });
  });

  it('states the times in seconds and the instants on the tool clock', () => {
    const report = buildReport(completedRun());
    expect(report.times).toEqual({
      t0: T0,
      injectStartedAt: at(-1),
      revertedAt: at(121),
      impactStart: at(10),
      detectedAt: at(42.5),
      recoveredAt: at(125),
      timeToDetect: 42.5,
      timeToImpact: 10,
      timeToRecover: 125,
      recoveryAfterRevert: 4,
    });
    expect(report.detection).toMatchObject({
      status: 'detected',
      timeToDetect: 42.5,
      timestampSource: 'startsAt',
      alert: { alertname: 'IstioRequestErrors' },
      reason: null,
    });
    expect(report.recovery).toMatchObject({
      status: 'recovered',
      timeToRecover: 125,
      worstValue: 0.4,
    });
    expect(report.clockOffset).toEqual({ offsetMs: 120, roundTripMs: 30 });
    expect(report.measurementLagMs).toBe(60_000);
  });

  it('includes verdict, objectives, collateral alerts, signals, samples and revert verification', () => {
    const report = buildReport(completedRun());
    expect(report.verdict?.outcome).toBe('fail');
    expect(report.verdict?.objectives.map((o) => [o.title, o.outcome])).toEqual([
      ['timeToDetect ≤ 5m', 'met'],
      ['timeToRecover ≤ 2m', 'missed'],
    ]);
    expect(report.collateralAlerts.map((a) => a.alertname)).toEqual(['KubePodCrashLooping']);
    expect(report.signals).toHaveLength(1);
    expect(report.signals[0]).toMatchObject({ name: 'xds-pushes', timeToRecover: 140 });
    expect(report.signals[0]!.series.map((p) => p.holds)).toEqual([true, false, true]);
    expect(report.samplesSummary?.count).toBe(41);
    expect(report.revertVerification?.state).toBe('reverted');
    expect(report.preflightFindings).toHaveLength(2);
  });

  it('gives the success-ratio series for charts, no-data samples included', () => {
    const report = buildReport(completedRun());
    const series = report.series.successRatio;
    expect(report.series.threshold).toBe(0.99);
    expect(series[0]).toEqual({ at: at(-30), offsetMs: -30_000, value: 1 });
    expect(series.find((p) => p.offsetMs === 60_000)?.value).toBeNull();
    expect(series.find((p) => p.offsetMs === 20_000)?.value).toBe(0.4);
  });

  it('keeps an undetected run undetected, with its reason', () => {
    const report = buildReport(undetectedRun());
    expect(report.detection).toMatchObject({ status: 'undetected', at: null, timeToDetect: null });
    expect(report.detection?.reason).toMatch(/no expected alert/);
    expect(report.times.timeToDetect).toBeNull();
    expect(report.times.detectedAt).toBeNull();
    expect(report.recovery?.status).toBe('no impact');
  });

  it('reports why an aborted run stopped', () => {
    const report = buildReport(abortedRun());
    expect(report.run.outcome).toBe('aborted');
    expect(report.run.stop).toMatchObject({ kind: 'halt', by: 'ops-oncall' });
    expect(report.verdict?.outcome).toBe('inconclusive');
  });

  it('handles a run that never injected: no t0, no offsets, nothing measured', () => {
    const report = buildReport(failedAtBaselineRun());
    expect(report.times.t0).toBeNull();
    expect(report.timeline.every((e) => e.offsetMs === null)).toBe(true);
    expect(report.series.successRatio.every((p) => p.offsetMs === null)).toBe(true);
    expect(report.detection).toBeNull();
    expect(report.recovery).toBeNull();
    expect(report.verdict).toBeNull();
    expect(report.clockOffset).toEqual({ unknown: 'PROMETHEUS_URL is not set' });
    expect(report.plannedWrites).toBeNull();
  });

  it('keeps only verb, kind, name and namespace of planned writes: never their bodies', () => {
    const input = failedAtBaselineRun();
    input.record.options.dryRun = true;
    input.record.result.plannedWrites = [
      {
        verb: 'create',
        apiVersion: 'v1',
        kind: 'Secret',
        namespace: 'istio-system',
        name: 'gateway-cert',
        body: {
          metadata: {
            annotations: { 'kubectl.kubernetes.io/last-applied': 'TOPSECRET-ANNOTATION' },
          },
          data: { 'tls.key': 'c2VjcmV0LWtleQ==' },
        },
        changes: [{ path: '/data/tls.key', value: 'c2VjcmV0LWtleQ==' }],
      },
      {
        verb: 'delete',
        apiVersion: 'v1',
        kind: 'Pod',
        name: 'istiod-1',
        namespace: 'istio-system',
      },
    ];
    const report = buildReport(input);
    expect(report.plannedWrites).toEqual([
      { verb: 'create', kind: 'Secret', namespace: 'istio-system', name: 'gateway-cert' },
      { verb: 'delete', kind: 'Pod', namespace: 'istio-system', name: 'istiod-1' },
    ]);
    for (const format of REPORT_FORMATS) {
      const body = renderReport(input, format).body;
      expect(body, format).not.toContain('c2VjcmV0LWtleQ==');
      expect(body, format).not.toContain('TOPSECRET-ANNOTATION');
    }
  });

  it('shows an HTTP probe URL without credentials, query or fragment', () => {
    const input = completedRun();
    const withProbe = scenario();
    withProbe.spec.traffic = {
      ...withProbe.spec.traffic,
      promql: undefined,
      http: {
        url: 'https://user:hunter2@shop.example.com/health?token=abc#x',
        method: 'GET',
        expectStatus: [200],
        requestsPerInterval: 5,
      },
    };
    input.record.scenario = withProbe;
    const report = buildReport(input);
    expect(report.measurement.traffic).toMatchObject({
      kind: 'http',
      url: 'https://shop.example.com/health',
      method: 'GET',
    });
    expect(JSON.stringify(report)).not.toContain('hunter2');
    expect(JSON.stringify(report)).not.toContain('token=abc');
  });

  it('does not share objects with the record', () => {
    const input = completedRun();
    const report = buildReport(input);
    report.scenario.labels['team'] = 'changed';
    (report.fault.params as { rule: string }).rule = 'changed';
    expect(input.record.scenario.metadata.labels?.['team']).toBe('payments');
    expect(input.record.scenario.spec.fault.params).toMatchObject({ rule: 'deny-all' });
  });
});

describe('renderReport', () => {
  it('serves each format with its content type; JSON is the built report', () => {
    const input = completedRun();
    expect(renderReport(input, 'json').contentType).toBe('application/json');
    expect(JSON.parse(renderReport(input, 'json').body)).toEqual(buildReport(input));
    expect(renderReport(input, 'md').contentType).toBe('text/markdown; charset=utf-8');
    expect(renderReport(input, 'html').contentType).toBe('text/html; charset=utf-8');
    expect(renderReport(input, 'junit').contentType).toBe('application/xml; charset=utf-8');
    expect(renderReport(input, 'html').body).toMatch(/^<!DOCTYPE html>/);
    expect(renderReport(input, 'md').body).toMatch(/^# GameDay/);
  });

  it('knows its formats', () => {
    expect(REPORT_FORMATS).toEqual(['json', 'md', 'html', 'junit']);
    expect(isReportFormat('html')).toBe(true);
    expect(isReportFormat('pdf')).toBe(false);
    expect(isReportFormat(undefined)).toBe(false);
  });
});
