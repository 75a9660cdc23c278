/**
 * Request and response shapes of the API, defined once with zod: the routes validate with them
 * and the OpenAPI document is generated from them.
 */
import { z } from 'zod';
import { RESPONDER_EVENT_TYPES } from '../src/run/types.js';
import { RUN_STATES } from '../src/run/lifecycle.js';
import { runOverridesSchema } from '../src/run/overrides.js';
import { schedule } from '../src/scenario/primitives.js';

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const createRunBody = z.strictObject({
  scenario: z
    .union(
      [
        z.string().regex(NAME, 'expected a catalogue scenario name'),
        z.record(z.string(), z.unknown()),
      ],
      {
        error: 'expected a catalogue scenario name or an inline Scenario document',
      },
    )
    .meta({ description: 'A catalogue scenario name, or an inline Scenario document.' }),
  overrides: runOverridesSchema.optional().meta({
    description: 'Changes to the scenario for this run only (target, timings, objectives).',
  }),
  dryRun: z.boolean().default(false).meta({ description: 'Render the writes, send none.' }),
  allowMeshWide: z
    .boolean()
    .default(false)
    .meta({ description: 'Consent to faults that break the whole mesh.' }),
  onTargetBusy: z
    .enum(['wait', 'refuse'])
    .default('wait')
    .meta({ description: 'When another run holds the target: wait for it, or be refused.' }),
});

export const createGameDayBody = z.strictObject({
  gameday: z.union(
    [
      z.string().regex(NAME, 'expected a catalogue GameDay name'),
      z.record(z.string(), z.unknown()),
    ],
    {
      error: 'expected a catalogue GameDay name or an inline GameDay document',
    },
  ),
  dryRun: z.boolean().default(false),
  allowMeshWide: z.boolean().default(false),
});

const epochOrDate = z
  .string()
  .transform((text, ctx) => {
    const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: 'custom', message: 'expected an RFC 3339 time or epoch milliseconds' });
      return z.NEVER;
    }
    return ms;
  })
  .meta({ description: 'RFC 3339 time (2026-11-22T10:00:00Z) or epoch milliseconds.' });

export const listRunsQuery = z.strictObject({
  scenario: z.string().regex(NAME, 'expected a scenario name').optional(),
  state: z
    .string()
    .transform((text) => text.split(',').map((s) => s.trim()))
    .pipe(z.array(z.enum(RUN_STATES)))
    .optional()
    .meta({ description: 'Comma-separated states, e.g. completed,failed.' }),
  from: epochOrDate.optional(),
  to: epochOrDate.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional().meta({ description: 'nextCursor of the previous page.' }),
});

export const abortBody = z.strictObject({
  reason: z.string().min(1).max(500).default('aborted through the API'),
});

export const responderEventBody = z.strictObject({
  type: z.enum(RESPONDER_EVENT_TYPES),
  author: z
    .string()
    .min(1)
    .max(100)
    .meta({ description: 'The participant, as named in the GameDay.' }),
  text: z.string().max(5_000).optional(),
});

export const haltBody = z.strictObject({
  reason: z.string().min(1).max(500),
});

export const auditQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce
    .number()
    .int()
    .min(0)
    .max(10_000)
    .default(0)
    .meta({ description: 'Entries to skip, newest first.' }),
});

export const auditEntrySchema = z
  .looseObject({
    at: z.string(),
    actor: z.string(),
    role: z.string().optional(),
    action: z.string(),
    requestId: z.string().optional(),
  })
  .meta({ id: 'AuditEntry', description: 'One API write: who, what, when, and its details.' });

export const runIdParams = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'expected a run id'),
});

export const reportQuery = z.strictObject({
  format: z.enum(['json', 'md', 'html', 'junit']).default('json'),
});

export const runSummary = z.object({
  id: z.string(),
  scenario: z.string(),
  parentId: z.string().optional(),
  target: z.object({ context: z.string(), namespace: z.string() }),
  state: z.enum(RUN_STATES),
  summary: z.string().optional(),
  createdAt: z.string().meta({ description: 'RFC 3339' }),
  updatedAt: z.string(),
  createdBy: z.string(),
  dryRun: z.boolean(),
  timeToDetect: z
    .number()
    .nullable()
    .meta({ description: 'Seconds; null when not detected (yet).' }),
  timeToRecover: z.number().nullable(),
  verdict: z.enum(['pass', 'fail', 'inconclusive']).nullable(),
});

export const runList = z.object({
  items: z.array(runSummary),
  nextCursor: z.string().optional(),
});

export const trendsQuery = z.strictObject({
  scenario: z
    .string()
    .transform((text) =>
      text
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
    )
    .pipe(z.array(z.string().regex(NAME, 'expected scenario names')))
    .optional()
    .meta({ description: 'Comma-separated scenario names; all when absent.' }),
  from: epochOrDate.optional().meta({ description: 'Default: 90 days before `to`.' }),
  to: epochOrDate.optional().meta({ description: 'Default: now.' }),
  bucket: z.enum(['week', 'month']).default('week'),
});

const scheduleFields = {
  scenario: z.string().regex(NAME, 'expected a catalogue scenario name').optional(),
  gameday: z.string().regex(NAME, 'expected a catalogue GameDay name').optional(),
  schedule: schedule(),
  overrides: runOverridesSchema.optional(),
  allowMeshWide: z.boolean().default(false),
  dryRun: z.boolean().default(false),
};

const exactlyOneTarget = (
  value: { scenario?: string | undefined; gameday?: string | undefined },
  ctx: z.RefinementCtx,
) => {
  if ((value.scenario === undefined) === (value.gameday === undefined)) {
    ctx.addIssue({
      code: 'custom',
      message: 'set exactly one of scenario or gameday',
      path: ['scenario'],
    });
  }
};

export const scheduleBody = z.strictObject(scheduleFields).superRefine(exactlyOneTarget);

export const createScheduleBody = z
  .strictObject({
    id: z.string().regex(NAME, 'expected a DNS label such as weekly-istiod-oom').max(63),
    ...scheduleFields,
  })
  .superRefine(exactlyOneTarget);

export const scheduleIdParams = z.strictObject({
  id: z.string().regex(NAME, 'expected a schedule id').max(63),
});
