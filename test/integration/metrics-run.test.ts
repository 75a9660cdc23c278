import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { registerRunMetrics, RUN_METRIC_FAMILIES } from '../../src/metrics-collectors.js';
import { QUEUE_PREFIX, RUNS_QUEUE } from '../../src/queue.js';
import { keys } from '../../src/run/keys.js';
import type { FinalState, RunState } from '../../src/run/lifecycle.js';
import { engineMetrics, metricsKeys, RunMetricsStore } from '../../src/run/metrics-store.js';
import type { RunRecord } from '../../src/run/types.js';
import { startRedis, waitFor, type RedisHandle } from '../support/index.js';

let server: RedisHandle;
let redis: Redis;
let queue: Queue;
let store: RunMetricsStore;

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url);
  queue = new Queue(RUNS_QUEUE, { connection: { url: server.url }, prefix: QUEUE_PREFIX });
  store = new RunMetricsStore(redis);
});

beforeEach(async () => {
  await redis.flushdb();
});

afterAll(async () => {
  await queue?.close();
  redis?.disconnect();
  await server?.dispose();
});

let sequence = 0;

function run(
  scenario: string,
  outcome: FinalState,
  result: { ttd?: number | null; ttr?: number | null; dryRun?: boolean } = {},
): RunRecord {
  return {
    id: `run-${++sequence}`,
    scenario: { metadata: { name: scenario } },
    options: { dryRun: result.dryRun ?? false, allowMeshWide: false, onTargetBusy: 'wait' },
    state: outcome,
    outcome,
    result: { timeToDetect: result.ttd ?? null, timeToRecover: result.ttr ?? null },
  } as unknown as RunRecord;
}

async function putActiveRun(id: string, state: RunState): Promise<void> {
  await redis
    .multi()
    .set(keys.run(id), JSON.stringify({ schemaVersion: 1, id, state }))
    .sadd(keys.active, id)
    .exec();
}

function scrapeRegistry(queueForMetrics: Pick<Queue, 'getJobCounts'> = queue): Registry {
  const registry = new Registry();
  registerRunMetrics(registry, {
    redis,
    queue: queueForMetrics,
    logger: pino({ level: 'silent' }),
  });
  return registry;
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Exposition {
  types: Map<string, string>;
  samples: Sample[];
}

/** A strict reader of the Prometheus text format 0.0.4, as prom-client writes it. */
function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
  const labelPair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/y;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const help = /^# HELP (\S+) .+$/.exec(line);
    if (help) {
      helps.add(help[1]!);
      continue;
    }
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      expect(types.has(type[1]!), `TYPE of ${type[1]} given twice`).toBe(false);
      types.set(type[1]!, type[2]!);
      continue;
    }
    const match = sampleLine.exec(line);
    expect(match, `not a sample line: ${line}`).not.toBeNull();
    const [, name, labelText = '', valueText] = match!;
    const labels: Record<string, string> = {};
    labelPair.lastIndex = 0;
    while (labelPair.lastIndex < labelText.length) {
      const pair = labelPair.exec(labelText);
      expect(pair, `bad labels in: ${line}`).not.toBeNull();
      labels[pair![1]!] = pair![2]!;
    }
    const value = valueText === '+Inf' ? Infinity : Number(valueText);
    expect(Number.isNaN(value), `bad value in: ${line}`).toBe(false);
    const family = familyOf(name!, types);
    expect(family, `sample ${name} before its TYPE`).toBeDefined();
    expect(helps.has(family!), `no HELP for ${family}`).toBe(true);
    samples.push({ name: name!, labels, value });
  }
  return { types, samples };
}

function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return types.get(base) === 'histogram' ? base : undefined;
}

function valueOf(exposition: Exposition, name: string, labels: Record<string, string> = {}) {
  const found = exposition.samples.filter(
    (s) =>
      s.name === name &&
      Object.keys(s.labels).length === Object.keys(labels).length &&
      Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  expect(found, `${name}${JSON.stringify(labels)}`).toHaveLength(1);
  return found[0]!.value;
}

/** Every histogram: buckets cumulative, in increasing `le`, ending with +Inf equal to _count. */
function checkHistograms(exposition: Exposition): void {
  for (const [family, type] of exposition.types) {
    if (type !== 'histogram') continue;
    const series = new Map<string, Sample[]>();
    for (const sample of exposition.samples.filter((s) => s.name === `${family}_bucket`)) {
      const { le, ...rest } = sample.labels;
      expect(le).toBeDefined();
      const id = JSON.stringify(rest);
      series.set(id, [...(series.get(id) ?? []), sample]);
    }
    for (const [id, buckets] of series) {
      const bounds = buckets.map((b) => (b.labels.le === '+Inf' ? Infinity : Number(b.labels.le)));
      expect(bounds.at(-1), `${family}${id} ends with +Inf`).toBe(Infinity);
      for (let i = 1; i < buckets.length; i++) {
        expect(bounds[i]!).toBeGreaterThan(bounds[i - 1]!);
        expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
      }
      const labels = JSON.parse(id) as Record<string, string>;
      expect(buckets.at(-1)!.value).toBe(valueOf(exposition, `${family}_count`, labels));
      valueOf(exposition, `${family}_sum`, labels);
    }
  }
}

describe('run metrics in Redis, exposed at scrape time', () => {
  it('exposes counters, histograms, active faults, queue depth and the halt flag', async () => {
    await store.recordFinished(run('bad-deny-policy', 'completed', { ttd: 42.5, ttr: 130 }));
    await store.recordFinished(run('bad-deny-policy', 'completed', { ttd: 3, ttr: null }));
    await store.recordFinished(run('bad-deny-policy', 'failed', { ttd: null, ttr: 700 }));
    await store.recordFinished(run('port-block', 'completed', { ttd: 0.4, ttr: 5 }));
    await store.recordFinished(run('port-block', 'error'));
    await store.recordFinished(run('port-block', 'completed', { ttd: 1, ttr: 2, dryRun: true }));
    await store.recordRevertFailure(run('port-block', 'error'));
    await redis.set(keys.halt, JSON.stringify({ by: 'admin', reason: 'test' }));
    await queue.add('run', { runId: 'w1' });
    await queue.add('run', { runId: 'w2' });
    await queue.add('run', { runId: 'd1' }, { delay: 3_600_000 });
    await queue.add('run', { runId: 'p1' }, { priority: 5 });
    await putActiveRun('a1', 'injecting');
    await putActiveRun('a2', 'observing');
    await putActiveRun('a3', 'queued');
    await putActiveRun('a4', 'reverting');
    await redis.sadd(keys.active, 'gone'); // record already deleted: not counted
    await redis.set(keys.run('bad'), '{not json');
    await redis.sadd(keys.active, 'bad');

    const registry = scrapeRegistry();
    const text = await registry.metrics();
    const lines = text.split('\n');
    const exposition = parseExposition(text);

    for (const [name, type] of Object.entries(RUN_METRIC_FAMILIES)) {
      expect(exposition.types.get(name), name).toBe(type);
    }
    expect(lines).toContain('gameday_runs_total{scenario="bad-deny-policy",outcome="completed"} 2');
    expect(lines).toContain('gameday_runs_total{scenario="bad-deny-policy",outcome="failed"} 1');
    expect(lines).toContain('gameday_runs_total{scenario="port-block",outcome="completed"} 1');
    expect(lines).toContain('gameday_runs_total{scenario="port-block",outcome="error"} 1');
    expect(exposition.samples.filter((s) => s.name === 'gameday_runs_total')).toHaveLength(4);
    expect(lines).toContain('gameday_revert_failures_total{scenario="port-block"} 1');

    const ttd = 'gameday_time_to_detect_seconds';
    const ttdBuckets = (scenario: string) =>
      exposition.samples
        .filter((s) => s.name === `${ttd}_bucket` && s.labels.scenario === scenario)
        .map((s) => [s.labels.le, s.value]);
    expect(ttdBuckets('bad-deny-policy')).toEqual([
      ['1', 0],
      ['5', 1],
      ['10', 1],
      ['30', 1],
      ['60', 2],
      ['120', 2],
      ['300', 2],
      ['600', 2],
      ['900', 2],
      ['1800', 2],
      ['3600', 2],
      ['+Inf', 2],
    ]);
    expect(lines).toContain(`${ttd}_sum{scenario="bad-deny-policy"} 45.5`);
    expect(lines).toContain(`${ttd}_count{scenario="bad-deny-policy"} 2`);
    expect(lines).toContain(`${ttd}_bucket{le="1",scenario="port-block"} 1`);
    expect(lines).toContain(`${ttd}_sum{scenario="port-block"} 0.4`);
    expect(lines).toContain(`${ttd}_count{scenario="port-block"} 1`);

    const ttr = 'gameday_time_to_recover_seconds';
    expect(lines).toContain(`${ttr}_bucket{le="120",scenario="bad-deny-policy"} 0`);
    expect(lines).toContain(`${ttr}_bucket{le="300",scenario="bad-deny-policy"} 1`);
    expect(lines).toContain(`${ttr}_bucket{le="600",scenario="bad-deny-policy"} 1`);
    expect(lines).toContain(`${ttr}_bucket{le="900",scenario="bad-deny-policy"} 2`);
    expect(lines).toContain(`${ttr}_bucket{le="+Inf",scenario="bad-deny-policy"} 2`);
    expect(lines).toContain(`${ttr}_sum{scenario="bad-deny-policy"} 830`);
    expect(lines).toContain(`${ttr}_count{scenario="bad-deny-policy"} 2`);
    expect(lines).toContain(`${ttr}_bucket{le="1",scenario="port-block"} 0`);
    expect(lines).toContain(`${ttr}_bucket{le="5",scenario="port-block"} 1`);
    expect(lines).toContain(`${ttr}_count{scenario="port-block"} 1`);
    checkHistograms(exposition);

    expect(lines).toContain('gameday_active_faults 3');
    expect(lines).toContain('gameday_queue_depth{state="waiting"} 2');
    expect(lines).toContain('gameday_queue_depth{state="delayed"} 1');
    expect(lines).toContain('gameday_queue_depth{state="active"} 0');
    expect(lines).toContain('gameday_queue_depth{state="prioritized"} 1');
    expect(lines).toContain('gameday_halted 1');
    const scrapeErrors = exposition.samples.filter(
      (s) => s.name === 'gameday_metrics_scrape_errors_total',
    );
    expect(scrapeErrors).toHaveLength(Object.keys(RUN_METRIC_FAMILIES).length - 1);
    expect(scrapeErrors.every((s) => s.value === 0)).toBe(true);

    // The JSON view agrees, and a second scrape does not double anything.
    const json = await registry.getMetricsAsJSON();
    expect(json.find((m) => m.name === 'gameday_runs_total')?.values).toHaveLength(4);
    expect(parseExposition(await registry.metrics()).samples).toEqual(exposition.samples);

    if (existsSync('/usr/bin/promtool')) {
      const lint = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: text });
      expect(lint.status, `${String(lint.stdout)}${String(lint.stderr)}`).toBe(0);
    }
  });

  it('shows zeros and no series before anything happened', async () => {
    const exposition = parseExposition(await scrapeRegistry().metrics());
    expect(valueOf(exposition, 'gameday_halted')).toBe(0);
    expect(valueOf(exposition, 'gameday_active_faults')).toBe(0);
    expect(valueOf(exposition, 'gameday_queue_depth', { state: 'waiting' })).toBe(0);
    expect(exposition.samples.filter((s) => s.name.startsWith('gameday_runs_total'))).toEqual([]);
    expect(exposition.samples.filter((s) => s.name.startsWith('gameday_time_to'))).toEqual([]);
  });

  it('keeps scraping the other families when one read fails', async () => {
    await store.recordFinished(run('port-block', 'completed', { ttd: 2, ttr: 4 }));
    await redis.set(metricsKeys.revertFailures, 'not a hash'); // HGETALL fails: WRONGTYPE
    await redis.set(keys.halt, '1');
    await redis.set(keys.active, 'not a set'); // SMEMBERS fails: WRONGTYPE
    const brokenQueue = { getJobCounts: () => Promise.reject(new Error('queue down')) };
    const registry = scrapeRegistry(brokenQueue as unknown as Queue);
    const exposition = parseExposition(await registry.metrics());

    expect(
      valueOf(exposition, 'gameday_runs_total', { scenario: 'port-block', outcome: 'completed' }),
    ).toBe(1);
    expect(
      valueOf(exposition, 'gameday_time_to_detect_seconds_count', { scenario: 'port-block' }),
    ).toBe(1);
    expect(valueOf(exposition, 'gameday_halted')).toBe(1);
    expect(exposition.samples.filter((s) => s.name === 'gameday_queue_depth')).toEqual([]);
    // A gauge without labels has no sample at all, not a misleading 0.
    expect(exposition.samples.filter((s) => s.name === 'gameday_active_faults')).toEqual([]);
    expect(exposition.types.get('gameday_active_faults')).toBe('gauge');
    expect(exposition.samples.filter((s) => s.name === 'gameday_revert_failures_total')).toEqual(
      [],
    );
    expect(
      valueOf(exposition, 'gameday_metrics_scrape_errors_total', { family: 'gameday_queue_depth' }),
    ).toBe(1);
    expect(
      valueOf(exposition, 'gameday_metrics_scrape_errors_total', {
        family: 'gameday_revert_failures_total',
      }),
    ).toBe(1);
    expect(
      valueOf(exposition, 'gameday_metrics_scrape_errors_total', { family: 'gameday_halted' }),
    ).toBe(0);
    // The error counter keeps counting across scrapes.
    const again = parseExposition(await registry.metrics());
    expect(
      valueOf(again, 'gameday_metrics_scrape_errors_total', { family: 'gameday_queue_depth' }),
    ).toBe(2);
  });

  it('is fed by the engine hooks without blocking the run', async () => {
    const hooks = engineMetrics(store, pino({ level: 'silent' }));
    expect(hooks.faultActive).toBeUndefined();
    hooks.runFinished?.(run('istiod-oom', 'completed', { ttd: 12, ttr: 50 }));
    hooks.revertFailed?.(run('istiod-oom', 'error'));
    await waitFor(
      async () => (await redis.hget(metricsKeys.revertFailures, 'istiod-oom')) === '1',
      {
        description: 'the failed revert counted',
      },
    );
    await waitFor(
      async () => (await redis.hget(metricsKeys.runs, 'istiod-oom\tcompleted')) === '1',
      {
        description: 'the finished run counted',
      },
    );
    const lines = (await scrapeRegistry().metrics()).split('\n');
    expect(lines).toContain(
      'gameday_time_to_detect_seconds_bucket{le="30",scenario="istiod-oom"} 1',
    );
    expect(lines).toContain('gameday_time_to_recover_seconds_sum{scenario="istiod-oom"} 50');
  });
});
