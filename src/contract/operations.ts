/**
 * The HTTP contract of the gameday API, written once: every route's method, path, role, request
 * schemas and responses. The Express routes are registered from it (api/route.ts), the OpenAPI
 * document is generated from it (api/openapi.ts), the CLI's client is typed by it
 * (src/contract/client.ts) and the dashboard calls operations by their id from that document.
 * Adding a route is one entry here plus its handler.
 */
import { z } from 'zod';
import type { Role } from '../config.js';
import { REPORT_CONTENT_TYPES, REPORT_FORMATS } from '../report/types.js';
import { webhookPayloadSchema } from '../signals/webhook.js';
import { trendsResultSchema } from '../trends/schema.js';
import {
  abortAnswer,
  abortBody,
  auditPage,
  auditQuery,
  catalogueDocument,
  createGameDayBody,
  createRunBody,
  createScheduleBody,
  eventList,
  gameDayList,
  gameDayRecordSchema,
  haltBody,
  haltEngaged,
  haltState,
  listGameDaysQuery,
  listRunsQuery,
  problemSchema,
  reportQuery,
  responderEventBody,
  runIdParams,
  runList,
  runRecordSchema,
  scenarioList,
  scenarioNameParams,
  scheduleBody,
  scheduleIdParams,
  scheduleInfoSchema,
  timelineEventSchema,
  trendsQuery,
  validationResult,
  webhookAccepted,
} from './schemas.js';

/** Who may call an operation: a role's token (or a higher one), the webhook secret, or anyone. */
export type Auth = Role | 'webhook' | 'none';

export interface ResponseSpec {
  description: string;
  /** The JSON body (problem+json for 4xx/5xx); absent for an empty body. */
  schema?: z.ZodType;
  /** A body that is not JSON (reports, metrics, pages): its media types. */
  contentTypes?: readonly string[];
}

export interface Operation {
  method: 'get' | 'post' | 'put' | 'delete';
  /** Express-style path: `/api/v1/runs/:id`; `{id}` in the OpenAPI document. */
  path: string;
  summary: string;
  auth: Auth;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Media types the body may come in; JSON unless said. */
  bodyTypes?: readonly string[];
  responses: Readonly<Record<number, ResponseSpec>>;
}

const json = <S extends z.ZodType>(description: string, schema: S) => ({ description, schema });
const problem = (description: string) => ({ description, schema: problemSchema });
const text = (description: string, ...contentTypes: string[]) => ({ description, contentTypes });

/** What each report format is sent as. */
const REPORT_TYPES = Object.values(REPORT_CONTENT_TYPES).map((type) => type.split(';')[0]!);

/** Every operation of the API, by operationId. */
export const contract = {
  health: {
    method: 'get',
    path: '/healthz',
    summary: 'Liveness',
    auth: 'none',
    responses: { 200: json('alive', z.object({ status: z.literal('ok') })) },
  },
  ready: {
    method: 'get',
    path: '/readyz',
    summary: 'Readiness (Redis reachable)',
    auth: 'none',
    responses: {
      200: json('ready', z.looseObject({ status: z.literal('ready') })),
      503: problem('not ready'),
    },
  },
  metrics: {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics',
    auth: 'none',
    responses: { 200: text('metrics', 'text/plain') },
  },
  openApi: {
    method: 'get',
    path: '/api/v1/openapi.json',
    summary: 'This document',
    auth: 'none',
    responses: { 200: json('OpenAPI 3.1', z.looseObject({ openapi: z.string() })) },
  },
  listScenarios: {
    method: 'get',
    path: '/api/v1/scenarios',
    summary: 'The scenario catalogue: scenarios and GameDays',
    auth: 'viewer',
    responses: { 200: json('scenarios and GameDays', scenarioList) },
  },
  getScenario: {
    method: 'get',
    path: '/api/v1/scenarios/:name',
    summary: 'One catalogue scenario or GameDay, as in its file',
    auth: 'viewer',
    params: scenarioNameParams,
    responses: { 200: json('the document', catalogueDocument), 404: problem('no such scenario') },
  },
  validateScenario: {
    method: 'post',
    path: '/api/v1/scenarios/validate',
    summary: 'Validate a Scenario or GameDay (JSON or YAML)',
    auth: 'viewer',
    body: z.looseObject({}),
    bodyTypes: ['application/json', 'application/yaml'],
    responses: { 200: json('valid', validationResult), 422: problem('invalid: each bad field') },
  },
  createRun: {
    method: 'post',
    path: '/api/v1/runs',
    summary: 'Start a run',
    auth: 'operator',
    body: createRunBody,
    responses: {
      202: json('queued', runRecordSchema),
      400: problem('invalid request'),
      409: problem('the kill switch is engaged'),
    },
  },
  listRuns: {
    method: 'get',
    path: '/api/v1/runs',
    summary: 'List runs, newest first',
    auth: 'viewer',
    query: listRunsQuery,
    responses: { 200: json('a page of runs', runList), 400: problem('invalid query') },
  },
  getRun: {
    method: 'get',
    path: '/api/v1/runs/:id',
    summary: 'One run',
    auth: 'viewer',
    params: runIdParams,
    responses: { 200: json('the run', runRecordSchema), 404: problem('no such run') },
  },
  abortRun: {
    method: 'post',
    path: '/api/v1/runs/:id/abort',
    summary: 'Abort a run (it reverts at once)',
    auth: 'operator',
    params: runIdParams,
    body: abortBody,
    responses: {
      202: json('abort requested', abortAnswer),
      404: problem('no such run'),
      409: problem('the run already ended'),
    },
  },
  listRunEvents: {
    method: 'get',
    path: '/api/v1/runs/:id/events',
    summary: 'The run timeline',
    auth: 'viewer',
    params: runIdParams,
    responses: { 200: json('events', eventList), 404: problem('no such run') },
  },
  addRunEvent: {
    method: 'post',
    path: '/api/v1/runs/:id/events',
    summary: 'Add a responder event',
    auth: 'operator',
    params: runIdParams,
    body: responderEventBody,
    responses: {
      201: json('added', timelineEventSchema),
      400: problem('invalid event'),
      404: problem('no such run'),
    },
  },
  getRunReport: {
    method: 'get',
    path: '/api/v1/runs/:id/report',
    summary: `The run report (${REPORT_FORMATS.join(', ')})`,
    auth: 'viewer',
    params: runIdParams,
    query: reportQuery,
    responses: {
      200: text('the report in the asked format', ...REPORT_TYPES),
      404: problem('no such run'),
    },
  },
  createGameDay: {
    method: 'post',
    path: '/api/v1/gamedays',
    summary: 'Start a GameDay: its scenarios in order as child runs',
    auth: 'operator',
    body: createGameDayBody,
    responses: {
      202: json('started', gameDayRecordSchema),
      400: problem('invalid GameDay'),
      409: problem('the kill switch is engaged'),
    },
  },
  listGameDays: {
    method: 'get',
    path: '/api/v1/gamedays',
    summary: 'List GameDay runs, newest first',
    auth: 'viewer',
    query: listGameDaysQuery,
    responses: { 200: json('GameDay runs', gameDayList), 400: problem('invalid query') },
  },
  getGameDay: {
    method: 'get',
    path: '/api/v1/gamedays/:id',
    summary: 'A GameDay run: its child runs and combined result',
    auth: 'viewer',
    params: runIdParams,
    responses: {
      200: json('the GameDay run', gameDayRecordSchema),
      404: problem('no such GameDay run'),
    },
  },
  getGameDayReport: {
    method: 'get',
    path: '/api/v1/gamedays/:id/report',
    summary: `The combined GameDay report, one section per child run (${REPORT_FORMATS.join(', ')})`,
    auth: 'viewer',
    params: runIdParams,
    query: reportQuery,
    responses: {
      200: text(
        'the report in the asked format (in progress while the GameDay runs)',
        ...REPORT_TYPES,
      ),
      400: problem('unknown format'),
      404: problem('no such GameDay run'),
    },
  },
  listSchedules: {
    method: 'get',
    path: '/api/v1/schedules',
    summary: 'Cron schedules, with their next fire times',
    auth: 'viewer',
    responses: { 200: json('schedules', z.object({ items: z.array(scheduleInfoSchema) })) },
  },
  createSchedule: {
    method: 'post',
    path: '/api/v1/schedules',
    summary: 'Schedule a catalogue scenario or GameDay (cron, time zone)',
    auth: 'operator',
    body: createScheduleBody,
    responses: { 201: json('scheduled', scheduleInfoSchema), 400: problem('invalid schedule') },
  },
  getSchedule: {
    method: 'get',
    path: '/api/v1/schedules/:id',
    summary: 'One schedule',
    auth: 'viewer',
    params: scheduleIdParams,
    responses: { 200: json('the schedule', scheduleInfoSchema), 404: problem('no such schedule') },
  },
  replaceSchedule: {
    method: 'put',
    path: '/api/v1/schedules/:id',
    summary: 'Change a schedule',
    auth: 'operator',
    params: scheduleIdParams,
    body: scheduleBody,
    responses: {
      200: json('changed', scheduleInfoSchema),
      400: problem('invalid schedule'),
      404: problem('no such schedule'),
    },
  },
  deleteSchedule: {
    method: 'delete',
    path: '/api/v1/schedules/:id',
    summary: 'Remove a schedule',
    auth: 'operator',
    params: scheduleIdParams,
    responses: { 204: { description: 'removed' }, 404: problem('no such schedule') },
  },
  getTrends: {
    method: 'get',
    path: '/api/v1/trends',
    summary: 'MTTD, MTTR, detection rate and attainment per scenario and week or month',
    auth: 'viewer',
    query: trendsQuery,
    responses: { 200: json('trends', trendsResultSchema), 400: problem('invalid query') },
  },
  getHalt: {
    method: 'get',
    path: '/api/v1/halt',
    summary: 'Kill switch state',
    auth: 'viewer',
    responses: { 200: json('halted or not', haltState) },
  },
  engageHalt: {
    method: 'post',
    path: '/api/v1/halt',
    summary: 'Engage the kill switch: revert every run, refuse new ones',
    auth: 'admin',
    body: haltBody,
    responses: { 202: json('engaged', haltEngaged), 400: problem('no reason given') },
  },
  releaseHalt: {
    method: 'delete',
    path: '/api/v1/halt',
    summary: 'Release the kill switch',
    auth: 'admin',
    responses: { 200: json('released', z.object({ halted: z.literal(false) })) },
  },
  listAudit: {
    method: 'get',
    path: '/api/v1/audit',
    summary: 'The audit log of API writes, newest first (the last 10,000)',
    auth: 'admin',
    query: auditQuery,
    responses: { 200: json('entries', auditPage), 400: problem('invalid query') },
  },
  dashboard: {
    method: 'get',
    path: '/',
    summary: 'The dashboard (its files are under /dashboard/; it calls this API with a token)',
    auth: 'none',
    responses: { 200: text('the dashboard page', 'text/html') },
  },
  chartJs: {
    method: 'get',
    path: '/assets/chart.umd.js',
    summary: "Chart.js, served for the dashboard's charts",
    auth: 'none',
    responses: { 200: text('Chart.js (UMD)', 'text/javascript') },
  },
  alertmanagerWebhook: {
    method: 'post',
    path: '/api/v1/alertmanager/webhook',
    summary: 'Alertmanager webhook receiver',
    auth: 'webhook',
    body: webhookPayloadSchema,
    responses: {
      202: json('stored', webhookAccepted),
      400: problem('not a webhook payload'),
      401: problem('wrong secret'),
      503: problem('the webhook is disabled (no secret configured)'),
    },
  },
} as const satisfies Record<string, Operation>;

export type Contract = typeof contract;
export type OperationId = keyof Contract;

/** Every operation with its id, for the OpenAPI document and tests that walk all routes. */
export const OPERATIONS: ReadonlyArray<Operation & { id: OperationId }> = Object.entries(
  contract,
).map(([id, op]) => ({ ...(op as Operation), id: id as OperationId }));

// ---- types derived from the contract ------------------------------------------------------

type SchemaOutput<S> = S extends z.ZodType ? z.output<S> : undefined;
type SchemaInput<S> = S extends z.ZodType ? z.input<S> : undefined;

type SuccessStatus<O extends Operation> = Extract<keyof O['responses'], 200 | 201 | 202 | 204>;

/** The body of a response: the schema's output for JSON, text otherwise, nothing for 204. */
type BodyOf<R> = R extends { schema: infer S }
  ? SchemaOutput<S>
  : R extends { contentTypes: readonly string[] }
    ? string
    : undefined;

/** What a successful call of `O` answers with. */
export type SuccessBody<O extends Operation> = {
  [S in SuccessStatus<O>]: BodyOf<O['responses'][S]>;
}[SuccessStatus<O>];

/** What a handler answers with: a success status of the operation and its body. */
export type Reply<O extends Operation> = {
  [S in SuccessStatus<O>]: {
    status: S;
    body: BodyOf<O['responses'][S]>;
    /** For a text body: its media type. */
    contentType?: string;
    headers?: Record<string, string>;
  };
}[SuccessStatus<O>];

/** A request as a handler receives it: each part parsed by the contract's schemas. */
export interface ParsedRequest<O extends Operation> {
  params: SchemaOutput<O['params']>;
  query: SchemaOutput<O['query']>;
  body: SchemaOutput<O['body']>;
}

/** A request as a client sends it (schema inputs: defaults may be left out). */
export type CallInput<O extends Operation> = (O['params'] extends z.ZodType
  ? { params: SchemaInput<O['params']> }
  : { params?: undefined }) &
  (O['query'] extends z.ZodType
    ? { query?: Partial<Record<keyof SchemaInput<O['query']>, string>> }
    : { query?: undefined }) &
  (O['body'] extends z.ZodType ? { body: SchemaInput<O['body']> } : { body?: undefined });

/** The path of an operation with its parameters filled in, percent-encoded. */
export function pathOf(op: Pick<Operation, 'path'>, params: Record<string, string> = {}): string {
  return op.path.replace(/:(\w+)/g, (_match, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${op.path}: missing path parameter ${name}`);
    return encodeURIComponent(value);
  });
}
