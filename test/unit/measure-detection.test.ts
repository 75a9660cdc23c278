import { describe, expect, it } from 'vitest';
import {
  alertFingerprint,
  baselineAlerts,
  detect,
  mergeAlerts,
  type AlertObservation,
  type AlertSource,
  type DetectionInput,
} from '../../src/measure/index.js';
import { parseMatcher, type LabelMatcher } from '../../src/scenario/matchers.js';
import { durationMs } from '../../src/scenario/primitives.js';

const T0 = 1_700_000_000_000;
const S = 1_000;
const MIN = 60 * S;

const ISTIOD_DOWN = { alertname: 'IstiodDown', severity: 'critical' };
const CRASHLOOP = {
  alertname: 'KubePodCrashLooping',
  namespace: 'istio-system',
  pod: 'istiod-7d9f8-abcde',
};
const NOISE = { alertname: 'HighLatency', namespace: 'payments' };

function obs(
  labels: Record<string, string>,
  source: AlertSource,
  state: AlertObservation['state'],
  fields: Partial<AlertObservation> = {},
): AlertObservation {
  return {
    source,
    fingerprint: alertFingerprint(labels),
    labels,
    state,
    observedAt: T0 + 5 * MIN,
    ...fields,
  };
}

function input(
  observations: AlertObservation[],
  overrides: Partial<DetectionInput> = {},
): DetectionInput {
  return {
    t0: T0,
    expected: [{ alertname: 'IstiodDown' }],
    observations,
    clockOffsetMs: 0,
    timeoutMs: durationMs('10m'),
    now: T0 + 20 * MIN,
    ...overrides,
  };
}

function matcher(text: string): LabelMatcher {
  const parsed = parseMatcher(text);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}

describe('mergeAlerts: timestamp precedence', () => {
  it('takes startsAt from Alertmanager over activeAt + for and over the observation time', () => {
    const [alert] = mergeAlerts(
      [
        obs(ISTIOD_DOWN, 'prometheus', 'firing', {
          activeAt: T0 + 10 * S,
          forMs: MIN,
          observedAt: T0 + 2 * MIN,
        }),
        obs(ISTIOD_DOWN, 'alertmanager', 'firing', {
          startsAt: T0 + 75 * S,
          observedAt: T0 + 3 * MIN,
        }),
      ],
      0,
    );
    expect(alert).toMatchObject({ firedAt: T0 + 75 * S, firedAtSource: 'startsAt' });
  });

  it('takes startsAt from a webhook, also from a resolved notification', () => {
    const [alert] = mergeAlerts(
      [obs(ISTIOD_DOWN, 'webhook', 'resolved', { startsAt: T0 + 30 * S, endsAt: T0 + 4 * MIN })],
      0,
    );
    expect(alert).toMatchObject({
      firedAt: T0 + 30 * S,
      firedAtSource: 'startsAt',
      resolvedAt: T0 + 4 * MIN,
    });
  });

  it('takes the earliest startsAt when polls disagree', () => {
    const [alert] = mergeAlerts(
      [
        obs(ISTIOD_DOWN, 'alertmanager', 'firing', { startsAt: T0 + 50 * S }),
        obs(ISTIOD_DOWN, 'webhook', 'firing', { startsAt: T0 + 40 * S }),
      ],
      0,
    );
    expect(alert?.firedAt).toBe(T0 + 40 * S);
  });

  it('falls back to activeAt + for when only Prometheus saw it firing', () => {
    const [alert] = mergeAlerts(
      [
        obs(ISTIOD_DOWN, 'prometheus', 'pending', { activeAt: T0 + 10 * S, forMs: MIN }),
        obs(ISTIOD_DOWN, 'prometheus', 'firing', {
          activeAt: T0 + 10 * S,
          forMs: MIN,
          observedAt: T0 + 95 * S,
        }),
      ],
      0,
    );
    expect(alert).toMatchObject({
      firedAt: T0 + 70 * S,
      firedAtSource: 'activeAt+for',
      pendingAt: T0 + 10 * S,
    });
  });

  it('falls back to the observation time when the rule’s for is unknown', () => {
    const [alert] = mergeAlerts(
      [
        obs(ISTIOD_DOWN, 'prometheus', 'firing', {
          activeAt: T0 + 10 * S,
          observedAt: T0 + 95 * S,
        }),
        obs(ISTIOD_DOWN, 'prometheus', 'firing', {
          activeAt: T0 + 10 * S,
          observedAt: T0 + 100 * S,
        }),
      ],
      0,
    );
    expect(alert).toMatchObject({ firedAt: T0 + 95 * S, firedAtSource: 'observed' });
  });

  it('gives an alert only seen pending no firing time', () => {
    const [alert] = mergeAlerts(
      [
        obs(ISTIOD_DOWN, 'prometheus', 'pending', {
          activeAt: T0 + 10 * S,
          forMs: MIN,
          observedAt: T0 + 20 * S,
        }),
      ],
      0,
    );
    expect(alert?.firedAt).toBeUndefined();
    expect(alert?.firedAtSource).toBeUndefined();
    expect(alert?.pendingAt).toBe(T0 + 10 * S);
  });

  it.each([
    ['ahead', 2_500],
    ['behind', -2_500],
  ])('moves source timestamps to the tool clock when Prometheus is %s', (_, offset) => {
    const [fromAm, fromProm] = mergeAlerts(
      [
        obs(ISTIOD_DOWN, 'webhook', 'resolved', {
          startsAt: T0 + 30 * S,
          endsAt: T0 + 90 * S,
          observedAt: T0 + 91 * S,
        }),
        obs(CRASHLOOP, 'prometheus', 'firing', {
          activeAt: T0 + 40 * S,
          forMs: 15 * S,
          observedAt: T0 + 60 * S,
        }),
        obs(CRASHLOOP, 'prometheus', 'pending', { activeAt: T0 + 40 * S, observedAt: T0 + 41 * S }),
      ],
      offset,
    );
    expect(fromAm).toMatchObject({
      firedAt: T0 + 30 * S - offset,
      resolvedAt: T0 + 90 * S - offset,
    });
    expect(fromProm).toMatchObject({
      firedAt: T0 + 55 * S - offset,
      pendingAt: T0 + 40 * S - offset,
    });
  });

  it('does not correct the tool’s own observation time', () => {
    const [alert] = mergeAlerts(
      [obs(ISTIOD_DOWN, 'prometheus', 'firing', { observedAt: T0 + 60 * S })],
      5_000,
    );
    expect(alert?.firedAt).toBe(T0 + 60 * S);
  });

  it('merges a webhook push and API polls of one alert into one timeline', () => {
    const alerts = mergeAlerts(
      [
        obs(ISTIOD_DOWN, 'webhook', 'firing', { startsAt: T0 + 30 * S }),
        obs(ISTIOD_DOWN, 'alertmanager', 'firing', { startsAt: T0 + 30 * S }),
        obs(ISTIOD_DOWN, 'prometheus', 'firing', { activeAt: T0, forMs: 30 * S }),
        obs(CRASHLOOP, 'alertmanager', 'firing', { startsAt: T0 + 20 * S }),
      ],
      0,
    );
    expect(alerts.map((a) => a.alertname)).toEqual(['KubePodCrashLooping', 'IstiodDown']);
    expect(alerts[1]).toMatchObject({
      fingerprint: alertFingerprint(ISTIOD_DOWN),
      sources: ['alertmanager', 'prometheus', 'webhook'],
      labels: ISTIOD_DOWN,
    });
  });
});

describe('detect', () => {
  it('detects the earliest expected alert at or after t0, with its timestamp source', () => {
    const result = detect(
      input(
        [
          obs(ISTIOD_DOWN, 'alertmanager', 'firing', { startsAt: T0 + 90 * S }),
          obs(CRASHLOOP, 'prometheus', 'firing', { activeAt: T0 + 10 * S, forMs: 32 * S }),
        ],
        {
          expected: [
            { alertname: 'IstiodDown' },
            { alertname: 'KubePodCrashLooping', labels: { namespace: 'istio-system' } },
          ],
        },
      ),
    );
    expect(result).toMatchObject({
      status: 'detected',
      at: T0 + 42 * S,
      timeToDetectMs: 42 * S,
      timestampSource: 'activeAt+for',
      alert: { alertname: 'KubePodCrashLooping' },
    });
    expect(result.reason).toContain('42s');
  });

  it('counts an alert that fired exactly at t0', () => {
    const result = detect(input([obs(ISTIOD_DOWN, 'webhook', 'firing', { startsAt: T0 })]));
    expect(result).toMatchObject({ status: 'detected', timeToDetectMs: 0 });
  });

  it('applies the clock offset before comparing with t0', () => {
    // Prometheus is 3s ahead: its startsAt of t0 + 2s is t0 − 1s on the tool clock.
    const early = detect(
      input([obs(ISTIOD_DOWN, 'webhook', 'firing', { startsAt: T0 + 2 * S })], {
        clockOffsetMs: 3 * S,
      }),
    );
    expect(early.status).toBe('undetected');
    expect(early.preexisting).toHaveLength(1);
    // Prometheus is 3s behind: its t0 − 2s is t0 + 1s on the tool clock.
    const late = detect(
      input([obs(ISTIOD_DOWN, 'webhook', 'firing', { startsAt: T0 - 2 * S })], {
        clockOffsetMs: -3 * S,
      }),
    );
    expect(late).toMatchObject({ status: 'detected', timeToDetectMs: 1 * S });
  });

  it('sets aside expected alerts already firing before t0, even while they stay firing', () => {
    const result = detect(
      input(
        [
          obs(ISTIOD_DOWN, 'webhook', 'firing', { startsAt: T0 - MIN, observedAt: T0 - 50 * S }),
          obs(ISTIOD_DOWN, 'alertmanager', 'firing', {
            startsAt: T0 - MIN,
            observedAt: T0 + 2 * MIN,
          }),
        ],
        { now: T0 + 11 * MIN },
      ),
    );
    expect(result.status).toBe('undetected');
    expect(result.preexisting.map((a) => a.alertname)).toEqual(['IstiodDown']);
    expect(result.collateral).toEqual([]);
    expect(result.reason).toContain('already firing before injection');
  });

  it('still detects another expected alert when one was pre-existing', () => {
    const result = detect(
      input(
        [
          obs(ISTIOD_DOWN, 'webhook', 'firing', { startsAt: T0 - MIN }),
          obs({ ...ISTIOD_DOWN, cluster: 'b' }, 'webhook', 'firing', { startsAt: T0 + MIN }),
        ],
        { now: T0 + 2 * MIN },
      ),
    );
    expect(result).toMatchObject({ status: 'detected', timeToDetectMs: MIN });
    expect(result.alert?.labels['cluster']).toBe('b');
    expect(result.preexisting).toHaveLength(1);
  });

  it('matches expected alerts by name, exact labels and matchers (regex included)', () => {
    const firing = [
      obs({ ...CRASHLOOP, namespace: 'payments' }, 'webhook', 'firing', { startsAt: T0 + 10 * S }),
      obs({ ...CRASHLOOP, pod: 'ingressgateway-1' }, 'webhook', 'firing', {
        startsAt: T0 + 20 * S,
      }),
      obs(CRASHLOOP, 'webhook', 'firing', { startsAt: T0 + 30 * S }),
    ];
    const result = detect(
      input(firing, {
        expected: [
          {
            alertname: 'KubePodCrashLooping',
            labels: { namespace: 'istio-system' },
            matchers: [matcher('pod=~"istiod-.*"')],
          },
        ],
      }),
    );
    expect(result).toMatchObject({ status: 'detected', timeToDetectMs: 30 * S });
    expect(result.alert?.labels).toEqual(CRASHLOOP);
    expect(result.collateral.map((a) => a.labels['pod'] ?? a.labels['namespace'])).toEqual([
      'istiod-7d9f8-abcde',
      'ingressgateway-1',
    ]);
  });

  it('lists every other alert that fired at or after t0 as collateral, in firing order', () => {
    const result = detect(
      input([
        obs(NOISE, 'webhook', 'firing', { startsAt: T0 + 3 * MIN }),
        obs(CRASHLOOP, 'webhook', 'firing', { startsAt: T0 + MIN }),
        obs({ alertname: 'Watchdog' }, 'webhook', 'firing', { startsAt: T0 - MIN }),
        obs(ISTIOD_DOWN, 'webhook', 'firing', { startsAt: T0 + 2 * MIN }),
      ]),
    );
    expect(result.status).toBe('detected');
    expect(result.collateral.map((a) => a.alertname)).toEqual([
      'KubePodCrashLooping',
      'HighLatency',
    ]);
  });

  it('is undetected once the timeout has passed without an expected alert', () => {
    const result = detect(
      input([obs(NOISE, 'webhook', 'firing', { startsAt: T0 + MIN })], { now: T0 + 10 * MIN }),
    );
    expect(result.status).toBe('undetected');
    expect(result.at).toBeUndefined();
    expect(result.reason).toContain('within the 10m timeout');
    expect(result.collateral).toHaveLength(1);
  });

  it('is pending before the timeout', () => {
    const result = detect(
      input([obs(ISTIOD_DOWN, 'prometheus', 'pending', { activeAt: T0 + MIN })], {
        now: T0 + 10 * MIN - 1,
      }),
    );
    expect(result.status).toBe('pending');
  });

  it('counts an alert exactly at the timeout, but one after it as undetected', () => {
    const atDeadline = detect(
      input([obs(ISTIOD_DOWN, 'webhook', 'firing', { startsAt: T0 + 10 * MIN })]),
    );
    expect(atDeadline.status).toBe('detected');

    const late = detect(
      input([obs(ISTIOD_DOWN, 'webhook', 'firing', { startsAt: T0 + 11 * MIN })]),
    );
    expect(late).toMatchObject({ status: 'undetected', at: T0 + 11 * MIN });
    expect(late.timeToDetectMs).toBeUndefined();
    expect(late.reason).toBe(
      'first expected alert (IstiodDown) fired 11m after injection, after the 10m timeout',
    );
  });

  it('is unknown when the sources were unavailable and nothing was detected', () => {
    const result = detect(
      input([obs(ISTIOD_DOWN, 'prometheus', 'pending', { activeAt: T0 })], {
        unavailable: 'Alertmanager: connection refused',
      }),
    );
    expect(result).toMatchObject({
      status: 'unknown',
      reason: 'alert sources unavailable: Alertmanager: connection refused',
    });
  });

  it('still detects from the sources that answered when another was unavailable', () => {
    const result = detect(
      input([obs(ISTIOD_DOWN, 'webhook', 'firing', { startsAt: T0 + MIN })], {
        unavailable: 'Prometheus: timeout',
      }),
    );
    expect(result.status).toBe('detected');
  });
});

describe('baselineAlerts', () => {
  it('returns expected alerts firing now, not resolved ones, pending ones or others', () => {
    const firing = baselineAlerts(
      [{ alertname: 'IstiodDown' }, { alertname: 'KubePodCrashLooping' }],
      [
        obs(ISTIOD_DOWN, 'alertmanager', 'firing', { startsAt: T0 - MIN, observedAt: T0 - 30 * S }),
        obs(CRASHLOOP, 'webhook', 'firing', { startsAt: T0 - 5 * MIN, observedAt: T0 - 5 * MIN }),
        obs(CRASHLOOP, 'webhook', 'resolved', {
          startsAt: T0 - 5 * MIN,
          endsAt: T0 - MIN,
          observedAt: T0 - MIN,
        }),
        obs({ ...CRASHLOOP, pod: 'x' }, 'prometheus', 'pending', { observedAt: T0 - S }),
        obs(NOISE, 'alertmanager', 'firing', { startsAt: T0 - MIN, observedAt: T0 - S }),
      ],
      0,
    );
    expect(firing.map((a) => a.alertname)).toEqual(['IstiodDown']);
  });

  it('judges by the latest observation, whatever order they arrive in', () => {
    const expected = [{ alertname: 'IstiodDown' }];
    const fired = obs(ISTIOD_DOWN, 'webhook', 'firing', {
      startsAt: T0 - 9 * MIN,
      observedAt: T0 - 9 * MIN,
    });
    const resolved = obs(ISTIOD_DOWN, 'webhook', 'resolved', {
      startsAt: T0 - 9 * MIN,
      endsAt: T0 - 8 * MIN,
      observedAt: T0 - 8 * MIN,
    });
    const firedAgain = obs(ISTIOD_DOWN, 'alertmanager', 'firing', {
      startsAt: T0 - 2 * MIN,
      observedAt: T0 - MIN,
    });
    expect(baselineAlerts(expected, [resolved, fired], 0)).toEqual([]);
    expect(baselineAlerts(expected, [firedAgain, resolved, fired], 0)).toHaveLength(1);
  });
});
