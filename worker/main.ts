import { UnrecoverableError } from 'bullmq';
import { buildInfo } from '../src/build-info.js';
import { createLogger } from '../src/logger.js';
import { exitOnUnexpectedErrors, loadConfigOrExit, onShutdownSignal } from '../src/process.js';
import { QUEUE_PREFIX, RUNS_QUEUE } from '../src/queue.js';
import { redactUrl } from '../src/redact.js';
import { startWorkerHost, type JobProcessor } from '../src/worker-host.js';

const config = loadConfigOrExit('gameday-worker');
const logger = createLogger({ name: 'gameday-worker', ...config.log });
exitOnUnexpectedErrors(logger);

// The run engine plugs in here; until then a run job fails visibly instead of vanishing.
const processRun: JobProcessor = async (job) => {
  throw new UnrecoverableError(`job ${job.name}: this worker has no run engine yet`);
};

const host = startWorkerHost({
  redisUrl: config.redisUrl,
  queueName: RUNS_QUEUE,
  concurrency: config.worker.concurrency,
  lockDurationMs: config.worker.leaseDurationMs,
  processor: processRun,
  logger,
});

onShutdownSignal(logger, async () => {
  const outcome = await host.shutdown(config.shutdownTimeoutMs);
  logger.info({ outcome }, 'worker stopped');
  return outcome === 'drained' ? 0 : 1;
});

await host.ready;
const info = buildInfo();
logger.info(
  {
    version: info.version,
    redis: redactUrl(config.redisUrl),
    queue: `${QUEUE_PREFIX}:${RUNS_QUEUE}`,
  },
  `gameday-worker ${info.version} consuming ${QUEUE_PREFIX}:${RUNS_QUEUE} on ${redactUrl(config.redisUrl)} with concurrency ${config.worker.concurrency}`,
);
