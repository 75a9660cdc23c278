/**
 * Request and response shapes of the API, defined once with zod: the routes validate requests
 * with them, the OpenAPI document is generated from them, and clients are typed by them (see
 * operations.ts).
 */
import { z } from 'zod';
import { RESPONDER_EVENT_TYPES, type RunRecord, type TimelineEvent } from '../run/types.js';
import type { GameDayRecord } from '../run/gameday.js';
import type { ScheduleInfo } from '../run/schedules.js';
import { REPORT_FORMATS } from '../report/types.js';
import { RUN_STATES } from '../run/lifecycle.js';
import { runOverridesSchema } from '../run/overrides.js';
import { commaList } from '../config.js';
import { TREND_BUCKETS } from '../trends/schema.js';
import { schedule } from '../scenario/primitives.js';

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

export type AuditEntry = z.output<typeof auditEntrySchema>;

export const runIdParams = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'expected a run id'),
});

export const reportQuery = z.strictObject({
  format: z.enum(REPORT_FORMATS).default('json'),
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
  scenario: commaList(z.string().regex(NAME, 'expected scenario names'))
    .optional()
    .meta({ description: 'Comma-separated scenario names; all when absent.' }),
  from: epochOrDate.optional().meta({ description: 'Default: 90 days before `to`.' }),
  to: epochOrDate.optional().meta({ description: 'Default: now.' }),
  bucket: z.enum(TREND_BUCKETS).default('week'),
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

// ---- responses ----------------------------------------------------------------------------

/**
 * A loosely documented schema (the fields a client relies on, others allowed) for a body whose
 * exact type is a TypeScript interface of the server: the document shows the schema, clients get
 * the interface. The server's handlers are checked against the same type.
 */
function documents<T>(schema: z.ZodType): z.ZodType<T> {
  return schema as unknown as z.ZodType<T>;
}

/** RFC 9457 problem details, with the field errors this API adds. */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    errors: z
      .array(z.object({ field: z.string(), message: z.string() }))
      .optional()
      .meta({ description: 'Each bad field: `body.overrides.recovery.holdFor`, `query.limit`…' }),
  })
  .meta({ id: 'Problem' });

export const runRecordSchema = documents<RunRecord>(
  z
    .looseObject({
      schemaVersion: z.literal(1),
      id: z.string(),
      state: z.enum(RUN_STATES),
      scenario: z.looseObject({}).meta({ description: 'The scenario snapshot the run used.' }),
      target: z.object({ context: z.string(), namespace: z.string() }),
      result: z.looseObject({}).meta({ description: 'Times to detect and recover, verdict, …' }),
    })
    .meta({ id: 'Run', description: 'The stored run record (docs/run-engine.md).' }),
);

export const timelineEventSchema = documents<TimelineEvent>(
  z
    .looseObject({ at: z.number().meta({ description: 'epoch ms' }), type: z.string() })
    .meta({ id: 'TimelineEvent' }),
);

export const gameDayRecordSchema = documents<GameDayRecord>(
  z
    .looseObject({
      id: z.string(),
      kind: z.literal('GameDay'),
      state: z.enum(['running', 'completed', 'failed', 'aborted', 'error']),
      children: z.array(z.string()).meta({ description: 'Child run ids, in order.' }),
    })
    .meta({ id: 'GameDayRun', description: 'A GameDay run: its child runs and combined result.' }),
);

export const gameDaySummary = z
  .object({
    id: z.string(),
    name: z.string(),
    state: z.enum(['running', 'completed', 'failed', 'aborted', 'error']),
    createdAt: z.string().meta({ description: 'RFC 3339' }),
    createdBy: z.string(),
    dryRun: z.boolean(),
    scenarios: z.number().int().meta({ description: 'How many scenarios it runs.' }),
    children: z.array(z.string()),
    verdict: z.enum(['pass', 'fail', 'inconclusive']).nullable(),
  })
  .meta({ id: 'GameDaySummary' });

export const gameDayList = z.object({ items: z.array(gameDaySummary) });

export const listGameDaysQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(20),
});

export const scheduleInfoSchema = documents<ScheduleInfo>(
  z
    .looseObject({
      id: z.string(),
      kind: z.enum(['scenario', 'gameday']),
      name: z.string(),
      next: z.array(z.string()).meta({ description: 'The next fire times, ISO 8601 UTC.' }),
    })
    .meta({ id: 'Schedule' }),
);

export const scenarioSummary = z.object({
  name: z.string(),
  description: z.string().optional(),
  fault: z.string(),
  target: z.looseObject({ namespace: z.string() }),
  mode: z.string().meta({ description: 'Recovery mode: auto or responders.' }),
  labels: z.record(z.string(), z.string()),
});

export const scenarioList = z.object({
  items: z.array(scenarioSummary),
  gameDays: z.array(
    z.object({
      name: z.string(),
      description: z.string().optional(),
      scenarios: z.array(z.string()),
    }),
  ),
  errors: z.array(z.string()).meta({ description: 'Catalogue files that did not load.' }),
});

export const scenarioNameParams = z.strictObject({ name: z.string() });

/** A catalogue Scenario or GameDay document, as in its file. */
export const catalogueDocument = z
  .looseObject({ kind: z.enum(['Scenario', 'GameDay']), metadata: z.looseObject({}) })
  .meta({ id: 'CatalogueDocument' });

export const validationResult = z.object({
  valid: z.literal(true),
  kind: z.enum(['Scenario', 'GameDay']),
  name: z.string(),
  document: z.looseObject({}),
});

export const abortAnswer = z.object({ id: z.string(), abortRequested: z.literal(true) });

export const haltState = z.union([
  z.object({ halted: z.literal(false) }),
  z.object({ halted: z.literal(true), by: z.string(), reason: z.string(), at: z.string() }),
]);

export const haltEngaged = z.object({
  halted: z.literal(true),
  by: z.string(),
  reason: z.string(),
  at: z.string(),
  activeRuns: z.array(z.string()).meta({ description: 'The runs now reverting.' }),
});

export const auditPage = z.object({ entries: z.array(auditEntrySchema), total: z.number() });

export const webhookAccepted = z.object({ accepted: z.number().int() });

export const eventList = z.object({ items: z.array(timelineEventSchema) });
