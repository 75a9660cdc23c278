import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import express, { type Express, type Response } from 'express';
import { pinoHttp } from 'pino-http';
import type { Registry } from 'prom-client';
import type { Logger } from '../src/logger.js';
import { packageRoot } from '../src/package-root.js';
import type { CheckResult } from '../src/redis.js';
import type { ApiContext } from './context.js';
import { HttpError } from './http-error.js';
import { errorHandler, notFound } from './problem.js';
import { route } from './route.js';
import { contract } from '../src/contract/operations.js';
import { haltRouter } from './routes/halt.js';
import { runsRouter } from './routes/runs.js';
import { scenariosRouter } from './routes/scenarios.js';
import { trendsRouter } from './routes/trends.js';
import { schedulesRouter } from './routes/schedules.js';
import { gameDaysRouter } from './routes/gamedays.js';
import { openApiDocument } from './openapi.js';
import { webhookRouter } from './webhook.js';
import { writeRateLimit } from './rate-limit.js';

export interface AppDependencies {
  logger: Logger;
  metrics: Registry;
  /** Named dependency checks behind /readyz; all must pass for the API to take traffic. */
  readiness: Record<string, () => Promise<CheckResult>>;
  /** The run API; without it only the probes and /metrics are served. */
  api?: ApiContext & { webhookSecret: string | undefined; writesPerMinute?: number };
}

const PROBE_PATHS = new Set(['/healthz', '/readyz', '/metrics']);
const REQUEST_ID = /^[\w.:-]{1,128}$/;
/** Request bodies are small documents; a scenario file is a few kB. */
const JSON_BODY_LIMIT = '256kb';
/** Writes per minute per token: far above any human, low enough to stop a runaway loop. */
const DEFAULT_WRITES_PER_MINUTE = 120;
const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];
/** The dashboard's pages load only what the API itself serves. */
const DASHBOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; base-uri 'none'; frame-ancestors 'none'";

/** `dashboard/` at the repository root, wherever this module runs from (source, dist/, a test build). */
function dashboardDirectory(): string {
  return join(packageRoot(import.meta.url) ?? process.cwd(), 'dashboard');
}

/** Chart.js's UMD bundle; `chart.js/dist/*` is not in its package exports, its main is. */
function chartJsFile(): string {
  return join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.js');
}

function dashboardHeaders(res: Response): void {
  res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
}

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

  const noAuth = () => undefined;
  route(app, noAuth, contract.health, async () => ({
    status: 200,
    body: { status: 'ok' as const },
  }));

  route(app, noAuth, contract.ready, async () => {
    const checks = Object.fromEntries(
      await Promise.all(
        Object.entries(readiness).map(async ([name, check]) => [name, await check()] as const),
      ),
    );
    const failing = Object.entries(checks).filter(([, result]) => !result.ok);
    if (failing.length > 0) {
      throw new HttpError(
        503,
        'Service Unavailable',
        failing.map(([, result]) => (result.ok ? '' : result.reason)).join('; '),
        { checks },
      );
    }
    return { status: 200, body: { status: 'ready' as const, checks } };
  });

  route(app, noAuth, contract.metrics, async () => ({
    status: 200,
    body: await metrics.metrics(),
    contentType: metrics.contentType,
  }));

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
    app.use(
      '/api/v1',
      writeRateLimit(api.writesPerMinute ?? DEFAULT_WRITES_PER_MINUTE, () => api.clock.now()),
    );
    app.use('/api/v1', express.json({ limit: JSON_BODY_LIMIT }));
    app.use(scenariosRouter(api));
    app.use(runsRouter(api));
    app.use(haltRouter(api));
    app.use(trendsRouter(api));
    app.use(schedulesRouter(api));
    app.use(gameDaysRouter(api));
    route(app, noAuth, contract.openApi, async () => ({
      status: 200,
      body: document() as { openapi: string },
    }));

    // The dashboard (SPEC §7): static files calling the API above, no build step.
    const dashboard = dashboardDirectory();
    app.get(contract.dashboard.path, (_req, res) => {
      dashboardHeaders(res);
      res.sendFile(join(dashboard, 'index.html'));
    });
    app.use(
      '/dashboard',
      express.static(dashboard, { index: false, setHeaders: dashboardHeaders }),
    );
    app.get(contract.chartJs.path, (_req, res) => {
      dashboardHeaders(res);
      res.sendFile(chartJsFile(), { maxAge: '1h' });
    });
  }

  app.use(notFound);
  app.use(errorHandler);
  return app;
}
