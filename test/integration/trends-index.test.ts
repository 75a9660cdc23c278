import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/run/types.js';
import { aggregate, TrendRangeError } from '../../src/trends/aggregate.js';
import { dayOf } from '../../src/trends/days.js';
import { trendEntry, type TrendEntry } from '../../src/trends/entry.js';
import { TrendIndex, trendKeys } from '../../src/trends/index-store.js';
import { trendsResultSchema } from '../../src/trends/schema.js';
import { startRedis, type RedisHandle } from '../support/index.js';

let server: RedisHandle;
let redis: Redis;
let index: TrendIndex;

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url);
  index = new TrendIndex(redis);
});

beforeEach(async () => {
  await redis.flushdb();
});

afterAll(async () => {
  redis?.disconnect();
  await server?.dispose();
});

const day = 86_400_000;
const at = (iso: string): number => Date.parse(`${iso}T12:00:00Z`);

interface RunSpec {
  id: string;
  scenario: string;
  createdAt: number;
  outcome?: 'completed' | 'failed' | 'aborted' | 'error';
  ttd?: number | null;
  ttr?: number | null;
  verdict?: 'pass' | 'fail';
  dryRun?: boolean;
}

function run(spec: RunSpec): RunRecord {
  const outcome = spec.outcome ?? 'completed';
  const ttd = spec.ttd === undefined ? 30 : spec.ttd;
  const ttr = spec.ttr === undefined ? 120 : spec.ttr;
  const verdict = spec.verdict ?? 'pass';
  return {
    schemaVersion: 1,
    id: spec.id,
    scenario: { metadata: { name: spec.scenario } } as RunRecord['scenario'],
    target: { context: '', namespace: 'shop' },
    options: { dryRun: spec.dryRun ?? false, allowMeshWide: false, onTargetBusy: 'wait' },
    createdBy: 'test',
    createdAt: spec.createdAt,
    updatedAt: spec.createdAt + 600_000,
    state: outcome,
    outcome,
    preflightFindings: [],
    result: {
      t0: spec.createdAt + 5_000,
      detection: {
        status: ttd === null ? 'undetected' : 'detected',
        timeToDetectMs: ttd === null ? undefined : ttd * 1000,
        collateral: [],
        preexisting: [],
      },
      recovery: {
        impact: 'impact',
        status: ttr === null ? 'not recovered' : 'recovered',
        timeToRecoverMs: ttr === null ? undefined : ttr * 1000,
      },
      timeToDetect: ttd,
      timeToRecover: ttr,
      verdict: {
        outcome: verdict,
        objectives: [
          {
            name: 'timeToDetect',
            targetMs: 60_000,
            outcome: verdict === 'pass' ? 'met' : 'missed',
            reason: '',
          },
        ],
      },
    },
    toolVersion: 'test',
  };
}

/** 3 scenarios over November and December 2026. */
const runs: RunRecord[] = [
  run({ id: 'a1', scenario: 'istiod-down', createdAt: at('2026-11-02'), ttd: 20, ttr: 100 }),
  run({ id: 'a2', scenario: 'istiod-down', createdAt: at('2026-11-03'), ttd: 40, ttr: 200 }),
  run({ id: 'a3', scenario: 'istiod-down', createdAt: at('2026-11-10'), ttd: null, ttr: null }),
  run({ id: 'a4', scenario: 'istiod-down', createdAt: at('2026-12-01'), outcome: 'aborted' }),
  run({ id: 'b1', scenario: 'cert-expiry', createdAt: at('2026-11-04'), ttd: null }),
  run({ id: 'b2', scenario: 'cert-expiry', createdAt: at('2026-12-15'), ttd: null }),
  run({ id: 'b3', scenario: 'cert-expiry', createdAt: at('2026-12-16'), outcome: 'error' }),
  run({ id: 'c1', scenario: 'deny-policy', createdAt: at('2026-10-31'), ttd: 5 }),
  run({ id: 'c2', scenario: 'deny-policy', createdAt: at('2026-11-20'), ttd: 15, verdict: 'fail' }),
  run({ id: 'c3', scenario: 'deny-policy', createdAt: at('2027-01-01'), ttd: 25 }),
];

async function recordAll(): Promise<void> {
  for (const record of runs) expect(await index.record(record)).toBeDefined();
}

describe('TrendIndex', () => {
  it('indexes finished runs under their scenario', async () => {
    await recordAll();
    expect(await index.scenarios()).toEqual(['cert-expiry', 'deny-policy', 'istiod-down']);
    expect(await redis.zrange(trendKeys.runs('istiod-down'), 0, -1)).toEqual([
      'a1',
      'a2',
      'a3',
      'a4',
    ]);
    expect(await redis.hlen(trendKeys.entries('cert-expiry'))).toBe(3);
  });

  it('skips dry runs and runs in progress', async () => {
    expect(
      await index.record(run({ id: 'd', scenario: 'x', createdAt: 1, dryRun: true })),
    ).toBeUndefined();
    const inProgress = { ...run({ id: 'p', scenario: 'x', createdAt: 1 }), state: 'observing' };
    expect(await index.record(inProgress as RunRecord)).toBeUndefined();
    expect(await redis.keys('gameday:v1:trends:*')).toEqual([]);
  });

  it('aggregates by month over every scenario, from the index alone', async () => {
    await recordAll();
    // Trend queries never read run records: there are none in this Redis.
    expect(await redis.keys('gameday:v1:run:*')).toEqual([]);
    const result = await index.query({
      from: Date.parse('2026-11-01T00:00:00Z'),
      to: Date.parse('2027-01-01T00:00:00Z'),
      bucket: 'month',
    });
    expect(trendsResultSchema.parse(result)).toEqual(result);
    expect(result.scenarios.map((s) => s.scenario)).toEqual([
      'cert-expiry',
      'deny-policy',
      'istiod-down',
    ]);
    const [cert, deny, istiod] = result.scenarios;

    expect(istiod!.overall).toMatchObject({
      count: 3,
      notCompleted: { failed: 0, aborted: 1, error: 0 },
      detected: 2,
      undetected: 1,
      mttd: { count: 2, mean: 30, p50: 30, p90: 38 },
      mttr: { count: 2, mean: 150, p50: 150, p90: 190 },
    });
    expect(istiod!.overall.detectionRate).toBeCloseTo(2 / 3, 10);
    expect(istiod!.buckets.map((b) => [b.bucket, b.count, b.notCompleted.aborted])).toEqual([
      ['2026-11', 3, 0],
      ['2026-12', 0, 1],
    ]);

    expect(cert!.overall).toMatchObject({ count: 2, detectionRate: 0, mttd: null });
    expect(cert!.overall.notCompleted.error).toBe(1);

    // c1 (October) and c3 (January) are outside the range.
    expect(deny!.overall).toMatchObject({
      count: 1,
      mttd: { count: 1, mean: 15 },
      attainment: 0,
      verdicts: { pass: 0, fail: 1, inconclusive: 0 },
    });

    // istiod-down and deny-policy are detected, cert-expiry never.
    expect(result.coverage).toBeCloseTo(2 / 3, 10);
  });

  it('queries one scenario by week, range ends exclusive', async () => {
    await recordAll();
    const result = await index.query({
      scenarios: ['istiod-down'],
      from: at('2026-11-02'),
      to: at('2026-11-10'),
      bucket: 'week',
      timezone: 'UTC',
    });
    expect(result.scenarios).toHaveLength(1);
    const [row] = result.scenarios;
    expect(row!.overall.count).toBe(2);
    expect(row!.buckets.map((b) => [b.bucket, b.count])).toEqual([
      ['2026-W45', 2],
      ['2026-W46', 0],
    ]);
    expect(result.coverage).toBe(1);
  });

  it('reports a requested scenario without runs, and an empty index', async () => {
    const empty = await index.query({ from: 0, to: day, bucket: 'week' });
    expect(empty).toMatchObject({ scenarios: [], coverage: null });
    await recordAll();
    const result = await index.query({
      scenarios: ['never-ran', 'deny-policy'],
      from: at('2026-11-01'),
      to: at('2026-12-01'),
      bucket: 'month',
    });
    expect(result.scenarios.map((s) => [s.scenario, s.overall.count])).toEqual([
      ['deny-policy', 1],
      ['never-ran', 0],
    ]);
  });

  it('is idempotent: recording a run again changes nothing', async () => {
    await recordAll();
    const query = { from: at('2026-10-01'), to: at('2027-02-01'), bucket: 'month' } as const;
    const before = await index.query(query);
    await recordAll();
    await index.record(runs[0]!);
    expect(await redis.zcard(trendKeys.runs('istiod-down'))).toBe(4);
    expect(await redis.hlen(trendKeys.entries('istiod-down'))).toBe(4);
    expect(await index.query(query)).toEqual(before);
  });

  it('reads entries in chunks and skips unreadable ones', async () => {
    const many = Array.from({ length: 2_500 }, (_, i) =>
      run({ id: `m${i}`, scenario: 'bulk', createdAt: at('2026-06-01') + i * 1_000, ttd: i % 10 }),
    );
    await index.recordEntries(many.map((record) => trendEntry(record)!));
    await redis.hset(trendKeys.entries('bulk'), 'm0', 'garbage');
    await redis.hdel(trendKeys.entries('bulk'), 'm1');
    // From noon: the runs are all on the partial first day, read entry by entry.
    const partial = await index.query({
      scenarios: ['bulk'],
      from: at('2026-06-01'),
      to: at('2026-07-01'),
      bucket: 'month',
    });
    expect(partial.scenarios[0]!.overall.count).toBe(2_498);
    // Whole days come from the day summary, rebuilt from the entries.
    await index.rebuildDays(['bulk']);
    const whole = await index.query({
      scenarios: ['bulk'],
      from: Date.parse('2026-06-01T00:00:00Z'),
      to: Date.parse('2026-07-01T00:00:00Z'),
      bucket: 'month',
    });
    expect(whole.scenarios[0]!.overall).toEqual(partial.scenarios[0]!.overall);
  });

  it('reads a day from its entries when its summary is unreadable', async () => {
    await recordAll();
    const query = {
      from: Date.parse('2026-11-01T00:00:00Z'),
      to: Date.parse('2027-01-01T00:00:00Z'),
      bucket: 'week',
    } as const;
    const before = await index.query(query);
    await redis.hset(trendKeys.days('istiod-down'), String(dayOf(at('2026-11-02'))), '[99]');
    expect(await index.query(query)).toEqual(before);
  });

  it('gives the same figures from day summaries as from the entries themselves', async () => {
    let state = 42;
    const random = (): number => {
      state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
      return state / 2_147_483_648;
    };
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const start = Date.parse('2026-01-01T00:00:00Z');
    const entries: TrendEntry[] = Array.from({ length: 3_000 }, (_, i) => {
      const detected = pick([true, false, null]);
      const total = pick([0, 1, 2]);
      return {
        runId: `r${i}`,
        scenario: pick(['s1', 's2', 's3']),
        at: start + Math.floor(random() * 120 * day),
        outcome: pick(['completed', 'completed', 'completed', 'failed', 'aborted', 'error']),
        detected,
        ttd: detected ? Math.round(random() * 300_000) / 1000 : null,
        ttr: pick([null, Math.round(random() * 900_000) / 1000, 0.1 + 0.2]),
        objectives: { met: Math.min(total, pick([0, 1, 2])), total },
        verdict: pick(['pass', 'fail', 'inconclusive', null]),
      };
    });
    for (let i = 0; i < entries.length; i += 500) {
      await index.recordEntries(entries.slice(i, i + 500));
    }
    for (const query of [
      { from: start, to: start + 120 * day, bucket: 'week' },
      { from: start + 12_345_678, to: start + 90 * day + 1_234, bucket: 'month' },
      { from: start + 3 * day + 5, to: start + 3 * day + 50_000_000, bucket: 'week' },
    ] as const) {
      const fast = await index.query(query);
      const direct = aggregate(entries, { ...query, scenarios: ['s1', 's2', 's3'] });
      expect(fast).toEqual(direct);
    }
  });

  it('refuses a bad range or time zone before reading', async () => {
    await expect(index.query({ from: 10, to: 10, bucket: 'week' })).rejects.toThrow(
      TrendRangeError,
    );
    await expect(
      index.query({ from: 0, to: 10, bucket: 'week', timezone: 'Europe/Paris' as 'UTC' }),
    ).rejects.toThrow(TrendRangeError);
  });
});
