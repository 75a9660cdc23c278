import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '../../lab/index.js';
import { startObservability, type Observability } from '../../lab/pipeline/observability.js';
import { getJson, startWebhookReceiver, waitFor, type WebhookReceiver } from '../support/index.js';
import { MeshLabDriver } from '../support/mesh-lab.js';
import { createCertificateAuthority, issueCertificate } from '../../src/pki.js';

// SPEC §9 end to end: the lab's telemetry scraped by a real Prometheus evaluating the shipped
// rules (lab variant: `for:` ÷ 60, windows capped at 30s), a real Alertmanager routing to a
// webhook. Faults are applied with plain API writes, as an operator would.

let lab: Lab;
let observability: Observability;
let receiver: WebhookReceiver;
let driver: MeshLabDriver;

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

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

async function firingInPrometheus(): Promise<string[]> {
  return (await alertsInPrometheus()).filter((a) => a.state === 'firing').map((a) => a.name);
}

/** Firing or pending. */
async function activeInPrometheus(): Promise<string[]> {
  return (await alertsInPrometheus()).map((a) => `${a.name} (${a.state})`);
}

/** Waits for Alertmanager to notify the webhook that `alertname` fires (after `since`). */
function fires(alertname: string, since: number, timeoutMs = 60_000) {
  return receiver.waitForAlert(
    (alert) =>
      alert.labels.alertname === alertname &&
      alert.status === 'firing' &&
      Date.parse(alert.startsAt) >= since - 1000,
    timeoutMs,
  );
}

function resolves(alertname: string, since: number, timeoutMs = 60_000) {
  return receiver.waitForAlert(
    (alert) =>
      alert.labels.alertname === alertname &&
      alert.status === 'resolved' &&
      Date.parse(alert.endsAt) >= since,
    timeoutMs,
  );
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

// Each fault starts from a quiet mesh, so an alert left over from the previous one (its rate
// window still holds the errors) cannot be mistaken for this fault's.
beforeEach(async () => {
  await waitFor(async () => (await activeInPrometheus()).length === 0, {
    description: () => 'no active alert in Prometheus',
    timeoutMs: 120_000,
    intervalMs: 1_000,
  });
}, 130_000);

describe('the lab with a real Prometheus and Alertmanager', () => {
  it('without faults, for 2 minutes: success ratio ≥ 99.9 % and no alert fires', async () => {
    const seen = new Set<string>();
    const end = Date.now() + 120_000;
    while (Date.now() < end) {
      for (const name of await firingInPrometheus()) seen.add(name);
      // An observation period, not synchronisation: the test watches the quiet mesh for 2 min.
      await delay(5_000);
    }
    expect([...seen]).toEqual([]);
    expect(receiver.received).toEqual([]);
    const [ratio] = await query(
      'sum(increase(istio_requests_total{reporter="source",response_code!~"4..|5.."}[2m])) / sum(increase(istio_requests_total{reporter="source"}[2m]))',
    );
    expect(ratio).toBeGreaterThanOrEqual(0.999);
  }, 180_000);

  it('istiod OOM: OOMKilled restarts, up 0 for istiod, crash-loop alert; restoring resolves it', async () => {
    const t0 = Date.now();
    const [baseline] = await query('sum(pilot_xds)');
    const original = (
      await driver.kube.apps.readNamespacedDeployment({ namespace: 'istio-system', name: 'istiod' })
    ).spec?.strategy;
    await driver.setIstiodMemory('32Mi', {
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 0, maxUnavailable: '100%' },
    });
    await waitFor(async () => (await query('up{job="istiod"} == 0')).length > 0, {
      description: 'up == 0 for the istiod target',
      timeoutMs: 30_000,
    });
    await fires('IstiodUnavailable', t0);
    await fires('IstiodOOMKilled', t0);
    const pods = await driver.istiodPods();
    expect(
      pods.some((pod) =>
        pod.status?.containerStatuses?.some((c) => c.lastState?.terminated?.reason === 'OOMKilled'),
      ),
    ).toBe(true);

    const restored = Date.now();
    await driver.setIstiodMemory(null, original ?? {});
    await resolves('IstiodUnavailable', restored);
    await waitFor(async () => (await query('sum(pilot_xds)'))[0] === baseline, {
      description: `pilot_xds back to its baseline ${baseline}`,
      timeoutMs: 30_000,
    });
  }, 180_000);

  it('15012 blocked + istiod restart: proxies disconnect, the alert fires, churn brings 503s; 15010 alone changes nothing', async () => {
    await driver.keepIstiodPorts('keep-15012', [15012, 15014, 15017]);
    await driver.restartIstiod();
    await driver.settled();
    expect(driver.connectedProxies()).toBe(driver.mesh.proxies().length);
    await driver.removePolicies([]);

    const t0 = Date.now();
    await driver.keepIstiodPorts('block-15012', [15010, 15014, 15017]);
    await driver.restartIstiod();
    await waitFor(
      async () => ((await query('avg(envoy_control_plane_connected_state)'))[0] ?? 1) < 0.5,
      { description: 'most proxies disconnected in Prometheus', timeoutMs: 30_000 },
    );
    await fires('IstioXdsConnectionsDropped', t0);
    await waitFor(
      async () =>
        ((await query('sum(increase(istio_requests_total{response_code="503"}[1m]))'))[0] ?? 0) > 0,
      { description: '503s from stale endpoints', timeoutMs: 90_000 },
    );
  }, 240_000);

  it('15017 blocked: pod creation in payments fails with the webhook message and the injection alert fires', async () => {
    const t0 = Date.now();
    await driver.keepIstiodPorts('block-15017', [15010, 15012, 15014]);
    await expect(
      driver.kube.core.createNamespacedPod({
        namespace: 'payments',
        body: {
          metadata: { name: 'needs-injection' },
          spec: { containers: [{ name: 'app', image: 'example/app:1' }] },
        },
      }),
    ).rejects.toMatchObject({
      code: 500,
      body: expect.stringContaining(
        'failed calling webhook \\"namespace.sidecar-injector.istio.io\\"',
      ),
    });
    await fires('IstioSidecarInjectionFailing', t0);
  }, 120_000);

  it('gateway credential pointed at an expired certificate: CERT_HAS_EXPIRED and the expiry alert; repointing back heals', async () => {
    expect(await driver.handshake()).toBe('ok');
    const t0 = Date.now();
    const day = 86_400_000;
    const issuer = await createCertificateAuthority('Expired test CA', {
      notBefore: new Date(t0 - 30 * day),
    });
    const expired = await issueCertificate(issuer, {
      commonName: 'shop.example.com',
      hosts: ['shop.example.com'],
      notBefore: new Date(t0 - 10 * day),
      notAfter: new Date(t0 - 2 * day),
    });
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    await driver.kube.core.createNamespacedSecret({
      namespace: 'istio-system',
      body: {
        metadata: { name: 'shop-expired' },
        type: 'kubernetes.io/tls',
        data: { 'tls.crt': b64(expired.cert + issuer.cert), 'tls.key': b64(expired.key) },
      },
    });
    const repoint = (credentialName: string) =>
      driver.kube.custom.patchNamespacedCustomObject({
        group: 'networking.istio.io',
        version: 'v1',
        namespace: 'istio-system',
        plural: 'gateways',
        name: 'shop-gateway',
        body: [
          { op: 'replace', path: '/spec/servers/0/tls/credentialName', value: credentialName },
        ],
      });
    const gateway = (await driver.kube.custom.getNamespacedCustomObject({
      group: 'networking.istio.io',
      version: 'v1',
      namespace: 'istio-system',
      plural: 'gateways',
      name: 'shop-gateway',
    })) as { spec: { servers: Array<{ tls?: { credentialName?: string } }> } };
    const original = gateway.spec.servers[0]?.tls?.credentialName ?? '';
    expect(original).toBe('shop-example-com-cert');
    try {
      await repoint('shop-expired');
      expect(await driver.handshake()).toBe('CERT_HAS_EXPIRED');
      await fires('EnvoySslCertificateExpired', t0);
      await fires('IstioGatewayTlsHandshakeErrors', t0);
    } finally {
      await repoint(original);
      await driver.kube.core.deleteNamespacedSecret({
        namespace: 'istio-system',
        name: 'shop-expired',
      });
    }
    expect(await driver.handshake()).toBe('ok');
  }, 120_000);

  it('a DENY policy in payments: 403 RBAC: access denied and the 4xx alert; deleting it brings success above 99 %', async () => {
    const t0 = Date.now();
    await driver.createAuthorizationPolicy('payments', 'deny-typo', {
      action: 'DENY',
      selector: { matchLabels: { app: 'payments-api' } },
      rules: [
        { from: [{ source: { notPrincipals: ['cluster.local/ns/orders/sa/orders-apii'] } }] },
      ],
    });
    await waitFor(async () => (await driver.probe()).body === 'RBAC: access denied', {
      description: '403 RBAC: access denied at the gateway',
      timeoutMs: 10_000,
    });
    await fires('IstioHigh4xxErrorRate', t0);
    await driver.removePolicies(['payments']);
    await waitFor(
      async () =>
        ((
          await query(
            'sum(rate(istio_requests_total{reporter="source",destination_workload_namespace="payments",response_code!~"4..|5.."}[10s])) / sum(rate(istio_requests_total{reporter="source",destination_workload_namespace="payments"}[10s]))',
          )
        )[0] ?? 0) > 0.99,
      { description: 'success ratio above 99 %', timeoutMs: 60_000 },
    );
  }, 120_000);
});
