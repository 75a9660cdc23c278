import { describe, expect, it } from 'vitest';
import {
  aggregate,
  bucketStats,
  MAX_BUCKETS,
  percentile,
  periodOf,
  periodsBetween,
  timeStats,
  TrendRangeError,
} from '../../src/trends/aggregate.js';
import type { DaySummary } from '../../src/trends/days.js';
import type { TrendEntry } from '../../src/trends/entry.js';
import { trendsResultSchema } from '../../src/trends/schema.js';

const at = (iso: string): number => Date.parse(iso.includes('T') ? iso : `${iso}T00:00:00Z`);

let seq = 0;
function entry(overrides: Partial<TrendEntry> = {}): TrendEntry {
  seq += 1;
  return {
    runId: `run-${seq}`,
    scenario: 'istiod-down',
    at: at('2026-03-10T12:00:00Z'),
    outcome: 'completed',
    detected: true,
    ttd: 30,
    ttr: 60,
    objectives: { met: 2, total: 2 },
    verdict: 'pass',
    ...overrides,
  };
}

describe('periods', () => {
  it.each([
    ['2026-11-16T00:00:00Z', '2026-W47', '2026-11-16'],
    ['2026-11-22T23:59:59.999Z', '2026-W47', '2026-11-16'],
    ['2026-11-23T00:00:00Z', '2026-W48', '2026-11-23'],
    // Week 1 is the week with the year's first Thursday; its Monday may be in December.
    ['2024-12-29T23:59:59.999Z', '2024-W52', '2024-12-23'],
    ['2024-12-30T00:00:00Z', '2025-W01', '2024-12-30'],
    ['2025-01-05T12:00:00Z', '2025-W01', '2024-12-30'],
    ['2025-12-29T00:00:00Z', '2026-W01', '2025-12-29'],
    ['2026-01-01T08:00:00Z', '2026-W01', '2025-12-29'],
    // Early January may belong to the previous year's week 52 or 53.
    ['2021-01-01T00:00:00Z', '2020-W53', '2020-12-28'],
    ['2021-01-03T23:00:00Z', '2020-W53', '2020-12-28'],
    ['2021-01-04T00:00:00Z', '2021-W01', '2021-01-04'],
    ['2026-12-31T00:00:00Z', '2026-W53', '2026-12-28'],
    ['2027-01-03T00:00:00Z', '2026-W53', '2026-12-28'],
    ['2027-01-04T00:00:00Z', '2027-W01', '2027-01-04'],
    ['2016-01-03T00:00:00Z', '2015-W53', '2015-12-28'],
  ])('puts %s in ISO week %s (starting Monday %s UTC)', (time, label, monday) => {
    const period = periodOf(at(time), 'week');
    expect(period.label).toBe(label);
    expect(period.start).toBe(at(monday));
    expect(period.end - period.start).toBe(7 * 86_400_000);
  });

  it.each([
    ['2026-11-01T00:00:00Z', '2026-11', '2026-11-01', '2026-12-01'],
    ['2026-11-30T23:59:59.999Z', '2026-11', '2026-11-01', '2026-12-01'],
    ['2026-12-31T23:59:59.999Z', '2026-12', '2026-12-01', '2027-01-01'],
    ['2027-01-01T00:00:00Z', '2027-01', '2027-01-01', '2027-02-01'],
    ['2028-02-29T12:00:00Z', '2028-02', '2028-02-01', '2028-03-01'],
  ])('puts %s in month %s', (time, label, start, end) => {
    expect(periodOf(at(time), 'month')).toEqual({ label, start: at(start), end: at(end) });
  });

  it('lists every period overlapping a half-open range', () => {
    const weeks = periodsBetween(at('2026-12-30'), at('2027-01-11'), 'week');
    expect(weeks.map((w) => w.label)).toEqual(['2026-W53', '2027-W01']);
    // `to` on a period boundary does not open the next period.
    expect(periodsBetween(at('2027-01-04'), at('2027-01-18'), 'week').map((w) => w.label)).toEqual([
      '2027-W01',
      '2027-W02',
    ]);
    const months = periodsBetween(at('2026-11-15'), at('2027-02-01'), 'month');
    expect(months.map((m) => m.label)).toEqual(['2026-11', '2026-12', '2027-01']);
  });

  it('refuses empty, inverted and absurdly long ranges', () => {
    expect(() => periodsBetween(5, 5, 'week')).toThrow(TrendRangeError);
    expect(() => periodsBetween(10, 5, 'month')).toThrow(TrendRangeError);
    expect(() => periodsBetween(Number.NaN, 5, 'month')).toThrow(TrendRangeError);
    expect(() => periodsBetween(0, at('2026-01-01'), 'week')).toThrow(`${MAX_BUCKETS} weeks`);
    expect(periodsBetween(at('2016-01-01'), at('2026-01-01'), 'week').length).toBeLessThan(
      MAX_BUCKETS,
    );
  });
});

describe('percentile (linear interpolation between closest ranks)', () => {
  it('interpolates like numpy', () => {
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(percentile([1, 2, 3, 4], 0.9)).toBeCloseTo(3.7, 10);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBeCloseTo(9.1, 10);
    expect(percentile([0, 10], 0.9)).toBe(9);
    expect(percentile([1, 2, 3], 0.5)).toBe(2);
    expect(percentile([7], 0.9)).toBe(7);
    expect(percentile([1, 2], 0)).toBe(1);
    expect(percentile([1, 2], 1)).toBe(2);
    expect(percentile([], 0.5)).toBeNaN();
  });

  it('selects the same quantiles as sorting would, duplicates included', () => {
    let state = 7;
    const random = (): number => {
      state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
      return state / 2_147_483_648;
    };
    for (let round = 0; round < 200; round++) {
      const n = 1 + Math.floor(random() * 300);
      const values = Array.from({ length: n }, () => Math.floor(random() * 50) / 4);
      const sorted = [...values].sort((a, b) => a - b);
      const stats = timeStats(values)!;
      const ms = (x: number) => Math.round(x * 1000) / 1000;
      expect(stats.p50).toBe(ms(percentile(sorted, 0.5)));
      expect(stats.p90).toBe(ms(percentile(sorted, 0.9)));
      expect(stats.count).toBe(n);
    }
  });

  it('leaves the input alone, rounds to the ms, and gives null for no values', () => {
    const values = [0.1, 0.2, 0.4];
    expect(timeStats(values)).toEqual({ count: 3, mean: 0.233, p50: 0.2, p90: 0.36 });
    expect(values).toEqual([0.1, 0.2, 0.4]);
    expect(timeStats([40, 10, 30, 20])).toEqual({ count: 4, mean: 25, p50: 25, p90: 37 });
    expect(timeStats([])).toBeNull();
  });
});

describe('bucketStats', () => {
  it('is all zeros and nulls without runs', () => {
    expect(bucketStats([])).toEqual({
      count: 0,
      notCompleted: { failed: 0, aborted: 0, error: 0 },
      detected: 0,
      undetected: 0,
      detectionRate: null,
      mttd: null,
      mttr: null,
      verdicts: { pass: 0, fail: 0, inconclusive: 0 },
      attainment: null,
      objectives: { met: 0, total: 0, rate: null },
    });
  });

  it('lowers the detection rate with undetected runs but keeps them out of MTTD', () => {
    const stats = bucketStats([
      entry({ ttd: 10 }),
      entry({ ttd: 20 }),
      entry({ detected: false, ttd: null, ttr: 90, verdict: 'fail' }),
      entry({ detected: false, ttd: null, ttr: null, verdict: 'fail' }),
    ]);
    expect(stats.detected).toBe(2);
    expect(stats.undetected).toBe(2);
    expect(stats.detectionRate).toBe(0.5);
    expect(stats.mttd).toEqual({ count: 2, mean: 15, p50: 15, p90: 19 });
    expect(stats.mttr).toEqual({ count: 3, mean: 70, p50: 60, p90: 84 });
  });

  it('leaves runs with unknown detection out of the detection rate', () => {
    const stats = bucketStats([
      entry(),
      entry({ detected: null, ttd: null }),
      entry({ detected: false, ttd: null }),
    ]);
    expect(stats.count).toBe(3);
    expect(stats.detectionRate).toBe(0.5);
    expect(stats.mttd?.count).toBe(1);
  });

  it('counts runs that did not complete apart, in no rate or time', () => {
    const stats = bucketStats([
      entry({ ttd: 10, ttr: 20 }),
      entry({ outcome: 'failed', detected: null, ttd: null, ttr: null, verdict: null }),
      entry({ outcome: 'aborted', detected: false, ttd: null, ttr: 5, verdict: 'fail' }),
      entry({ outcome: 'aborted', ttd: 1, ttr: 2 }),
      entry({ outcome: 'error', detected: null, ttd: null, ttr: null, verdict: null }),
    ]);
    expect(stats.count).toBe(1);
    expect(stats.notCompleted).toEqual({ failed: 1, aborted: 2, error: 1 });
    expect(stats.detectionRate).toBe(1);
    expect(stats.mttd).toEqual({ count: 1, mean: 10, p50: 10, p90: 10 });
    expect(stats.mttr).toEqual({ count: 1, mean: 20, p50: 20, p90: 20 });
    expect(stats.verdicts).toEqual({ pass: 1, fail: 0, inconclusive: 0 });
    expect(stats.objectives).toEqual({ met: 2, total: 2, rate: 1 });
  });

  it('computes attainment over pass and fail verdicts, and per objective', () => {
    const stats = bucketStats([
      entry({ verdict: 'pass', objectives: { met: 2, total: 2 } }),
      entry({ verdict: 'pass', objectives: { met: 1, total: 1 } }),
      entry({ verdict: 'fail', objectives: { met: 1, total: 2 } }),
      entry({ verdict: 'inconclusive', objectives: { met: 1, total: 1 } }),
      entry({ verdict: null, objectives: { met: 0, total: 0 } }),
    ]);
    expect(stats.verdicts).toEqual({ pass: 2, fail: 1, inconclusive: 1 });
    expect(stats.attainment).toBeCloseTo(2 / 3, 10);
    expect(stats.objectives).toEqual({ met: 5, total: 6, rate: 5 / 6 });
  });

  it('gives null attainment when every verdict is inconclusive', () => {
    const stats = bucketStats([
      entry({ verdict: 'inconclusive', objectives: { met: 0, total: 0 } }),
    ]);
    expect(stats.attainment).toBeNull();
    expect(stats.objectives.rate).toBeNull();
  });
});

describe('aggregate', () => {
  const from = at('2026-11-01');
  const to = at('2027-01-01');

  it('buckets runs by week per scenario, with an overall row and empty weeks', () => {
    const entries = [
      entry({ scenario: 'b', at: at('2026-11-16T00:00:00Z'), ttd: 10 }),
      entry({ scenario: 'b', at: at('2026-11-22T23:59:59Z'), ttd: 30 }),
      entry({ scenario: 'b', at: at('2026-11-23T00:00:00Z'), ttd: 50 }),
      entry({ scenario: 'a', at: at('2026-12-31T23:59:59Z'), detected: false, ttd: null }),
    ];
    const result = aggregate(entries, { from, to, bucket: 'week' });
    expect(trendsResultSchema.parse(result)).toEqual(result);
    expect(result).toMatchObject({ from, to, bucket: 'week', timezone: 'UTC' });
    expect(result.scenarios.map((s) => s.scenario)).toEqual(['a', 'b']);

    const b = result.scenarios[1]!;
    expect(b.buckets[0]).toMatchObject({ bucket: '2026-W44', start: at('2026-10-26') });
    expect(b.buckets.at(-1)).toMatchObject({ bucket: '2026-W53', end: at('2027-01-04') });
    const w47 = b.buckets.find((x) => x.bucket === '2026-W47')!;
    expect(w47.count).toBe(2);
    expect(w47.mttd).toEqual({ count: 2, mean: 20, p50: 20, p90: 28 });
    expect(b.buckets.find((x) => x.bucket === '2026-W48')!.mttd?.mean).toBe(50);
    expect(b.buckets.find((x) => x.bucket === '2026-W49')).toMatchObject({
      count: 0,
      mttd: null,
      detectionRate: null,
    });
    expect(b.overall.count).toBe(3);
    expect(b.overall.mttd).toEqual({ count: 3, mean: 30, p50: 30, p90: 46 });
    expect(b.buckets.reduce((n, x) => n + x.count, 0)).toBe(3);

    // Coverage: b is detected sometimes, a never.
    expect(result.coverage).toBe(0.5);
  });

  it('buckets by calendar month, and ignores runs outside [from, to)', () => {
    const entries = [
      entry({ at: from - 1 }),
      entry({ at: from }),
      entry({ at: at('2026-11-30T23:59:59.999Z') }),
      entry({ at: at('2026-12-01T00:00:00Z') }),
      entry({ at: to - 1 }),
      entry({ at: to }),
    ];
    const result = aggregate(entries, { from, to, bucket: 'month' });
    const [row] = result.scenarios;
    expect(row!.buckets.map((x) => [x.bucket, x.count])).toEqual([
      ['2026-11', 2],
      ['2026-12', 2],
    ]);
    expect(row!.overall.count).toBe(4);
  });

  it('reports the listed scenarios only, each even without runs', () => {
    const entries = [entry({ scenario: 'a' }), entry({ scenario: 'b' })];
    const result = aggregate(entries, {
      from: at('2026-03-01'),
      to: at('2026-04-01'),
      bucket: 'month',
      scenarios: ['c', 'a'],
    });
    expect(result.scenarios.map((s) => [s.scenario, s.overall.count])).toEqual([
      ['a', 1],
      ['c', 0],
    ]);
    expect(result.scenarios[1]!.buckets).toHaveLength(1);
    // c has no known detection rate, so coverage is over a alone.
    expect(result.coverage).toBe(1);
  });

  it('gives null coverage when no scenario has a known detection rate', () => {
    const result = aggregate([entry({ outcome: 'failed' })], {
      from: at('2026-03-01'),
      to: at('2026-04-01'),
      bucket: 'week',
    });
    expect(result.scenarios[0]!.overall.notCompleted.failed).toBe(1);
    expect(result.coverage).toBeNull();
    expect(aggregate([], { from, to, bucket: 'week' })).toMatchObject({
      scenarios: [],
      coverage: null,
    });
  });

  it('counts a day summary exactly like the entries it sums, inside the range only', () => {
    const day = Math.floor(at('2026-11-17') / 86_400_000);
    const entries = [
      entry({ scenario: 'a', at: at('2026-11-17T01:00:00Z'), ttd: 10, ttr: 100 }),
      entry({ scenario: 'a', at: at('2026-11-17T02:00:00Z'), detected: false, ttd: null }),
      entry({ scenario: 'a', at: at('2026-11-17T03:00:00Z'), outcome: 'aborted' }),
    ];
    const summary: DaySummary = {
      scenario: 'a',
      day,
      outcomes: {
        completed: {
          ...{ runs: 2, detected: 1, undetected: 1, pass: 2, fail: 0, inconclusive: 0 },
          ...{ met: 4, judged: 4, ttd: [10], ttr: [100, 60] },
        },
        aborted: {
          ...{ runs: 1, detected: 1, undetected: 0, pass: 1, fail: 0, inconclusive: 0 },
          ...{ met: 2, judged: 2, ttd: [30], ttr: [60] },
        },
      },
    };
    expect(aggregate([], { from, to, bucket: 'week' }, [summary])).toEqual(
      aggregate(entries, { from, to, bucket: 'week' }),
    );
    // A day only partly inside the range is not taken from its summary.
    const partial = { from: at('2026-11-17T02:00:00Z'), to, bucket: 'week' } as const;
    expect(aggregate([], partial, [summary]).scenarios).toEqual([]);
  });
});
