/**
 * Trend query benchmark: seeds synthetic finished runs into a real Redis (started like the tests
 * start it) and times trend queries against the index.
 *
 *   npx tsx bench/trends.ts                 # 10,000 runs
 *   npx tsx bench/trends.ts --runs 100000   # 100,000 runs
 *   options: --scenarios 8 --queries 50 --warmup 2 --seed 1
 *
 * Writes reports/bench/trends.json (see bench/index.ts, `npm run bench`).
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { startRedis } from '../lab/services/index.js';
import { FINAL_STATES } from '../src/run/lifecycle.js';
import type { RunRecord } from '../src/run/types.js';
import { trendEntry, type TrendEntry } from '../src/trends/entry.js';
import { TrendIndex, type TrendQuery } from '../src/trends/index-store.js';
import { seededRandom } from '../test/support/seeded-random.js';
import { machine, writeResult, type Figure } from './support/common.js';

const DAY_MS = 86_400_000;
const YEAR_MS = 365 * DAY_MS;
/** Fixed, so every run of the benchmark sees the same data. */
const END = Date.parse('2027-01-01T00:00:00Z');
const START = END - YEAR_MS;
const SEED_BATCH = 1_000;

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '10000' },
    scenarios: { type: 'string', default: '8' },
    queries: { type: 'string', default: '50' },
    warmup: { type: 'string', default: '2' },
    seed: { type: 'string', default: '1' },
    /** Accepted for bench/index.ts; the run count decides the size. */
    quick: { type: 'boolean', default: false },
  },
});
const RUNS = positiveInt('runs', args.runs);
const SCENARIOS = positiveInt('scenarios', args.scenarios);
const QUERIES = positiveInt('queries', args.queries);
const WARMUP = Number(args.warmup);

function positiveInt(name: string, text: string): number {
  const value = Number(text.replaceAll('_', ''));
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`--${name} must be a positive integer`);
  return value;
}

const random = seededRandom(Number(args.seed));
const scenarioNames = Array.from({ length: SCENARIOS }, (_, i) => `scenario-${i + 1}`);

/** A finished run record with realistic-looking measurements (only what trends read). */
function syntheticRun(i: number): RunRecord {
  const createdAt = START + Math.floor(random() * YEAR_MS);
  const scenario = scenarioNames[i % SCENARIOS]!;
  const roll = random();
  const outcome = roll < 0.85 ? 'completed' : FINAL_STATES[1 + Math.floor(random() * 3)]!;
  const detected = random() < 0.8;
  // Measured in ms, reported in seconds: three decimals, as the engine stores them.
  const ttd = detected ? Math.round(10_000 + random() * 170_000) / 1000 : null;
  const recovered = random() < 0.9;
  const ttr = recovered ? Math.round(30_000 + random() * 600_000) / 1000 : null;
  const met = (ttd !== null && ttd <= 120 ? 1 : 0) + (ttr !== null && ttr <= 300 ? 1 : 0);
  const t0 = createdAt + 20_000;
  return {
    schemaVersion: 1,
    id: `${new Date(createdAt).toISOString()}-${i.toString(16).padStart(8, '0')}`,
    scenario: { metadata: { name: scenario } } as RunRecord['scenario'],
    target: { context: '', namespace: 'bench' },
    options: { dryRun: false, allowMeshWide: false, onTargetBusy: 'wait' },
    createdBy: 'bench',
    createdAt,
    updatedAt: createdAt + 900_000,
    state: outcome,
    outcome,
    preflightFindings: [],
    result: {
      t0,
      detection: {
        status: detected ? 'detected' : 'undetected',
        timeToDetectMs: ttd === null ? undefined : ttd * 1000,
        collateral: [],
        preexisting: [],
      },
      recovery: {
        impact: 'impact',
        status: recovered ? 'recovered' : 'not recovered',
        timeToRecoverMs: ttr === null ? undefined : ttr * 1000,
      },
      timeToDetect: ttd,
      timeToRecover: ttr,
      verdict: {
        outcome: met === 2 ? 'pass' : 'fail',
        objectives: [
          {
            name: 'timeToDetect',
            targetMs: 120_000,
            outcome: met > 0 ? 'met' : 'missed',
            reason: '',
          },
          {
            name: 'timeToRecover',
            targetMs: 300_000,
            outcome: met === 2 ? 'met' : 'missed',
            reason: '',
          },
        ],
      },
    },
    toolVersion: 'bench',
  };
}

interface Timing {
  p50: number;
  p95: number;
  max: number;
}

/** Nearest-rank percentiles of the samples (ms). */
function summarize(samples: number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
  return { p50: rank(0.5), p95: rank(0.95), max: sorted.at(-1)! };
}

async function time(
  index: TrendIndex,
  queries: TrendQuery[],
): Promise<{ timing: Timing; runs: number }> {
  for (let i = 0; i < WARMUP; i++) await index.query(queries[i % queries.length]!);
  const samples: number[] = [];
  let runs = 0;
  for (const query of queries) {
    const started = performance.now();
    const result = await index.query(query);
    samples.push(performance.now() - started);
    runs = result.scenarios.reduce(
      (n, s) =>
        n +
        s.overall.count +
        s.overall.notCompleted.failed +
        s.overall.notCompleted.aborted +
        s.overall.notCompleted.error,
      runs,
    );
  }
  return { timing: summarize(samples), runs: Math.round(runs / queries.length) };
}

const ms = (n: number) => `${n.toFixed(1)} ms`;

async function main(): Promise<void> {
  const benchStarted = Date.now();
  const m = machine();
  const figures: Figure[] = [];
  const details: Record<string, unknown> = { runs: RUNS, scenarios: SCENARIOS, queries: QUERIES };
  const cpu = os.cpus()[0];
  console.log(
    `machine: ${cpu?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ` +
      `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, ` +
      `${os.platform()} ${os.release()}, load average ${os.loadavg()[0]!.toFixed(2)}`,
  );
  const server = await startRedis();
  const redis = new Redis(server.url);
  try {
    const info = await redis.info('server');
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? '?';
    console.log(`redis ${version} (${server.backend}) at ${server.url}`);
    m.redis = version;
    const index = new TrendIndex(redis);

    // ---- seed ----
    const seedStarted = performance.now();
    let batch: TrendEntry[] = [];
    for (let i = 0; i < RUNS; i++) {
      batch.push(trendEntry(syntheticRun(i))!);
      if (batch.length === SEED_BATCH) {
        await index.recordEntries(batch);
        batch = [];
      }
    }
    await index.recordEntries(batch);
    const seedMs = performance.now() - seedStarted;
    const memory = /used_memory_human:(\S+)/.exec(await redis.info('memory'))?.[1] ?? '?';
    console.log(
      `seeded ${RUNS.toLocaleString('en')} runs across ${SCENARIOS} scenarios over a year ` +
        `in ${ms(seedMs)} (batches of ${SEED_BATCH}; redis used_memory ${memory})`,
    );
    details['seedMs'] = seedMs;
    details['redisUsedMemory'] = memory;

    // ---- query ----
    const yearly: TrendQuery[] = Array.from({ length: QUERIES }, () => ({
      from: START,
      to: END,
      bucket: 'week',
    }));
    const quarterly: TrendQuery[] = Array.from({ length: QUERIES }, (_, i) => {
      const from = Date.UTC(2026, (i % 4) * 3, 1);
      return {
        scenarios: [scenarioNames[i % SCENARIOS]!],
        from,
        to: Date.UTC(2026, (i % 4) * 3 + 3, 1),
        bucket: 'week',
      };
    });
    for (const [name, queries] of [
      ['all scenarios, a year, weekly buckets', yearly],
      ['one scenario, a quarter, weekly buckets', quarterly],
    ] as const) {
      const { timing, runs } = await time(index, queries);
      console.log(
        `${name}: ${queries.length} queries (~${runs.toLocaleString('en')} runs each, ` +
          `${WARMUP} warm-up): p50 ${ms(timing.p50)}, p95 ${ms(timing.p95)}, max ${ms(timing.max)}`,
      );
      const yearlyQuery = queries === yearly;
      figures.push({
        item: '13',
        what: `trends query over ${RUNS.toLocaleString('en')} runs: ${name}`,
        target: yearlyQuery && RUNS >= 100_000 ? 'p95 ≤ 100 ms' : 'report',
        measured: `p50 ${ms(timing.p50)}, p95 ${ms(timing.p95)}, max ${ms(timing.max)}`,
        ...(yearlyQuery && RUNS >= 100_000 && { met: timing.p95 <= 100 }),
      });
      details[name] = { ...timing, runsPerQuery: runs };
    }
    writeResult({
      name: 'trends',
      date: new Date().toISOString(),
      quick: Boolean(args.quick),
      machine: m,
      durationMs: Date.now() - benchStarted,
      figures,
      details,
    });
  } finally {
    redis.disconnect();
    await server.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
