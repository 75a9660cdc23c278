import { Router } from 'express';
import { contract } from '../../src/contract/operations.js';
import {
  GameDayStore,
  resolveGameDay,
  submitGameDay,
  UnknownScenario,
  type GameDayRecord,
} from '../../src/run/gameday.js';
import { Halted } from '../../src/run/submit.js';
import { validateGameDay } from '../../src/scenario/validate.js';
import type { GameDay } from '../../src/scenario/schema.js';
import { renderGameDayReport } from '../../src/report/index.js';
import type { ReportInput } from '../../src/report/types.js';
import { audit, type ApiContext } from '../context.js';
import { badRequest, conflict, notFoundError, resolveNamedOrInline } from '../http-error.js';
import { reportReply } from '../report-reply.js';
import { route } from '../route.js';

/** One line of the GameDay list. */
function summarizeGameDay(record: GameDayRecord) {
  return {
    id: record.id,
    name: record.gameDay.metadata.name,
    state: record.state,
    createdAt: new Date(record.createdAt).toISOString(),
    createdBy: record.createdBy,
    dryRun: record.options.dryRun,
    scenarios: record.scenarios.length,
    children: record.children,
    verdict: record.result?.verdict ?? null,
  };
}

/** GameDays (SPEC §3): scenarios run in order as child runs of one parent record. */
export function gameDaysRouter(ctx: ApiContext): Router {
  const router = Router();
  const { authenticate } = ctx;
  const gameDays = new GameDayStore(ctx.store);

  async function resolve(input: string | Record<string, unknown>): Promise<GameDay> {
    const catalogue = await ctx.catalogue();
    return resolveNamedOrInline(
      'body.gameday',
      'GameDay',
      input,
      (name) => catalogue.gameDays.get(name),
      validateGameDay,
    );
  }

  async function mustGet(id: string): Promise<GameDayRecord> {
    const found = await gameDays.get(id);
    if (!found) throw notFoundError(`no GameDay run with id ${id}`);
    return found;
  }

  route(router, authenticate, contract.createGameDay, async ({ body, caller }, req) => {
    const gameDay = await resolve(body.gameday);
    const catalogue = await ctx.catalogue();
    try {
      const parent = await submitGameDay(
        { store: ctx.store, queue: ctx.queue, clock: ctx.clock },
        {
          gameDay,
          scenarios: resolveGameDay(gameDay, catalogue.scenarios),
          allowMeshWide: body.allowMeshWide,
          dryRun: body.dryRun,
          createdBy: caller!.name,
        },
      );
      await audit(ctx, req, 'gameday.create', {
        gameDayId: parent.id,
        name: gameDay.metadata.name,
      });
      return { status: 202, body: parent, headers: { Location: `/api/v1/gamedays/${parent.id}` } };
    } catch (err) {
      if (err instanceof Halted) throw conflict(err.message, { halted: true });
      if (err instanceof UnknownScenario) {
        throw badRequest(`body.gameday.spec.${err.message}`, [
          { field: 'body.gameday.spec.scenarios', message: err.message },
        ]);
      }
      throw err;
    }
  });

  route(router, authenticate, contract.listGameDays, async ({ query }) => ({
    status: 200,
    body: { items: (await gameDays.list(query.limit)).map(summarizeGameDay) },
  }));

  route(router, authenticate, contract.getGameDay, async ({ params }) => ({
    status: 200,
    body: await mustGet(params.id),
  }));

  // The combined report: one section per child run, as the run report renders it. A GameDay
  // still running renders too, marked in progress.
  route(router, authenticate, contract.getGameDayReport, async ({ params, query }) => {
    const record = await mustGet(params.id);
    const children: ReportInput[] = [];
    for (const childId of record.children) {
      const child = await ctx.store.get(childId);
      if (!child) continue;
      const [events, samples, signalSamples] = await Promise.all([
        ctx.store.events(childId),
        ctx.store.samples(childId),
        ctx.store.signalSamples(childId),
      ]);
      children.push({ record: child, events, samples, signalSamples });
    }
    return reportReply(
      `gameday-${record.id}`,
      query.format,
      renderGameDayReport({ record, children }, query.format),
    );
  });

  return router;
}
