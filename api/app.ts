import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import { pinoHttp } from 'pino-http';
import type { Registry } from 'prom-client';
import type { Logger } from '../src/logger.js';
import type { CheckResult } from '../src/redis.js';
import type { ApiContext } from './context.js';
import { HttpError } from './http-error.js';
import { errorHandler, notFound, sendProblem } from './problem.js';
import { haltRouter } from './routes/halt.js';
import { runsRouter } from './routes/runs.js';
import { scenariosRouter } from './routes/scenarios.js';
import { trendsRouter } from './routes/trends.js';
import { openApiDocument } from './openapi.js';
import { webhookRouter } from './webhook.js';

export interface AppDependencies {
  logger: Logger;
  metrics: Registry;
  /** Named dependency checks behind /readyz; all must pass for the API to take traffic. */
  readiness: Record<string, () => Promise<CheckResult>>;
  /** The run API; without it only the probes and /metrics are served. */
  api?: ApiContext & { webhookSecret: string | undefined };
}

const PROBE_PATHS = new Set(['/healthz', '/readyz', '/metrics']);
const REQUEST_ID = /^[\w.:-]{1,128}$/;
/** Request bodies are small documents; a scenario file is a few kB. */
const JSON_BODY_LIMIT = '256kb';
const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];

export function createApp({ logger, metrics, readiness, api }: AppDependencies): Express {
  const app = express();
  let openApi: Record<string, unknown> | undefined;
  const document = () => (openApi ??= openApiDocument());
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

  if (api) {
    // The webhook parses its own body, after checking its secret.
    app.use(webhookRouter({ store: api.store, secret: api.webhookSecret, clock: api.clock }));
    app.use('/api/v1', (req, _res, next) => {
      const hasBody =
        req.headers['content-length'] !== '0' &&
        (req.headers['content-length'] !== undefined ||
          req.headers['transfer-encoding'] !== undefined);
      if (
        ['POST', 'PUT', 'PATCH'].includes(req.method) &&
        hasBody &&
        !req.is(['application/json', ...YAML_TYPES])
      ) {
        throw new HttpError(
          415,
          'Unsupported Media Type',
          'Send the request body as application/json.',
        );
      }
      next();
    });
    app.use('/api/v1', express.json({ limit: JSON_BODY_LIMIT }));
    app.use(scenariosRouter(api));
    app.use(runsRouter(api));
    app.use(haltRouter(api));
    app.use(trendsRouter(api));
    app.get('/api/v1/openapi.json', (_req, res) => {
      res.json(document());
    });
  }

  app.use(notFound);
  app.use(errorHandler);
  return app;
}
