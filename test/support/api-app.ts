// The API (createApp) listening on loopback over a real Redis and BullMQ queue, no worker, with
// every log line it writes captured: for the hostile-input suites (fuzzing, security).
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Queue } from 'bullmq';
import { Registry } from 'prom-client';
import type { Express } from 'express';
import { createApp } from '../../api/app.js';
import { tokenAuthenticator } from '../../api/auth.js';
import type { Role } from '../../src/config.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { systemClock, type Clock } from '../../src/measure/types.js';
import { QUEUE_PREFIX, RUNS_QUEUE } from '../../src/queue.js';
import { createRedisConnection, type Redis } from '../../src/redis.js';
import { RunStore } from '../../src/run/store.js';
import { directoryCatalogue } from '../../src/scenario/directory-catalogue.js';
import { startRedis, type RedisHandle } from './index.js';

/** API tokens, one per role (long and distinct, so a scan for them has no false positives). */
export const API_TOKENS: Record<Role, string[]> = {
  viewer: ['hostile-viewer-token-6f1c2a9e4b7d0835'],
  operator: ['hostile-operator-token-93b5e07a1c4f2d68'],
  admin: ['hostile-admin-token-2d8e4f6a0b1c3957'],
};
export const API_WEBHOOK_SECRET = 'hostile-webhook-secret-5a7c9e1b3d0f2468';
export const bearer = (role: Role) => `Bearer ${API_TOKENS[role][0]}`;

/** Log lines (one JSON object each) written to a logger made by {@link captureLogger}. */
export interface CapturedLogger {
  logger: Logger;
  lines: string[];
}

/** A JSON logger at `level` whose every line is kept in memory. */
export function captureLogger(name: string, level: 'trace' | 'debug' | 'info' | 'error' = 'debug') {
  const lines: string[] = [];
  let partial = '';
  const destination = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      const text = partial + chunk.toString();
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts.filter((line) => line.length > 0));
      callback();
    },
  });
  return { logger: createLogger({ name, level, format: 'json', destination }), lines };
}

export interface ApiTestApp {
  app: Express;
  /** http://127.0.0.1:PORT — give it to supertest so that requests share one server. */
  url: string;
  redis: Redis;
  store: RunStore;
  queue: Queue;
  /** Every line the API logged. */
  logs: string[];
  close(): Promise<void>;
}

/**
 * The API over `store` and `queue` with {@link API_TOKENS} and {@link API_WEBHOOK_SECRET}, the
 * repository's catalogue, and no effective write rate limit unless `writesPerMinute` is given.
 */
export function createTestApp(options: {
  store: RunStore;
  queue: Queue;
  logger: Logger;
  clock?: Clock;
  writesPerMinute?: number;
}): Express {
  return createApp({
    logger: options.logger,
    metrics: new Registry(),
    readiness: {},
    api: {
      store: options.store,
      queue: options.queue,
      clock: options.clock ?? systemClock,
      logger: options.logger,
      catalogue: directoryCatalogue('scenarios'),
      authenticate: tokenAuthenticator(API_TOKENS),
      webhookSecret: API_WEBHOOK_SECRET,
      writesPerMinute: options.writesPerMinute ?? 1_000_000,
    },
  });
}

/** An Alertmanager webhook notification (version 4) with one firing alert. */
export const WEBHOOK_PAYLOAD = {
  version: '4',
  status: 'firing',
  receiver: 'gameday',
  groupKey: '{}:{}',
  alerts: [
    {
      status: 'firing',
      labels: { alertname: 'IstiodUnavailable' },
      annotations: {},
      startsAt: '2026-11-22T10:00:00Z',
      endsAt: '0001-01-01T00:00:00Z',
      fingerprint: '0123456789abcdef',
    },
  ],
};

/**
 * Starts Redis (unless `redisUrl` is given) and the API with {@link API_TOKENS} and
 * {@link API_WEBHOOK_SECRET}, the repository's catalogue, and no effective write rate limit.
 */
export async function startApiTestApp(
  options: { redisUrl?: string; logLevel?: 'trace' | 'debug' | 'info' | 'error' } = {},
): Promise<ApiTestApp> {
  let redisServer: RedisHandle | undefined;
  const redisUrl = options.redisUrl ?? (redisServer = await startRedis()).url;
  const { logger, lines } = captureLogger('api-hostile', options.logLevel ?? 'debug');
  const redis = createRedisConnection({
    url: redisUrl,
    connectionName: 'api-hostile',
    logger,
    purpose: 'queue',
  });
  const store = new RunStore(redis);
  const queue = new Queue(RUNS_QUEUE, { connection: redis, prefix: QUEUE_PREFIX });
  const app = createTestApp({ store, queue, logger });
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    app,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    redis,
    store,
    queue,
    logs: lines,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await queue.close();
      await redis.quit().catch(() => redis.disconnect());
      await redisServer?.dispose();
    },
  };
}
