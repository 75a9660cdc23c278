import { WaitingError, Worker, type Job } from 'bullmq';
import type { Logger } from './logger.js';
import { QUEUE_PREFIX } from './queue.js';
import { createRedisConnection } from './redis.js';

/**
 * A job processor. `signal` aborts when the worker is shutting down (or BullMQ cancels
 * the job): the processor must then reach a safe point — state saved in Redis, nothing
 * half-written in the cluster — and return or throw promptly.
 */
export type JobProcessor = (
  job: Job,
  signal: AbortSignal,
  token: string | undefined,
) => Promise<unknown>;

export interface WorkerHostOptions {
  redisUrl: string;
  queueName: string;
  concurrency: number;
  /** How long BullMQ's job lock lasts before a dead worker's job counts as stalled. */
  lockDurationMs: number;
  processor: JobProcessor;
  logger: Logger;
}

export type ShutdownOutcome = 'drained' | 'timed-out';

export interface WorkerHost {
  worker: Worker;
  /** Resolves once the worker is connected and consuming. */
  ready: Promise<void>;
  /**
   * Stops taking jobs, asks active ones to reach a safe point and waits for them up to
   * `timeoutMs`, then closes the Redis connection. On 'timed-out' the connection is cut
   * so this process stops renewing job locks: the jobs still running expire and are
   * recovered by another worker. The caller should exit the process.
   */
  shutdown(timeoutMs: number): Promise<ShutdownOutcome>;
}

export function startWorkerHost(options: WorkerHostOptions): WorkerHost {
  const { redisUrl, queueName, concurrency, lockDurationMs, processor, logger } = options;
  const connection = createRedisConnection({
    url: redisUrl,
    connectionName: `gameday-worker:${queueName}`,
    logger,
    purpose: 'queue',
  });
  const stopping = new AbortController();
  const inFlight = new Set<Promise<unknown>>();
  const worker = new Worker(
    queueName,
    async (job, token, jobSignal) => {
      if (stopping.signal.aborted) {
        // BullMQ may hand over a job it fetched just before the pause; give it back untouched.
        await job.moveToWait(token);
        throw new WaitingError();
      }
      const signal = jobSignal ? AbortSignal.any([stopping.signal, jobSignal]) : stopping.signal;
      const processing = processor(job, signal, token);
      inFlight.add(processing);
      return processing.finally(() => inFlight.delete(processing));
    },
    { connection, prefix: QUEUE_PREFIX, concurrency, lockDuration: lockDurationMs, autorun: true },
  );
  worker.on('error', (err) => logger.error({ err }, 'worker error'));
  worker.on('failed', (job, err) =>
    logger.warn({ jobId: job?.id, jobName: job?.name, err }, 'job failed'),
  );

  return {
    worker,
    ready: worker.waitUntilReady().then(() => undefined),
    async shutdown(timeoutMs) {
      // Pausing first (without waiting) keeps worker.close(true) available as the way out:
      // once a graceful close() has begun, BullMQ cannot be forced any more.
      await worker.pause(true);
      stopping.abort(new Error('worker shutting down'));
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'timed-out'>((resolve) => {
        timer = setTimeout(() => resolve('timed-out'), timeoutMs);
      });
      const drained = Promise.allSettled([...inFlight]).then(() => 'drained' as const);
      const outcome = await Promise.race([drained, deadline]);
      clearTimeout(timer);
      if (outcome === 'timed-out') {
        logger.warn(
          { timeoutMs, activeJobs: inFlight.size },
          'active jobs did not reach a safe point in time; leaving them to be recovered by another worker',
        );
      }
      // Forcing stops lock renewal, so unfinished jobs expire and count as stalled.
      await worker.close(outcome === 'timed-out');
      await connection.quit().catch(() => connection.disconnect());
      return outcome;
    },
  };
}
