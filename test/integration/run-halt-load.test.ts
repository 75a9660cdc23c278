import { mkdir, writeFile } from 'node:fs/promises';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { denyScenario } from '../../bench/support/scenarios.js';
import { waitFor } from '../../lab/services/wait-for.js';
import { systemClock } from '../../src/measure/types.js';
import { QUEUE_PREFIX, RUNS_QUEUE } from '../../src/queue.js';
import { isFinal } from '../../src/run/lifecycle.js';
import { submitRun } from '../../src/run/submit.js';
import type { RunRecord } from '../../src/run/types.js';
import { startConfiguredWorker } from '../support/configured-worker.js';
import { MeshLabDriver } from '../support/mesh-lab.js';
import {
  objectsMarkedBy,
  startRunHarness,
  TOKENS,
  type InProcessWorker,
  type RunHarness,
} from '../support/run-harness.js';
import { markedObjects } from '../support/worker-kills.js';

// Issue item 5, SPEC §4: the kill switch under load. 20 runs, each on its own namespace (the
// target lock allows one per namespace), all observing with their fault in the cluster; an
// admin engages the halt through the API. Within 10 s every run is final (`aborted: halt`) and
// every fault is gone from the lab. The measured time goes to reports/test-artifacts.

const RUNS = 20;
const WORKERS = 2;
const LIMIT_MS = 10_000;
const ARTIFACT = 'reports/test-artifacts/halt-load.json';
const APP = 'load-api';
const NAMESPACES = Array.from({ length: RUNS }, (_, i) => `load-${String(i + 1).padStart(2, '0')}`);

let harness: RunHarness;
let queue: Queue;
const workers: InProcessWorker[] = [];

beforeAll(async () => {
  harness = await startRunHarness();
  queue = new Queue(RUNS_QUEUE, { connection: { url: harness.redis.url }, prefix: QUEUE_PREFIX });
  // The namespaces, each with a pod the deny policy's selector matches.
  const { kube } = new MeshLabDriver(harness.lab);
  for (const namespace of NAMESPACES) {
    await kube.core.createNamespace({ body: { metadata: { name: namespace } } });
    await kube.core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name: `${APP}-0`, labels: { app: APP } },
        spec: { containers: [{ name: 'app', image: 'registry.example/load-api:1' }] },
      },
    });
  }
  for (let i = 0; i < WORKERS; i++) {
    workers.push(
      await startConfiguredWorker(harness, `halt-load-worker-${i + 1}`, (config) => ({
        ...config,
        namespaceAllowlist: [...config.namespaceAllowlist, ...NAMESPACES],
        worker: { ...config.worker, concurrency: Math.ceil(RUNS / WORKERS) + 2 },
      })),
    );
  }
}, 180_000);

afterAll(async () => {
  await harness?.store.release();
  await Promise.allSettled(workers.map((w) => w.stop()));
  await queue?.close();
  await harness?.stop();
}, 60_000);

async function api(method: string, path: string, body?: unknown) {
  const response = await fetch(`${harness.apiUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${TOKENS.admin[0]}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('the kill switch under load', () => {
  it(`halt with ${RUNS} runs holding their fault reverts them all within ${LIMIT_MS / 1000} s`, async () => {
    const base = await harness.scenario('bad-deny-policy.yaml');
    const runs: RunRecord[] = [];
    for (const namespace of NAMESPACES) {
      const scenario = denyScenario(base, {
        namespace,
        app: APP,
        holdFor: '10m',
        name: `halt-load-${namespace}`,
      });
      runs.push(
        await submitRun(
          { store: harness.store, queue, clock: systemClock },
          { scenario, createdBy: 'halt-load-test' },
        ),
      );
    }
    const ids = runs.map((r) => r.id);
    const records = () => Promise.all(ids.map((id) => harness.store.mustGet(id)));
    await waitFor(
      async () => {
        const all = await records();
        const ended = all.filter((r) => isFinal(r.state));
        if (ended.length > 0)
          throw new Error(`runs ended early: ${ended.map((r) => r.summary).join('; ')}`);
        return all.every((r) => r.state === 'observing');
      },
      { description: `all ${RUNS} runs observing`, timeoutMs: 120_000, intervalMs: 100 },
    );
    for (const id of ids) expect(objectsMarkedBy(harness.lab, id), id).toHaveLength(1);
    const holders = new Set((await records()).map((r) => r.worker));
    expect(holders.size, 'runs spread over the workers').toBe(WORKERS);

    const haltSent = Date.now();
    const halt = await api('POST', '/api/v1/halt', { reason: 'halt under load' });
    expect(halt.status).toBe(202);
    expect([...(halt.body['activeRuns'] as string[])].sort()).toEqual([...ids].sort());
    const haltAt = Date.parse(halt.body['at'] as string);
    let lastFaultGone = 0;
    const allDone = await waitFor(
      async () => {
        if (markedObjects(harness).length === 0) lastFaultGone ||= Date.now();
        const all = await records();
        return lastFaultGone > 0 && all.every((r) => isFinal(r.state)) && all;
      },
      { description: 'every run final and every fault gone', timeoutMs: 60_000, intervalMs: 20 },
    );
    const doneAt = Date.now();
    const revertedAfterHaltMs = allDone.map((r) => r.result.revertedAt! - haltAt);
    const finalAfterHaltMs = allDone.map((r) => r.updatedAt - haltAt);
    await mkdir('reports/test-artifacts', { recursive: true });
    await writeFile(
      ARTIFACT,
      `${JSON.stringify(
        {
          runs: RUNS,
          workers: WORKERS,
          limitMs: LIMIT_MS,
          haltRequestToAllFinalMs: doneAt - haltSent,
          haltRequestToLastFaultGoneMs: lastFaultGone - haltSent,
          revertedAfterHaltMs: { max: Math.max(...revertedAfterHaltMs), all: revertedAfterHaltMs },
          finalAfterHaltMs: { max: Math.max(...finalAfterHaltMs), all: finalAfterHaltMs },
        },
        null,
        2,
      )}\n`,
    );

    for (const record of allDone) {
      expect(record.state, record.summary).toBe('aborted');
      expect(record.stop?.kind).toBe('halt');
      expect(record.result.revertVerification?.state).toBe('reverted');
      const journal = await harness.store.journalEntries(record.id);
      expect(journal.filter((e) => e.state !== 'reverted')).toEqual([]);
    }
    expect(markedObjects(harness)).toEqual([]);
    expect(lastFaultGone - haltSent).toBeLessThanOrEqual(LIMIT_MS);
    expect(Math.max(...finalAfterHaltMs)).toBeLessThanOrEqual(LIMIT_MS);
    expect(doneAt - haltSent).toBeLessThanOrEqual(LIMIT_MS + 1_000);

    const released = await api('DELETE', '/api/v1/halt');
    expect(released.body['halted']).toBe(false);
  }, 240_000);
});
