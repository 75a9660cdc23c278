import { mkdir, writeFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { denyScenario } from '../../bench/support/scenarios.js';
import { waitFor } from '../../lab/services/wait-for.js';
import { systemClock } from '../../src/measure/types.js';
import { QUEUE_PREFIX, RUNS_QUEUE } from '../../src/queue.js';
import { keys } from '../../src/run/keys.js';
import { isFinal } from '../../src/run/lifecycle.js';
import { submitRun } from '../../src/run/submit.js';
import type { RunRecord } from '../../src/run/types.js';
import type { Scenario } from '../../src/scenario/schema.js';
import { markedObjects } from '../support/worker-kills.js';
import { objectsMarkedBy, startRunHarness, type RunHarness } from '../support/run-harness.js';

// Issue item 2, SPEC §2 (nothing lives only in a worker's memory): Redis, with AOF as deployed
// (docker-compose and the Helm chart: appendonly yes, appendfsync everysec), restarts while runs
// observe with their fault in the cluster. everysec is enough here: Redis write()s the AOF
// before it replies, so an acknowledged write is in the kernel's page cache and survives the
// process being SIGKILLed; fsync (`always`) only matters when the machine itself goes down.
//
// - Quick restart (SIGTERM, back within the lease): the runs carry on and complete.
// - SIGKILL, down for twice the lease: the fault stays in the cluster while nothing can be
//   journaled (the worker's Redis calls wait for the connection); once Redis is back the lease
//   has expired, the worker stops the run it can no longer fence, and a sweeper takes it over:
//   reverts and ends it `aborted: worker lost`. Either way no run is lost, none injects twice,
//   every journal entry is reverted and nothing marked is left in the lab.

const LEASE_MS = 3_000;
const ARTIFACT = 'reports/test-artifacts/redis-restart.json';

let harness: RunHarness;
let queue: Queue;
const measured: Record<string, unknown> = {};

beforeAll(async () => {
  harness = await startRunHarness({
    leaseMs: LEASE_MS,
    redis: { appendOnly: true, appendFsync: 'everysec' },
  });
  queue = new Queue(RUNS_QUEUE, { connection: { url: harness.redis.url }, prefix: QUEUE_PREFIX });
  await harness.startWorker('redis-restart-worker');
}, 180_000);

afterAll(async () => {
  await mkdir('reports/test-artifacts', { recursive: true });
  await writeFile(ARTIFACT, `${JSON.stringify({ leaseMs: LEASE_MS, ...measured }, null, 2)}\n`);
  await queue?.close();
  await harness?.stop();
}, 60_000);

const TARGETS = [
  { namespace: 'payments', app: 'payments-api' },
  { namespace: 'orders', app: 'orders-api' },
];

async function scenario(
  target: (typeof TARGETS)[number],
  name: string,
  hold: { holdFor: string; detection: string; recovery: string },
): Promise<Scenario> {
  const s = denyScenario(await harness.scenario('bad-deny-policy.yaml'), {
    ...target,
    holdFor: hold.holdFor,
    name,
  });
  s.spec.detection.timeout = hold.detection;
  s.spec.recovery.timeout = hold.recovery;
  return s;
}

const submit = (s: Scenario, onTargetBusy?: 'wait') =>
  submitRun(
    { store: harness.store, queue, clock: systemClock },
    { scenario: s, createdBy: 'redis-restart-test', ...(onTargetBusy && { onTargetBusy }) },
  );

interface Trial {
  /** The runs holding their fault when Redis went down. */
  observing: RunRecord[];
  /** A run queued behind the first one (its BullMQ job delayed) when Redis went down. */
  waiting: RunRecord;
}

/** Two runs observing with their fault in effect, and a third waiting for the first's target. */
async function startTrial(tag: string, holdFor: string): Promise<Trial> {
  const timing = { holdFor, detection: '12s', recovery: '20s' };
  const observing: RunRecord[] = [];
  for (const target of TARGETS) {
    observing.push(
      await submit(await scenario(target, `redis-${tag}-${target.namespace}`, timing)),
    );
  }
  for (const run of observing) await harness.waitForState(run.id, ['observing']);
  const waiting = await submit(
    await scenario(TARGETS[0]!, `redis-${tag}-waiting`, {
      holdFor: '2s',
      detection: '4s',
      recovery: '10s',
    }),
    'wait',
  );
  // The waiting run's job has been taken and delayed for the busy target at least once.
  await waitFor(async () => (await queue.getJobState(waiting.id)) === 'delayed', {
    description: `run ${waiting.id} waiting for ${TARGETS[0]!.namespace}`,
    timeoutMs: 15_000,
    intervalMs: 50,
  });
  for (const run of observing) expect(objectsMarkedBy(harness.lab, run.id)).toHaveLength(1);
  return { observing, waiting };
}

/** Everything SPEC §2/§5 promise after the restart, for every run of the trial. */
async function expectNothingLostOrLeft(trial: Trial): Promise<RunRecord[]> {
  const ids = [...trial.observing, trial.waiting].map((r) => r.id);
  const ended = await Promise.all(ids.map((id) => harness.waitForEnd(id, 120_000)));
  const byTime = await harness.store.redis.zrange(keys.byTime, 0, -1);
  for (const record of ended) {
    expect(byTime, `run ${record.id} in the by-time index`).toContain(record.id);
    expect(isFinal(record.state)).toBe(true);
    expect(['completed', 'aborted'], `${record.id}: ${record.summary}`).toContain(record.state);
    if (record.state === 'aborted') {
      expect(record.stop?.kind).toBe('worker lost');
      // One worker: it takes its own run over once Redis is back, and says so.
      expect(record.stop?.message).toMatch(
        /could not renew its lease in time .* took the run over again/,
      );
    }
    expect(record.result.revertVerification?.state, record.id).toBe('reverted');
    expect(objectsMarkedBy(harness.lab, record.id)).toEqual([]);
    const journal = await harness.store.journalEntries(record.id);
    expect(journal.length, `${record.id} journal`).toBeGreaterThan(0);
    expect(journal.filter((e) => e.state !== 'reverted')).toEqual([]);
    const events = await harness.store.events(record.id);
    const injects = events.filter((e) => e.type === 'inject' && e.phase === 'started');
    expect(injects, `${record.id} injected once`).toHaveLength(1);
    // The timeline kept every step, from the first state to the final one.
    const states = events.flatMap((e) => (e.type === 'state' ? [e.state] : []));
    expect(states.slice(0, 4)).toEqual(['preflight', 'baseline', 'injecting', 'observing']);
    expect(states.at(-1)).toBe(record.state);
  }
  expect(markedObjects(harness)).toEqual([]);
  expect(await harness.store.activeRunIds()).toEqual([]);
  expect(await harness.store.redis.keys(`${keys.targetLock('', '').slice(0, -1)}*`)).toEqual([]);
  return ended;
}

describe('Redis restarts mid-run (AOF, everysec)', () => {
  it('SIGTERM and back within the lease: the runs carry on and complete', async () => {
    const trial = await startTrial('sigterm', '10s');
    const down = Date.now();
    await harness.redis.restart();
    const downMs = Date.now() - down;
    expect(downMs).toBeLessThan(LEASE_MS);
    const ended = await expectNothingLostOrLeft(trial);
    for (const record of ended) expect(record.state, record.summary).toBe('completed');
    measured['sigterm'] = { downMs, outcomes: ended.map((r) => r.summary) };
  }, 180_000);

  it('SIGKILL and down for twice the lease: every run is reverted once Redis is back', async () => {
    const trial = await startTrial('sigkill', '60s');
    await harness.redis.kill();
    const down = Date.now();
    // The outage itself: twice the lease, so every lease expires while Redis is away.
    await delay(2 * LEASE_MS);
    // Nothing could be journaled meanwhile, so nothing was reverted either: the faults are still
    // in the cluster, waiting for Redis.
    const heldDuringOutage = trial.observing.map((r) => objectsMarkedBy(harness.lab, r.id).length);
    expect(heldDuringOutage).toEqual([1, 1]);
    await harness.redis.start();
    const back = Date.now();
    const faultsGone = await waitFor(
      () => trial.observing.every((r) => objectsMarkedBy(harness.lab, r.id).length === 0),
      { description: 'every fault reverted after Redis came back', timeoutMs: 60_000 },
    ).then(() => Date.now());
    const ended = await expectNothingLostOrLeft(trial);
    // The held runs had 60 s left: they cannot have completed; they were taken over and reverted.
    for (const record of ended.slice(0, 2)) {
      expect(record.state, record.summary).toBe('aborted');
      expect(record.result.revertedAt!).toBeGreaterThanOrEqual(back);
    }
    // The queued run survived in the queue and ran once its target was free.
    expect(ended[2]!.state, ended[2]!.summary).toBe('completed');
    measured['sigkill'] = {
      downMs: back - down,
      faultsHeldDuringOutage: true,
      revertedAfterRedisBackMs: faultsGone - back,
      outcomes: ended.map((r) => r.summary),
    };
    expect(faultsGone - back).toBeLessThan(LEASE_MS + 10_000);
  }, 180_000);
});
