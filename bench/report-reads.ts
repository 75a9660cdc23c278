/**
 * Item 13 (second half): report read throughput of the API. Stores finished runs shaped like
 * a real one (the catalogue's bad-deny-policy scenario, 180 traffic samples, ~50 timeline
 * events, detection and recovery computed by src/measure) in Redis and has a few concurrent
 * clients GET /api/v1/runs/:id/report?format=… from the real app (createApp over Redis, as
 * test/support/api-app.ts starts it) for a fixed time per format. The clients run in the
 * API's process, so the figures are a floor of what a separate client would see.
 *
 *   npx tsx bench/report-reads.ts [--quick] [--seconds 10] [--clients 4]
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { detect, measureRecovery, verdict } from '../src/measure/index.js';
import type { AlertObservation, TrafficSample } from '../src/measure/types.js';
import { scenarioDurations } from '../src/scenario/schema.js';
import { loadScenarioFile } from '../src/scenario/loader.js';
import type { Scenario } from '../src/scenario/schema.js';
import type { RunRecord, TimelineEvent } from '../src/run/types.js';
import { bearer, startApiTestApp } from '../test/support/api-app.js';
import {
  describeMachine,
  isQuick,
  machine,
  ms,
  percentiles,
  round,
  runBench,
  writeResult,
  type Figure,
} from './support/common.js';

const quick = isQuick();
const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string' },
    clients: { type: 'string', default: '4' },
    runs: { type: 'string', default: '50' },
    quick: { type: 'boolean' },
  },
});
const SECONDS = Number(args.seconds ?? (quick ? 3 : 10));
const CLIENTS = Number(args.clients);
const RUNS = Number(args.runs);
const FORMATS = ['json', 'md', 'html', 'junit'] as const;

function finishedRun(scenario: Scenario, i: number) {
  const createdAt = Date.UTC(2026, 10, 1) + i * 3_600_000;
  const t0 = createdAt + 20_000;
  const id = `20261101-${String(i).padStart(6, '0')}-bench`;
  const samples: TrafficSample[] = Array.from({ length: 180 }, (_, s) => {
    const at = createdAt + s * 1_000;
    const value = at >= t0 && at < t0 + 60_000 ? 0.2 : 1;
    return { at, value, detail: `ratio ${value}` };
  });
  const labels = { alertname: 'IstioHigh4xxErrorRate', destination_service_namespace: 'payments' };
  const observations: AlertObservation[] = [
    {
      source: 'alertmanager',
      fingerprint: 'f00d',
      labels,
      state: 'firing',
      startsAt: t0 + 9_000,
      observedAt: t0 + 9_500,
    },
    {
      source: 'webhook',
      fingerprint: 'f00d',
      labels,
      state: 'resolved',
      startsAt: t0 + 9_000,
      endsAt: t0 + 75_000,
      observedAt: t0 + 75_200,
    },
  ];
  const now = createdAt + 180_000;
  const durations = scenarioDurations(scenario);
  const detection = detect({
    t0,
    expected: scenario.spec.detection.alerts,
    observations,
    clockOffsetMs: 0,
    timeoutMs: durations.detectionTimeout,
    now,
  });
  const recovery = measureRecovery({
    t0,
    revertedAt: t0 + 60_000,
    samples,
    threshold: 0.99,
    sustainForMs: 30_000,
    now,
  });
  const events: TimelineEvent[] = [
    ...[
      'preflight',
      'baseline',
      'injecting',
      'observing',
      'reverting',
      'verifying',
      'completed',
    ].map((state, k) => ({
      at: createdAt + k * 20_000,
      type: 'state' as const,
      state: state as RunRecord['state'],
    })),
    { at: t0 - 100, type: 'inject', phase: 'started' },
    { at: t0, type: 'inject', phase: 'accepted' },
    ...Array.from({ length: 40 }, (_, k) => ({
      at: t0 + k * 1_000,
      type: 'alert' as const,
      state: 'firing' as const,
      alertname: 'IstioHigh4xxErrorRate',
      fingerprint: 'f00d',
      labels,
      source: 'prometheus',
      expected: true,
    })),
    { at: t0 + 60_000, type: 'revert', phase: 'accepted' },
  ];
  const record: RunRecord = {
    schemaVersion: 1,
    id,
    scenario,
    target: { context: '', namespace: 'payments' },
    options: { dryRun: false, allowMeshWide: false, onTargetBusy: 'wait' },
    createdBy: 'bench',
    createdAt,
    updatedAt: now,
    state: 'completed',
    outcome: 'completed',
    preflightFindings: [],
    result: {
      t0,
      injectStartedAt: t0 - 100,
      revertedAt: t0 + 60_000,
      clockOffset: { offsetMs: 0, roundTripMs: 1 },
      detection,
      recovery,
      collateralAlerts: [],
      timeToDetect: detection.timeToDetectMs === undefined ? null : detection.timeToDetectMs / 1000,
      timeToRecover:
        recovery.timeToRecoverMs === undefined ? null : recovery.timeToRecoverMs / 1000,
      verdict: verdict(detection, recovery, durations.objectives),
      revertVerification: { state: 'reverted', details: [] },
    },
    summary: 'completed: bench',
    toolVersion: 'bench',
  };
  return { record, events, samples };
}

runBench(async () => {
  const started = Date.now();
  const m = machine();
  const api = await startApiTestApp({ logLevel: 'error' });
  try {
    m.redis = /redis_version:(\S+)/.exec(await api.redis.info('server'))?.[1] ?? '?';
    console.log(describeMachine(m));
    const loaded = await loadScenarioFile('scenarios/bad-deny-policy.yaml');
    const scenario = loaded.documents[0] as Scenario;
    const ids: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      const { record, events, samples } = finishedRun(scenario, i);
      await api.store.create(record);
      await api.store.appendEvents(record.id, events);
      for (const sample of samples) await api.store.appendSample(record.id, sample);
      ids.push(record.id);
    }
    const figures: Figure[] = [];
    const details: Record<string, unknown> = { clients: CLIENTS, seconds: SECONDS, runs: RUNS };
    for (const format of FORMATS) {
      const check = await fetch(`${api.url}/api/v1/runs/${ids[0]}/report?format=${format}`, {
        headers: { authorization: bearer('viewer') },
      });
      const body = await check.text();
      if (check.status !== 200)
        throw new Error(`report ${format}: HTTP ${check.status} ${body.slice(0, 300)}`);
      const latencies: number[] = [];
      const deadline = performance.now() + SECONDS * 1000;
      const windowStart = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          while (performance.now() < deadline) {
            const id = ids[next++ % ids.length]!;
            const t = performance.now();
            const res = await fetch(`${api.url}/api/v1/runs/${id}/report?format=${format}`, {
              headers: { authorization: bearer('viewer') },
            });
            await res.arrayBuffer();
            if (res.status !== 200) throw new Error(`report ${format}: HTTP ${res.status}`);
            latencies.push(performance.now() - t);
          }
        }),
      );
      const rate = latencies.length / ((performance.now() - windowStart) / 1000);
      const p = percentiles(latencies);
      console.log(
        `report ${format.padEnd(5)} (${round(body.length / 1024)} KiB): ${round(rate)} req/s with ${CLIENTS} clients, latency p50 ${ms(p.p50)}, p95 ${ms(p.p95)}`,
      );
      figures.push({
        item: '13',
        what: `report reads, format=${format} (${round(body.length / 1024)} KiB), ${CLIENTS} concurrent clients`,
        target: 'report',
        measured: `${round(rate)} req/s (latency p50 ${ms(p.p50)}, p95 ${ms(p.p95)})`,
      });
      details[format] = { requestsPerSecond: rate, latencyMs: p, bytes: body.length };
    }
    writeResult({
      name: 'report-reads',
      date: new Date().toISOString(),
      quick,
      machine: m,
      durationMs: Date.now() - started,
      figures,
      details,
    });
  } finally {
    await api.close();
  }
});
