import { Router } from 'express';
import { contract } from '../../src/contract/operations.js';
import { TrendIndex } from '../../src/trends/index-store.js';
import { TrendRangeError } from '../../src/trends/aggregate.js';
import type { ApiContext } from '../context.js';
import { badRequest } from '../http-error.js';
import { route } from '../route.js';

const DEFAULT_RANGE_MS = 90 * 24 * 3_600_000;

/** GET /api/v1/trends: MTTD/MTTR, detection rate and attainment per scenario and period (SPEC §7). */
export function trendsRouter(ctx: ApiContext): Router {
  const router = Router();
  const index = new TrendIndex(ctx.store.redis);
  route(router, ctx.authenticate, contract.getTrends, async ({ query }) => {
    const to = query.to ?? ctx.clock.now();
    const from = query.from ?? to - DEFAULT_RANGE_MS;
    try {
      return {
        status: 200,
        body: await index.query({
          from,
          to,
          bucket: query.bucket,
          ...(query.scenario !== undefined && { scenarios: query.scenario }),
        }),
      };
    } catch (err) {
      if (err instanceof TrendRangeError) {
        throw badRequest(`query: ${err.message}`, [{ field: 'query.from', message: err.message }]);
      }
      throw err;
    }
  });
  return router;
}
