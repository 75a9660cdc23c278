import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import { pinoHttp } from 'pino-http';
import type { Registry } from 'prom-client';
import type { Logger } from '../src/logger.js';
import type { Clock } from '../src/measure/types.js';
import type { RunStore } from '../src/run/store.js';
import type { CheckResult } from '../src/redis.js';
import { errorHandler, notFound, sendProblem } from './problem.js';
import { webhookRouter } from './webhook.js';

export interface AppDependencies {
  logger: Logger;
  metrics: Registry;
  /** Named dependency checks behind /readyz; all must pass for the API to take traffic. */
  readiness: Record<string, () => Promise<CheckResult>>;
  /** The run store; without it the run routes are not mounted. */
  runs?: { store: RunStore; webhookSecret: string | undefined; clock: Clock };
}

const PROBE_PATHS = new Set(['/healthz', '/readyz', '/metrics']);
const REQUEST_ID = /^[\w.:-]{1,128}$/;

export function createApp({ logger, metrics, readiness, runs }: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);

  app.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const incoming = req.headers['x-request-id'];
        const id =
          typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      // Probes arrive every few seconds; only their failures are worth a line at info.
      customLogLevel: (req, res, err) => {
        if (err || res.statusCode >= 500) return 'error';
        if (res.statusCode >= 400) return 'warn';
        return PROBE_PATHS.has(req.url ?? '') ? 'debug' : 'info';
      },
    }),
  );

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    const checks = Object.fromEntries(
      await Promise.all(
        Object.entries(readiness).map(async ([name, check]) => [name, await check()] as const),
      ),
    );
    const failing = Object.entries(checks).filter(([, result]) => !result.ok);
    if (failing.length === 0) {
      res.json({ status: 'ready', checks });
      return;
    }
    sendProblem(res, {
      title: 'Service Unavailable',
      status: 503,
      detail: failing.map(([, result]) => (result.ok ? '' : result.reason)).join('; '),
      checks,
    });
  });

  app.get('/metrics', async (_req, res) => {
    res.type(metrics.contentType).send(await metrics.metrics());
  });

  if (runs) {
    app.use(webhookRouter({ store: runs.store, secret: runs.webhookSecret, clock: runs.clock }));
  }

  app.use(notFound);
  app.use(errorHandler);
  return app;
}
