import { describe, expect, it } from 'vitest';
import {
  alertFingerprint,
  estimateClockOffset,
  formatElapsed,
  promqlWindowMs,
  toToolClock,
} from '../../src/measure/index.js';

describe('alertFingerprint', () => {
  // Read from a real Alertmanager 0.25 (POST then GET /api/v2/alerts).
  it.each([
    [{ alertname: 'IstiodDown' }, '602c919dbcee5384'],
    [
      {
        severity: 'warning',
        pod: 'istiod-7d9f8-abcde',
        namespace: 'istio-system',
        alertname: 'KubePodCrashLooping',
      },
      '5f83982eadbd185b',
    ],
    // Byte order puts 'B' before 'a'; values are hashed as UTF-8.
    [{ alertname: 'Zürich', a: 'ü', B: 'x' }, '1b92f32fe6bedc93'],
  ])('matches Alertmanager for %j', (labels, fingerprint) => {
    expect(alertFingerprint(labels)).toBe(fingerprint);
  });

  it('hashes the empty label set to the FNV-64 offset basis', () => {
    expect(alertFingerprint({})).toBe('cbf29ce484222325');
  });

  it('zero-pads to 16 hex digits and separates name from value', () => {
    const sets: Record<string, string>[] = [{ a: 'b' }, { ab: '' }, { a: '', b: '' }];
    for (const labels of sets) {
      expect(alertFingerprint(labels)).toMatch(/^[0-9a-f]{16}$/);
    }
    expect(alertFingerprint({ ab: '' })).not.toBe(alertFingerprint({ a: 'b' }));
  });
});

describe('estimateClockOffset', () => {
  it('corrects by half the round trip', () => {
    // Sent at 1000, back at 1100: the server read its clock around 1050, it said 3050.
    expect(estimateClockOffset([{ sentAt: 1000, receivedAt: 1100, serverTime: 3050 }])).toEqual({
      offsetMs: 2000,
      roundTripMs: 100,
    });
  });

  it('measures a server behind the tool as a negative offset', () => {
    expect(
      estimateClockOffset([{ sentAt: 1000, receivedAt: 1020, serverTime: 510 }]).offsetMs,
    ).toBe(-500);
  });

  it('uses the probe with the shortest round trip', () => {
    const result = estimateClockOffset([
      { sentAt: 0, receivedAt: 400, serverTime: 900 },
      { sentAt: 1000, receivedAt: 1010, serverTime: 1505 },
      { sentAt: 2000, receivedAt: 2100, serverTime: 2000 },
      { sentAt: 3000, receivedAt: 2990, serverTime: 0 },
    ]);
    expect(result).toEqual({ offsetMs: 500, roundTripMs: 10 });
  });

  it('refuses to estimate without a usable probe', () => {
    expect(() => estimateClockOffset([])).toThrow(RangeError);
    expect(() => estimateClockOffset([{ sentAt: 10, receivedAt: 5, serverTime: 0 }])).toThrow(
      RangeError,
    );
  });

  it('moves a source timestamp to the tool clock', () => {
    expect(toToolClock(10_000, 2_000)).toBe(8_000);
    expect(toToolClock(10_000, -2_000)).toBe(12_000);
  });
});

describe('promqlWindowMs', () => {
  it.each([
    ['sum(rate(istio_requests_total[1m]))', 60_000],
    ['rate(x[30s]) / rate(y[5m])', 300_000],
    ['max_over_time(rate(x[1m])[5m:30s])', 300_000],
    ['max_over_time(up[10m:])', 600_000],
    ['rate(x[1h30m])', 5_400_000],
    ['rate(x[1d]) + rate(x[2w]) + rate(x[1y])', 365 * 86_400_000],
    ['rate(x[1500ms])', 1_500],
    ['rate(x[ 2m ] offset 1h)', 120_000],
    ['rate(x[1m] offset 10m)', 60_000],
    [
      'sum(rate(istio_requests_total{reporter="source",response_code!~"4..|5.."}[1m])) / sum(rate(istio_requests_total{reporter="source"}[1m]))',
      60_000,
    ],
  ])('%s → %d ms', (expr, ms) => {
    expect(promqlWindowMs(expr)).toBe(ms);
  });

  it.each([
    ['up == 0', undefined],
    ['sum(x{path=~"/api/[0-9]{99}h"})', undefined],
    ["count(x{a='[1y]'}) + rate(y[2m])", 120_000],
    ['rate(y[2m]) # was [1h]', 120_000],
    ['x{a="\\"[1h]"} + rate(y[3m])', 180_000],
  ])('ignores brackets in strings and comments: %s', (expr, ms) => {
    expect(promqlWindowMs(expr)).toBe(ms);
  });
});

describe('formatElapsed', () => {
  it.each([
    [250, '250ms'],
    [42_100, '42.1s'],
    [12_000, '12s'],
    [90_000, '1m30s'],
    [660_000, '11m'],
    [-110_000, '-1m50s'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatElapsed(ms)).toBe(text);
  });
});
