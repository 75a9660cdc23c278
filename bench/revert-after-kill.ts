/**
 * Item 11: revert after a worker SIGKILL. Two worker processes (`worker/main.ts`, as in
 * production) take runs of the bad-deny-policy fault in three namespaces; once the runs hold
 * their fault (state `observing`), the worker holding most of them is SIGKILLed. Timed from the
 * kill to the lab API server deleting each killed run's AuthorizationPolicy (the revert done),
 * and to the record's `revertedAt`, while the other worker takes over. A replacement worker is
 * started after each kill. Done with the default lease and a short one (3 s): a dead
 * worker's run is taken over only once its lease expires.
 *
 *   npx tsx bench/revert-after-kill.ts [--quick] [--rounds 3]
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { waitFor } from '../lab/services/wait-for.js';
import { startLabStack, type LabStack } from '../lab/stack.js';
import { RESOURCE_TYPES } from '../lab/apiserver/resources.js';
import { RUN_ID_LABEL } from '../src/faults/ownership.js';
import { systemClock } from '../src/measure/types.js';
import { isFinal } from '../src/run/lifecycle.js';
import { submitRun } from '../src/run/submit.js';
import type { Scenario } from '../src/scenario/schema.js';
import { startEntryProcess, type EntryProcess } from '../test/support/entry-process.js';
import {
  describeMachine,
  isQuick,
  machine,
  ms,
  percentiles,
  redisVersion,
  round,
  runBench,
  writeResult,
  type Figure,
} from './support/common.js';
import { denyScenario } from './support/scenarios.js';
import { Queue } from 'bullmq';
import { DEFAULT_LEASE_MS } from '../src/config.js';
import { QUEUE_PREFIX, RUNS_QUEUE } from '../src/queue.js';

const quick = isQuick();
const { values: args } = parseArgs({
  options: { rounds: { type: 'string' }, quick: { type: 'boolean' } },
});
const ROUNDS = Number(args.rounds ?? (quick ? 1 : 3));
const TARGET_MS = 10_000;
const LEASES = [
  { name: `default lease (${DEFAULT_LEASE_MS / 1000} s)`, env: `${DEFAULT_LEASE_MS}ms` },
  { name: 'short lease (3 s)', env: '3s' },
];
const TARGETS = [
  { namespace: 'payments', app: 'payments-api' },
  { namespace: 'orders', app: 'orders-api' },
  { namespace: 'frontend', app: 'frontend-web' },
];
const AUTHZ = RESOURCE_TYPES.find((r) => r.kind === 'AuthorizationPolicy')!;

interface WorkerProcess {
  id: string;
  process: EntryProcess;
}

const now = () => performance.timeOrigin + performance.now();

async function spawnWorker(stack: LabStack, lease: string): Promise<WorkerProcess> {
  const process = startEntryProcess('worker/main.ts', {
    ...stack.env,
    GAMEDAY_LEASE_DURATION: lease,
    LOG_LEVEL: 'info',
  });
  const line = await process.waitForLine(/consuming/, 60_000);
  const id = /\(([^)]+)\) consuming/.exec(line)?.[1];
  if (!id) throw new Error(`no worker id in ${line}`);
  return { id, process };
}

function policiesOf(stack: LabStack, runId: string): string[] {
  return stack.lab.registry.store
    .list(AUTHZ, undefined)
    .filter((o) => o.metadata.labels?.[RUN_ID_LABEL] === runId)
    .map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
}

runBench(async () => {
  const started = Date.now();
  const m = machine();
  const stack = await startLabStack();
  const queue = new Queue(RUNS_QUEUE, {
    connection: { url: stack.redis.url },
    prefix: QUEUE_PREFIX,
  });
  const live: WorkerProcess[] = [];
  const deleted = new Map<string, number>();
  stack.lab.onRequest((event) => {
    if (event.verb === 'delete' && event.resource === 'authorizationpolicies' && event.code < 300)
      deleted.set(`${event.namespace}/${event.name}`, now());
  });
  const figures: Figure[] = [];
  const details: Record<string, unknown> = { rounds: ROUNDS };
  try {
    m.redis = await redisVersion(stack.redis.url);
    console.log(describeMachine(m));
    const base = await stack.scenario('bad-deny-policy.yaml');
    const scenarios: Scenario[] = TARGETS.map((t) =>
      denyScenario(base, { ...t, holdFor: '10m', name: `bench-kill-${t.namespace}` }),
    );
    for (const lease of LEASES) {
      const reverted: number[] = [];
      const revertedAt: number[] = [];
      const takenOver: number[] = [];
      while (live.length < 2) live.push(await spawnWorker(stack, lease.env));
      for (let round = 0; round < ROUNDS; round++) {
        const ids: string[] = [];
        for (const scenario of scenarios) {
          const run = await submitRun(
            { store: stack.store, queue, clock: systemClock },
            { scenario, createdBy: 'bench' },
          );
          ids.push(run.id);
        }
        const records = await waitFor(
          async () => {
            const all = await Promise.all(ids.map((id) => stack.store.mustGet(id)));
            if (all.some((r) => isFinal(r.state)))
              throw new Error(`a run ended early: ${all.map((r) => r.summary).join('; ')}`);
            return all.every((r) => r.state === 'observing') && all;
          },
          { description: 'every run observing', timeoutMs: 60_000, intervalMs: 20 },
        );
        const byWorker = new Map<string, string[]>();
        for (const r of records)
          byWorker.set(r.worker!, [...(byWorker.get(r.worker!) ?? []), r.id]);
        const victim = live
          .filter((w) => byWorker.has(w.id))
          .sort((a, b) => byWorker.get(b.id)!.length - byWorker.get(a.id)!.length)[0];
        if (!victim)
          throw new Error(`no live worker holds the runs (${[...byWorker.keys()].join(', ')})`);
        const killed = byWorker.get(victim.id)!;
        const policies = new Map(killed.map((id) => [id, policiesOf(stack, id)]));
        live.splice(live.indexOf(victim), 1);
        const killAt = now();
        victim.process.child.kill('SIGKILL');
        // The runs the survivor holds are not measured: abort them.
        for (const id of ids.filter((id) => !killed.includes(id)))
          await stack.store.requestAbort(id, { by: 'bench', reason: 'not killed', at: Date.now() });
        for (const id of killed) {
          const record = await stack.waitForEnd(id, 120_000);
          const names = policies.get(id)!;
          const done = Math.max(...names.map((n) => deleted.get(n) ?? NaN));
          reverted.push(done - killAt);
          revertedAt.push((record.result.revertedAt ?? NaN) - killAt);
          const stop = (await stack.store.events(id)).find(
            (e) => e.type === 'stop' && e.reason.kind === 'worker lost',
          );
          takenOver.push((stop?.at ?? NaN) - killAt);
          if (record.state !== 'aborted' || policiesOf(stack, id).length > 0)
            throw new Error(
              `run ${id} ended ${record.state} (${record.summary}) with ${policiesOf(stack, id).join(', ')} left`,
            );
        }
        for (const id of ids) await stack.waitForEnd(id, 120_000);
        console.log(
          `  ${lease.name}, round ${round + 1}/${ROUNDS}: killed ${victim.id} holding ${killed.length} run(s); ` +
            `reverted after ${reverted.slice(-killed.length).map(ms).join(', ')}`,
        );
        live.push(await spawnWorker(stack, lease.env));
      }
      await Promise.all(live.splice(0).map((w) => w.process.kill()));
      const r = percentiles(reverted);
      const a = percentiles(revertedAt);
      const t = percentiles(takenOver);
      console.log(
        `${lease.name}: kill → policy deleted p50 ${ms(r.p50)}, p95 ${ms(r.p95)} (${r.count} runs); ` +
          `kill → take-over p50 ${ms(t.p50)}; kill → revertedAt p50 ${ms(a.p50)}`,
      );
      figures.push({
        item: '11',
        what: `revert after worker SIGKILL, ${lease.name} (${r.count} runs)`,
        target: `≤ ${TARGET_MS / 1000} s`,
        measured: `p50 ${round(r.p50 / 1000, 2)} s, p95 ${round(r.p95 / 1000, 2)} s`,
        met: r.p95 <= TARGET_MS,
      });
      details[lease.env] = {
        killToPolicyDeletedMs: r,
        killToRevertedAtMs: a,
        killToTakeOverMs: t,
        samplesMs: reverted.map((n) => round(n)),
      };
    }
    writeResult({
      name: 'revert-after-kill',
      date: new Date().toISOString(),
      quick,
      machine: m,
      durationMs: Date.now() - started,
      figures,
      details,
    });
  } finally {
    await Promise.all(live.map((w) => w.process.kill()));
    await queue.close();
    await stack.stop();
  }
});
