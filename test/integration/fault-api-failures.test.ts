import { Queue } from 'bullmq';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { FailureRule } from '../../lab/apiserver/failures.js';
import { startLab, type AuditEvent, type Lab } from '../../lab/index.js';
import { labScenario } from '../../lab/scenarios.js';
import { objectsMarkedBy } from '../../lab/stack.js';
import { loadConfig } from '../../src/config.js';
import { guardFault } from '../../src/faults/guarded.js';
import { kubeClients, loadKubeConfig } from '../../src/kube/clients.js';
import { createLogger } from '../../src/logger.js';
import { systemClock } from '../../src/measure/types.js';
import { QUEUE_PREFIX, RUNS_QUEUE } from '../../src/queue.js';
import type { EngineTiming } from '../../src/run/engine.js';
import { RedisJournal } from '../../src/run/journal.js';
import { isFinal } from '../../src/run/lifecycle.js';
import { RunStore } from '../../src/run/store.js';
import { submitRun } from '../../src/run/submit.js';
import type { RunRecord } from '../../src/run/types.js';
import { createRunWorker } from '../../src/run/worker.js';
import { createRedisConnection, type Redis } from '../../src/redis.js';
import { loadScenarioFile } from '../../src/scenario/loader.js';
import type { Scenario } from '../../src/scenario/schema.js';
import { startWorkerHost } from '../../src/worker-host.js';
import { startRedis, waitFor, type RedisHandle } from '../support/index.js';

// SPEC §5 against a failing Kubernetes API server: the real engine and BullMQ worker run
// gateway cert-expiry — two writes, create Secret then update Gateway — while the lab answers
// chosen requests with 503/429/500/403, drops them or never answers (lab.apiFailures). Every
// test ends with nothing of its run left in the lab and the Gateway as it was.

const NS = 'istio-system';
const GATEWAY = 'shop-gateway';
const ORIGINAL_CREDENTIAL = 'shop-example-com-cert';
const logger = createLogger({ name: 'api-failures-test', level: 'silent', format: 'json' });

/** Short engine deadlines, so giving up is quick; polls fast, so aborts are. */
const TIMING: Partial<EngineTiming> = {
  injectDeadlineMs: 8_000,
  revertDeadlineMs: 8_000,
  faultWaitTimeoutMs: 10_000,
  pollIntervalMs: 200,
};

let lab: Lab;
let redis: RedisHandle;
let connection: Redis;
let store: RunStore;
let queue: Queue;
let files: string;
let env: Record<string, string>;
let scenario: Scenario;

beforeAll(async () => {
  [lab, redis] = await Promise.all([startLab({ speed: 20 }), startRedis()]);
  connection = createRedisConnection({
    url: redis.url,
    connectionName: 'api-failures-test',
    logger,
    purpose: 'queue',
  });
  store = new RunStore(connection);
  queue = new Queue(RUNS_QUEUE, { connection, prefix: QUEUE_PREFIX });
  files = await mkdtemp(join(tmpdir(), 'gameday-api-failures-'));
  const kubeconfig = join(files, 'kubeconfig');
  await writeFile(kubeconfig, lab.kubeconfig(), { mode: 0o600 });
  env = {
    REDIS_URL: redis.url,
    KUBECONFIG: kubeconfig,
    GAMEDAY_NAMESPACE_ALLOWLIST: NS,
    GAMEDAY_LEASE_DURATION: '3s',
    GAMEDAY_KUBE_REQUEST_TIMEOUT: '1s',
  };
  const loaded = await loadScenarioFile('scenarios/gateway-cert-expiry.yaml');
  const document = loaded.documents[0];
  if (document?.kind !== 'Scenario') throw new Error('gateway-cert-expiry did not load');
  scenario = labScenario(document, { gateway: lab.gateway! });
}, 120_000);

afterEach(() => lab.apiFailures.clear());

afterAll(async () => {
  await queue?.close();
  await connection?.quit().catch(() => connection.disconnect());
  await lab?.stop();
  await redis?.dispose();
  if (files) await rm(files, { recursive: true, force: true });
}, 60_000);

/** Runs `body` with an in-process worker (engine, BullMQ worker, sweeper) of this timing. */
async function withWorker<T>(
  timing: Partial<EngineTiming>,
  body: () => Promise<T>,
  extraEnv: Record<string, string> = {},
): Promise<T> {
  const config = loadConfig({ ...env, ...extraEnv });
  const parts = createRunWorker({ config, logger, worker: 'api-failures-worker', timing });
  const host = startWorkerHost({
    redisUrl: redis.url,
    queueName: RUNS_QUEUE,
    concurrency: 1,
    lockDurationMs: config.worker.leaseDurationMs,
    processor: parts.processor,
    logger,
  });
  await host.ready;
  try {
    return await body();
  } finally {
    await host.shutdown(10_000);
    await parts.close();
  }
}

const submit = () =>
  submitRun({ store, queue, clock: systemClock }, { scenario, createdBy: 'api-failures-test' });

async function waitForState(runId: string, states: string[], timeoutMs = 30_000) {
  let record: RunRecord | undefined;
  await waitFor(
    async () => {
      record = await store.get(runId);
      return record !== undefined && (states.includes(record.state) || isFinal(record.state));
    },
    {
      description: () => `run ${runId} in ${states.join('|')} (is ${record?.state})`,
      timeoutMs,
      intervalMs: 50,
    },
  );
  if (!states.includes(record!.state)) {
    throw new Error(
      `run ${runId} is ${record!.state}, not ${states.join('|')}: ${record!.summary}`,
    );
  }
  return record!;
}

const waitForEnd = (runId: string) =>
  waitForState(runId, ['completed', 'failed', 'aborted', 'error']);

async function abort(runId: string) {
  await store.requestAbort(runId, { by: 'api-failures-test', reason: 'enough', at: Date.now() });
}

/** The https server's credentialName, read through the API. */
async function credentialName(): Promise<string | undefined> {
  const admin = kubeClients(loadKubeConfig({ yaml: lab.kubeconfig() }));
  const gateway = (await admin.custom.getNamespacedCustomObject({
    group: 'networking.istio.io',
    version: 'v1',
    namespace: NS,
    plural: 'gateways',
    name: GATEWAY,
  })) as {
    spec: { servers: Array<{ port?: { name?: string }; tls?: { credentialName?: string } }> };
  };
  return gateway.spec.servers.find((s) => s.port?.name === 'https')?.tls?.credentialName;
}

/** Nothing of the run left in the lab, and the Gateway back on its own certificate. */
async function expectCleanLab(runId: string) {
  expect(objectsMarkedBy(lab, runId)).toEqual([]);
  expect(await credentialName()).toBe(ORIGINAL_CREDENTIAL);
}

const createSecret = (extra: Partial<FailureRule> & Pick<FailureRule, 'action'>): FailureRule => ({
  verbs: ['create'],
  resource: 'secrets',
  namespace: NS,
  ...extra,
});
const updateGateway = (extra: Partial<FailureRule> & Pick<FailureRule, 'action'>): FailureRule => ({
  verbs: ['update'],
  group: 'networking.istio.io',
  resource: 'gateways',
  namespace: NS,
  name: GATEWAY,
  ...extra,
});

/** Gaps between the requests a rule saw, in ms. */
const gaps = (hits: Array<{ at: number }>) => hits.slice(1).map((hit, i) => hit.at - hits[i]!.at);

describe('inject against a failing API server', () => {
  it('503 twice, 429 with Retry-After, 500: retried with backoff until the inject goes through', async () => {
    // Rules apply first-added first; each fails one create, so the creates meet them in order.
    const first = lab.apiFailures.add(
      createSecret({ action: { status: 503, retryAfterSeconds: 1 }, times: 2 }),
    );
    lab.apiFailures.add(createSecret({ action: { status: 429, retryAfterSeconds: 1 }, times: 1 }));
    lab.apiFailures.add(createSecret({ action: { status: 500 }, times: 1 }));
    await withWorker(TIMING, async () => {
      const run = await submit();
      await waitForState(run.id, ['observing']);
      const hits = lab.apiFailures.get(first)!.hits;
      expect(hits.map((h) => h.failed)).toEqual([true, true, false, false, false]);
      const failedOrPassed = lab.apiFailures.list().map((r) => r.failed);
      expect(failedOrPassed).toEqual([2, 1, 1]);
      const [after503a, after503b, after429, after500] = gaps(hits);
      // Retry-After is a floor under the wait (a little under for timer granularity).
      expect(after503a).toBeGreaterThanOrEqual(950);
      expect(after503b).toBeGreaterThanOrEqual(950);
      expect(after429).toBeGreaterThanOrEqual(950);
      // No Retry-After on a 500: jittered exponential backoff, at least 50 ms, at most
      // 200 ms × 2^3 for the fourth attempt (plus the request time of a whole inject attempt).
      expect(after500).toBeGreaterThanOrEqual(45);
      expect(after500).toBeLessThan(1_600 + 1_000);
      const marked = objectsMarkedBy(lab, run.id).sort();
      expect(marked).toEqual([
        `Gateway ${NS}/${GATEWAY}`,
        `Secret ${NS}/${ORIGINAL_CREDENTIAL}-gameday-expired`,
      ]);
      await abort(run.id);
      const ended = await waitForEnd(run.id);
      expect(ended.state).toBe('aborted');
      expect(ended.result.revertVerification?.state).toBe('reverted');
      await expectCleanLab(run.id);
    });
  }, 60_000);

  it('a create dropped after it committed and an update that times out after it committed: retried, applied once', async () => {
    const dropped = lab.apiFailures.add(
      createSecret({ action: 'drop', afterCommit: true, times: 1 }),
    );
    const hung = lab.apiFailures.add(
      updateGateway({ action: 'timeout', afterCommit: true, times: 1 }),
    );
    const secretCreates: AuditEvent[] = [];
    const unsubscribe = lab.onRequest((event) => {
      if (event.verb === 'create' && event.resource === 'secrets') secretCreates.push(event);
    });
    onTestFinished(unsubscribe);
    await withWorker(TIMING, async () => {
      const run = await submit();
      await waitForState(run.id, ['observing']);
      // Each retry of the inject found the run's own Secret (409, owned by the run) rather
      // than making another: one create took effect, two met AlreadyExists…
      expect(lab.apiFailures.get(dropped)!.hits.map((h) => h.failed)).toEqual([true, false, false]);
      expect(secretCreates.map((e) => e.code)).toEqual([201, 409, 409]);
      // …and the update was sent again over the object it had already changed.
      expect(lab.apiFailures.get(hung)!.hits.map((h) => h.failed)).toEqual([true, false]);
      expect(objectsMarkedBy(lab, run.id).sort()).toEqual([
        `Gateway ${NS}/${GATEWAY}`,
        `Secret ${NS}/${ORIGINAL_CREDENTIAL}-gameday-expired`,
      ]);
      // The journal kept the first attempt's originals, not the values the fault had written.
      const patch = (await store.journalEntries(run.id)).find(
        (e) => e.step === 'gateway-credential',
      );
      const fields = (patch?.original as { fields: Array<{ path: string; value?: unknown }> })
        .fields;
      expect(fields.find((f) => f.path.endsWith('/tls/credentialName'))?.value).toBe(
        ORIGINAL_CREDENTIAL,
      );
      await abort(run.id);
      const ended = await waitForEnd(run.id);
      expect(ended.state).toBe('aborted');
      await expectCleanLab(run.id);
    });
  }, 60_000);

  it('503 on the second write beyond the inject deadline: the run fails saying why, the Secret it made is removed', async () => {
    const rule = lab.apiFailures.add(
      updateGateway({ action: { status: 503, retryAfterSeconds: 1 } }),
    );
    await withWorker({ ...TIMING, injectDeadlineMs: 3_000 }, async () => {
      const run = await submit();
      const ended = await waitForEnd(run.id);
      expect(ended.state).toBe('failed');
      expect(ended.error).toMatch(
        /^inject failed: update gateways\.networking\.istio\.io "shop-gateway" in istio-system failed with HTTP 503: the server is currently unable to handle the request/,
      );
      expect(ended.summary).toMatch(/^failed: inject failed: update gateways/);
      const hits = lab.apiFailures.get(rule)!.hits;
      // Retried (Retry-After 1 s) until the 3 s deadline, then given up; the revert needed no update.
      expect(hits.length).toBeGreaterThanOrEqual(2);
      expect(hits.length).toBeLessThanOrEqual(4);
      expect(hits.every((h) => h.failed)).toBe(true);
      expect(hits.at(-1)!.at - hits[0]!.at).toBeLessThan(3_000 + 1_500);
      const events = await store.events(run.id);
      expect(events.some((e) => e.type === 'revert' && e.phase === 'accepted')).toBe(true);
      const journal = await store.journalEntries(run.id);
      expect(journal.map((e) => [e.step, e.state]).sort()).toEqual([
        ['expired-secret', 'reverted'],
        ['gateway-credential', 'reverted'],
      ]);
      await expectCleanLab(run.id);
    });
  }, 60_000);

  it('403 on the second write: permanent, one attempt, the half-applied inject reverted', async () => {
    const rule = lab.apiFailures.add(updateGateway({ action: { status: 403 } }));
    await withWorker(TIMING, async () => {
      const run = await submit();
      const ended = await waitForEnd(run.id);
      expect(ended.state).toBe('failed');
      expect(ended.error).toMatch(
        /^inject failed: missing permission: update gateways\.networking\.istio\.io in namespace istio-system — grant it/,
      );
      expect(ended.error).toMatch(/User "gameday-lab-admin" cannot update resource "gateways"/);
      expect(lab.apiFailures.get(rule)!.hits).toHaveLength(1);
      expect(ended.result.revertVerification?.state).toBe('reverted');
      await expectCleanLab(run.id);
    });
  }, 60_000);
});

describe('revert against a failing API server', () => {
  it('503 twice on the revert: retried, reverted and verified', async () => {
    await withWorker(TIMING, async () => {
      const run = await submit();
      await waitForState(run.id, ['observing']);
      const rule = lab.apiFailures.add({
        verbs: ['delete'],
        resource: 'secrets',
        namespace: NS,
        action: { status: 503, retryAfterSeconds: 1 },
        times: 2,
      });
      await abort(run.id);
      const ended = await waitForEnd(run.id);
      expect(ended.state).toBe('aborted');
      expect(ended.result.revertVerification?.state).toBe('reverted');
      const hits = lab.apiFailures.get(rule)!.hits;
      expect(hits.map((h) => h.failed)).toEqual([true, true, false]);
      for (const gap of gaps(hits)) expect(gap).toBeGreaterThanOrEqual(950);
      await expectCleanLab(run.id);
    });
  }, 60_000);

  it('403 on the revert: the run ends in error, the journal keeps what is left, a later revert finishes it', async () => {
    await withWorker(TIMING, async () => {
      const run = await submit();
      await waitForState(run.id, ['observing']);
      const rule = lab.apiFailures.add({
        verbs: ['delete'],
        resource: 'secrets',
        namespace: NS,
        action: { status: 403 },
      });
      await abort(run.id);
      const ended = await waitForEnd(run.id);
      expect(ended.state).toBe('error');
      expect(ended.error).toMatch(
        /^REVERT FAILED, the fault may still be in effect; finish it by hand from the run's journal: missing permission: delete secrets in namespace istio-system/,
      );
      expect(ended.summary).toMatch(/^error: abort — enough/);
      expect(lab.apiFailures.get(rule)!.hits).toHaveLength(1);
      const events = await store.events(run.id);
      expect(events.some((e) => e.type === 'revert' && e.phase === 'failed')).toBe(true);
      // The Gateway was restored first (newest first); the Secret is still there, and journaled.
      expect(await credentialName()).toBe(ORIGINAL_CREDENTIAL);
      expect(objectsMarkedBy(lab, run.id)).toEqual([
        `Secret ${NS}/${ORIGINAL_CREDENTIAL}-gameday-expired`,
      ]);
      const journal = await store.journalEntries(run.id);
      expect(journal.map((e) => [e.step, e.state]).sort()).toEqual([
        ['expired-secret', 'applied'],
        ['gateway-credential', 'reverted'],
      ]);

      // Once the permission is there, a revert from the journal alone finishes the job.
      lab.apiFailures.remove(rule);
      expect(await store.acquireLease(run.id, 'operator', 30_000)).toBe(true);
      const fault = guardFault(ended.scenario.spec.fault, {
        allowlist: [NS],
        allowMeshWide: false,
      });
      const ctx = {
        kube: kubeClients(loadKubeConfig({ yaml: lab.kubeconfig() })),
        runId: run.id,
        namespace: NS,
        journal: new RedisJournal(store, run.id, 'operator', systemClock),
        logger,
        waitTimeoutMs: 10_000,
        now: () => new Date(),
      };
      await fault.revert(ctx);
      expect((await fault.verify(ctx)).state).toBe('reverted');
      expect((await store.journalEntries(run.id)).every((e) => e.state === 'reverted')).toBe(true);
      await expectCleanLab(run.id);
    });
  }, 60_000);
});
