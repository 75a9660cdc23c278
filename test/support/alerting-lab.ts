import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { startLab, type Lab } from '../../lab/index.js';
import { startObservability, type Observability } from '../../lab/pipeline/observability.js';
import { getJson, startWebhookReceiver, waitFor, type WebhookReceiver } from './index.js';
import { MeshLabDriver } from './mesh-lab.js';

// SPEC §9 end to end: the lab's telemetry scraped by a real Prometheus evaluating the shipped
// rules (lab variant: `for:` ÷ 60, windows capped at 30s), a real Alertmanager routing to a
// webhook. Faults are applied with plain API writes, as an operator would. The test files of
// lab-alerts*.test.ts each run their own such stack, so that they run side by side.

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface AlertingLab {
  readonly lab: Lab;
  readonly observability: Observability;
  readonly receiver: WebhookReceiver;
  readonly driver: MeshLabDriver;
  /** The values of an instant PromQL query. */
  query(expr: string): Promise<number[]>;
  /** Alerts firing in Prometheus. */
  firingInPrometheus(): Promise<string[]>;
  /** Waits for Alertmanager to notify the webhook that `alertname` fires (after `since`). */
  fires(alertname: string, since: number, timeoutMs?: number): Promise<unknown>;
  /** Waits for Alertmanager to notify the webhook that `alertname` resolved (after `since`). */
  resolves(alertname: string, since: number, timeoutMs?: number): Promise<unknown>;
}

/**
 * Registers the hooks of a lab-alerts file: the stack before all tests, and before each test a
 * quiet mesh (no alert active in Prometheus), so that an alert left over from the previous
 * fault (its rate window still holds the errors) cannot be mistaken for this fault's.
 */
export function useAlertingLab(): AlertingLab {
  let lab: Lab;
  let observability: Observability;
  let receiver: WebhookReceiver;
  let driver: MeshLabDriver;

  async function query(expr: string): Promise<number[]> {
    const url = `${observability.prometheus.url}/api/v1/query?query=${encodeURIComponent(expr)}`;
    const body = (await getJson(url)) as { data: { result: Sample[] } };
    return body.data.result.map((sample) => Number(sample.value[1]));
  }

  async function alertsInPrometheus(): Promise<Array<{ name: string; state: string }>> {
    const body = (await getJson(`${observability.prometheus.url}/api/v1/alerts`)) as {
      data: { alerts: Array<{ labels: Record<string, string>; state: string }> };
    };
    return body.data.alerts.map((a) => ({ name: a.labels.alertname ?? '', state: a.state }));
  }

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    lab = await startLab({ speed: 20, mesh: { churnIntervalMs: 20_000, drainMs: 2_000 } });
    driver = new MeshLabDriver(lab);
    observability = await startObservability({
      sdUrl: lab.telemetry!.sdUrl,
      webhookUrl: receiver.url,
    });
    await waitFor(async () => (await query('up{job="istiod"} == 1')).length === 1, {
      description: 'Prometheus scraping istiod through service discovery',
      timeoutMs: 30_000,
    });
  }, 60_000);

  afterAll(async () => {
    await observability?.stop();
    await lab?.stop();
    await receiver?.close();
  });

  afterEach(async () => {
    await driver.removePolicies(['payments']);
    await driver.settled();
  });

  beforeEach(async () => {
    let active: string[] = [];
    await waitFor(
      async () => {
        active = (await alertsInPrometheus()).map((a) => `${a.name} (${a.state})`);
        return active.length === 0;
      },
      {
        description: () => `no active alert in Prometheus (active: ${active.join(', ')})`,
        timeoutMs: 120_000,
        intervalMs: 1_000,
      },
    );
  }, 130_000);

  return {
    get lab() {
      return lab;
    },
    get observability() {
      return observability;
    },
    get receiver() {
      return receiver;
    },
    get driver() {
      return driver;
    },
    query,
    firingInPrometheus: async () =>
      (await alertsInPrometheus()).filter((a) => a.state === 'firing').map((a) => a.name),
    fires: (alertname, since, timeoutMs = 60_000) =>
      receiver.waitForAlert(
        (alert) =>
          alert.labels.alertname === alertname &&
          alert.status === 'firing' &&
          Date.parse(alert.startsAt) >= since - 1000,
        timeoutMs,
      ),
    resolves: (alertname, since, timeoutMs = 60_000) =>
      receiver.waitForAlert(
        (alert) =>
          alert.labels.alertname === alertname &&
          alert.status === 'resolved' &&
          Date.parse(alert.endsAt) >= since,
        timeoutMs,
      ),
  };
}
