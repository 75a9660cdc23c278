import type { Queue } from 'bullmq';
import { Counter, Gauge, type Metric, type Registry } from 'prom-client';
import type { Logger } from './logger.js';
import type { Redis } from './redis.js';
import { keys } from './run/keys.js';
import { mayHoldFault, type RunState } from './run/lifecycle.js';
import { BUCKET_LABELS, FIELD_SEPARATOR, metricsKeys } from './run/metrics-store.js';

/** The job states shown by `gameday_queue_depth`. */
export const QUEUE_DEPTH_STATES = ['waiting', 'delayed', 'active', 'prioritized'] as const;

/**
 * Every metric family {@link registerRunMetrics} adds, by name and type. The dashboard test
 * checks the dashboard's queries against this list.
 */
export const RUN_METRIC_FAMILIES = {
  gameday_runs_total: 'counter',
  gameday_time_to_detect_seconds: 'histogram',
  gameday_time_to_recover_seconds: 'histogram',
  gameday_active_faults: 'gauge',
  gameday_revert_failures_total: 'counter',
  gameday_queue_depth: 'gauge',
  gameday_halted: 'gauge',
  gameday_metrics_scrape_errors_total: 'counter',
} as const;

export interface RunMetricsDependencies {
  redis: Redis;
  queue: Pick<Queue, 'getJobCounts'>;
  logger?: Logger;
}

/** The families read from Redis or the queue at scrape time (all but the error counter). */
const SCRAPED_FAMILIES = Object.keys(RUN_METRIC_FAMILIES).filter(
  (name) => name !== 'gameday_metrics_scrape_errors_total',
);

/** How many run records one MGET reads when counting active faults. */
const MGET_CHUNK = 500;

/**
 * Adds the run metrics of SPEC §8 to `registry`. Nothing is kept in this process: every scrape
 * reads Redis, where the workers write their increments (src/run/metrics-store.ts) and where the
 * run records, the halt flag and the queue live. So the API's `/metrics` is the fleet-wide view
 * whichever workers are alive.
 *
 * Each family reads on its own. When a read fails, that family is exposed without samples for
 * this scrape (its series go missing rather than stale), `gameday_metrics_scrape_errors_total`
 * counts the failure by family, and every other family is scraped as usual.
 */
export function registerRunMetrics(registry: Registry, deps: RunMetricsDependencies): void {
  const { redis, queue, logger } = deps;

  /** Failed reads since start, by family; exposed by the last family registered below. */
  const failures = new Map<string, number>();
  /** The reads of the scrapes under way, so the error counter can wait for them. */
  const inflight = new Set<Promise<unknown>>();

  /** Families whose last read failed: logged once when they start failing, once on recovery. */
  const failing = new Set<string>();

  /** Runs `read`; on failure counts and logs it and returns undefined. */
  function attempt<T>(family: string, read: () => Promise<T>): Promise<T | undefined> {
    const reading = (async () => {
      try {
        const value = await read();
        if (failing.delete(family)) logger?.info({ family }, 'metric family readable again');
        return value;
      } catch (err) {
        failures.set(family, (failures.get(family) ?? 0) + 1);
        if (!failing.has(family)) {
          failing.add(family);
          logger?.warn({ err, family }, 'could not read a metric family for /metrics');
        }
        return undefined;
      }
    })();
    inflight.add(reading);
    void reading.finally(() => inflight.delete(reading));
    return reading;
  }

  new Counter({
    name: 'gameday_runs_total',
    help: 'Finished runs (dry runs excluded), by scenario and outcome.',
    labelNames: ['scenario', 'outcome'],
    registers: [registry],
    async collect() {
      const counts = await attempt('gameday_runs_total', () => redis.hgetall(metricsKeys.runs));
      this.reset();
      for (const [key, value] of Object.entries(counts ?? {})) {
        const [scenario, outcome] = key.split(FIELD_SEPARATOR);
        if (scenario === undefined || outcome === undefined) continue;
        this.inc({ scenario, outcome }, nonNegative(value));
      }
    },
  });

  new Counter({
    name: 'gameday_revert_failures_total',
    help: 'Reverts that failed, leaving the fault possibly in place, by scenario.',
    labelNames: ['scenario'],
    registers: [registry],
    async collect() {
      const counts = await attempt('gameday_revert_failures_total', () =>
        redis.hgetall(metricsKeys.revertFailures),
      );
      this.reset();
      for (const [scenario, value] of Object.entries(counts ?? {})) {
        this.inc({ scenario }, nonNegative(value));
      }
    },
  });

  for (const [name, key, what] of [
    ['gameday_time_to_detect_seconds', metricsKeys.timeToDetect, 'detect'],
    ['gameday_time_to_recover_seconds', metricsKeys.timeToRecover, 'recover'],
  ] as const) {
    registerHistogram(
      registry,
      new StoredHistogram(
        name,
        `Time to ${what} of finished runs, in seconds from the inject (t0), by scenario; runs without a measured time to ${what} are not observed.`,
        () => attempt(name, () => redis.hgetall(key)),
      ),
    );
  }

  new Gauge({
    name: 'gameday_active_faults',
    help: 'Runs whose fault may be in the mesh now: active runs in state injecting, observing or reverting.',
    registers: [registry],
    async collect() {
      const count = await attempt('gameday_active_faults', () => countActiveFaults(redis));
      this.reset();
      if (count !== undefined) this.set(count);
      else this.remove(); // reset() of a gauge without labels leaves a 0: drop it
    },
  });

  new Gauge({
    name: 'gameday_queue_depth',
    help: 'Jobs in the runs queue, by state.',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const counts = await attempt('gameday_queue_depth', () =>
        queue.getJobCounts(...QUEUE_DEPTH_STATES),
      );
      this.reset();
      if (counts === undefined) return;
      for (const state of QUEUE_DEPTH_STATES) this.set({ state }, counts[state] ?? 0);
    },
  });

  new Gauge({
    name: 'gameday_halted',
    help: '1 while the kill switch is set (no run may inject), else 0.',
    registers: [registry],
    async collect() {
      const exists = await attempt('gameday_halted', () => redis.exists(keys.halt));
      this.reset();
      if (exists !== undefined) this.set(exists > 0 ? 1 : 0);
      else this.remove(); // no sample rather than a false "not halted"
    },
  });

  // Registered last: the registry starts every family's collection, in registration order,
  // before awaiting any, so by now this scrape's reads are all in flight and the count includes
  // the failures of this very scrape.
  new Counter({
    name: 'gameday_metrics_scrape_errors_total',
    help: 'Reads of Redis or the queue that failed while serving /metrics, by metric family; that family had no samples in the failed scrape.',
    labelNames: ['family'],
    registers: [registry],
    async collect() {
      await Promise.allSettled([...inflight]);
      this.reset();
      for (const family of SCRAPED_FAMILIES) this.inc({ family }, failures.get(family) ?? 0);
    },
  });
}

/** Active runs whose stored state may hold a fault in the cluster. */
async function countActiveFaults(redis: Redis): Promise<number> {
  const ids = await redis.smembers(keys.active);
  let count = 0;
  for (let i = 0; i < ids.length; i += MGET_CHUNK) {
    const texts = await redis.mget(ids.slice(i, i + MGET_CHUNK).map((id) => keys.run(id)));
    for (const text of texts) {
      const state = text === null ? undefined : stateOf(text);
      if (state !== undefined && mayHoldFault(state)) count++;
    }
  }
  return count;
}

function stateOf(text: string): RunState | undefined {
  try {
    const record = JSON.parse(text) as { state?: unknown };
    return typeof record.state === 'string' ? (record.state as RunState) : undefined;
  } catch {
    return undefined; // a record being rewritten or corrupt is not counted
  }
}

function nonNegative(text: string): number {
  const value = Number(text);
  return Number.isFinite(value) && value > 0 ? value : 0;
}

interface HistogramSample {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

/**
 * A histogram whose buckets, sum and count are stored elsewhere (a Redis hash in the
 * {@link RunMetricsStore} layout) and read at scrape time. prom-client's Histogram can only be
 * fed observations, so this implements the part of prom-client's metric contract the registry
 * uses: `name`, `help`, `type`, `aggregator`, `get()` and `reset()`.
 */
export class StoredHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    /** The stored hash, or undefined when it could not be read. */
    private readonly read: () => Promise<Record<string, string> | undefined>,
  ) {}

  async get(): Promise<{
    name: string;
    help: string;
    type: 'histogram';
    aggregator: 'sum';
    values: HistogramSample[];
  }> {
    const hash = (await this.read()) ?? {};
    const byScenario = new Map<string, Map<string, number>>();
    for (const [key, text] of Object.entries(hash)) {
      const at = key.lastIndexOf(FIELD_SEPARATOR);
      if (at <= 0) continue;
      const scenario = key.slice(0, at);
      let fields = byScenario.get(scenario);
      if (!fields) byScenario.set(scenario, (fields = new Map()));
      fields.set(key.slice(at + 1), Number(text));
    }
    const values: HistogramSample[] = [];
    for (const scenario of [...byScenario.keys()].sort()) {
      const fields = byScenario.get(scenario)!;
      const count = finiteOrZero(fields.get('count'));
      // Bucket counts are stored cumulative; clamping keeps them monotonic and ending at count
      // even if a hash was edited by hand.
      let previous = 0;
      for (const le of BUCKET_LABELS) {
        const stored = le === '+Inf' ? count : finiteOrZero(fields.get(le));
        previous = Math.min(count, Math.max(previous, stored));
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { le, scenario },
          value: previous,
        });
      }
      values.push({
        metricName: `${this.name}_sum`,
        labels: { scenario },
        value: finiteOrZero(fields.get('sum')),
      });
      values.push({ metricName: `${this.name}_count`, labels: { scenario }, value: count });
    }
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values,
    };
  }

  /** Nothing is held here; `Registry.resetMetrics()` calls this. */
  reset(): void {}
}

function finiteOrZero(value: number | undefined): number {
  return value !== undefined && Number.isFinite(value) ? value : 0;
}

/**
 * `Registry.registerMetric` is typed for prom-client's own classes; at run time it only needs the
 * contract {@link StoredHistogram} implements.
 */
function registerHistogram(registry: Registry, histogram: StoredHistogram): void {
  registry.registerMetric(histogram as unknown as Metric);
}
