import { z } from 'zod';
import type { Role } from '../src/config.js';
import { buildInfo } from '../src/build-info.js';
import { REPORT_FORMATS } from '../src/report/types.js';
import { RUN_STATES } from '../src/run/lifecycle.js';
import { webhookPayloadSchema } from '../src/signals/webhook.js';
import {
  abortBody,
  createRunBody,
  auditEntrySchema,
  auditQuery,
  haltBody,
  listRunsQuery,
  reportQuery,
  responderEventBody,
  runIdParams,
  runList,
  createScheduleBody,
  createGameDayBody,
  scheduleBody,
  scheduleIdParams,
  trendsQuery,
} from './schemas.js';
import { trendsResultSchema } from '../src/trends/schema.js';

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

const runRecord = z
  .looseObject({
    schemaVersion: z.literal(1),
    id: z.string(),
    state: z.enum(RUN_STATES),
    scenario: z.looseObject({}).meta({ description: 'The scenario snapshot the run used.' }),
    target: z.object({ context: z.string(), namespace: z.string() }),
    result: z.looseObject({}).meta({ description: 'Times to detect and recover, verdict, …' }),
  })
  .meta({ id: 'Run', description: 'The stored run record (docs/run-engine.md).' });

const timelineEvent = z
  .looseObject({ at: z.number().meta({ description: 'epoch ms' }), type: z.string() })
  .meta({ id: 'TimelineEvent' });

interface Operation {
  method: 'get' | 'post' | 'put' | 'delete';
  /** Express path; `:id` becomes `{id}` in the document. */
  path: string;
  summary: string;
  /** Who may call it: a role, the webhook secret, or anyone. */
  auth: Role | 'webhook' | 'none';
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  bodyTypes?: string[];
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
}

const ok = (description: string, schema?: z.ZodType) => ({
  description,
  ...(schema && { schema }),
});

/** Every route of the API. A test checks this list against the routes Express serves. */
export const OPERATIONS: Operation[] = [
  {
    method: 'get',
    path: '/healthz',
    summary: 'Liveness',
    auth: 'none',
    responses: { 200: ok('alive') },
  },
  {
    method: 'get',
    path: '/readyz',
    summary: 'Readiness (Redis reachable)',
    auth: 'none',
    responses: { 200: ok('ready'), 503: ok('not ready', problemSchema) },
  },
  {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics',
    auth: 'none',
    responses: { 200: { description: 'metrics', contentType: 'text/plain' } },
  },
  {
    method: 'get',
    path: '/api/v1/openapi.json',
    summary: 'This document',
    auth: 'none',
    responses: { 200: ok('OpenAPI 3.1') },
  },
  {
    method: 'get',
    path: '/api/v1/scenarios',
    summary: 'The scenario catalogue',
    auth: 'viewer',
    responses: { 200: ok('scenarios and GameDays') },
  },
  {
    method: 'get',
    path: '/api/v1/scenarios/:name',
    summary: 'One catalogue scenario or GameDay',
    auth: 'viewer',
    params: z.object({ name: z.string() }),
    responses: { 200: ok('the document'), 404: ok('no such scenario', problemSchema) },
  },
  {
    method: 'post',
    path: '/api/v1/scenarios/validate',
    summary: 'Validate a Scenario or GameDay (JSON or YAML)',
    auth: 'viewer',
    body: z.looseObject({}),
    bodyTypes: ['application/json', 'application/yaml'],
    responses: { 200: ok('valid'), 422: ok('invalid: each bad field', problemSchema) },
  },
  {
    method: 'post',
    path: '/api/v1/runs',
    summary: 'Start a run',
    auth: 'operator',
    body: createRunBody,
    responses: {
      202: ok('queued', runRecord),
      400: ok('invalid request', problemSchema),
      409: ok('the kill switch is engaged', problemSchema),
    },
  },
  {
    method: 'get',
    path: '/api/v1/runs',
    summary: 'List runs, newest first',
    auth: 'viewer',
    query: listRunsQuery,
    responses: { 200: ok('a page of runs', runList), 400: ok('invalid query', problemSchema) },
  },
  {
    method: 'get',
    path: '/api/v1/runs/:id',
    summary: 'One run',
    auth: 'viewer',
    params: runIdParams,
    responses: { 200: ok('the run', runRecord), 404: ok('no such run', problemSchema) },
  },
  {
    method: 'post',
    path: '/api/v1/runs/:id/abort',
    summary: 'Abort a run (it reverts at once)',
    auth: 'operator',
    params: runIdParams,
    body: abortBody,
    responses: {
      202: ok('abort requested'),
      404: ok('no such run', problemSchema),
      409: ok('the run already ended', problemSchema),
    },
  },
  {
    method: 'get',
    path: '/api/v1/runs/:id/events',
    summary: 'The run timeline',
    auth: 'viewer',
    params: runIdParams,
    responses: { 200: ok('events', z.object({ items: z.array(timelineEvent) })) },
  },
  {
    method: 'post',
    path: '/api/v1/runs/:id/events',
    summary: 'Add a responder event',
    auth: 'operator',
    params: runIdParams,
    body: responderEventBody,
    responses: { 201: ok('added', timelineEvent), 400: ok('invalid event', problemSchema) },
  },
  {
    method: 'get',
    path: '/api/v1/runs/:id/report',
    summary: `The run report (${REPORT_FORMATS.join(', ')})`,
    auth: 'viewer',
    params: runIdParams,
    query: reportQuery,
    responses: {
      200: { description: 'the report in the asked format' },
      404: ok('no such run', problemSchema),
    },
  },
  {
    method: 'post',
    path: '/api/v1/gamedays',
    summary: 'Start a GameDay: its scenarios in order as child runs',
    auth: 'operator',
    body: createGameDayBody,
    responses: {
      202: ok('started'),
      400: ok('invalid GameDay', problemSchema),
      409: ok('the kill switch is engaged', problemSchema),
    },
  },
  {
    method: 'get',
    path: '/api/v1/gamedays/:id',
    summary: 'A GameDay run: its child runs and combined result',
    auth: 'viewer',
    params: runIdParams,
    responses: { 200: ok('the GameDay run'), 404: ok('no such GameDay run', problemSchema) },
  },
  {
    method: 'get',
    path: '/api/v1/gamedays/:id/report',
    summary: `The combined GameDay report, one section per child run (${REPORT_FORMATS.join(', ')})`,
    auth: 'viewer',
    params: runIdParams,
    query: reportQuery,
    responses: {
      200: { description: 'the report in the asked format (in progress while the GameDay runs)' },
      400: ok('unknown format', problemSchema),
      404: ok('no such GameDay run', problemSchema),
    },
  },
  {
    method: 'get',
    path: '/api/v1/schedules',
    summary: 'Cron schedules, with their next fire times',
    auth: 'viewer',
    responses: { 200: ok('schedules') },
  },
  {
    method: 'post',
    path: '/api/v1/schedules',
    summary: 'Schedule a catalogue scenario or GameDay (cron, time zone)',
    auth: 'operator',
    body: createScheduleBody,
    responses: { 201: ok('scheduled'), 400: ok('invalid schedule', problemSchema) },
  },
  {
    method: 'get',
    path: '/api/v1/schedules/:id',
    summary: 'One schedule',
    auth: 'viewer',
    params: scheduleIdParams,
    responses: { 200: ok('the schedule'), 404: ok('no such schedule', problemSchema) },
  },
  {
    method: 'put',
    path: '/api/v1/schedules/:id',
    summary: 'Change a schedule',
    auth: 'operator',
    params: scheduleIdParams,
    body: scheduleBody,
    responses: {
      200: ok('changed'),
      400: ok('invalid schedule', problemSchema),
      404: ok('no such schedule', problemSchema),
    },
  },
  {
    method: 'delete',
    path: '/api/v1/schedules/:id',
    summary: 'Remove a schedule',
    auth: 'operator',
    params: scheduleIdParams,
    responses: { 204: { description: 'removed' }, 404: ok('no such schedule', problemSchema) },
  },
  {
    method: 'get',
    path: '/api/v1/trends',
    summary: 'MTTD, MTTR, detection rate and attainment per scenario and week or month',
    auth: 'viewer',
    query: trendsQuery,
    responses: { 200: ok('trends', trendsResultSchema), 400: ok('invalid query', problemSchema) },
  },
  {
    method: 'get',
    path: '/api/v1/halt',
    summary: 'Kill switch state',
    auth: 'viewer',
    responses: { 200: ok('halted or not') },
  },
  {
    method: 'post',
    path: '/api/v1/halt',
    summary: 'Engage the kill switch: revert every run, refuse new ones',
    auth: 'admin',
    body: haltBody,
    responses: { 202: ok('engaged') },
  },
  {
    method: 'delete',
    path: '/api/v1/halt',
    summary: 'Release the kill switch',
    auth: 'admin',
    responses: { 200: ok('released') },
  },
  {
    method: 'get',
    path: '/api/v1/audit',
    summary: 'The audit log of API writes, newest first (the last 10,000)',
    auth: 'admin',
    query: auditQuery,
    responses: {
      200: ok('entries', z.object({ entries: z.array(auditEntrySchema), total: z.number() })),
      400: ok('invalid query', problemSchema),
    },
  },
  {
    method: 'get',
    path: '/',
    summary: 'The dashboard (its files are under /dashboard/; it calls this API with a token)',
    auth: 'none',
    responses: { 200: { description: 'the dashboard page', contentType: 'text/html' } },
  },
  {
    method: 'get',
    path: '/assets/chart.umd.js',
    summary: "Chart.js, served for the dashboard's charts",
    auth: 'none',
    responses: { 200: { description: 'Chart.js (UMD)', contentType: 'text/javascript' } },
  },
  {
    method: 'post',
    path: '/api/v1/alertmanager/webhook',
    summary: 'Alertmanager webhook receiver',
    auth: 'webhook',
    body: webhookPayloadSchema,
    responses: {
      202: ok('stored'),
      400: ok('not a webhook payload', problemSchema),
      401: ok('wrong secret', problemSchema),
    },
  },
];

/**
 * A zod schema as OpenAPI 3.1 (JSON Schema 2020-12). Schemas with a `meta({ id })` become
 * shared components: their `$defs` move to `components.schemas` and the refs follow.
 */
function jsonSchemaIn(components: Record<string, unknown>) {
  return (schema: z.ZodType, io: 'input' | 'output') => {
    const generated = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<
      string,
      unknown
    >;
    const text = JSON.stringify(generated).replaceAll('"#/$defs/', '"#/components/schemas/');
    const { $schema: _schema, $defs, ...rest } = JSON.parse(text) as Record<string, unknown>;
    for (const [name, definition] of Object.entries(($defs ?? {}) as Record<string, unknown>)) {
      components[name] ??= definition;
    }
    return rest;
  };
}

/** The OpenAPI 3.1 document of {@link OPERATIONS}, generated from their zod schemas. */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const schemas: Record<string, unknown> = {};
  const jsonSchema = jsonSchemaIn(schemas);
  for (const op of OPERATIONS) {
    const path = op.path.replace(/:(\w+)/g, '{$1}');
    const parameters = [
      ...Object.entries(op.params?.shape ?? {}).map(([name, schema]) => ({
        name,
        in: 'path',
        required: true,
        schema: jsonSchema(schema as z.ZodType, 'input'),
      })),
      ...Object.entries(op.query?.shape ?? {}).map(([name, schema]) => ({
        name,
        in: 'query',
        required: !(schema as z.ZodType).safeParse(undefined).success,
        schema: jsonSchema(schema as z.ZodType, 'input'),
      })),
    ];
    const responses = Object.fromEntries(
      Object.entries(op.responses).map(([status, r]) => [
        status,
        {
          description: r.description,
          ...(r.schema && {
            content: {
              [Number(status) >= 400
                ? 'application/problem+json'
                : (r.contentType ?? 'application/json')]: {
                schema: jsonSchema(r.schema, 'output'),
              },
            },
          }),
        },
      ]),
    );
    if (op.method !== 'get' && op.auth !== 'none' && op.auth !== 'webhook') {
      responses['429'] ??= {
        description: 'too many writes for this token; see Retry-After',
        content: { 'application/problem+json': { schema: jsonSchema(problemSchema, 'output') } },
      };
    }
    if (op.auth !== 'none' && op.auth !== 'webhook') {
      responses['401'] ??= {
        description: 'no or unknown token',
        content: { 'application/problem+json': { schema: jsonSchema(problemSchema, 'output') } },
      };
      responses['403'] ??= {
        description: `needs the ${op.auth} role`,
        content: { 'application/problem+json': { schema: jsonSchema(problemSchema, 'output') } },
      };
    }
    paths[path] ??= {};
    paths[path][op.method] = {
      operationId: `${op.method}${path.replace(/[^A-Za-z0-9]+(\w)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
      summary: op.summary,
      ...(op.auth === 'none'
        ? { security: [] }
        : op.auth === 'webhook'
          ? { security: [{ webhookSecret: [] }] }
          : { 'x-required-role': op.auth }),
      ...(parameters.length > 0 && { parameters }),
      ...(op.body && {
        requestBody: {
          required: true,
          content: Object.fromEntries(
            (op.bodyTypes ?? ['application/json']).map((type) => [
              type,
              { schema: jsonSchema(op.body!, 'input') },
            ]),
          ),
        },
      }),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'gameday API',
      version: buildInfo().version,
      description:
        'GameDays for Istio meshes: start and follow runs, read reports and trends (SPEC §8).',
    },
    servers: [{ url: '/' }],
    security: [{ bearerToken: [] }],
    components: {
      schemas,
      securitySchemes: {
        bearerToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API token; its role (viewer, operator, admin) decides what it may do.',
        },
        webhookSecret: {
          type: 'http',
          scheme: 'bearer',
          description: 'GAMEDAY_WEBHOOK_SECRET, sent by Alertmanager.',
        },
      },
    },
    paths,
  };
}
