import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/measure/types.js';
import { QUEUE_PREFIX, RUNS_QUEUE } from '../../src/queue.js';
import { Halted, submitRun, type RunRequest } from '../../src/run/submit.js';
import type { Scenario } from '../../src/scenario/schema.js';
import { objectsMarkedBy, startRunHarness, type RunHarness } from '../support/run-harness.js';

// SPEC §4/§5 stop paths: the kill switch, guards, and an observability outage mid-run.

let harness: RunHarness;
let queue: Queue;

beforeAll(async () => {
  harness = await startRunHarness();
  queue = new Queue(RUNS_QUEUE, { connection: { url: harness.redis.url }, prefix: QUEUE_PREFIX });
  await harness.startWorker('controls-worker');
}, 180_000);

afterAll(async () => {
  await queue?.close();
  await harness?.stop();
}, 60_000);

const submit = (request: Omit<RunRequest, 'createdBy'>) =>
  submitRun(
    { store: harness.store, queue, clock: systemClock },
    { createdBy: 'controls-test', ...request },
  );

async function denyPolicy(namespace: string, patch: Partial<Scenario['spec']> = {}) {
  const scenario = await harness.scenario('bad-deny-policy.yaml');
  scenario.spec.target.namespace = namespace;
  scenario.spec.recovery = { ...scenario.spec.recovery, mode: 'auto', holdFor: '5m' };
  Object.assign(scenario.spec, patch);
  return scenario;
}

describe('stopping runs', () => {
  it('halt reverts two runs on different targets within seconds and refuses a third', async () => {
    const payments = await denyPolicy('payments');
    await harness.settle(payments);
    const first = await submit({ scenario: payments });
    const second = await submit({ scenario: await denyPolicy('orders') });
    await harness.waitForState(first.id, ['observing']);
    await harness.waitForState(second.id, ['observing']);
    expect(objectsMarkedBy(harness.lab, first.id)).toHaveLength(1);

    const haltedAt = Date.now();
    await harness.store.halt({
      by: 'controls-test',
      reason: 'rehearsing the kill switch',
      at: haltedAt,
    });
    try {
      await expect(submit({ scenario: await denyPolicy('frontend') })).rejects.toThrow(Halted);
      for (const run of [first, second]) {
        const ended = await harness.waitForEnd(run.id, 30_000);
        expect(ended.state).toBe('aborted');
        expect(ended.stop?.kind).toBe('halt');
        expect(ended.result.revertedAt! - haltedAt).toBeLessThan(5_000);
        expect(objectsMarkedBy(harness.lab, run.id)).toEqual([]);
      }
    } finally {
      await harness.store.release();
    }
  }, 180_000);

  it('a guard that holds for its `for` aborts the run and reverts it', async () => {
    const scenario = await denyPolicy('payments', {
      guards: [
        {
          name: 'payments-403s',
          promql:
            'sum(rate(istio_requests_total{reporter="source",destination_workload_namespace="payments",response_code="403"}[10s]))',
          abortIf: { op: '>', value: 0 },
          for: '2s',
        },
      ],
    });
    await harness.settle(scenario);
    const run = await submit({ scenario });
    const ended = await harness.waitForEnd(run.id, 90_000);
    expect(ended.state).toBe('aborted');
    expect(ended.stop?.kind).toBe('guard');
    expect(ended.stop?.message).toMatch(/guard payments-403s tripped/);
    expect(ended.result.revertVerification?.state).toBe('reverted');
    expect(objectsMarkedBy(harness.lab, run.id)).toEqual([]);
  }, 180_000);

  it('one run per target: a second run is refused, or waits for the target, as it asked', async () => {
    const scenario = await denyPolicy('payments');
    scenario.spec.recovery = { ...scenario.spec.recovery, holdFor: '15s' };
    await harness.settle(scenario);
    const first = await submit({ scenario });
    await harness.waitForState(first.id, ['observing']);
    const refused = await submit({ scenario, onTargetBusy: 'refuse' });
    const waiting = await submit({ scenario, onTargetBusy: 'wait' });
    const refusedEnd = await harness.waitForEnd(refused.id, 30_000);
    expect(refusedEnd.state).toBe('failed');
    expect(refusedEnd.error).toMatch(new RegExp(`busy with run ${first.id}`));
    expect((await harness.store.mustGet(waiting.id)).state).toBe('queued');
    const firstEnd = await harness.waitForEnd(first.id, 120_000);
    await harness.waitForState(
      waiting.id,
      ['preflight', 'baseline', 'injecting', 'observing', 'failed', 'completed'],
      30_000,
    );
    const waitingStarted = (await harness.store.events(waiting.id)).find((e) => e.type === 'state');
    expect(waitingStarted!.at).toBeGreaterThanOrEqual(firstEnd.updatedAt);
    await harness.store.requestAbort(waiting.id, {
      by: 'controls-test',
      reason: 'done',
      at: Date.now(),
    });
    await harness.waitForEnd(waiting.id, 60_000);
  }, 240_000);

  it('a queued run whose job vanished is queued again by the sweeper (here a dry run)', async () => {
    const scenario = await denyPolicy('payments');
    const longAgo = Date.now() - 5 * 60_000;
    const record = {
      ...(await submit({ scenario, dryRun: true })),
      id: 'orphan-dry-run',
      createdAt: longAgo,
      updatedAt: longAgo,
    };
    // The same record under a new id, stored without a BullMQ job.
    await harness.store.create(record);
    const ended = await harness.waitForEnd(record.id, 30_000);
    expect(ended.state).toBe('completed');
    expect(ended.summary).toMatch(/dry run: 1 write\(s\) planned, none sent/);
    expect(ended.result.plannedWrites?.[0]).toMatchObject({
      verb: 'create',
      kind: 'AuthorizationPolicy',
      namespace: 'payments',
    });
    expect(objectsMarkedBy(harness.lab, record.id)).toEqual([]);
  }, 120_000);

  // Last: it stops this file's Alertmanager.
  it('Alertmanager stopped mid-run: the run completes with detection unknown, and reverts', async () => {
    const scenario = await denyPolicy('payments');
    scenario.spec.recovery = { ...scenario.spec.recovery, holdFor: '15s' };
    scenario.spec.detection.timeout = '30s';
    await harness.settle(scenario);
    const run = await submit({ scenario });
    await harness.waitForState(run.id, ['observing']);
    await harness.observability.alertmanager.dispose();
    const ended = await harness.waitForEnd(run.id, 120_000);
    expect(ended.state, ended.summary).toBe('completed');
    expect(ended.result.detection?.status).toBe('unknown');
    expect(ended.result.detection?.reason).toMatch(/Alertmanager/);
    expect(ended.result.timeToDetect).toBeNull();
    expect(ended.result.verdict?.objectives.find((o) => o.name === 'timeToDetect')?.outcome).toBe(
      'unknown',
    );
    expect(objectsMarkedBy(harness.lab, run.id)).toEqual([]);
  }, 180_000);
});
