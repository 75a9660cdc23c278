import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/measure/types.js';
import { QUEUE_PREFIX, RUNS_QUEUE } from '../../src/queue.js';
import { GameDayStore, submitGameDay, type GameDayRecord } from '../../src/run/gameday.js';
import { gameDaySchema, type Scenario } from '../../src/scenario/schema.js';
import { waitFor } from '../support/index.js';
import { objectsMarkedBy, startRunHarness, type RunHarness } from '../support/run-harness.js';

// SPEC §3: a GameDay runs its scenarios in order, with a pause between, as child runs of one
// parent record with one combined result; the kill switch ends it.

let harness: RunHarness;
let queue: Queue;
let gameDays: GameDayStore;

beforeAll(async () => {
  harness = await startRunHarness();
  queue = new Queue(RUNS_QUEUE, { connection: { url: harness.redis.url }, prefix: QUEUE_PREFIX });
  gameDays = new GameDayStore(harness.store);
  await harness.startWorker('gameday-worker');
}, 180_000);

afterAll(async () => {
  await queue?.close();
  await harness?.stop();
}, 60_000);

async function quickDeny(namespace: string, name: string): Promise<Scenario> {
  const scenario = await harness.scenario('bad-deny-policy.yaml');
  scenario.metadata.name = name;
  scenario.spec.target.namespace = namespace;
  scenario.spec.recovery = { ...scenario.spec.recovery, mode: 'auto', holdFor: '5s' };
  scenario.spec.detection.timeout = '20s';
  scenario.spec.detection.alerts = [
    { alertname: 'IstioHigh4xxErrorRate', labels: { destination_service_namespace: namespace } },
  ];
  return scenario;
}

async function start(scenarios: Scenario[], pauseBetween: string): Promise<GameDayRecord> {
  const gameDay = gameDaySchema.parse({
    apiVersion: 'gameday/v1',
    kind: 'GameDay',
    metadata: { name: 'lab-gameday' },
    spec: {
      scenarios: scenarios.map((s) => s.metadata.name),
      pauseBetween,
      participants: [{ name: 'Ada', role: 'commander' }],
    },
  });
  await harness.settle(scenarios[0]!);
  return submitGameDay(
    { store: harness.store, queue, clock: systemClock },
    { gameDay, scenarios, createdBy: 'gameday-test' },
  );
}

async function ended(id: string): Promise<GameDayRecord> {
  let record: GameDayRecord | undefined;
  await waitFor(
    async () => {
      record = await gameDays.get(id);
      return record !== undefined && record.state !== 'running';
    },
    { description: `GameDay ${id} to end`, timeoutMs: 150_000, intervalMs: 200 },
  );
  return record!;
}

describe('GameDays', () => {
  it('run their scenarios in order with the pause between, and combine the results', async () => {
    const parent = await start(
      [await quickDeny('payments', 'deny-payments'), await quickDeny('orders', 'deny-orders')],
      // Long enough for the first run's alerts to resolve (403s propagate to orders' callers).
      '25s',
    );
    const done = await ended(parent.id);
    expect(done.state).toBe('completed');
    expect(done.children).toEqual([`${parent.id}-1`, `${parent.id}-2`]);
    const [first, second] = await Promise.all(done.children.map((id) => harness.store.mustGet(id)));
    expect(first!.parentId).toBe(parent.id);
    expect(first!.scenario.metadata.name).toBe('deny-payments');
    expect(second!.scenario.metadata.name).toBe('deny-orders');
    expect(second!.createdAt).toBeGreaterThanOrEqual(first!.updatedAt + 25_000);
    expect(
      done.result?.runs.map((r) => [r.scenario, r.state]),
      JSON.stringify(done.result?.runs.map((r) => r.summary)),
    ).toEqual([
      ['deny-payments', 'completed'],
      ['deny-orders', 'completed'],
    ]);
    expect(done.result?.verdict).toMatch(/pass|fail/);
    for (const id of done.children) expect(objectsMarkedBy(harness.lab, id)).toEqual([]);
  }, 240_000);

  it('end at the kill switch: the running child is reverted and no further child starts', async () => {
    const parent = await start(
      [await quickDeny('payments', 'deny-payments'), await quickDeny('orders', 'deny-orders')],
      '1s',
    );
    await waitFor(async () => (await gameDays.get(parent.id))!.children.length === 1, {
      description: 'the first child run',
      timeoutMs: 30_000,
    });
    const childId = `${parent.id}-1`;
    await harness.waitForState(childId, ['observing']);
    await harness.store.halt({ by: 'gameday-test', reason: 'stop the GameDay', at: Date.now() });
    try {
      const done = await ended(parent.id);
      expect(done.state).toBe('aborted');
      expect(done.children).toEqual([childId]);
      expect((await harness.store.mustGet(childId)).stop?.kind).toBe('halt');
      expect(objectsMarkedBy(harness.lab, childId)).toEqual([]);
    } finally {
      await harness.store.release();
    }
  }, 240_000);
});
