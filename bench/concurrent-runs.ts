/**
 * Item 12: many runs observing at once in one worker process. Creates N namespaces in the lab
 * (each with a pod the policy selects), starts ONE worker process (bench/support/observing-worker.ts:
 * the real createRunWorker, hosted with concurrency N) and submits N bad-deny-policy runs, one
 * per namespace, with always-healthy PromQL traffic (`vector(1)`, sampled every 5 s) and a long
 * hold. Once every run is `observing` (or the ramp deadline passes), it measures over a window:
 * the worker's RSS and event-loop delay (monitorEventLoopDelay), and the request rates the runs
 * cause at Prometheus and Alertmanager (their own /metrics), Redis and the lab API server.
 *
 *   npx tsx bench/concurrent-runs.ts [--quick] [--runs 1000] [--seconds 30]
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { RESOURCE_TYPES } from '../lab/apiserver/resources.js';
import { startLabStack } from '../lab/stack.js';
import { systemClock } from '../src/measure/types.js';
import { QUEUE_PREFIX, RUNS_QUEUE } from '../src/queue.js';
import { submitRun } from '../src/run/submit.js';
import { keys } from '../src/run/keys.js';
import type { RunRecord } from '../src/run/types.js';
import {
  describeMachine,
  isQuick,
  machine,
  redisVersion,
  round,
  runBench,
  sleep,
  writeResult,
} from './support/common.js';
import { denyScenario } from './support/scenarios.js';

const quick = isQuick();
const { values: args } = parseArgs({
  options: {
    runs: { type: 'string' },
    seconds: { type: 'string' },
    ramp: { type: 'string' },
    batch: { type: 'string' },
    pods: { type: 'boolean', default: false },
    quick: { type: 'boolean' },
  },
});
const RUNS = Number(args.runs ?? (quick ? 100 : 1000));
const WINDOW_MS = Number(args.seconds ?? (quick ? 10 : 30)) * 1000;
const RAMP_MS = Number(args.ramp ?? (quick ? 90 : 300)) * 1000;
const BATCH = Number(args.batch ?? 100);
/**
 * A pod per namespace for the policy to select. Off by default: the lab simulates every pod
 * (kubelet, mesh, cAdvisor) in the bench's process, and 1,000 more pods make it too slow to
 * answer the preflights; without one, preflight only warns ("the policy will deny nothing").
 */
const PODS = args.pods;
const TARGET_RSS_MIB = 300;
const TARGET_LAG_MS = 50;
const NAMESPACE = RESOURCE_TYPES.find((r) => r.kind === 'Namespace')!;
const POD = RESOURCE_TYPES.find((r) => r.kind === 'Pod')!;

interface WorkerWindow {
  rssMaxMiB: number;
  rssMiB: number;
  rssAtStartMiB: number;
  heapUsedMiB: number;
  heapUsedAtStartMiB: number;
  heapUsedAfterGcMiB: number;
  rssAfterGcMiB: number;
  lagMs: { p50: number; p99: number; max: number; mean: number };
  cpuShare: number;
  /** The worker's outgoing HTTP requests per second, by path. */
  requestsPerSecond: Record<string, number>;
}

/** Sum of every sample of `metric` in a Prometheus text exposition. */
async function counter(url: string, metric: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${metric}{`) || line.startsWith(`${metric} `))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

runBench(async () => {
  const started = Date.now();
  const m = machine();
  const names = Array.from({ length: RUNS }, (_, i) => `bench-${String(i).padStart(4, '0')}`);
  const stack = await startLabStack();
  for (const name of names) {
    stack.lab.registry.create(NAMESPACE, undefined, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
    });
    if (PODS)
      stack.lab.registry.create(POD, name, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'bench-app', namespace: name, labels: { app: 'bench-app' } },
        spec: { containers: [{ name: 'app', image: 'bench/app:1' }] },
      });
  }
  const redis = new Redis(stack.redis.url);
  const queue = new Queue(RUNS_QUEUE, {
    connection: { url: stack.redis.url },
    prefix: QUEUE_PREFIX,
  });
  const worker = fork('bench/support/observing-worker.ts', ['--concurrency', String(RUNS)], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    env: {
      PATH: process.env.PATH ?? '',
      ...stack.env,
      GAMEDAY_NAMESPACE_ALLOWLIST: names.join(','),
      LOG_LEVEL: 'silent',
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let labRequests = 0;
  stack.lab.onRequest(() => (labRequests += 1));
  try {
    m.redis = await redisVersion(stack.redis.url);
    console.log(describeMachine(m));
    await once(worker, 'message');
    const prom = stack.observability.prometheus.url;
    const PROM = 'prometheus_http_requests_total';
    const redisCommands = async () =>
      Number(/total_commands_processed:(\d+)/.exec(await redis.info('stats'))?.[1] ?? NaN);
    const snapshot = async () => ({
      prom: await counter(prom, PROM),
      redis: await redisCommands(),
      lab: labRequests,
      at: Date.now(),
    });
    type Snapshot = Awaited<ReturnType<typeof snapshot>>;
    const rates = (a: Snapshot, b: Snapshot) => {
      const seconds = (b.at - a.at) / 1000;
      const r = (key: 'prom' | 'redis' | 'lab') => round((b[key] - a[key]) / seconds);
      return { prometheus: r('prom'), redisCommands: r('redis'), labApi: r('lab') };
    };
    // The worker with no run, for comparison (Prometheus also counts its own scrapes).
    const idleFrom = await snapshot();
    worker.send('start');
    await sleep(5_000);
    worker.send('stop');
    const [idleWindow] = (await once(worker, 'message')) as [WorkerWindow];
    const idle = rates(idleFrom, await snapshot());
    console.log(
      `idle worker: RSS ${round(idleWindow.rssMaxMiB)} MiB, event-loop delay p99 ${round(idleWindow.lagMs.p99)} ms; requests/s ${JSON.stringify(idle)}`,
    );
    const base = await stack.scenario('bad-deny-policy.yaml');
    const ids: string[] = [];
    const states = async () => {
      const counts: Record<string, number> = {};
      for (let i = 0; i < ids.length; i += 200) {
        const texts = await redis.mget(...ids.slice(i, i + 200).map((id) => keys.run(id)));
        for (const text of texts) {
          const state = text === null ? 'missing' : (JSON.parse(text) as RunRecord).state;
          counts[state] = (counts[state] ?? 0) + 1;
        }
      }
      return counts;
    };
    // In batches: the lab's API server (one Node process, also running the simulated cluster)
    // cannot answer 1,000 preflights at once within the 15 s request timeout.
    const rampStart = Date.now();
    let counts: Record<string, number> = {};
    for (let from = 0; from < RUNS; from += BATCH) {
      for (const name of names.slice(from, from + BATCH)) {
        const scenario = denyScenario(base, {
          namespace: name,
          app: 'bench-app',
          holdFor: '1h',
          interval: '5s',
          name: 'bench-observe',
        });
        const run = await submitRun(
          { store: stack.store, queue, clock: systemClock },
          { scenario, createdBy: 'bench' },
        );
        ids.push(run.id);
      }
      for (;;) {
        counts = await states();
        const settled =
          ids.length -
          (counts['queued'] ?? 0) -
          (counts['preflight'] ?? 0) -
          (counts['baseline'] ?? 0) -
          (counts['injecting'] ?? 0);
        if (settled === ids.length || Date.now() - rampStart > RAMP_MS) break;
        await sleep(500);
      }
      console.log(`  ramp ${round((Date.now() - rampStart) / 1000)} s: ${JSON.stringify(counts)}`);
      if (Date.now() - rampStart > RAMP_MS) break;
    }
    const rampMs = Date.now() - rampStart;
    const observing = counts['observing'] ?? 0;
    const before = await snapshot();
    worker.send('start');
    await sleep(WINDOW_MS);
    worker.send('stop');
    const [window] = (await once(worker, 'message')) as [WorkerWindow];
    const after = await snapshot();
    const endCounts = await states();
    const seconds = (after.at - before.at) / 1000;
    const busy = rates(before, after);
    const sent = (match: (path: string) => boolean) =>
      round(
        Object.entries(window.requestsPerSecond)
          .filter(([path]) => match(path))
          .reduce((n, [, rate]) => n + rate, 0),
      );
    const toAlertmanager = sent((p) => p.startsWith('/api/v2/'));
    const toPrometheus = sent((p) => p.startsWith('/api/v1/'));
    console.log(
      `${observing}/${RUNS} runs observing after ${round(rampMs / 1000)} s; over ${round(seconds)} s: ` +
        `worker RSS max ${round(window.rssMaxMiB)} MiB (${round(window.rssAtStartMiB)} at the start of the window; heap ${round(window.heapUsedAtStartMiB)} → ${round(window.heapUsedMiB)} MiB; after a full GC: heap ${round(window.heapUsedAfterGcMiB)} MiB, RSS ${round(window.rssAfterGcMiB)} MiB), event-loop delay ` +
        `p50 ${round(window.lagMs.p50)} ms, p99 ${round(window.lagMs.p99)} ms, max ${round(window.lagMs.max)} ms, ` +
        `CPU ${round(window.cpuShare * 100)} % of a core`,
    );
    console.log(
      `requests/s: Prometheus ${busy.prometheus} (from the worker ${toPrometheus}), Alertmanager ${toAlertmanager}, Redis commands ${busy.redisCommands}, lab API ${busy.labApi}; states at the end ${JSON.stringify(endCounts)}`,
    );
    const label = `${observing} runs observing in one worker`;
    writeResult({
      name: 'concurrent-runs',
      date: new Date().toISOString(),
      quick,
      machine: m,
      durationMs: Date.now() - started,
      figures: [
        {
          item: '12',
          what: `${label}: RSS`,
          target: `${RUNS} runs, ≤ ${TARGET_RSS_MIB} MB`,
          measured: `max ${round(window.rssMaxMiB)} MiB`,
          met: observing === RUNS && window.rssMaxMiB <= TARGET_RSS_MIB,
        },
        {
          item: '12',
          what: `${label}: event-loop lag`,
          target: `p99 ≤ ${TARGET_LAG_MS} ms`,
          measured: `p50 ${round(window.lagMs.p50)} ms, p99 ${round(window.lagMs.p99)} ms, max ${round(window.lagMs.max)} ms`,
          met: observing === RUNS && window.lagMs.p99 <= TARGET_LAG_MS,
        },
        {
          item: '12',
          what: `${label}: load caused`,
          target: 'report',
          measured: `Prometheus ${busy.prometheus} req/s (idle ${idle.prometheus}), Alertmanager ${toAlertmanager} req/s, Redis ${busy.redisCommands} cmd/s (idle ${idle.redisCommands}), worker CPU ${round(window.cpuShare * 100)} %`,
        },
      ],
      details: {
        runs: RUNS,
        observing,
        rampMs,
        windowMs: after.at - before.at,
        worker: window,
        requestsPerSecond: {
          ...busy,
          workerToPrometheus: toPrometheus,
          workerToAlertmanager: toAlertmanager,
        },
        idle: { worker: idleWindow, requestsPerSecond: idle },
        statesAtStart: counts,
        statesAtEnd: endCounts,
      },
    });
  } finally {
    worker.kill('SIGKILL');
    await queue.close();
    redis.disconnect();
    await stack.stop();
  }
});
