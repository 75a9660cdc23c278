// Trends across runs (SPEC §6 "across runs", §7): MTTD / MTTR, detection rate and objective
// attainment by scenario and period, from a compact per-run index in Redis.
export {
  aggregate,
  bucketStats,
  MAX_BUCKETS,
  percentile,
  periodLabel,
  periodOf,
  periodsBetween,
  periodStart,
  timeStats,
  TrendRangeError,
  type AggregateOptions,
  type Period,
  type TrendFacts,
} from './aggregate.js';
export { DAY_MS, dayOf, decodeDaySummary, type DaySummary, type OutcomeFigures } from './days.js';
export { decodeEntry, encodeEntry, OUTCOME_CODES, trendEntry, type TrendEntry } from './entry.js';
export { TrendIndex, trendKeys, type TrendQuery } from './index-store.js';
export {
  bucketStatsSchema,
  scenarioTrendSchema,
  timeStatsSchema,
  TREND_BUCKETS,
  trendBucketSchema,
  trendsQuerySchema,
  trendsResultSchema,
  type BucketStats,
  type ScenarioTrend,
  type TimeStats,
  type TrendBucket,
  type TrendBucketStats,
  type TrendsQuery,
  type TrendsResult,
} from './schema.js';
