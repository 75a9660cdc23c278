import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from './logger.js';
import { redactUrl } from './redact.js';

export type { Redis } from 'ioredis';

export interface RedisConnectionOptions {
  url: string;
  /** Shown in Redis `CLIENT LIST`, so operators can tell the API's connections from a worker's. */
  connectionName: string;
  logger: Logger;
  /**
   * BullMQ workers need `maxRetriesPerRequest: null` (blocking commands wait across reconnects).
   * Request-serving connections want the opposite: fail fast while Redis is down.
   */
  purpose: 'queue' | 'requests';
}

const MAX_RECONNECT_DELAY_MS = 2_000;
const lastErrors = new WeakMap<Redis, string>();

/** A connection that keeps reconnecting forever and logs each change of state once. */
export function createRedisConnection({
  url,
  connectionName,
  logger,
  purpose,
}: RedisConnectionOptions): Redis {
  const options: RedisOptions = {
    connectionName,
    lazyConnect: false,
    retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
    ...(purpose === 'queue'
      ? { maxRetriesPerRequest: null }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000 }),
  };
  const redis = new Redis(url, options);
  const log = logger.child({ redis: redactUrl(url), connection: connectionName });
  let lastError: string | undefined;
  redis.on('error', (err: Error) => {
    // ioredis repeats the same error on every reconnect attempt; log it once per outage.
    if (err.message !== lastError) log.warn({ err }, 'redis connection error');
    lastError = err.message;
    lastErrors.set(redis, err.message);
  });
  redis.on('ready', () => {
    if (lastError !== undefined) log.info('redis connection restored');
    lastError = undefined;
    lastErrors.delete(redis);
  });
  return redis;
}

export type CheckResult = { ok: true } | { ok: false; reason: string };

/** Whether Redis answers a PING within the deadline, and if not, why. */
export async function checkRedis(redis: Redis, timeoutMs = 1_000): Promise<CheckResult> {
  if (redis.status !== 'ready') {
    const cause = lastErrors.get(redis);
    return {
      ok: false,
      reason: `redis connection is ${redis.status}${cause === undefined ? '' : ` (${cause})`}`,
    };
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no PING reply within ${timeoutMs}ms`)), timeoutMs);
    });
    await Promise.race([redis.ping(), timeout]);
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: `redis: ${(err as Error).message}` };
  } finally {
    clearTimeout(timer);
  }
}
