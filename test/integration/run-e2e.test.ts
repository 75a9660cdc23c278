import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { renderHtml, renderMarkdown } from '../../src/report/index.js';
import { formatElapsed } from '../../src/measure/format.js';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertmanagerClient } from '../../src/signals/alertmanager.js';
import { systemClock } from '../../src/measure/types.js';
import { submitRun } from '../../src/run/submit.js';
import type { RunRecord } from '../../src/run/types.js';
import { objectsMarkedBy, startRunHarness, type RunHarness } from '../support/run-harness.js';
import { MeshLabDriver } from '../support/mesh-lab.js';
import { waitFor } from '../support/index.js';
import { Queue } from 'bullmq';
import { QUEUE_PREFIX, RUNS_QUEUE } from '../../src/queue.js';

// SPEC §5/§6 end to end: catalogue scenarios (lab-scaled) run by a real worker against the lab,
// detected through a real Prometheus and Alertmanager, with Alertmanager's own view polled by
// the test as ground truth for the time to detect.

const MEASUREMENTS = 'reports/test-artifacts/run-e2e-measurements.jsonl';
let harness: RunHarness;
let queue: Queue;
/** Alertmanager's startsAt per fingerprint, as the test itself saw it (ground truth). */
const startsAt = new Map<string, number>();
let groundTruth: NodeJS.Timeout;

beforeAll(async () => {
  mkdirSync(dirname(MEASUREMENTS), { recursive: true });
  harness = await startRunHarness();
  queue = new Queue(RUNS_QUEUE, { connection: { url: harness.redis.url }, prefix: QUEUE_PREFIX });
  await harness.startWorker('e2e-worker');
  const alertmanager = new AlertmanagerClient({
    url: harness.observability.alertmanager.url,
    auth: undefined,
    caFile: undefined,
  });
  groundTruth = setInterval(() => {
    alertmanager
      .alerts(Date.now())
      .then((alerts) => {
        for (const a of alerts)
          if (a.startsAt !== undefined) startsAt.set(a.fingerprint, a.startsAt);
      })
      .catch(() => undefined);
  }, 200);
}, 180_000);

afterAll(async () => {
  clearInterval(groundTruth);
  await queue?.close();
  await harness?.stop();
}, 60_000);

async function run(
  file: string,
  allowMeshWide: boolean,
  responders?: (runId: string) => Promise<void>,
): Promise<RunRecord> {
  const scenario = await harness.scenario(file);
  await harness.settle(scenario);
  const created = await submitRun(
    { store: harness.store, queue, clock: systemClock },
    { scenario, allowMeshWide, createdBy: 'e2e-test' },
  );
  if (responders) await responders(created.id);
  return harness.waitForEnd(created.id, 180_000);
}

/** Resolves once the run has seen one of its expected alerts fire. */
async function alerted(runId: string): Promise<void> {
  await waitFor(
    async () => {
      const record = await harness.store.get(runId);
      const expected = record?.scenario.spec.detection.alerts.map((a) => a.alertname) ?? [];
      const seen = await harness.store.observations(runId);
      return seen.some(
        (o) => o.state === 'firing' && expected.includes(o.labels['alertname'] ?? ''),
      );
    },
    { description: `an expected alert of run ${runId}`, timeoutMs: 90_000, intervalMs: 200 },
  );
}

function expectMeasured(record: RunRecord) {
  expect(record.state, record.summary).toBe('completed');
  const { result } = record;
  expect(result.detection?.status, JSON.stringify(result.detection)).toBe('detected');
  const alert = result.detection!.alert!;
  const truth = startsAt.get(alert.fingerprint);
  expect(truth, `Alertmanager never showed ${alert.alertname}`).toBeDefined();
  const errorMs = Math.abs(result.timeToDetect! * 1000 - (truth! - result.t0!));
  // The measured figures, kept for the record (reports/ is not committed).
  appendFileSync(
    MEASUREMENTS,
    `${JSON.stringify({
      scenario: record.scenario.metadata.name,
      alert: alert.alertname,
      timeToDetect: result.timeToDetect,
      startsAtErrorMs: errorMs,
      recovery: result.recovery?.status,
      timeToRecover: result.timeToRecover,
      verdict: result.verdict?.outcome,
      clockOffset: result.clockOffset,
    })}\n`,
  );
  expect(errorMs).toBeLessThanOrEqual(50);
  expect(result.detection!.timestampSource).toBe('startsAt');
  expect(['recovered', 'no impact']).toContain(result.recovery?.status);
  expect(result.verdict?.outcome).toMatch(/pass|fail/);
  expect(result.revertVerification?.state).toBe('reverted');
  expect(objectsMarkedBy(harness.lab, record.id)).toEqual([]);
}

describe('catalogue scenarios against the lab', () => {
  it("bad DENY policy (responders): detected, 403s measured, recovered by the responders' fix", async () => {
    const driver = new MeshLabDriver(harness.lab);
    const record = await run('bad-deny-policy.yaml', false, async (runId) => {
      await alerted(runId);
      const note = (type: 'acknowledged' | 'mitigated', text: string) =>
        harness.store.addResponderEvent(runId, { type, author: 'Ada', text, at: Date.now() });
      await note('acknowledged', 'paged by IstioHigh4xxErrorRate');
      // What the runbook says: delete the policy (the tool's revert then finds it gone).
      await driver.removePolicies(['payments']);
      await note('mitigated', 'deleted the DENY policy');
    });
    // The reports of this real run say what happened (SPEC §7).
    const input = {
      record,
      events: await harness.store.events(record.id),
      samples: await harness.store.samples(record.id),
      signalSamples: await harness.store.signalSamples(record.id),
    };
    const markdown = renderMarkdown(input);
    const html = renderHtml(input);
    for (const report of [markdown, html]) {
      expect(report).toContain('bad-deny-policy');
      expect(report).toContain('IstioHigh4xxErrorRate');
      expect(report).toMatch(/[Pp]reflight/);
      expect(report).toMatch(/[Cc]ollateral/);
      expect(report).toContain('paged by IstioHigh4xxErrorRate');
      expect(report).toContain(formatElapsed(record.result.timeToDetect! * 1000));
      expect(report).toContain(formatElapsed(record.result.timeToRecover! * 1000));
      expect(report.toLowerCase()).toContain(record.result.verdict!.outcome);
    }
    expect(html).toMatch(/<svg[^>]*role="img"/);
    writeFileSync('reports/test-artifacts/run-e2e-bad-deny-policy.html', html);
    writeFileSync('reports/test-artifacts/run-e2e-bad-deny-policy.md', markdown);
    const notes = (await harness.store.events(record.id)).filter((e) => e.type === 'responder');
    expect(notes.map((e) => [e.event, e.author])).toEqual([
      ['acknowledged', 'Ada'],
      ['mitigated', 'Ada'],
    ]);
    expectMeasured(record);
    expect(record.result.recovery?.impact).toBe('impact');
    expect(record.result.recovery?.status).toBe('recovered');
    expect(record.result.timeToRecover).toBeGreaterThan(record.result.timeToDetect!);
  }, 240_000);

  it('istiod OOM: detected, control plane restored', async () => {
    expectMeasured(await run('istiod-oom.yaml', true));
  }, 240_000);

  it('block xDS 15012: detected, policy removed', async () => {
    expectMeasured(await run('block-xds-15012.yaml', true));
  }, 240_000);

  it('block injection webhook 15017: detected, policy removed', async () => {
    expectMeasured(await run('block-webhook-15017.yaml', true));
  }, 240_000);

  it('gateway certificate expiry: handshakes fail, detected, original certificate back', async () => {
    const record = await run('gateway-cert-expiry.yaml', false);
    expectMeasured(record);
    expect(record.result.recovery?.impact).toBe('impact');
    expect(record.result.recovery?.status).toBe('recovered');
    const samples = await harness.store.samples(record.id);
    expect(
      samples.some((s) => s.detail?.includes('TLS handshake failure (CERT_HAS_EXPIRED)')),
    ).toBe(true);
  }, 240_000);
});
