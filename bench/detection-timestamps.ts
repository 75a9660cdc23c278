/**
 * Item 8: detection timestamp error against Alertmanager's `startsAt` (ground truth) over many
 * lab alerts. The product side is what a run uses: a RunObserver polling Alertmanager and
 * Prometheus every second (the engine's poll interval) and reading the webhook notifications the
 * API stored, the clock offset to Prometheus measured as at run start, and `detect()` choosing the
 * timestamp. The ground truth is Alertmanager's own `startsAt`, polled by the bench every 100 ms
 * (as test/integration/run-e2e.test.ts does for single runs).
 *
 * Alerts: IstioSidecarMemoryHigh, one per sidecar (by pod), fired by raising every istio-proxy
 * container's working set in the lab's cAdvisor above the rule's 800 MiB (and under the 1 GiB
 * limit), then lowered again so the next cycle fires new alerts. The lab's deployments are
 * scaled up first so one cycle fires dozens of alerts: a cycle takes ~10 s.
 *
 *   npx tsx bench/detection-timestamps.ts [--quick] [--alerts 100]
 */
import { parseArgs } from 'node:util';
import { KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { defaultWorkingSet } from '../lab/index.js';
import { RESOURCE_TYPES } from '../lab/apiserver/resources.js';
import type { WorkingSet } from '../lab/controllers/kubelet.js';
import { waitFor } from '../lab/services/wait-for.js';
import { startLabStack } from '../lab/stack.js';
import { kubeClients } from '../src/kube/clients.js';
import { detect } from '../src/measure/detection.js';
import { systemClock } from '../src/measure/types.js';
import { RunObserver } from '../src/run/observer.js';
import { AlertmanagerClient } from '../src/signals/alertmanager.js';
import { measurePrometheusOffset } from '../src/signals/clock-offset.js';
import { PrometheusClient } from '../src/signals/prometheus.js';
import { scenarioSchema } from '../src/scenario/schema.js';
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

const quick = isQuick();
const { values: args } = parseArgs({
  options: { alerts: { type: 'string' }, quick: { type: 'boolean' } },
});
const ALERTS = Number(args.alerts ?? (quick ? 12 : 100));
const ALERTNAME = 'IstioSidecarMemoryHigh';
const HOT = 900 * 2 ** 20;
const TARGET_MS = 10;
const DEPLOYMENTS = [
  { namespace: 'frontend', name: 'frontend-web' },
  { namespace: 'orders', name: 'orders-api' },
  { namespace: 'payments', name: 'payments-api' },
];
const PODS = RESOURCE_TYPES.find((r) => r.kind === 'Pod')!;

runBench(async () => {
  const started = Date.now();
  const m = machine();
  let hot = false;
  const workingSet: WorkingSet = (pod, container) =>
    container['name'] === 'istio-proxy' && hot ? HOT : defaultWorkingSet(pod, container);
  const stack = await startLabStack({ lab: { workingSet } });
  const clock = systemClock;
  const prometheus = new PrometheusClient(stack.config.prometheus!);
  const alertmanager = new AlertmanagerClient(stack.config.alertmanager!);
  const truthClient = new AlertmanagerClient(stack.config.alertmanager!);
  /** fingerprint → its pod and every startsAt Alertmanager showed (one per firing episode). */
  const truth = new Map<string, { pod: string; startsAt: Set<number> }>();
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const alerts = await truthClient.alerts(Date.now()).catch(() => []);
      for (const a of alerts) {
        if (a.startsAt === undefined || a.labels['alertname'] !== ALERTNAME) continue;
        const seen = truth.get(a.fingerprint) ?? {
          pod: a.labels['pod'] ?? '',
          startsAt: new Set(),
        };
        seen.startsAt.add(a.startsAt);
        truth.set(a.fingerprint, seen);
      }
      await sleep(100);
    }
  })();
  try {
    m.redis = await redisVersion(stack.redis.url);
    console.log(describeMachine(m));
    // Enough sidecars that a few cycles give ALERTS alerts.
    const perCycle = Math.min(ALERTS, 52);
    const replicas = Math.max(2, Math.ceil((perCycle - 1) / DEPLOYMENTS.length));
    const config = new KubeConfig();
    config.loadFromString(stack.lab.kubeconfig());
    const kube = kubeClients(config);
    for (const d of DEPLOYMENTS) {
      await kube.apps.patchNamespacedDeployment(
        { ...d, body: { spec: { replicas } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    }
    const sidecarPods = () =>
      stack.lab.registry.store
        .list(PODS, undefined)
        .filter(
          (p) =>
            (p.status as { phase?: string } | undefined)?.phase === 'Running' &&
            (
              (p.spec as { containers?: Array<{ name: string }> } | undefined)?.containers ?? []
            ).some((c) => c.name === 'istio-proxy'),
        )
        .map((p) => p.metadata.name!);
    const expectedPods = replicas * DEPLOYMENTS.length + 1;
    await waitFor(
      async () =>
        sidecarPods().length >= expectedPods &&
        (
          await prometheus.query(
            'count(container_memory_working_set_bytes{job="cadvisor",container="istio-proxy"})',
          )
        )[0]?.value === sidecarPods().length,
      { description: `${expectedPods} sidecars scraped`, timeoutMs: 120_000, intervalMs: 500 },
    );
    const base = await stack.scenario('bad-deny-policy.yaml');
    const scenario = scenarioSchema.parse({
      ...base,
      spec: {
        ...base.spec,
        detection: { ...base.spec.detection, alerts: [{ alertname: ALERTNAME }] },
      },
    });
    const errors: number[] = [];
    const sources = new Map<string, number>();
    const offsets: number[] = [];
    let cycle = 0;
    let missed = 0;
    const prometheusOnly: number[] = [];
    while (errors.length < ALERTS) {
      cycle += 1;
      const firing = async () =>
        (await alertmanager.alerts(Date.now())).filter((a) => a.labels['alertname'] === ALERTNAME);
      await waitFor(async () => (await firing()).length === 0, {
        description: `no ${ALERTNAME} left from the previous cycle`,
        timeoutMs: 60_000,
        intervalMs: 250,
      });
      const runId = `bench-detection-${cycle}`;
      const observer = new RunObserver(
        runId,
        scenario,
        stack.store,
        { prometheus, alertmanager },
        () => Promise.reject(new Error('no traffic in this bench')),
        undefined,
        clock,
        clock.now(),
      );
      const offset = await measurePrometheusOffset(prometheus, clock);
      observer.clockOffsetMs = offset.offsetMs;
      offsets.push(offset.offsetMs);
      const t0 = clock.now();
      observer.t0 = t0;
      hot = true;
      // The alerts of this cycle, as Alertmanager shows them (pods churn: not a fixed list).
      const fresh = () =>
        [...truth].flatMap(([fingerprint, seen]) => {
          const startsAt = [...seen.startsAt].filter((s) => s >= t0 - 2_000);
          return startsAt.length === 0
            ? []
            : [{ fingerprint, pod: seen.pod, startsAt: Math.min(...startsAt) }];
        });
      let count = -1;
      let stableSince = clock.now();
      await waitFor(
        async () => {
          await observer.pollAlerts();
          const now = clock.now();
          const n = fresh().length;
          if (n !== count) {
            count = n;
            stableSince = now;
          }
          // Every sidecar's alert is in, or no new one for 3 s after the first ones.
          return n >= sidecarPods().length || (n > 0 && now - stableSince >= 3_000);
        },
        {
          description: () => `${ALERTNAME} alerts of cycle ${cycle} (${count} so far)`,
          timeoutMs: 90_000,
          intervalMs: 1_000,
        },
      );
      await observer.pollAlerts();
      const alerts = fresh().slice(0, ALERTS - errors.length);
      const now = clock.now();
      const cycleErrors: number[] = [];
      const ttds: number[] = [];
      for (const alert of alerts) {
        const d = detect({
          t0,
          expected: [{ alertname: ALERTNAME, labels: { pod: alert.pod } }],
          observations: observer.observations,
          clockOffsetMs: observer.clockOffsetMs,
          timeoutMs: 120_000,
          now,
        });
        if (d.status !== 'detected') {
          missed += 1;
          continue;
        }
        cycleErrors.push(d.at! - alert.startsAt);
        // The fallback when Alertmanager is not configured: Prometheus's activeAt + for.
        const fallback = detect({
          t0,
          expected: [{ alertname: ALERTNAME, labels: { pod: alert.pod } }],
          observations: observer.observations.filter((o) => o.source === 'prometheus'),
          clockOffsetMs: observer.clockOffsetMs,
          timeoutMs: 120_000,
          now,
        });
        if (fallback.status === 'detected') prometheusOnly.push(fallback.at! - alert.startsAt);
        ttds.push(d.timeToDetectMs!);
        sources.set(d.timestampSource!, (sources.get(d.timestampSource!) ?? 0) + 1);
      }
      const ttd = percentiles(ttds);
      console.log(
        `  cycle ${cycle}: ${alerts.length} alerts, time to detect p50 ${ms(ttd.p50)}; ` +
          `error vs startsAt max ${ms(Math.max(...cycleErrors.map(Math.abs)))} (clock offset ${ms(offset.offsetMs)}, rtt ${ms(offset.roundTripMs)})`,
      );
      hot = false;
      errors.push(...cycleErrors);
    }
    const abs = percentiles(errors.map(Math.abs));
    console.log(
      `detection timestamp error over ${errors.length} alerts: median ${ms(abs.p50)}, p95 ${ms(abs.p95)}, max ${ms(abs.max)}`,
    );
    writeResult({
      name: 'detection-timestamps',
      date: new Date().toISOString(),
      quick,
      machine: m,
      durationMs: Date.now() - started,
      figures: [
        {
          item: '8',
          what: `detection timestamp error vs Alertmanager startsAt (${errors.length} alerts)`,
          target: `≤ ${TARGET_MS} ms (median and max)`,
          measured: `median ${ms(abs.p50)}, max ${ms(abs.max)}`,
          met: abs.p50 <= TARGET_MS && abs.max <= TARGET_MS,
        },
      ],
      details: {
        alerts: errors.length,
        notDetectedByTheProduct: missed,
        cycles: cycle,
        sidecars: expectedPods,
        absoluteErrorMs: abs,
        signedErrorMs: percentiles(errors),
        timestampSources: Object.fromEntries(sources),
        prometheusOnlySignedErrorMs: percentiles(prometheusOnly),
        clockOffsetsMs: offsets.map((o) => round(o, 2)),
      },
    });
  } finally {
    polling = false;
    await poller;
    prometheus.close();
    alertmanager.close();
    truthClient.close();
    await stack.stop();
  }
});
