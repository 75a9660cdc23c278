import { Router } from 'express';
import { requireRole } from '../auth.js';
import { audit, type ApiContext } from '../context.js';
import { parseOrThrow } from '../http-error.js';
import { keys } from '../../src/run/keys.js';
import { auditQuery, haltBody } from '../schemas.js';

/**
 * The kill switch (SPEC §4): while engaged, every running run reverts and ends aborted (each
 * worker sees the flag within a second) and no run or GameDay starts. Admins only, like the
 * audit log of every write.
 */
export function haltRouter(ctx: ApiContext): Router {
  const router = Router();
  const viewer = requireRole(ctx.authenticate, 'viewer');
  const admin = requireRole(ctx.authenticate, 'admin');

  router.get('/api/v1/halt', viewer, async (_req, res) => {
    const halt = await ctx.store.haltState();
    res.json(
      halt ? { halted: true, ...halt, at: new Date(halt.at).toISOString() } : { halted: false },
    );
  });

  router.post('/api/v1/halt', admin, async (req, res) => {
    const body = parseOrThrow('body', haltBody, req.body);
    const at = ctx.clock.now();
    await ctx.store.halt({ by: req.caller!.name, reason: body.reason, at });
    const active = await ctx.store.activeRunIds();
    await audit(ctx, req, 'halt.engage', { reason: body.reason, activeRuns: active.length });
    res.status(202).json({
      halted: true,
      by: req.caller!.name,
      reason: body.reason,
      at: new Date(at).toISOString(),
      activeRuns: active,
    });
  });

  router.delete('/api/v1/halt', admin, async (req, res) => {
    await ctx.store.release();
    await audit(ctx, req, 'halt.release', {});
    res.json({ halted: false });
  });

  /** The audit log of API writes, newest first: who engaged the kill switch, started runs… */
  router.get('/api/v1/audit', admin, async (req, res) => {
    const query = parseOrThrow('query', auditQuery, req.query);
    const [lines, total] = await Promise.all([
      ctx.store.redis.lrange(keys.audit, query.offset, query.offset + query.limit - 1),
      ctx.store.redis.llen(keys.audit),
    ]);
    res.json({ entries: lines.map((line) => JSON.parse(line) as unknown), total });
  });

  return router;
}
