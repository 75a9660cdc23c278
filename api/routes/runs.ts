import { Router, type Request } from 'express';
import { listRuns, decodeCursor, encodeCursor } from '../../src/run/list.js';
import { isFinal } from '../../src/run/lifecycle.js';
import { Halted, InvalidOverrides, submitRun } from '../../src/run/submit.js';
import type { RunRecord } from '../../src/run/types.js';
import { validateScenario } from '../../src/scenario/validate.js';
import type { Scenario } from '../../src/scenario/schema.js';
import { renderReport } from '../../src/report/index.js';
import { requireRole } from '../auth.js';
import { audit, type ApiContext } from '../context.js';
import {
  badRequest,
  conflict,
  notFoundError,
  parseOrThrow,
  resolveNamedOrInline,
} from '../http-error.js';
import {
  abortBody,
  createRunBody,
  listRunsQuery,
  reportQuery,
  responderEventBody,
  runIdParams,
  type runSummary,
} from '../schemas.js';
import type { z } from 'zod';

export function summarize(record: RunRecord): z.output<typeof runSummary> {
  return {
    id: record.id,
    scenario: record.scenario.metadata.name,
    ...(record.parentId !== undefined && { parentId: record.parentId }),
    target: record.target,
    state: record.state,
    ...(record.summary !== undefined && { summary: record.summary }),
    createdAt: new Date(record.createdAt).toISOString(),
    updatedAt: new Date(record.updatedAt).toISOString(),
    createdBy: record.createdBy,
    dryRun: record.options.dryRun,
    timeToDetect: record.result.timeToDetect ?? null,
    timeToRecover: record.result.timeToRecover ?? null,
    verdict: record.result.verdict?.outcome ?? null,
  };
}

/** The scenario a request names: a catalogue entry or an inline document (validated). */
export async function resolveScenario(
  ctx: ApiContext,
  input: string | Record<string, unknown>,
): Promise<Scenario> {
  const catalogue = await ctx.catalogue();
  return resolveNamedOrInline(
    'body.scenario',
    'scenario',
    input,
    (name) => catalogue.scenarios.get(name),
    validateScenario,
  );
}

export async function mustGetRun(ctx: ApiContext, req: Request): Promise<RunRecord> {
  const { id } = parseOrThrow('params', runIdParams, req.params);
  const record = await ctx.store.get(id);
  if (!record) throw notFoundError(`no run with id ${id}`);
  return record;
}

export function runsRouter(ctx: ApiContext): Router {
  const router = Router();
  const viewer = requireRole(ctx.authenticate, 'viewer');
  const operator = requireRole(ctx.authenticate, 'operator');

  router.post('/api/v1/runs', operator, async (req, res) => {
    const body = parseOrThrow('body', createRunBody, req.body);
    const scenario = await resolveScenario(ctx, body.scenario);
    let record: RunRecord;
    try {
      record = await submitRun(
        { store: ctx.store, queue: ctx.queue, clock: ctx.clock },
        {
          scenario,
          ...(body.overrides !== undefined && { overrides: body.overrides }),
          dryRun: body.dryRun,
          allowMeshWide: body.allowMeshWide,
          onTargetBusy: body.onTargetBusy,
          createdBy: req.caller!.name,
        },
      );
    } catch (err) {
      if (err instanceof Halted) throw conflict(err.message, { halted: true });
      if (err instanceof InvalidOverrides) {
        const errors = err.issues.map((i) => ({
          field: `body.${i.path.join('.')}`,
          message: i.message,
        }));
        throw badRequest(`${errors[0]?.field}: ${errors[0]?.message}`, errors);
      }
      throw err;
    }
    await audit(ctx, req, 'run.create', {
      runId: record.id,
      scenario: scenario.metadata.name,
      target: record.target,
      dryRun: body.dryRun,
      allowMeshWide: body.allowMeshWide,
    });
    res.status(202).location(`/api/v1/runs/${record.id}`).json(record);
  });

  router.get('/api/v1/runs', viewer, async (req, res) => {
    const query = parseOrThrow('query', listRunsQuery, req.query);
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (query.cursor !== undefined && !after) {
      throw badRequest('query.cursor: not a cursor this API issued', [
        { field: 'query.cursor', message: 'not a cursor this API issued' },
      ]);
    }
    const page = await listRuns(
      ctx.store,
      {
        ...(query.scenario !== undefined && { scenario: query.scenario }),
        ...(query.state !== undefined && { states: query.state }),
        ...(query.from !== undefined && { from: query.from }),
        ...(query.to !== undefined && { to: query.to }),
      },
      { limit: query.limit, ...(after && { after }) },
    );
    res.json({
      items: page.items.map(summarize),
      ...(page.next && { nextCursor: encodeCursor(page.next) }),
    });
  });

  router.get('/api/v1/runs/:id', viewer, async (req, res) => {
    res.json(await mustGetRun(ctx, req));
  });

  router.post('/api/v1/runs/:id/abort', operator, async (req, res) => {
    const record = await mustGetRun(ctx, req);
    const body = parseOrThrow('body', abortBody, req.body ?? {});
    if (isFinal(record.state)) throw conflict(`run ${record.id} already ended (${record.state})`);
    await ctx.store.requestAbort(record.id, {
      by: req.caller!.name,
      reason: body.reason,
      at: ctx.clock.now(),
    });
    await audit(ctx, req, 'run.abort', { runId: record.id, reason: body.reason });
    res.status(202).json({ id: record.id, abortRequested: true });
  });

  router.get('/api/v1/runs/:id/events', viewer, async (req, res) => {
    const record = await mustGetRun(ctx, req);
    res.json({ items: await ctx.store.events(record.id) });
  });

  router.post('/api/v1/runs/:id/events', operator, async (req, res) => {
    const record = await mustGetRun(ctx, req);
    const body = parseOrThrow('body', responderEventBody, req.body);
    const event = await ctx.store.addResponderEvent(record.id, {
      type: body.type,
      author: body.author,
      ...(body.text !== undefined && { text: body.text }),
      at: ctx.clock.now(),
    });
    await audit(ctx, req, 'run.event', { runId: record.id, type: body.type, author: body.author });
    res.status(201).json(event);
  });

  router.get('/api/v1/runs/:id/report', viewer, async (req, res) => {
    const record = await mustGetRun(ctx, req);
    const { format } = parseOrThrow('query', reportQuery, req.query);
    const [events, samples, signalSamples] = await Promise.all([
      ctx.store.events(record.id),
      ctx.store.samples(record.id),
      ctx.store.signalSamples(record.id),
    ]);
    const report = renderReport({ record, events, samples, signalSamples }, format);
    if (format === 'html' || format === 'md' || format === 'junit') {
      const extension = format === 'junit' ? 'xml' : format;
      res.setHeader('Content-Disposition', `inline; filename="gameday-${record.id}.${extension}"`);
    }
    res.type(report.contentType).send(report.body);
  });

  return router;
}
