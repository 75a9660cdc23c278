import { describe, expect, it } from 'vitest';
import { createCertificateAuthority, issueCertificate } from '../../src/pki.js';
import { useAlertingLab } from '../support/alerting-lab.js';
import { waitFor } from '../support/index.js';

// SPEC §9 end to end, each fault of the catalogue applied by hand: the lab's telemetry, the
// shipped rules in a real Prometheus and Alertmanager (see test/support/alerting-lab.ts). The
// quiet mesh without faults is lab-alerts-quiet.test.ts.

const stack = useAlertingLab();

describe('the lab with a real Prometheus and Alertmanager', () => {
  it('istiod OOM: OOMKilled restarts, up 0 for istiod, crash-loop alert; restoring resolves it', async () => {
    const t0 = Date.now();
    const [baseline] = await stack.query('sum(pilot_xds)');
    const original = (
      await stack.driver.kube.apps.readNamespacedDeployment({
        namespace: 'istio-system',
        name: 'istiod',
      })
    ).spec?.strategy;
    await stack.driver.setIstiodMemory('32Mi', {
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 0, maxUnavailable: '100%' },
    });
    await waitFor(async () => (await stack.query('up{job="istiod"} == 0')).length > 0, {
      description: 'up == 0 for the istiod target',
      timeoutMs: 30_000,
    });
    await stack.fires('IstiodUnavailable', t0);
    await stack.fires('IstiodOOMKilled', t0);
    const pods = await stack.driver.istiodPods();
    expect(
      pods.some((pod) =>
        pod.status?.containerStatuses?.some((c) => c.lastState?.terminated?.reason === 'OOMKilled'),
      ),
    ).toBe(true);

    const restored = Date.now();
    await stack.driver.setIstiodMemory(null, original ?? {});
    await stack.resolves('IstiodUnavailable', restored);
    await waitFor(async () => (await stack.query('sum(pilot_xds)'))[0] === baseline, {
      description: `pilot_xds back to its baseline ${baseline}`,
      timeoutMs: 30_000,
    });
  }, 180_000);

  it('15012 blocked + istiod restart: proxies disconnect, the alert fires, churn brings 503s; 15010 alone changes nothing', async () => {
    await stack.driver.keepIstiodPorts('keep-15012', [15012, 15014, 15017]);
    await stack.driver.restartIstiod();
    await stack.driver.settled();
    expect(stack.driver.connectedProxies()).toBe(stack.driver.mesh.proxies().length);
    await stack.driver.removePolicies([]);

    const t0 = Date.now();
    await stack.driver.keepIstiodPorts('block-15012', [15010, 15014, 15017]);
    await stack.driver.restartIstiod();
    await waitFor(
      async () => ((await stack.query('avg(envoy_control_plane_connected_state)'))[0] ?? 1) < 0.5,
      { description: 'most proxies disconnected in Prometheus', timeoutMs: 30_000 },
    );
    await stack.fires('IstioXdsConnectionsDropped', t0);
    await waitFor(
      async () =>
        ((await stack.query('sum(increase(istio_requests_total{response_code="503"}[1m]))'))[0] ??
          0) > 0,
      { description: '503s from stale endpoints', timeoutMs: 90_000 },
    );
  }, 240_000);

  it('15017 blocked: pod creation in payments fails with the webhook message and the injection alert fires', async () => {
    const t0 = Date.now();
    await stack.driver.keepIstiodPorts('block-15017', [15010, 15012, 15014]);
    await expect(
      stack.driver.kube.core.createNamespacedPod({
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
    await stack.fires('IstioSidecarInjectionFailing', t0);
  }, 120_000);

  it('gateway credential pointed at an expired certificate: CERT_HAS_EXPIRED and the expiry alert; repointing back heals', async () => {
    expect(await stack.driver.handshake()).toBe('ok');
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
    await stack.driver.kube.core.createNamespacedSecret({
      namespace: 'istio-system',
      body: {
        metadata: { name: 'shop-expired' },
        type: 'kubernetes.io/tls',
        data: { 'tls.crt': b64(expired.cert + issuer.cert), 'tls.key': b64(expired.key) },
      },
    });
    const repoint = (credentialName: string) =>
      stack.driver.kube.custom.patchNamespacedCustomObject({
        group: 'networking.istio.io',
        version: 'v1',
        namespace: 'istio-system',
        plural: 'gateways',
        name: 'shop-gateway',
        body: [
          { op: 'replace', path: '/spec/servers/0/tls/credentialName', value: credentialName },
        ],
      });
    const gateway = (await stack.driver.kube.custom.getNamespacedCustomObject({
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
      expect(await stack.driver.handshake()).toBe('CERT_HAS_EXPIRED');
      await stack.fires('EnvoySslCertificateExpired', t0);
      await stack.fires('IstioGatewayTlsHandshakeErrors', t0);
    } finally {
      await repoint(original);
      await stack.driver.kube.core.deleteNamespacedSecret({
        namespace: 'istio-system',
        name: 'shop-expired',
      });
    }
    expect(await stack.driver.handshake()).toBe('ok');
  }, 120_000);

  it('a DENY policy in payments: 403 RBAC: access denied and the 4xx alert; deleting it brings success above 99 %', async () => {
    const t0 = Date.now();
    await stack.driver.createAuthorizationPolicy('payments', 'deny-typo', {
      action: 'DENY',
      selector: { matchLabels: { app: 'payments-api' } },
      rules: [
        { from: [{ source: { notPrincipals: ['cluster.local/ns/orders/sa/orders-apii'] } }] },
      ],
    });
    await waitFor(async () => (await stack.driver.probe()).body === 'RBAC: access denied', {
      description: '403 RBAC: access denied at the gateway',
      timeoutMs: 10_000,
    });
    await stack.fires('IstioHigh4xxErrorRate', t0);
    await stack.driver.removePolicies(['payments']);
    await waitFor(
      async () =>
        ((
          await stack.query(
            'sum(rate(istio_requests_total{reporter="source",destination_workload_namespace="payments",response_code!~"4..|5.."}[10s])) / sum(rate(istio_requests_total{reporter="source",destination_workload_namespace="payments"}[10s]))',
          )
        )[0] ?? 0) > 0.99,
      { description: 'success ratio above 99 %', timeoutMs: 60_000 },
    );
  }, 120_000);
});
