import type { V1Deployment } from '@kubernetes/client-node';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/measure/types.js';
import { QUEUE_PREFIX, RUNS_QUEUE } from '../../src/queue.js';
import { keys } from '../../src/run/keys.js';
import { submitRun } from '../../src/run/submit.js';
import { startEntryProcess } from '../support/entry-process.js';
import { waitFor } from '../support/index.js';
import { MeshLabDriver } from '../support/mesh-lab.js';
import { objectsMarkedBy, startRunHarness, type RunHarness } from '../support/run-harness.js';

// SPEC §5 crash safety: a worker process is SIGKILLed at each point of the lifecycle (failpoints,
// see src/failpoints.ts); another worker takes the run over once the lease expires, reverts it,
// and ends it `aborted: worker lost`, leaving the lab as it was. A run never re-injects.

const LEASE_MS = 3_000;
let harness: RunHarness;
let queue: Queue;
let driver: MeshLabDriver;

beforeAll(async () => {
  harness = await startRunHarness({ leaseMs: LEASE_MS });
  queue = new Queue(RUNS_QUEUE, { connection: { url: harness.redis.url }, prefix: QUEUE_PREFIX });
  driver = new MeshLabDriver(harness.lab);
}, 180_000);

afterAll(async () => {
  await queue?.close();
  await harness?.stop();
}, 60_000);

/** What istiod-oom changes and must restore exactly. */
async function istiodShape() {
  const d: V1Deployment = await driver.kube.apps.readNamespacedDeployment({
    name: 'istiod',
    namespace: 'istio-system',
  });
  return {
    strategy: d.spec?.strategy,
    resources: d.spec?.template.spec?.containers.find((c) => c.name === 'discovery')?.resources,
    // The revision annotation is the Deployment controller's, bumped by every rollout.
    annotations: Object.fromEntries(
      Object.entries(d.metadata?.annotations ?? {}).filter(
        ([key]) => key !== 'deployment.kubernetes.io/revision',
      ),
    ),
  };
}

const KILL_POINTS = [
  'run.preflight',
  'run.baseline',
  'run.injecting',
  'journal.planned',
  'journal.applied',
  'run.observing',
  'run.reverting',
  'run.verifying',
];

describe('a worker SIGKILLed mid-run', () => {
  it.each(KILL_POINTS)(
    'at %s: another worker reverts within the lease and ends the run aborted (worker lost)',
    async (point) => {
      const scenario = await harness.scenario('istiod-oom.yaml');
      await harness.settle(scenario);
      await driver.settled(60_000);
      const before = await istiodShape();
      const doomed = startEntryProcess('worker/main.ts', {
        ...harness.env,
        GAMEDAY_FAILPOINTS: `${point}=sigkill`,
        LOG_LEVEL: 'info',
      });
      try {
        await doomed.waitForLine(/consuming/);
        const run = await submitRun(
          { store: harness.store, queue, clock: systemClock },
          { scenario, allowMeshWide: true, createdBy: 'crash-test' },
        );
        const exit = await doomed.exited;
        const killedAt = Date.now();
        expect(exit.signal).toBe('SIGKILL');
        const atKill = await harness.store.mustGet(run.id);
        expect(atKill.state).not.toBe('queued');

        const rescuer = await harness.startWorker(`rescuer-${point}`);
        try {
          const ended = await harness.waitForEnd(run.id, 90_000);
          expect(ended.state, ended.summary).toBe('aborted');
          expect(ended.stop?.kind).toBe('worker lost');
          expect(ended.worker).toBe(`rescuer-${point}`);
          const events = await harness.store.events(run.id);
          const takeOver = events.find((e) => e.type === 'stop');
          expect(takeOver!.at - killedAt).toBeLessThanOrEqual(LEASE_MS + 2_000);
          // Injected at most once: exactly one inject start, and none after the take-over.
          expect(
            events.filter((e) => e.type === 'inject' && e.phase === 'started').length,
          ).toBeLessThanOrEqual(1);
          expect(events.some((e) => e.type === 'inject' && e.at > takeOver!.at)).toBe(false);
          const journal = await harness.store.journalEntries(run.id);
          expect(journal.filter((e) => e.state !== 'reverted')).toEqual([]);
          expect(objectsMarkedBy(harness.lab, run.id)).toEqual([]);
          expect(await istiodShape()).toEqual(before);
          const lock = await harness.store.redis.get(keys.targetLock('', 'istio-system'));
          expect(lock).toBeNull();
        } finally {
          await rescuer.stop();
        }
      } finally {
        await doomed.kill();
      }
    },
    180_000,
  );

  it('just after saving its end: the run stays as it ended, and another worker frees its target', async () => {
    const scenario = await harness.scenario('bad-deny-policy.yaml');
    const doomed = startEntryProcess('worker/main.ts', {
      ...harness.env,
      GAMEDAY_FAILPOINTS: 'run.final=sigkill',
      LOG_LEVEL: 'info',
    });
    try {
      await doomed.waitForLine(/consuming/);
      const run = await submitRun(
        { store: harness.store, queue, clock: systemClock },
        { scenario, dryRun: true, createdBy: 'crash-test' },
      );
      expect((await doomed.exited).signal).toBe('SIGKILL');
      const lockKey = keys.targetLock('', scenario.spec.target.namespace);
      // Killed between the two writes: the end is saved, the run still holds its target.
      expect((await harness.store.mustGet(run.id)).state).toBe('completed');
      expect(await harness.store.redis.get(lockKey)).toBe(run.id);
      expect(await harness.store.activeRunIds()).toContain(run.id);

      const rescuer = await harness.startWorker('rescuer-final');
      try {
        await waitFor(async () => (await harness.store.redis.get(lockKey)) === null, {
          description: `the target lock of ${run.id} released by the rescuer's sweeper`,
          timeoutMs: 10_000,
        });
        expect(await harness.store.activeRunIds()).not.toContain(run.id);
        expect((await harness.store.mustGet(run.id)).state).toBe('completed');
      } finally {
        await rescuer.stop();
      }
    } finally {
      await doomed.kill();
    }
  }, 60_000);
});
