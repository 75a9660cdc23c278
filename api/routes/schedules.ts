import { Router } from 'express';
import { Schedules, type ScheduleTarget } from '../../src/run/schedules.js';
import type { z } from 'zod';
import { contract } from '../../src/contract/operations.js';
import type { scheduleBody } from '../../src/contract/schemas.js';
import { audit, type ApiContext } from '../context.js';
import { badRequest, notFoundError } from '../http-error.js';
import { route } from '../route.js';

/** Cron GameDays on BullMQ job schedulers (SPEC §8: schedules CRUD). */
export function schedulesRouter(ctx: ApiContext): Router {
  const router = Router();
  const schedules = new Schedules(ctx.queue);
  const { authenticate } = ctx;

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

  route(router, authenticate, contract.listSchedules, async () => ({
    status: 200,
    body: { items: await schedules.list() },
  }));

  route(router, authenticate, contract.getSchedule, async ({ params }) => {
    const found = await schedules.get(params.id);
    if (!found) throw notFoundError(`no schedule ${params.id}`);
    return { status: 200, body: found };
  });

  route(router, authenticate, contract.createSchedule, async ({ body, caller }, req) => {
    if (await schedules.get(body.id)) {
      throw badRequest(
        `body.id: a schedule ${body.id} already exists; PUT /api/v1/schedules/${body.id} changes it`,
        [{ field: 'body.id', message: 'already exists' }],
      );
    }
    const info = await schedules.upsert(body.id, body.schedule, await target(body, caller!.name));
    await audit(ctx, req, 'schedule.create', {
      scheduleId: body.id,
      schedule: body.schedule,
      target: info.name,
    });
    return { status: 201, body: info, headers: { Location: `/api/v1/schedules/${body.id}` } };
  });

  route(router, authenticate, contract.replaceSchedule, async ({ params, body, caller }, req) => {
    const { id } = params;
    if (!(await schedules.get(id))) throw notFoundError(`no schedule ${id}`);
    const info = await schedules.upsert(id, body.schedule, await target(body, caller!.name));
    await audit(ctx, req, 'schedule.update', {
      scheduleId: id,
      schedule: body.schedule,
      target: info.name,
    });
    return { status: 200, body: info };
  });

  route(router, authenticate, contract.deleteSchedule, async ({ params }, req) => {
    if (!(await schedules.remove(params.id))) throw notFoundError(`no schedule ${params.id}`);
    await audit(ctx, req, 'schedule.delete', { scheduleId: params.id });
    return { status: 204, body: undefined };
  });

  return router;
}
