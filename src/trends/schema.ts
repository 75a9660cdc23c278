/**
 * The shape of trend queries and results (`GET /api/v1/trends`, SPEC §7). The API generates its
 * OpenAPI description from these schemas, so every field carries a description.
 */
import { z } from 'zod';

export const TREND_BUCKETS = ['week', 'month'] as const;
export type TrendBucket = (typeof TREND_BUCKETS)[number];

const count = (description: string) => z.number().int().nonnegative().meta({ description });
const ratio = (description: string) => z.number().min(0).max(1).nullable().meta({ description });

export const timeStatsSchema = z
  .object({
    count: count('How many runs the figures are computed over.'),
    mean: z.number().meta({ description: 'Mean, in seconds (MTTD or MTTR).' }),
    p50: z.number().meta({ description: 'Median, in seconds (linear interpolation).' }),
    p90: z.number().meta({
      description: '90th percentile, in seconds (linear interpolation between closest ranks).',
    }),
  })
  .meta({ id: 'TrendTimeStats', description: 'Mean and percentiles of per-run times.' });

export const bucketStatsSchema = z
  .object({
    count: count('Completed runs. Only these feed the rates and times below.'),
    notCompleted: z
      .object({
        failed: count('Runs that ended failed (e.g. refused by preflight, revert unverified).'),
        aborted: count('Runs that were aborted or halted.'),
        error: count('Runs that ended in an internal error.'),
      })
      .meta({ description: 'Runs that did not complete, by final state; not in any rate.' }),
    detected: count('Completed runs in which an expected alert fired.'),
    undetected: count('Completed runs in which no expected alert fired within the timeout.'),
    detectionRate: ratio(
      'detected / (detected + undetected): completed runs with unknown detection are left out. ' +
        'null when there are none.',
    ),
    mttd: timeStatsSchema
      .nullable()
      .meta({ description: 'Time to detect over detected runs; null when none was detected.' }),
    mttr: timeStatsSchema.nullable().meta({
      description: 'Time to recover (from t0) over recovered runs; null when none recovered.',
    }),
    verdicts: z
      .object({
        pass: count('Completed runs whose verdict is pass.'),
        fail: count('Completed runs whose verdict is fail.'),
        inconclusive: count('Completed runs whose verdict is inconclusive.'),
      })
      .meta({ description: 'Verdicts against the scenario objectives.' }),
    attainment: ratio(
      'Objective attainment: pass / (pass + fail); inconclusive runs are left out. null when none.',
    ),
    objectives: z
      .object({
        met: count('Objectives met, over completed runs.'),
        total: count('Objectives judged (met or missed; unknown ones are left out).'),
        rate: ratio('met / total; null when no objective was judged.'),
      })
      .meta({ description: 'Attainment counted per objective rather than per run.' }),
  })
  .meta({ id: 'TrendBucketStats', description: 'Figures over a set of runs of one scenario.' });

export const trendBucketSchema = bucketStatsSchema
  .extend({
    bucket: z.string().meta({
      description: 'ISO week (`2026-W47`, weeks start Monday 00:00 UTC) or month (`2026-11`).',
    }),
    start: z.number().int().meta({ description: 'Bucket start, ms since the epoch (inclusive).' }),
    end: z.number().int().meta({ description: 'Bucket end, ms since the epoch (exclusive).' }),
  })
  .meta({
    id: 'TrendBucket',
    description:
      'One period. The first and last buckets may extend beyond the queried range; only runs ' +
      'inside the range are counted.',
  });

export const scenarioTrendSchema = z
  .object({
    scenario: z.string().meta({ description: 'Scenario name (`metadata.name`).' }),
    overall: bucketStatsSchema.meta({ description: 'Figures over the whole queried range.' }),
    buckets: z.array(trendBucketSchema).meta({
      description: 'Every period overlapping the range, oldest first, empty ones included.',
    }),
  })
  .meta({ id: 'ScenarioTrend', description: 'Trends of one scenario.' });

export const trendsResultSchema = z
  .object({
    from: z.number().int().meta({ description: 'Range start, ms since the epoch (inclusive).' }),
    to: z.number().int().meta({ description: 'Range end, ms since the epoch (exclusive).' }),
    bucket: z.enum(TREND_BUCKETS).meta({ description: 'Period of the buckets.' }),
    timezone: z.literal('UTC').meta({ description: 'Time zone the periods are cut in.' }),
    scenarios: z
      .array(scenarioTrendSchema)
      .meta({ description: 'One entry per scenario, sorted by name.' }),
    coverage: ratio(
      'Detection coverage: share of scenarios with a detection rate above 0 over the range, ' +
        'among scenarios whose detection rate is known. null when none is known.',
    ),
  })
  .meta({
    id: 'TrendsResult',
    description:
      'MTTD / MTTR, detection rate and objective attainment by scenario and period (runs are ' +
      'placed by creation time; dry runs are not counted).',
  });

export const trendsQuerySchema = z
  .object({
    scenarios: z
      .array(z.string().min(1))
      .optional()
      .meta({ description: 'Scenario names; all scenarios that ever ran when absent.' }),
    from: z.number().int().meta({ description: 'Range start, ms since the epoch (inclusive).' }),
    to: z.number().int().meta({ description: 'Range end, ms since the epoch (exclusive).' }),
    bucket: z.enum(TREND_BUCKETS).meta({ description: 'Period of the buckets.' }),
    timezone: z
      .literal('UTC')
      .optional()
      .meta({ description: 'Time zone the periods are cut in; only UTC is supported.' }),
  })
  .refine((query) => query.to > query.from, {
    message: '`to` must be after `from`',
    path: ['to'],
  })
  .meta({ id: 'TrendsQuery', description: 'Which runs to aggregate, and by which period.' });

export type TimeStats = z.infer<typeof timeStatsSchema>;
export type BucketStats = z.infer<typeof bucketStatsSchema>;
export type TrendBucketStats = z.infer<typeof trendBucketSchema>;
export type ScenarioTrend = z.infer<typeof scenarioTrendSchema>;
export type TrendsResult = z.infer<typeof trendsResultSchema>;
export type TrendsQuery = z.infer<typeof trendsQuerySchema>;
