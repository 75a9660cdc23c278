import type { Queue } from 'bullmq';
import type { Request } from 'express';
import type { Logger } from '../src/logger.js';
import type { Clock } from '../src/measure/types.js';
import { keys } from '../src/run/keys.js';
import type { RunStore } from '../src/run/store.js';
import type { Catalogue } from '../src/scenario/directory-catalogue.js';
import type { Caller } from './auth.js';

export type { Catalogue };

/** What the run routes need. */
export interface ApiContext {
  store: RunStore;
  queue: Queue;
  clock: Clock;
  logger: Logger;
  catalogue: () => Promise<Catalogue>;
  authenticate: (header: string | undefined) => Caller | undefined;
}

const AUDIT_LOG_LENGTH = 10_000;

/**
 * Records one write (who, what, when) in the log and in Redis (`gameday:v1:audit`, newest
 * first, capped), for the operator reviewing what was done to a cluster and by whom.
 */
export async function audit(
  ctx: ApiContext,
  req: Request,
  action: string,
  details: Record<string, unknown>,
): Promise<void> {
  const entry = {
    at: new Date(ctx.clock.now()).toISOString(),
    actor: req.caller?.name ?? 'anonymous',
    role: req.caller?.role,
    action,
    requestId: req.id,
    ...details,
  };
  ctx.logger.info({ audit: entry }, `audit: ${entry.actor} ${action}`);
  await ctx.store.redis
    .multi()
    .lpush(keys.audit, JSON.stringify(entry))
    .ltrim(keys.audit, 0, AUDIT_LOG_LENGTH - 1)
    .exec();
}
