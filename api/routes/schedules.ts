import { Router } from 'express';
import { Schedules, type ScheduleTarget } from '../../src/run/schedules.js';
import { requireRole } from '../auth.js';
import { audit, type ApiContext } from '../context.js';
import { badRequest, notFoundError, parseOrThrow } from '../http-error.js';
import { createScheduleBody, scheduleBody, scheduleIdParams } from '../schemas.js';
import type { z } from 'zod';

/** Cron GameDays on BullMQ job schedulers (SPEC §8: schedules CRUD). */
export function schedulesRouter(ctx: ApiContext): Router {
  const router = Router();
  const schedules = new Schedules(ctx.queue);
  const viewer = requireRole(ctx.authenticate, 'viewer');
  const operator = requireRole(ctx.authenticate, 'operator');

  /** The schedule's target, checked against the catalogue now, so a typo fails at once. */
  async function target(
    body: z.output<typeof scheduleBody>,
    createdBy: string,
  ): Promise<ScheduleTarget> {
    const catalogue = await ctx.catalogue();
    const kind = body.scenario !== undefined ? 'scenario' : 'gameday';
    const name = (body.scenario ?? body.gameday)!;
    const known =
      kind === 'scenario' ? catalogue.scenarios.has(name) : catalogue.gameDays.has(name);
    if (!known) {
      const field = `body.${kind}`;
      throw badRequest(
        `${field}: no ${kind === 'scenario' ? 'scenario' : 'GameDay'} named '${name}' in the catalogue`,
        [{ field, message: `no ${kind} named '${name}' in the catalogue` }],
      );
    }
    return {
      kind,
      name,
      ...(body.overrides !== undefined && { overrides: body.overrides }),
      allowMeshWide: body.allowMeshWide,
      dryRun: body.dryRun,
      createdBy,
    };
  }

  router.get('/api/v1/schedules', viewer, async (_req, res) => {
    res.json({ items: await schedules.list() });
  });

  router.get('/api/v1/schedules/:id', viewer, async (req, res) => {
    const { id } = parseOrThrow('params', scheduleIdParams, req.params);
    const found = await schedules.get(id);
    if (!found) throw notFoundError(`no schedule ${id}`);
    res.json(found);
  });

  router.post('/api/v1/schedules', operator, async (req, res) => {
    const body = parseOrThrow('body', createScheduleBody, req.body);
    if (await schedules.get(body.id)) {
      throw badRequest(
        `body.id: a schedule ${body.id} already exists; PUT /api/v1/schedules/${body.id} changes it`,
        [{ field: 'body.id', message: 'already exists' }],
      );
    }
    const info = await schedules.upsert(
      body.id,
      body.schedule,
      await target(body, req.caller!.name),
    );
    await audit(ctx, req, 'schedule.create', {
      scheduleId: body.id,
      schedule: body.schedule,
      target: info.name,
    });
    res.status(201).location(`/api/v1/schedules/${body.id}`).json(info);
  });

  router.put('/api/v1/schedules/:id', operator, async (req, res) => {
    const { id } = parseOrThrow('params', scheduleIdParams, req.params);
    const body = parseOrThrow('body', scheduleBody, req.body);
    if (!(await schedules.get(id))) throw notFoundError(`no schedule ${id}`);
    const info = await schedules.upsert(id, body.schedule, await target(body, req.caller!.name));
    await audit(ctx, req, 'schedule.update', {
      scheduleId: id,
      schedule: body.schedule,
      target: info.name,
    });
    res.json(info);
  });

  router.delete('/api/v1/schedules/:id', operator, async (req, res) => {
    const { id } = parseOrThrow('params', scheduleIdParams, req.params);
    if (!(await schedules.remove(id))) throw notFoundError(`no schedule ${id}`);
    await audit(ctx, req, 'schedule.delete', { scheduleId: id });
    res.status(204).end();
  });

  return router;
}
