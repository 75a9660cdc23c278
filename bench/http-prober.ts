/**
 * Item 9: the HTTP prober at 100 ms intervals. A real run (in-process worker, the engine's
 * observation loop) of the bad-deny-policy fault whose traffic is an HTTP probe
 * (`traffic.http`, 5 requests per sample, HTTPS, a new connection and TLS handshake per request
 * as the prober does) every 100 ms, aimed at an HTTPS server in a process of its own. While the
 * run observes, the bench takes the achieved interval between the stored samples (jitter =
 * interval − 100 ms) and the target's request rate and CPU use, against the same target idle.
 *
 *   npx tsx bench/http-prober.ts [--quick] [--seconds 30]
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startLabStack } from '../lab/stack.js';
import { createCertificateAuthority, issueCertificate } from '../src/pki.js';
import { systemClock } from '../src/measure/types.js';
import { submitRun } from '../src/run/submit.js';
import type { HttpProbe } from '../src/scenario/schema.js';
import {
  describeMachine,
  isQuick,
  machine,
  ms,
  percentiles,
  redisVersion,
  round,
  runBench,
  sleep,
  writeResult,
} from './support/common.js';
import { denyScenario } from './support/scenarios.js';

const quick = isQuick();
const { values: args } = parseArgs({
  options: { seconds: { type: 'string' }, quick: { type: 'boolean' } },
});
const WINDOW_MS = Number(args.seconds ?? (quick ? 8 : 30)) * 1000;
const INTERVAL_MS = 100;
const REQUESTS_PER_SAMPLE = 5;

interface TargetStats {
  requests: number;
  handshakes: number;
  cpu: NodeJS.CpuUsage;
}

runBench(async () => {
  const started = Date.now();
  const m = machine();
  const dir = await mkdtemp(join(tmpdir(), 'gameday-bench-prober-'));
  const ca = await createCertificateAuthority('gameday-bench-ca');
  const leaf = await issueCertificate(ca, {
    commonName: 'probe.bench.test',
    hosts: ['probe.bench.test'],
  });
  await writeFile(join(dir, 'ca.pem'), ca.cert);
  await writeFile(join(dir, 'cert.pem'), leaf.cert);
  await writeFile(join(dir, 'key.pem'), leaf.key);
  const target = fork(
    'bench/support/probe-target.ts',
    ['--cert', join(dir, 'cert.pem'), '--key', join(dir, 'key.pem')],
    { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const [{ port }] = (await once(target, 'message')) as [{ port: number }];
  const stats = async (): Promise<TargetStats> => {
    target.send('stats');
    const [reply] = (await once(target, 'message')) as [TargetStats];
    return { ...reply, cpu: reply.cpu };
  };
  const cpuMs = (a: TargetStats, b: TargetStats) =>
    (b.cpu.user - a.cpu.user + b.cpu.system - a.cpu.system) / 1000;
  const stack = await startLabStack();
  try {
    m.redis = await redisVersion(stack.redis.url);
    console.log(describeMachine(m));
    // The target idle, for comparison.
    const idleFrom = await stats();
    const idleStart = Date.now();
    await sleep(Math.min(WINDOW_MS, 5_000));
    const idleTo = await stats();
    const idleCpuShare = cpuMs(idleFrom, idleTo) / (Date.now() - idleStart);

    const worker = await stack.startWorker('bench-prober');
    const http = {
      url: 'https://probe.bench.test/',
      method: 'GET',
      expectStatus: [200],
      requestsPerInterval: REQUESTS_PER_SAMPLE,
      connectTo: `127.0.0.1:${port}`,
      tls: { caFile: join(dir, 'ca.pem'), insecure: false },
    } as HttpProbe;
    const scenario = denyScenario(await stack.scenario('bad-deny-policy.yaml'), {
      namespace: 'payments',
      app: 'payments-api',
      holdFor: '10m',
      interval: `${INTERVAL_MS}ms`,
      http,
    });
    const run = await submitRun(
      { store: stack.store, queue: worker.parts.queue, clock: systemClock },
      { scenario, createdBy: 'bench' },
    );
    await stack.waitForState(run.id, ['observing'], 60_000);
    await sleep(1_000);
    const from = await stats();
    const windowStart = Date.now();
    await sleep(WINDOW_MS);
    const to = await stats();
    const windowEnd = Date.now();
    await stack.store.requestAbort(run.id, { by: 'bench', reason: 'measured', at: Date.now() });
    const end = await stack.waitForEnd(run.id, 60_000);
    const samples = (await stack.store.samples(run.id))
      .filter((s) => s.at >= windowStart && s.at <= windowEnd)
      .sort((a, b) => a.at - b.at);
    const intervals = samples.slice(1).map((s, i) => s.at - samples[i]!.at);
    const jitter = percentiles(intervals.map((i) => Math.abs(i - INTERVAL_MS)));
    const achieved = percentiles(intervals);
    const seconds = (windowEnd - windowStart) / 1000;
    const requestRate = (to.requests - from.requests) / seconds;
    const handshakeRate = (to.handshakes - from.handshakes) / seconds;
    const cpuShare = cpuMs(from, to) / (windowEnd - windowStart);
    const failed = samples.filter((s) => s.value !== 1).length;
    console.log(
      `${samples.length} samples in ${round(seconds)} s (${round(samples.length / seconds)} /s): interval p50 ${ms(achieved.p50)}, ` +
        `p95 ${ms(achieved.p95)}, max ${ms(achieved.max)}; jitter p50 ${ms(jitter.p50)}, p95 ${ms(jitter.p95)}`,
    );
    console.log(
      `target: ${round(requestRate)} requests/s, ${round(handshakeRate)} TLS handshakes/s, CPU ${round(cpuShare * 100)} % of a core (idle ${round(idleCpuShare * 100, 2)} %)`,
    );
    writeResult({
      name: 'http-prober',
      date: new Date().toISOString(),
      quick,
      machine: m,
      durationMs: Date.now() - started,
      figures: [
        {
          item: '9',
          what: `HTTP prober every ${INTERVAL_MS} ms (${REQUESTS_PER_SAMPLE} HTTPS requests per sample), achieved interval`,
          target: 'report',
          measured: `p50 ${ms(achieved.p50)}, p95 ${ms(achieved.p95)} (jitter p50 ${ms(jitter.p50)}, p95 ${ms(jitter.p95)}, max ${ms(jitter.max)})`,
        },
        {
          item: '9',
          what: 'extra load on the probed target',
          target: 'report',
          measured: `${round(requestRate)} req/s, ${round(handshakeRate)} TLS handshakes/s, +${round((cpuShare - idleCpuShare) * 100)} % of a core`,
        },
      ],
      details: {
        windowMs: windowEnd - windowStart,
        samples: samples.length,
        failedSamples: failed,
        intervalMs: achieved,
        jitterMs: jitter,
        samplesPerSecond: samples.length / seconds,
        target: { requestRate, handshakeRate, cpuShare, idleCpuShare },
        runEnded: end.state,
      },
    });
  } finally {
    await stack.stop();
    target.disconnect();
    target.kill();
    await rm(dir, { recursive: true, force: true });
  }
});
