import { hostname } from 'node:os';
import { buildInfo } from '../src/build-info.js';
import { createLogger } from '../src/logger.js';
import { exitOnUnexpectedErrors, loadConfigOrExit, onShutdownSignal } from '../src/process.js';
import { QUEUE_PREFIX, RUNS_QUEUE } from '../src/queue.js';
import { redactUrl } from '../src/redact.js';
import { createRunWorker } from '../src/run/worker.js';
import { startWorkerHost } from '../src/worker-host.js';

const config = loadConfigOrExit('gameday-worker');
const logger = createLogger({ name: 'gameday-worker', ...config.log });
exitOnUnexpectedErrors(logger);

const workerId = `${hostname()}:${process.pid}`;
const runs = createRunWorker({ config, logger, worker: workerId });

const host = startWorkerHost({
  redisUrl: config.redisUrl,
  queueName: RUNS_QUEUE,
  concurrency: config.worker.concurrency,
  lockDurationMs: config.worker.leaseDurationMs,
  processor: runs.processor,
  logger,
});

onShutdownSignal(logger, async () => {
  const outcome = await host.shutdown(config.shutdownTimeoutMs);
  await runs.close();
  logger.info({ outcome }, 'worker stopped');
  return outcome === 'drained' ? 0 : 1;
});

await host.ready;
const info = buildInfo();
logger.info(
  {
    version: info.version,
    worker: workerId,
    redis: redactUrl(config.redisUrl),
    queue: `${QUEUE_PREFIX}:${RUNS_QUEUE}`,
  },
  `gameday-worker ${info.version} (${workerId}) consuming ${QUEUE_PREFIX}:${RUNS_QUEUE} on ${redactUrl(config.redisUrl)} with concurrency ${config.worker.concurrency}`,
);
