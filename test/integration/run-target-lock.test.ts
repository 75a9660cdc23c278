import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { keys } from '../../src/run/keys.js';
import { LeaseLost, RunStore } from '../../src/run/store.js';
import type { RunRecord } from '../../src/run/types.js';
import { startRedis, type RedisHandle } from '../support/index.js';

// The per-target lock (SPEC §4: one run per target) against a real Redis: who may take it, and
// what a run that ended leaves of it.

let server: RedisHandle;
let redis: Redis;
let store: RunStore;
const target = { context: '', namespace: 'payments' };
const lockKey = keys.targetLock(target.context, target.namespace);

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url);
  store = new RunStore(redis);
});

beforeEach(async () => {
  await redis.flushdb();
});

afterAll(async () => {
  redis?.disconnect();
  await server?.dispose();
});

function record(id: string, state: RunRecord['state']): RunRecord {
  return {
    schemaVersion: 1,
    id,
    scenario: { metadata: { name: 'bad-deny-policy' } } as RunRecord['scenario'],
    target,
    options: { dryRun: false, allowMeshWide: false, onTargetBusy: 'wait' },
    createdBy: 'test',
    createdAt: 0,
    updatedAt: 0,
    state,
    preflightFindings: [],
    result: {},
  } as unknown as RunRecord;
}

describe('target lock', () => {
  it('is taken by the worker holding the run lease, and kept against another run', async () => {
    await store.create(record('run-a', 'preflight'));
    await store.create(record('run-b', 'queued'));
    expect(await store.acquireLease('run-a', 'worker-1', 10_000)).toBe(true);
    expect(await store.acquireLease('run-b', 'worker-2', 10_000)).toBe(true);
    expect(await store.lockTarget('run-a', target, 'worker-1')).toEqual({ locked: true });
    expect(await store.lockTarget('run-a', target, 'worker-1')).toEqual({ locked: true });
    expect(await store.lockTarget('run-b', target, 'worker-2')).toEqual({
      locked: false,
      holder: 'run-a',
    });
    expect(await redis.get(lockKey)).toBe('run-a');
  });

  it('is refused to a worker that lost the run lease, which must not lock for a run that another worker ended', async () => {
    // worker-1 stalled; worker-2 took the run over, ran it to its end and retired it.
    await store.create(record('run-a', 'queued'));
    expect(await store.acquireLease('run-a', 'worker-2', 10_000)).toBe(true);
    await store.save(record('run-a', 'failed'), 'worker-2');
    await store.releaseLease('run-a', 'worker-2');
    // worker-1 wakes up and tries to lock the target for it.
    await expect(store.lockTarget('run-a', target, 'worker-1')).rejects.toThrow(LeaseLost);
    expect(await redis.get(lockKey)).toBeNull();
  });

  it('left by a run that ended is taken over by the next run', async () => {
    await store.create(record('run-a', 'completed'));
    await redis.set(lockKey, 'run-a');
    await store.create(record('run-b', 'queued'));
    expect(await store.acquireLease('run-b', 'worker-2', 10_000)).toBe(true);
    expect(await store.lockTarget('run-b', target, 'worker-2')).toEqual({ locked: true });
    expect(await redis.get(lockKey)).toBe('run-b');
  });

  it('is released with the active set when a run ends (retire)', async () => {
    await store.create(record('run-a', 'preflight'));
    expect(await store.acquireLease('run-a', 'worker-1', 10_000)).toBe(true);
    await store.lockTarget('run-a', target, 'worker-1');
    await store.save(record('run-a', 'completed'), 'worker-1');
    expect(await redis.get(lockKey)).toBeNull();
    expect(await store.activeRunIds()).toEqual([]);
  });
});
