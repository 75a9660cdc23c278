import { Router } from 'express';
import { contract } from '../../src/contract/operations.js';
import type { AuditEntry } from '../../src/contract/schemas.js';
import { keys } from '../../src/run/keys.js';
import { audit, type ApiContext } from '../context.js';
import { route } from '../route.js';

/**
 * The kill switch (SPEC §4): while engaged, every running run reverts and ends aborted (each
 * worker sees the flag within a second) and no run or GameDay starts. Admins only, like the
 * audit log of every write.
 */
export function haltRouter(ctx: ApiContext): Router {
  const router = Router();
  const { authenticate } = ctx;

  route(router, authenticate, contract.getHalt, async () => {
    const halt = await ctx.store.haltState();
    return {
      status: 200,
      body: halt
        ? { halted: true as const, ...halt, at: new Date(halt.at).toISOString() }
        : { halted: false as const },
    };
  });

  route(router, authenticate, contract.engageHalt, async ({ body, caller }, req) => {
    const at = ctx.clock.now();
    await ctx.store.halt({ by: caller!.name, reason: body.reason, at });
    const active = await ctx.store.activeRunIds();
    await audit(ctx, req, 'halt.engage', { reason: body.reason, activeRuns: active.length });
    return {
      status: 202,
      body: {
        halted: true as const,
        by: caller!.name,
        reason: body.reason,
        at: new Date(at).toISOString(),
        activeRuns: active,
      },
    };
  });

  route(router, authenticate, contract.releaseHalt, async (_input, req) => {
    await ctx.store.release();
    await audit(ctx, req, 'halt.release', {});
    return { status: 200, body: { halted: false as const } };
  });

  /** The audit log of API writes, newest first: who engaged the kill switch, started runs… */
  route(router, authenticate, contract.listAudit, async ({ query }) => {
    const [lines, total] = await Promise.all([
      ctx.store.redis.lrange(keys.audit, query.offset, query.offset + query.limit - 1),
      ctx.store.redis.llen(keys.audit),
    ]);
    return {
      status: 200,
      body: { entries: lines.map((line) => JSON.parse(line) as AuditEntry), total },
    };
  });

  return router;
}
