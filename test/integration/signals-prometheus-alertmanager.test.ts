import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertFingerprint } from '../../src/measure/fingerprint.js';
import { systemClock, type AlertObservation } from '../../src/measure/types.js';
import {
  AlertmanagerClient,
  measurePrometheusOffset,
  parseWebhook,
  PrometheusClient,
  sampleSignal,
  sampleSuccessRatio,
  SignalUnavailable,
} from '../../src/signals/index.js';
import { closeServer, listenOnLoopback } from '../support/http.js';
import {
  startAlertmanager,
  startMetricsTarget,
  startPrometheus,
  startWebhookReceiver,
  waitFor,
  type AlertmanagerHandle,
  type MetricsTarget,
  type PrometheusHandle,
  type WebhookReceiver,
} from '../support/index.js';

const RULES = `
groups:
  - name: gameday-signals
    interval: 1s
    rules:
      - alert: SignalsAlwaysFiring
        expr: vector(1)
        for: 1s
        labels:
          severity: test
      - alert: SignalsLabelled
        expr: gameday_signals_up == 1
        for: 3s
        labels:
          severity: page
          team: mesh
      - alert: SignalsPendingLong
        expr: vector(1)
        for: 1h
`;

const metrics = (up: number) =>
  [
    '# TYPE gameday_signals_up gauge',
    `gameday_signals_up ${up}`,
    '# TYPE gameday_signals_ratio gauge',
    'gameday_signals_ratio{app="a"} 0.75',
    '',
  ].join('\n');

const teardown: Array<() => Promise<void> | void> = [];
let receiver: WebhookReceiver;
let alertmanager: AlertmanagerHandle;
let target: MetricsTarget;
let prometheus: PrometheusHandle;
let promClient: PrometheusClient;
let amClient: AlertmanagerClient;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  teardown.push(() => receiver.close());
  alertmanager = await startAlertmanager({ webhookUrl: receiver.url });
  teardown.push(() => alertmanager.dispose());
  target = await startMetricsTarget(metrics(0));
  teardown.push(() => target.close());
  prometheus = await startPrometheus({
    scrapeTargets: [{ job: 'signals', targets: [target.hostPort] }],
    ruleFiles: { 'signals.yml': RULES },
    alertmanagerUrls: [alertmanager.url],
  });
  teardown.push(() => prometheus.dispose());
  promClient = new PrometheusClient({ url: prometheus.url, auth: undefined, caFile: undefined });
  teardown.push(() => promClient.close());
  amClient = new AlertmanagerClient({ url: alertmanager.url, auth: undefined, caFile: undefined });
  teardown.push(() => amClient.close());
});

afterAll(async () => {
  for (const step of teardown.reverse()) await step();
});

const labelled = (alerts: AlertObservation[]) =>
  alerts.find((a) => a.labels['alertname'] === 'SignalsLabelled');

describe('signals against a real Prometheus and Alertmanager', () => {
  it('queries vectors and scalars', async () => {
    const series = await waitFor(
      async () => {
        const result = await promClient.query('gameday_signals_ratio');
        return result.length > 0 && result;
      },
      { description: 'the metrics target to be scraped', timeoutMs: 20_000 },
    );
    expect(series).toEqual([
      {
        labels: {
          __name__: 'gameday_signals_ratio',
          app: 'a',
          instance: target.hostPort,
          job: 'signals',
        },
        value: 0.75,
      },
    ]);
    const nan = await promClient.query('0/0');
    expect(nan).toHaveLength(1);
    expect(nan[0]?.value).toBeNaN();
    expect(await promClient.query('absent_series_gameday')).toEqual([]);

    const sample = await sampleSuccessRatio(promClient, 'sum(gameday_signals_ratio)', systemClock);
    expect(sample.value).toBe(0.75);
    expect(
      await sampleSignal(
        promClient,
        { name: 'up', promql: 'gameday_signals_up', recoveredIf: { op: '==', value: 0 } },
        systemClock,
      ),
    ).toMatchObject({ holds: true });

    await expect(promClient.query('sum(')).rejects.toMatchObject({
      name: 'SignalUnavailable',
      retryable: false,
      status: 400,
    });
  });

  it('reads the rules’ for durations', async () => {
    const durations = await promClient.ruleDurations();
    expect(Object.fromEntries(durations)).toEqual({
      SignalsAlwaysFiring: 1_000,
      SignalsLabelled: 3_000,
      SignalsPendingLong: 3_600_000,
    });
  });

  it('measures a small clock offset to Prometheus', async () => {
    const offset = await measurePrometheusOffset(promClient, systemClock, 5);
    const precise = await measurePrometheusOffset(
      promClient,
      { now: () => performance.timeOrigin + performance.now() },
      5,
    );
    console.error(
      `clock offset to Prometheus: ${offset.offsetMs} ms (rtt ${offset.roundTripMs} ms); ` +
        `sub-ms clock: ${precise.offsetMs} ms (rtt ${precise.roundTripMs.toFixed(2)} ms)`,
    );
    expect(Math.abs(precise.offsetMs)).toBeLessThan(1_000);
    expect(Math.abs(offset.offsetMs)).toBeLessThan(1_000);
    expect(offset.roundTripMs).toBeLessThan(500);
  });

  it('sees an alert go pending then firing, with the fingerprint Alertmanager uses', async () => {
    const always = await waitFor(
      async () =>
        (await promClient.alerts(Date.now())).find(
          (a) => a.labels['alertname'] === 'SignalsAlwaysFiring' && a.state === 'firing',
        ),
      { description: 'SignalsAlwaysFiring to fire', timeoutMs: 20_000 },
    );
    expect(always).toMatchObject({ source: 'prometheus', forMs: 1_000 });
    const long = (await promClient.alerts(Date.now())).find(
      (a) => a.labels['alertname'] === 'SignalsPendingLong',
    );
    expect(long).toMatchObject({ state: 'pending', forMs: 3_600_000 });

    expect(labelled(await promClient.alerts(Date.now()))).toBeUndefined();
    const switchedAt = Date.now();
    target.set(metrics(1));

    const pending = await waitFor(
      async () => {
        const alert = labelled(await promClient.alerts(Date.now()));
        return alert?.state === 'pending' && alert;
      },
      { description: 'SignalsLabelled to be pending', timeoutMs: 20_000, intervalMs: 100 },
    );
    // The rule's labels plus the series' (a filtering comparison keeps them; alerts drop __name__).
    const alertLabels = {
      alertname: 'SignalsLabelled',
      instance: target.hostPort,
      job: 'signals',
      severity: 'page',
      team: 'mesh',
    };
    expect(pending.labels).toEqual(alertLabels);
    expect(pending.fingerprint).toBe(alertFingerprint(alertLabels));
    expect(pending.forMs).toBe(3_000);
    expect(pending.activeAt).toBeGreaterThanOrEqual(switchedAt - 1_000);

    const firing = await waitFor(
      async () => {
        const alert = labelled(await promClient.alerts(Date.now()));
        return alert?.state === 'firing' && alert;
      },
      { description: 'SignalsLabelled to fire', timeoutMs: 20_000, intervalMs: 100 },
    );
    expect(firing.activeAt).toBe(pending.activeAt);
    expect(firing.fingerprint).toBe(pending.fingerprint);

    const inAlertmanager = await waitFor(async () => labelled(await amClient.alerts(Date.now())), {
      description: 'Alertmanager to hold SignalsLabelled',
      timeoutMs: 20_000,
    });
    expect(inAlertmanager).toMatchObject({
      source: 'alertmanager',
      state: 'firing',
      fingerprint: firing.fingerprint,
      labels: firing.labels,
    });
    expect(inAlertmanager.endsAt).toBeUndefined();
    const startsAt = inAlertmanager.startsAt ?? NaN;
    // Prometheus sends the moment the rule switched to firing: at least `for` after activeAt.
    expect(startsAt).toBeGreaterThanOrEqual((pending.activeAt ?? 0) + 3_000);
    expect(startsAt).toBeLessThan((pending.activeAt ?? 0) + 3_000 + 3_000);

    const pushed = await receiver.waitForAlert(
      (a) => a.labels['alertname'] === 'SignalsLabelled' && a.status === 'firing',
      20_000,
    );
    const fromWebhook = parseWebhook(pushed.payload, Date.now()).find(
      (a) => a.labels['alertname'] === 'SignalsLabelled',
    );
    expect(fromWebhook).toMatchObject({
      source: 'webhook',
      state: 'firing',
      fingerprint: firing.fingerprint,
      startsAt,
    });
  });

  it('reports unreachable Prometheus and Alertmanager as SignalUnavailable', async () => {
    const closed = createServer();
    const port = await listenOnLoopback(closed);
    await closeServer(closed);
    const url = `http://127.0.0.1:${port}`;
    const prom = new PrometheusClient({ url, auth: undefined, caFile: undefined });
    const am = new AlertmanagerClient({ url, auth: undefined, caFile: undefined });
    for (const [call, name] of [
      [() => prom.query('up'), 'Prometheus'],
      [() => prom.alerts(0), 'Prometheus'],
      [() => measurePrometheusOffset(prom, systemClock), 'Prometheus'],
      [() => am.alerts(0), 'Alertmanager'],
    ] as const) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SignalUnavailable);
      expect((error as SignalUnavailable).reason).toBe(
        `${name} at ${url} unreachable: connect ECONNREFUSED 127.0.0.1:${port}`,
      );
    }
  });
});
