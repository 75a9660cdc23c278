import type { Logger } from '../logger.js';
import type { Redis } from '../redis.js';
import type { EngineMetrics } from './engine.js';
import type { RunRecord } from './types.js';

/**
 * Fleet-wide run metrics (SPEC §8), kept in Redis rather than in a worker's memory: workers come
 * and go, and any of them may finish a run, so each one adds its increments here and the API
 * exposes the totals at scrape time (src/metrics-collectors.ts). One scrape target then shows the
 * whole fleet, and the counters survive restarts of every process.
 *
 * Layout (all hashes, field parts separated by a tab, which a scenario name cannot hold):
 * - `runs`             `<scenario>\t<outcome>`                 → finished runs
 * - `ttd`, `ttr`       `<scenario>\t<le>` (cumulative buckets), `<scenario>\tsum`, `<scenario>\tcount`
 * - `revert-failures`  `<scenario>`                            → failed reverts
 */
export const metricsKeys = {
  runs: 'gameday:v1:metrics:runs',
  timeToDetect: 'gameday:v1:metrics:ttd',
  timeToRecover: 'gameday:v1:metrics:ttr',
  revertFailures: 'gameday:v1:metrics:revert-failures',
} as const;

/**
 * Upper bounds (seconds) of the time-to-detect and time-to-recover histograms, `+Inf` excluded.
 * Changing them leaves the stored counts of the old bounds behind: bump the key version instead.
 */
export const DURATION_BUCKETS = [1, 5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600] as const;

/** The `le` label values, in order, ending with `+Inf`. */
export const BUCKET_LABELS: readonly string[] = [...DURATION_BUCKETS.map(String), '+Inf'];

export const FIELD_SEPARATOR = '\t';

export function field(...parts: string[]): string {
  return parts.join(FIELD_SEPARATOR);
}

export class RunMetricsStore {
  constructor(private readonly redis: Redis) {}

  /**
   * Counts a finished run, and its time to detect and time to recover when measured. Dry runs
   * are left out, as in the trends index: they never touch the mesh. The record is read before
   * the first await, so the caller may go on changing it.
   */
  async recordFinished(record: RunRecord): Promise<void> {
    if (record.options.dryRun) return;
    const scenario = record.scenario.metadata.name;
    const outcome = record.outcome ?? record.state;
    const tx = this.redis.multi().hincrby(metricsKeys.runs, field(scenario, outcome), 1);
    observe(tx, metricsKeys.timeToDetect, scenario, record.result.timeToDetect);
    observe(tx, metricsKeys.timeToRecover, scenario, record.result.timeToRecover);
    await execOrThrow(tx);
  }

  /** Counts a revert that failed: the fault may still be in the mesh. */
  async recordRevertFailure(record: RunRecord): Promise<void> {
    await this.redis.hincrby(metricsKeys.revertFailures, record.scenario.metadata.name, 1);
  }
}

type Multi = ReturnType<Redis['multi']>;

/** Adds one histogram observation: every bucket whose bound holds it, then sum and count. */
function observe(tx: Multi, key: string, scenario: string, seconds: number | null | undefined) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return;
  // A duration below zero (clock skew between tool and Prometheus) counts as zero.
  const value = Math.max(0, seconds);
  for (const bound of DURATION_BUCKETS) {
    if (value <= bound) tx.hincrby(key, field(scenario, String(bound)), 1);
  }
  tx.hincrby(key, field(scenario, '+Inf'), 1);
  tx.hincrbyfloat(key, field(scenario, 'sum'), value);
  tx.hincrby(key, field(scenario, 'count'), 1);
}

async function execOrThrow(tx: Multi): Promise<void> {
  const results = await tx.exec();
  if (results === null) throw new Error('the metrics transaction was discarded');
  for (const [err] of results) {
    if (err) throw err;
  }
}

/**
 * The engine's hooks, writing to {@link RunMetricsStore}. The hooks are synchronous: the write
 * runs in the background and a failure is only logged, so a Redis hiccup never fails a run.
 * `faultActive` is left out on purpose: the active-faults gauge is derived at scrape time from
 * the states of the active runs, which stays right when a worker dies with a fault in place.
 */
export function engineMetrics(store: RunMetricsStore, logger: Logger): EngineMetrics {
  const failed = (what: string, record: RunRecord) => (err: unknown) => {
    logger.warn({ err, runId: record.id }, `could not record ${what} in the run metrics`);
  };
  return {
    runFinished(record) {
      store.recordFinished(record).catch(failed('the finished run', record));
    },
    revertFailed(record) {
      store.recordRevertFailure(record).catch(failed('the failed revert', record));
    },
  };
}
