/**
 * Item 10: run start → fault in effect in the lab. Submits runs one after another (as the API
 * does, `submitRun`: record + BullMQ job) of the bad-deny-policy fault against the mesh lab,
 * with an in-process worker, and times submit → the lab API server accepting the
 * AuthorizationPolicy (seen by the lab's own request audit, in this process). The run's
 * timeline gives the phases in between. Each run is then aborted (revert) before the next.
 *
 *   npx tsx bench/inject-latency.ts [--quick] [--runs 25]
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { waitFor } from '../lab/services/wait-for.js';
import { startLabStack } from '../lab/stack.js';
import { systemClock } from '../src/measure/types.js';
import { submitRun } from '../src/run/submit.js';
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
} from './support/common.js';
import { denyScenario } from './support/scenarios.js';

const quick = isQuick();
const { values: args } = parseArgs({
  options: { runs: { type: 'string' }, quick: { type: 'boolean' } },
});
const RUNS = Number(args.runs ?? (quick ? 5 : 25));
const TARGET_P50_MS = 300;

runBench(async () => {
  const started = Date.now();
  const m = machine();
  const stack = await startLabStack();
  try {
    m.redis = await redisVersion(stack.redis.url);
    console.log(describeMachine(m));
    const worker = await stack.startWorker('bench-inject');
    const scenario = denyScenario(await stack.scenario('bad-deny-policy.yaml'), {
      namespace: 'payments',
      app: 'payments-api',
      holdFor: '10m',
    });
    let created: number | undefined;
    stack.lab.onRequest((event) => {
      if (event.verb === 'create' && event.resource === 'authorizationpolicies' && event.code < 300)
        created ??= performance.timeOrigin + performance.now();
    });
    const total: number[] = [];
    const phases = {
      pickup: [] as number[],
      preflight: [] as number[],
      baseline: [] as number[],
      inject: [] as number[],
    };
    for (let i = 0; i < RUNS; i++) {
      created = undefined;
      const submitted = performance.timeOrigin + performance.now();
      const run = await submitRun(
        { store: stack.store, queue: worker.parts.queue, clock: systemClock },
        { scenario, createdBy: 'bench' },
      );
      const at = await waitFor(() => created, {
        description: `the AuthorizationPolicy of run ${run.id}`,
        timeoutMs: 30_000,
        intervalMs: 1,
      });
      total.push(at - submitted);
      const events = await stack.store.events(run.id);
      const entered = (state: string) =>
        events.find((e) => e.type === 'state' && e.state === state)?.at ?? NaN;
      phases.pickup.push(entered('preflight') - submitted);
      phases.preflight.push(entered('baseline') - entered('preflight'));
      phases.baseline.push(entered('injecting') - entered('baseline'));
      phases.inject.push(at - entered('injecting'));
      await stack.store.requestAbort(run.id, { by: 'bench', reason: 'measured', at: Date.now() });
      const end = await stack.waitForEnd(run.id, 60_000);
      if (end.state !== 'aborted')
        throw new Error(`run ${run.id} ended ${end.state}: ${end.summary}`);
      console.log(`  run ${i + 1}/${RUNS}: ${ms(at - submitted)}`);
    }
    const t = percentiles(total);
    const breakdown = Object.fromEntries(
      Object.entries(phases).map(([name, values]) => [name, percentiles(values)]),
    );
    console.log(
      `submit → AuthorizationPolicy accepted, ${RUNS} runs: p50 ${ms(t.p50)}, p95 ${ms(t.p95)}, max ${ms(t.max)}`,
    );
    for (const [name, p] of Object.entries(breakdown))
      console.log(`  ${name.padEnd(9)} p50 ${ms(p.p50)}, p95 ${ms(p.p95)}`);
    writeResult({
      name: 'inject-latency',
      date: new Date().toISOString(),
      quick,
      machine: m,
      durationMs: Date.now() - started,
      figures: [
        {
          item: '10',
          what: `run start → fault in effect (${RUNS} runs)`,
          target: `p50 ≤ ${TARGET_P50_MS} ms`,
          measured: `p50 ${ms(t.p50)}, p95 ${ms(t.p95)} (max ${ms(t.max)})`,
          met: t.p50 <= TARGET_P50_MS,
        },
      ],
      details: {
        runs: RUNS,
        totalMs: t,
        phasesMs: breakdown,
        samplesMs: total.map((n) => round(n, 1)),
      },
    });
  } finally {
    await stack.stop();
  }
});
