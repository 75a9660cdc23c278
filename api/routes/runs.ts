import { Router } from 'express';
import type { z } from 'zod';
import { contract } from '../../src/contract/operations.js';
import type { runSummary } from '../../src/contract/schemas.js';
import { listRuns, decodeCursor, encodeCursor } from '../../src/run/list.js';
import { isFinal } from '../../src/run/lifecycle.js';
import { Halted, InvalidOverrides, submitRun } from '../../src/run/submit.js';
import type { RunRecord } from '../../src/run/types.js';
import { validateScenario } from '../../src/scenario/validate.js';
import type { Scenario } from '../../src/scenario/schema.js';
import { renderReport } from '../../src/report/index.js';
import { audit, type ApiContext } from '../context.js';
import { badRequest, conflict, notFoundError, resolveNamedOrInline } from '../http-error.js';
import { reportReply } from '../report-reply.js';
import { route } from '../route.js';

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

async function mustGetRun(ctx: ApiContext, id: string): Promise<RunRecord> {
  const record = await ctx.store.get(id);
  if (!record) throw notFoundError(`no run with id ${id}`);
  return record;
}

export function runsRouter(ctx: ApiContext): Router {
  const router = Router();
  const { authenticate } = ctx;

  route(router, authenticate, contract.createRun, async ({ body, caller }, req) => {
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
          createdBy: caller!.name,
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
    return { status: 202, body: record, headers: { Location: `/api/v1/runs/${record.id}` } };
  });

  route(router, authenticate, contract.listRuns, async ({ query }) => {
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
    return {
      status: 200,
      body: {
        items: page.items.map(summarize),
        ...(page.next && { nextCursor: encodeCursor(page.next) }),
      },
    };
  });

  route(router, authenticate, contract.getRun, async ({ params }) => ({
    status: 200,
    body: await mustGetRun(ctx, params.id),
  }));

  route(
    router,
    authenticate,
    contract.abortRun,
    async ({ params, body, caller }, req) => {
      const record = await mustGetRun(ctx, params.id);
      if (isFinal(record.state)) throw conflict(`run ${record.id} already ended (${record.state})`);
      await ctx.store.requestAbort(record.id, {
        by: caller!.name,
        reason: body.reason,
        at: ctx.clock.now(),
      });
      await audit(ctx, req, 'run.abort', { runId: record.id, reason: body.reason });
      return { status: 202, body: { id: record.id, abortRequested: true as const } };
    },
    { emptyBodyIsObject: true },
  );

  route(router, authenticate, contract.listRunEvents, async ({ params }) => {
    const record = await mustGetRun(ctx, params.id);
    return { status: 200, body: { items: await ctx.store.events(record.id) } };
  });

  route(router, authenticate, contract.addRunEvent, async ({ params, body }, req) => {
    const record = await mustGetRun(ctx, params.id);
    const event = await ctx.store.addResponderEvent(record.id, {
      type: body.type,
      author: body.author,
      ...(body.text !== undefined && { text: body.text }),
      at: ctx.clock.now(),
    });
    await audit(ctx, req, 'run.event', { runId: record.id, type: body.type, author: body.author });
    return { status: 201, body: event };
  });

  route(router, authenticate, contract.getRunReport, async ({ params, query }) => {
    const record = await mustGetRun(ctx, params.id);
    const [events, samples, signalSamples] = await Promise.all([
      ctx.store.events(record.id),
      ctx.store.samples(record.id),
      ctx.store.signalSamples(record.id),
    ]);
    return reportReply(
      `gameday-${record.id}`,
      query.format,
      renderReport({ record, events, samples, signalSamples }, query.format),
    );
  });

  return router;
}
