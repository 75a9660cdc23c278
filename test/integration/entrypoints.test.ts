import { Queue, QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CONFIG } from '../../src/process.js';
import { QUEUE_PREFIX, RUNS_QUEUE } from '../../src/queue.js';
import { startEntryProcess, type EntryProcess } from '../support/entry-process.js';
import { startRedis, type RedisHandle } from '../support/index.js';

let redis: RedisHandle;
const running: EntryProcess[] = [];

function start(entry: string, env: Record<string, string>): EntryProcess {
  const proc = startEntryProcess(entry, env);
  running.push(proc);
  return proc;
}

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await Promise.all(running.map((proc) => proc.kill()));
  await redis?.dispose();
});

describe.each(['api/main.ts', 'worker/main.ts'])('%s with a bad configuration', (entry) => {
  it('prints one line naming the variable and exits with EX_CONFIG', async () => {
    const proc = start(entry, { REDIS_URL: 'localhost:6379', GAMEDAY_LEASE_DURATION: 'soon' });
    const { code } = await proc.exited;
    expect(code).toBe(EXIT_CONFIG);
    expect(proc.stderr).toHaveLength(1);
    expect(proc.stderr[0]).toMatch(/^gameday-(api|worker): configuration error: REDIS_URL: /);
    expect(proc.stderr[0]).toContain('GAMEDAY_LEASE_DURATION: expected a duration');
    expect(proc.stdout).toEqual([]);
  });
});

describe('api/main.ts', () => {
  it('logs where it listens and what it uses, serves /readyz, and stops on SIGTERM', async () => {
    const proc = start('api/main.ts', { REDIS_URL: redis.url, GAMEDAY_API_PORT: '0' });
    const line = JSON.parse(await proc.waitForLine(/listening on/)) as {
      listen: string;
      redis: string;
    };
    expect(line.redis).toBe(redis.url);
    const res = await fetch(`http://${line.listen}/readyz`);
    expect(res.status).toBe(200);

    proc.child.kill('SIGTERM');
    expect(await proc.exited).toEqual({ code: 0, signal: null });
  });
});

describe('worker/main.ts', () => {
  it('logs the queue it consumes, takes run jobs, and stops on SIGTERM', async () => {
    const proc = start('worker/main.ts', { REDIS_URL: redis.url });
    const line = JSON.parse(await proc.waitForLine(/consuming/)) as {
      queue: string;
      redis: string;
    };
    expect(line).toMatchObject({ queue: `${QUEUE_PREFIX}:${RUNS_QUEUE}`, redis: redis.url });

    // A job whose run record does not exist (e.g. deleted by retention) completes as a no-op.
    const connection = { url: redis.url };
    const queue = new Queue(RUNS_QUEUE, { connection, prefix: QUEUE_PREFIX });
    const events = new QueueEvents(RUNS_QUEUE, { connection, prefix: QUEUE_PREFIX });
    try {
      await events.waitUntilReady();
      const job = await queue.add('run', { runId: 'no-such-run' });
      await expect(job.waitUntilFinished(events, 20_000)).resolves.toEqual({ kind: 'done' });
    } finally {
      await events.close();
      await queue.close();
    }

    proc.child.kill('SIGTERM');
    expect(await proc.exited).toEqual({ code: 0, signal: null });
    expect(proc.stdout.some((l) => l.includes('"outcome":"drained"'))).toBe(true);
  });
});
