import { Queue } from 'bullmq';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { denyScenario } from '../../bench/support/scenarios.js';
import { durationMs } from '../../src/scenario/primitives.js';
import { systemClock } from '../../src/measure/types.js';
import { QUEUE_PREFIX, RUNS_QUEUE } from '../../src/queue.js';
import { DEFAULT_TIMEOUT_MS } from '../../src/signals/http-client.js';
import { submitRun } from '../../src/run/submit.js';
import type { RunRecord } from '../../src/run/types.js';
import type { Scenario } from '../../src/scenario/schema.js';
import { startConfiguredWorker } from '../support/configured-worker.js';
import { startDelayProxy, type DelayProxy } from '../support/delay-proxy.js';
import { waitFor } from '../support/index.js';
import {
  objectsMarkedBy,
  startRunHarness,
  type InProcessWorker,
  type RunHarness,
} from '../support/run-harness.js';

// Issue item 4, SPEC §6: Prometheus or Alertmanager down or slow mid-run. The run still
// completes within its deadlines and reverts; what can be measured is, and the rest is `unknown`
// with a reason naming the source. (Alertmanager *stopped* is in run-controls.test.ts.)
//
// The worker reads both through a delaying proxy (test/support/delay-proxy.ts), so each test
// can make a source slow at the moment the run is observing with its fault in effect. The runs
// use a deny-policy fault with `vector(1)` as traffic and an expected alert no rule defines:
// baselines are clean at once, and only the outage decides what is unknown.

let harness: RunHarness;
let queue: Queue;
let prometheus: DelayProxy;
let alertmanager: DelayProxy;
let worker: InProcessWorker;

beforeAll(async () => {
  harness = await startRunHarness();
  queue = new Queue(RUNS_QUEUE, { connection: { url: harness.redis.url }, prefix: QUEUE_PREFIX });
  prometheus = await startDelayProxy(harness.observability.prometheus.url);
  alertmanager = await startDelayProxy(harness.observability.alertmanager.url);
  worker = await startConfiguredWorker(harness, 'outages-worker', (config) => ({
    ...config,
    prometheus: { ...config.prometheus!, url: prometheus.url },
    alertmanager: { ...config.alertmanager!, url: alertmanager.url },
  }));
}, 180_000);

afterAll(async () => {
  await worker?.stop();
  await prometheus?.close();
  await alertmanager?.close();
  await queue?.close();
  await harness?.stop();
}, 60_000);

beforeEach(() => {
  prometheus.delayMs = 0;
  alertmanager.delayMs = 0;
});

const HOLD = '6s';
const DETECTION_TIMEOUT = '15s';
const RECOVERY_TIMEOUT = '25s';
/** One observation round against a source that never answers: alerts, then traffic. */
const STALLED_ROUND_MS = 2 * DEFAULT_TIMEOUT_MS;
/** "Slow": each request held far longer than the clients wait (5 s), as a hung server would. */
const SLOW_MS = 6 * DEFAULT_TIMEOUT_MS;

async function scenario(name: string): Promise<Scenario> {
  const s = denyScenario(await harness.scenario('bad-deny-policy.yaml'), {
    namespace: 'payments',
    app: 'payments-api',
    holdFor: HOLD,
    name,
  });
  s.spec.detection.timeout = DETECTION_TIMEOUT;
  s.spec.recovery.timeout = RECOVERY_TIMEOUT;
  return s;
}

async function submit(s: Scenario): Promise<RunRecord> {
  return submitRun(
    { store: harness.store, queue, clock: systemClock },
    { scenario: s, createdBy: 'outages-test' },
  );
}

/** What every run of this file must show, whatever was down: it ended, on time, reverted. */
async function expectCompletedAndReverted(ended: RunRecord): Promise<void> {
  expect(ended.state, ended.summary).toBe('completed');
  const t0 = ended.result.t0!;
  // The hold, plus at most one observation round stalled on a source before the stop is seen.
  expect(ended.result.revertedAt! - t0).toBeLessThanOrEqual(
    durationMs(HOLD) + STALLED_ROUND_MS + 3_000,
  );
  // Measuring to the end is bounded by the scenario's timeouts, not by the slow source.
  expect(ended.updatedAt - t0).toBeLessThanOrEqual(
    durationMs(RECOVERY_TIMEOUT) + STALLED_ROUND_MS + 3_000,
  );
  expect(ended.result.revertVerification?.state).toBe('reverted');
  expect(objectsMarkedBy(harness.lab, ended.id)).toEqual([]);
  const journal = await harness.store.journalEntries(ended.id);
  expect(journal.length).toBeGreaterThan(0);
  expect(journal.filter((e) => e.state !== 'reverted')).toEqual([]);
}

describe('observability outages mid-run', () => {
  it('Prometheus slow but within the client timeout: the run measures everything', async () => {
    prometheus.delayMs = 1_500;
    const run = await submit(await scenario('outage-prometheus-slowish'));
    const ended = await harness.waitForEnd(run.id, 120_000);
    await expectCompletedAndReverted(ended);
    expect(prometheus.stats.answered).toBeGreaterThan(0);
    // Both sources were read throughout: "never fired" is a measurement, not a guess.
    expect(ended.result.detection?.status, ended.result.detection?.reason).toBe('undetected');
    expect(ended.result.recovery?.status, ended.result.recovery?.reason).toBe('no impact');
    expect(ended.result.samples?.count).toBeGreaterThan(0);
  }, 180_000);

  it('Prometheus slower than the client timeout: completes on time, traffic and detection unknown', async () => {
    const run = await submit(await scenario('outage-prometheus-slow'));
    await harness.waitForState(run.id, ['observing']);
    prometheus.delayMs = SLOW_MS;
    const ended = await harness.waitForEnd(run.id, 90_000);
    await expectCompletedAndReverted(ended);
    expect(ended.result.detection?.status).toBe('unknown');
    expect(ended.result.detection?.reason).toMatch(/Prometheus .*did not answer within/);
    expect(ended.result.recovery?.status).toBe('unknown');
    expect(ended.result.recovery?.reason).toMatch(/Prometheus .*did not answer within/);
    expect(ended.result.timeToDetect).toBeNull();
    expect(ended.result.timeToRecover).toBeNull();
    // The samples taken before the slow-down are kept, the later ones recorded as unavailable.
    const samples = await harness.store.samples(run.id);
    expect(samples.some((s) => s.value === 1)).toBe(true);
    expect(samples.some((s) => s.value === null && /did not answer/.test(s.detail ?? ''))).toBe(
      true,
    );
  }, 180_000);

  it('Alertmanager slower than the client timeout: detection unknown, recovery still measured', async () => {
    const run = await submit(await scenario('outage-alertmanager-slow'));
    await harness.waitForState(run.id, ['observing']);
    alertmanager.delayMs = SLOW_MS;
    const ended = await harness.waitForEnd(run.id, 90_000);
    await expectCompletedAndReverted(ended);
    expect(ended.result.detection?.status).toBe('unknown');
    expect(ended.result.detection?.reason).toMatch(/Alertmanager .*did not answer within/);
    expect(ended.result.detection?.reason).not.toMatch(/Prometheus/);
    // Prometheus answered: traffic was measured throughout.
    expect(ended.result.recovery?.status, ended.result.recovery?.reason).toBe('no impact');
  }, 180_000);

  it('an abort while Prometheus hangs is acted on within one client timeout', async () => {
    const run = await submit(await scenario('outage-prometheus-hung-abort'));
    await harness.waitForState(run.id, ['observing']);
    prometheus.delayMs = SLOW_MS;
    // Abort once an observation round is stuck on the hung Prometheus.
    const held = prometheus.stats.received - prometheus.stats.answered;
    await waitFor(() => prometheus.stats.received - prometheus.stats.answered > held, {
      description: 'a request held by the slow Prometheus',
    });
    const asked = Date.now();
    await harness.store.requestAbort(run.id, { by: 'outages-test', reason: 'hung', at: asked });
    const ended = await harness.waitForEnd(run.id, 60_000);
    expect(ended.state, ended.summary).toBe('aborted');
    // The round's reads run side by side: the stuck round ends with one client timeout.
    expect(ended.result.revertedAt! - asked).toBeLessThanOrEqual(DEFAULT_TIMEOUT_MS + 2_000);
    expect(ended.result.revertVerification?.state).toBe('reverted');
    expect(objectsMarkedBy(harness.lab, ended.id)).toEqual([]);
  }, 120_000);

  // Last: it stops this file's Prometheus.
  it('Prometheus stopped mid-run: completes with detection and recovery unknown, and reverts', async () => {
    const run = await submit(await scenario('outage-prometheus-down'));
    await harness.waitForState(run.id, ['observing']);
    await harness.observability.prometheus.stop();
    const ended = await harness.waitForEnd(run.id, 120_000);
    await expectCompletedAndReverted(ended);
    expect(ended.result.detection?.status).toBe('unknown');
    expect(ended.result.detection?.reason).toMatch(/Prometheus/);
    expect(ended.result.recovery?.status).toBe('unknown');
    expect(ended.result.recovery?.reason).toMatch(/traffic source unavailable: Prometheus/);
  }, 180_000);
});
