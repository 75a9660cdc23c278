import { Router } from 'express';
import {
  GameDayStore,
  resolveGameDay,
  submitGameDay,
  UnknownScenario,
} from '../../src/run/gameday.js';
import { Halted } from '../../src/run/submit.js';
import { validateGameDay } from '../../src/scenario/validate.js';
import type { GameDay } from '../../src/scenario/schema.js';
import { requireRole } from '../auth.js';
import { audit, type ApiContext } from '../context.js';
import {
  badRequest,
  conflict,
  notFoundError,
  parseOrThrow,
  resolveNamedOrInline,
} from '../http-error.js';
import { renderGameDayReport } from '../../src/report/index.js';
import type { ReportInput } from '../../src/report/types.js';
import { createGameDayBody, reportQuery, runIdParams } from '../schemas.js';

/** GameDays (SPEC §3): scenarios run in order as child runs of one parent record. */
export function gameDaysRouter(ctx: ApiContext): Router {
  const router = Router();
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

  router.post('/api/v1/gamedays', requireRole(ctx.authenticate, 'operator'), async (req, res) => {
    const body = parseOrThrow('body', createGameDayBody, req.body);
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
          createdBy: req.caller!.name,
        },
      );
      await audit(ctx, req, 'gameday.create', {
        gameDayId: parent.id,
        name: gameDay.metadata.name,
      });
      res.status(202).location(`/api/v1/gamedays/${parent.id}`).json(parent);
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

  router.get('/api/v1/gamedays/:id', requireRole(ctx.authenticate, 'viewer'), async (req, res) => {
    const { id } = parseOrThrow('params', runIdParams, req.params);
    const found = await gameDays.get(id);
    if (!found) throw notFoundError(`no GameDay run with id ${id}`);
    res.json(found);
  });

  // The combined report: one section per child run, as the run report renders it. A GameDay
  // still running renders too, marked in progress.
  router.get(
    '/api/v1/gamedays/:id/report',
    requireRole(ctx.authenticate, 'viewer'),
    async (req, res) => {
      const { id } = parseOrThrow('params', runIdParams, req.params);
      const { format } = parseOrThrow('query', reportQuery, req.query);
      const record = await gameDays.get(id);
      if (!record) throw notFoundError(`no GameDay run with id ${id}`);
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
      const report = renderGameDayReport({ record, children }, format);
      if (format !== 'json') {
        const extension = format === 'junit' ? 'xml' : format;
        res.setHeader(
          'Content-Disposition',
          `inline; filename="gameday-${record.id}.${extension}"`,
        );
      }
      res.type(report.contentType).send(report.body);
    },
  );

  return router;
}
