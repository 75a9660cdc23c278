/**
 * Trend figures from run entries (SPEC §6 "across runs", §7): pure, no I/O.
 *
 * Choices, so the numbers mean one thing:
 * - A run belongs to the period of its creation time (`createdAt`), cut in UTC. Ranges are
 *   half-open: `from` inclusive, `to` exclusive.
 * - Only `completed` runs count: `count`, detection rate, MTTD, MTTR, verdicts and attainment
 *   are over completed runs. Failed, aborted and error runs are reported as `notCompleted`
 *   (their measurement, if any, is partial: an aborted run's missing alert says little).
 * - detection rate = detected / (detected + undetected); completed runs whose detection is
 *   unknown (no source could be read) are left out rather than counted as misses. Undetected
 *   runs lower the rate and have no time to detect, so they do not enter MTTD.
 * - MTTD is over detected runs' time to detect; MTTR over recovered runs' time to recover
 *   (from t0). Runs with no traffic impact have no time to recover and are not in MTTR.
 * - Percentiles interpolate linearly between closest ranks (numpy's default, `linear`):
 *   p of sorted x[0..n-1] is x[h] at h = (n − 1)·p, interpolated between floor(h) and ceil(h).
 * - Attainment = pass / (pass + fail); inconclusive runs are left out. `objectives.rate` counts
 *   per objective: met / judged (objectives with an unknown outcome are left out).
 * - Times are seconds, rounded to the millisecond. Empty sets give null, never 0 or NaN.
 * - coverage = scenarios with detection rate > 0 / scenarios whose detection rate is known,
 *   over the whole range.
 */
import { DAY_MS, type DaySummary, type OutcomeFigures } from './days.js';
import type { TrendEntry } from './entry.js';
import type { FinalState } from '../run/lifecycle.js';
import type {
  BucketStats,
  ScenarioTrend,
  TimeStats,
  TrendBucket,
  TrendBucketStats,
  TrendsResult,
} from './schema.js';

const WEEK_MS = 7 * DAY_MS;

/** More buckets than this (ten years of weeks) is a query mistake, not a chart. */
export const MAX_BUCKETS = 530;

export class TrendRangeError extends RangeError {
  override name = 'TrendRangeError';
}

export interface Period {
  /** `2026-W47` or `2026-11`. */
  label: string;
  /** ms since the epoch, inclusive. */
  start: number;
  /** ms since the epoch, exclusive. */
  end: number;
}

/** Start of the period containing `at`: Monday 00:00 UTC, or the 1st of the month 00:00 UTC. */
export function periodStart(at: number, bucket: TrendBucket): number {
  const date = new Date(at);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  if (bucket === 'month') return Date.UTC(year, month, 1);
  const daysSinceMonday = (date.getUTCDay() + 6) % 7;
  return Date.UTC(year, month, date.getUTCDate()) - daysSinceMonday * DAY_MS;
}

function periodEnd(start: number, bucket: TrendBucket): number {
  if (bucket === 'week') return start + WEEK_MS;
  const date = new Date(start);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/**
 * The label of the period starting at `start`. ISO weeks belong to the year of their Thursday,
 * so 2024-12-30 (a Monday) starts `2025-W01` and 2021-01-01 is in `2020-W53`.
 */
export function periodLabel(start: number, bucket: TrendBucket): string {
  const date = new Date(start);
  if (bucket === 'month') return `${date.getUTCFullYear()}-${pad2(date.getUTCMonth() + 1)}`;
  const thursday = start + 3 * DAY_MS;
  const year = new Date(thursday).getUTCFullYear();
  const week = Math.floor((thursday - Date.UTC(year, 0, 1)) / WEEK_MS) + 1;
  return `${year}-W${pad2(week)}`;
}

/** The period containing `at`. */
export function periodOf(at: number, bucket: TrendBucket): Period {
  const start = periodStart(at, bucket);
  return { label: periodLabel(start, bucket), start, end: periodEnd(start, bucket) };
}

/** Every period overlapping [from, to), oldest first. */
export function periodsBetween(from: number, to: number, bucket: TrendBucket): Period[] {
  if (!Number.isFinite(from) || !Number.isFinite(to) || !(to > from)) {
    throw new TrendRangeError('the range must have `to` after `from`');
  }
  const periods: Period[] = [];
  for (let start = periodStart(from, bucket); start < to; start = periodEnd(start, bucket)) {
    if (periods.length >= MAX_BUCKETS) {
      throw new TrendRangeError(`the range spans more than ${MAX_BUCKETS} ${bucket}s`);
    }
    periods.push({ label: periodLabel(start, bucket), start, end: periodEnd(start, bucket) });
  }
  return periods;
}

/** The p-quantile (0 ≤ p ≤ 1) of ascending `sorted`, interpolating linearly; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * Math.min(1, Math.max(0, p));
  const lo = Math.floor(h);
  const below = sorted[lo]!;
  if (lo === h || lo + 1 >= n) return below;
  return below + (h - lo) * (sorted[lo + 1]! - below);
}

/** Puts the k-th smallest of a[lo..hi] at index k, smaller ones before it, larger after. */
function select(a: Float64Array, k: number): void {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    // Median of three as pivot, then Hoare partition.
    const mid = (lo + hi) >> 1;
    const x = a[lo]!;
    const y = a[mid]!;
    const z = a[hi]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

/**
 * The p-quantile of unsorted `values` (reordered in place), by the same linear interpolation as
 * {@link percentile}, in linear time: quickselect instead of a sort.
 */
function quantile(values: Float64Array, p: number): number {
  const n = values.length;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  select(values, lo);
  const below = values[lo]!;
  if (lo === h || lo + 1 >= n) return below;
  let above = Number.POSITIVE_INFINITY;
  for (let i = lo + 1; i < n; i++) if (values[i]! < above) above = values[i]!;
  return below + (h - lo) * (above - below);
}

/**
 * Seconds rounded to the millisecond, the precision runs are measured with: also hides the
 * floating-point noise of summing in a different order (summaries vs entries).
 */
const toMs = (seconds: number): number => Math.round(seconds * 1000) / 1000;

/** Mean, p50, p90 of `values` in seconds, rounded to the ms; null when empty. */
export function timeStats(values: ArrayLike<number>): TimeStats | null {
  return values.length === 0 ? null : statsOf(Float64Array.from(values));
}

/** {@link timeStats} of a scratch copy it may reorder. */
function statsOf(values: Float64Array): TimeStats | null {
  if (values.length === 0) return null;
  let sum = 0;
  for (const v of values) sum += v;
  return {
    count: values.length,
    mean: toMs(sum / values.length),
    p50: toMs(quantile(values, 0.5)),
    p90: toMs(quantile(values, 0.9)),
  };
}

/** Times collected one by one (entries) or as whole arrays (day summaries, never copied). */
class Samples {
  readonly single: number[] = [];
  readonly chunks: (readonly number[])[] = [];
  length = 0;

  push(value: number): void {
    this.single.push(value);
    this.length += 1;
  }

  pushAll(values: readonly number[]): void {
    if (values.length === 0) return;
    this.chunks.push(values);
    this.length += values.length;
  }

  /** Adopts another's samples (without copying them). */
  absorb(other: Samples): void {
    this.pushAll(other.single);
    for (const chunk of other.chunks) this.pushAll(chunk);
  }

  stats(): TimeStats | null {
    const out = new Float64Array(this.length);
    out.set(this.single);
    let offset = this.single.length;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return statsOf(out);
  }
}

class Accumulator {
  count = 0;
  failed = 0;
  aborted = 0;
  error = 0;
  detected = 0;
  undetected = 0;
  readonly ttd = new Samples();
  readonly ttr = new Samples();
  pass = 0;
  fail = 0;
  inconclusive = 0;
  met = 0;
  judged = 0;

  /** The policy: what each final state contributes. */
  #notCompleted(outcome: Exclude<FinalState, 'completed'>, runs: number): void {
    this[outcome] += runs;
  }

  add(entry: TrendFacts): void {
    if (entry.outcome !== 'completed') return this.#notCompleted(entry.outcome, 1);
    this.count += 1;
    if (entry.detected === true) {
      this.detected += 1;
      if (entry.ttd !== null) this.ttd.push(entry.ttd);
    } else if (entry.detected === false) this.undetected += 1;
    if (entry.ttr !== null) this.ttr.push(entry.ttr);
    if (entry.verdict === 'pass') this.pass += 1;
    else if (entry.verdict === 'fail') this.fail += 1;
    else if (entry.verdict === 'inconclusive') this.inconclusive += 1;
    this.met += entry.objectives.met;
    this.judged += entry.objectives.total;
  }

  /** Adds a day summary's figures: the same as adding each of its entries. */
  merge(outcomes: DaySummary['outcomes']): void {
    for (const [outcome, figures] of Object.entries(outcomes) as Array<
      [FinalState, OutcomeFigures]
    >) {
      if (outcome !== 'completed') {
        this.#notCompleted(outcome, figures.runs);
        continue;
      }
      this.count += figures.runs;
      this.detected += figures.detected;
      this.undetected += figures.undetected;
      this.ttd.pushAll(figures.ttd);
      this.ttr.pushAll(figures.ttr);
      this.pass += figures.pass;
      this.fail += figures.fail;
      this.inconclusive += figures.inconclusive;
      this.met += figures.met;
      this.judged += figures.judged;
    }
  }

  /** Adds everything another accumulator holds (the overall row is the sum of its buckets). */
  absorb(other: Accumulator): void {
    this.count += other.count;
    this.failed += other.failed;
    this.aborted += other.aborted;
    this.error += other.error;
    this.detected += other.detected;
    this.undetected += other.undetected;
    this.ttd.absorb(other.ttd);
    this.ttr.absorb(other.ttr);
    this.pass += other.pass;
    this.fail += other.fail;
    this.inconclusive += other.inconclusive;
    this.met += other.met;
    this.judged += other.judged;
  }

  stats(): BucketStats {
    return {
      count: this.count,
      notCompleted: { failed: this.failed, aborted: this.aborted, error: this.error },
      detected: this.detected,
      undetected: this.undetected,
      detectionRate: ratio(this.detected, this.detected + this.undetected),
      mttd: this.ttd.stats(),
      mttr: this.ttr.stats(),
      verdicts: { pass: this.pass, fail: this.fail, inconclusive: this.inconclusive },
      attainment: ratio(this.pass, this.pass + this.fail),
      objectives: { met: this.met, total: this.judged, rate: ratio(this.met, this.judged) },
    };
  }
}

function ratio(numerator: number, denominator: number): number | null {
  return denominator === 0 ? null : numerator / denominator;
}

/** What aggregation reads of an entry: all but the run id. */
export type TrendFacts = Omit<TrendEntry, 'runId'>;

/** Figures over `entries` regardless of time: the same rules as a bucket. */
export function bucketStats(entries: Iterable<TrendFacts>): BucketStats {
  const acc = new Accumulator();
  for (const entry of entries) acc.add(entry);
  return acc.stats();
}

export interface AggregateOptions {
  from: number;
  to: number;
  bucket: TrendBucket;
  /**
   * The scenarios to report, each with a row even without runs; entries of other scenarios are
   * ignored. Absent: every scenario that has an entry.
   */
  scenarios?: readonly string[];
}

/** Index of the last period starting at or before `at` (periods ascending, `at` in range). */
function periodIndex(starts: Float64Array, at: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Trends by scenario and period over [from, to), from run entries and, for whole days, day
 * summaries (the index's fast path; see days.ts). Entries and days outside the range are
 * ignored; a run must be given once, as an entry or within a summary.
 */
export function aggregate(
  entries: Iterable<TrendFacts>,
  options: AggregateOptions,
  days: Iterable<DaySummary> = [],
): TrendsResult {
  const { from, to, bucket } = options;
  const periods = periodsBetween(from, to, bucket);
  const starts = Float64Array.from(periods, (p) => p.start);
  // Per scenario, one accumulator per period; the overall row is their sum.
  const rows = new Map<string, Accumulator[]>();
  const row = (scenario: string) => {
    let buckets = rows.get(scenario);
    if (!buckets) rows.set(scenario, (buckets = periods.map(() => new Accumulator())));
    return buckets;
  };
  for (const scenario of options.scenarios ?? []) row(scenario);
  const onlyListed = options.scenarios !== undefined;

  for (const entry of entries) {
    if (!(entry.at >= from && entry.at < to)) continue;
    if (onlyListed && !rows.has(entry.scenario)) continue;
    row(entry.scenario)[periodIndex(starts, entry.at)]!.add(entry);
  }
  for (const summary of days) {
    const start = summary.day * DAY_MS;
    if (!(start >= from && start + DAY_MS <= to)) continue;
    if (onlyListed && !rows.has(summary.scenario)) continue;
    row(summary.scenario)[periodIndex(starts, start)]!.merge(summary.outcomes);
  }

  const scenarios: ScenarioTrend[] = [...rows.keys()].sort().map((scenario) => {
    const buckets = rows.get(scenario)!;
    const overall = new Accumulator();
    for (const acc of buckets) overall.absorb(acc);
    return {
      scenario,
      overall: overall.stats(),
      buckets: buckets.map((acc, i): TrendBucketStats => ({
        bucket: periods[i]!.label,
        start: periods[i]!.start,
        end: periods[i]!.end,
        ...acc.stats(),
      })),
    };
  });
  const known = scenarios.filter((s) => s.overall.detectionRate !== null);
  const covered = known.filter((s) => s.overall.detectionRate! > 0);
  return {
    from,
    to,
    bucket,
    timezone: 'UTC',
    scenarios,
    coverage: ratio(covered.length, known.length),
  };
}
