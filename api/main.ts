import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import { buildInfo } from '../src/build-info.js';
import { QUEUE_PREFIX, RUNS_QUEUE } from '../src/queue.js';
import { createLogger } from '../src/logger.js';
import { createMetricsRegistry } from '../src/metrics.js';
import { registerRunMetrics } from '../src/metrics-collectors.js';
import { exitOnUnexpectedErrors, loadConfigOrExit, onShutdownSignal } from '../src/process.js';
import { checkRedis, createRedisConnection } from '../src/redis.js';
import { redactUrl } from '../src/redact.js';
import { systemClock } from '../src/measure/types.js';
import { RunStore } from '../src/run/store.js';
import { createApp } from './app.js';
import { tokenAuthenticator } from './auth.js';
import { directoryCatalogue } from '../src/scenario/directory-catalogue.js';

const config = loadConfigOrExit('gameday-api');
const logger = createLogger({ name: 'gameday-api', ...config.log });
exitOnUnexpectedErrors(logger);

const info = buildInfo();
const redis = createRedisConnection({
  url: config.redisUrl,
  connectionName: 'gameday-api',
  logger,
  purpose: 'requests',
});
const queue = new Queue(RUNS_QUEUE, { connection: redis, prefix: QUEUE_PREFIX });
const metrics = createMetricsRegistry(info);
registerRunMetrics(metrics, { redis, queue, logger });
const app = createApp({
  logger,
  metrics,
  readiness: { redis: () => checkRedis(redis) },
  api: {
    store: new RunStore(redis),
    queue,
    clock: systemClock,
    logger,
    catalogue: directoryCatalogue(config.scenariosDir),
    authenticate: tokenAuthenticator(config.api.tokens),
    webhookSecret: config.api.webhookSecret,
  },
});

const server = app.listen(config.api.port, config.api.host);
try {
  await once(server, 'listening');
} catch (err) {
  logger.fatal({ err }, `cannot listen on ${config.api.host}:${config.api.port}`);
  process.exit(1);
}
const { address, port } = server.address() as AddressInfo;
logger.info(
  { version: info.version, redis: redactUrl(config.redisUrl), listen: `${address}:${port}` },
  `gameday-api ${info.version} listening on http://${address}:${port}, redis ${redactUrl(config.redisUrl)}`,
);

onShutdownSignal(logger, async () => {
  // In-flight requests get the shutdown timeout to finish; then their sockets are cut.
  const forceClose = setTimeout(() => server.closeAllConnections(), config.shutdownTimeoutMs);
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
  clearTimeout(forceClose);
  await queue.close();
  await redis.quit().catch(() => redis.disconnect());
  return 0;
});
