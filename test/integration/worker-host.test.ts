import { Queue, type Job } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { QUEUE_PREFIX } from '../../src/queue.js';
import { startWorkerHost, type JobProcessor, type WorkerHost } from '../../src/worker-host.js';
import { startRedis, waitFor, type RedisHandle } from '../support/index.js';

const logger = createLogger({ name: 'test-worker', level: 'silent', format: 'json' });
let redisServer: RedisHandle;
const cleanup: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  redisServer = await startRedis();
});

afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

afterAll(async () => {
  await redisServer?.dispose();
});

let queueCounter = 0;
function setup(processor: JobProcessor): { queue: Queue; host: WorkerHost } {
  const queueName = `test-${process.pid}-${++queueCounter}`;
  const queue = new Queue(queueName, {
    connection: { url: redisServer.url },
    prefix: QUEUE_PREFIX,
  });
  const host = startWorkerHost({
    redisUrl: redisServer.url,
    queueName,
    concurrency: 2,
    lockDurationMs: 30_000,
    processor,
    logger,
  });
  cleanup.push(() => queue.close());
  return { queue, host };
}

async function stateOf(queue: Queue, job: Job): Promise<string> {
  return queue.getJobState(job.id ?? '');
}

describe('startWorkerHost shutdown', () => {
  it('asks active jobs to reach a safe point and waits for them', async () => {
    const started: string[] = [];
    const { queue, host } = setup(async (job, signal) => {
      started.push(job.id ?? '');
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      return { stoppedSafely: true, reason: String((signal.reason as Error).message) };
    });
    await host.ready;
    const job = await queue.add('run', {});
    await waitFor(() => started.includes(job.id ?? ''), { description: 'the job to start' });

    expect(await host.shutdown(10_000)).toBe('drained');

    expect(await stateOf(queue, job)).toBe('completed');
    const done = await queue.getJob(job.id ?? '');
    expect(done?.returnvalue).toEqual({ stoppedSafely: true, reason: 'worker shutting down' });
  });

  it('takes no new jobs once shutting down', async () => {
    let release: () => void = () => undefined;
    const processed: string[] = [];
    const { queue, host } = setup(async (job) => {
      processed.push(job.id ?? '');
      await new Promise<void>((resolve) => (release = resolve));
    });
    await host.ready;
    const first = await queue.add('run', {});
    await waitFor(() => processed.length === 1, { description: 'the first job to start' });

    const shutdown = host.shutdown(10_000);
    const second = await queue.add('run', {});
    release();
    expect(await shutdown).toBe('drained');

    expect(processed).toEqual([first.id]);
    expect(await stateOf(queue, first)).toBe('completed');
    expect(await stateOf(queue, second)).toBe('waiting');
  });

  it('gives up after the timeout and leaves the job active for stalled-job recovery', async () => {
    const started: string[] = [];
    // A processor that ignores the abort signal and never reaches a safe point.
    const { queue, host } = setup(async (job) => {
      started.push(job.id ?? '');
      await new Promise(() => undefined);
    });
    await host.ready;
    const job = await queue.add('run', {});
    await waitFor(() => started.length === 1, { description: 'the job to start' });

    expect(await host.shutdown(300)).toBe('timed-out');
    expect(host.worker.closing).toBeDefined();
    expect(await stateOf(queue, job)).toBe('active');
  });
});
