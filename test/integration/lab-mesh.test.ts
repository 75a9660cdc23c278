import { request } from 'node:https';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KubeConfig, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { startLab, type Lab } from '../../lab/index.js';
import { kubeClients, type KubeClients } from '../../src/kube/clients.js';
import { createCertificateAuthority } from '../../src/pki.js';
import { waitFor } from '../support/index.js';

// The mesh model against plain API writes (kubectl-equivalent), not the product's fault code:
// what a real Istio mesh does under each fault.

let lab: Lab;
let kube: KubeClients;

const ISTIOD = 'app=istiod';

async function istiodPods(): Promise<V1Pod[]> {
  return (await kube.core.listNamespacedPod({ namespace: 'istio-system', labelSelector: ISTIOD }))
    .items;
}

async function restartIstiod(): Promise<void> {
  for (const pod of await istiodPods())
    await kube.core.deleteNamespacedPod({
      namespace: 'istio-system',
      name: pod.metadata?.name ?? '',
    });
}

function blockIstiodPorts(name: string, keep: number[]) {
  return kube.networking.createNamespacedNetworkPolicy({
    namespace: 'istio-system',
    body: {
      metadata: { name },
      spec: {
        podSelector: { matchLabels: { app: 'istiod' } },
        policyTypes: ['Ingress'],
        ingress: [{ ports: keep.map((port) => ({ port, protocol: 'TCP' })) }],
      },
    },
  });
}

const connected = () => lab.mesh!.proxies().filter((p) => p.connected).length;
const sidecars = () => lab.mesh!.proxies().length;

/** One HTTPS request to the lab's ingress gateway, as an external client would send it. */
function probe(): Promise<{ status: number; body: string }> {
  const url = new URL(lab.gateway!.httpsUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: '/',
        servername: 'shop.example.com',
        headers: { host: 'shop.example.com' },
        rejectUnauthorized: false,
      },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function meshSettled(): Promise<void> {
  await waitFor(async () => (await istiodPods()).length === 1 && connected() === sidecars(), {
    description: 'every proxy connected to istiod',
    timeoutMs: 20_000,
  });
}

beforeAll(async () => {
  // Fast churn so that stale endpoints show up within seconds.
  lab = await startLab({ speed: 20, mesh: { churnIntervalMs: 4_000, drainMs: 1_000 } });
  const config = new KubeConfig();
  config.loadFromString(lab.kubeconfig());
  kube = kubeClients(config);
});

afterAll(async () => {
  await lab?.stop();
});

afterEach(async () => {
  for (const policy of (
    await kube.networking.listNamespacedNetworkPolicy({ namespace: 'istio-system' })
  ).items)
    await kube.networking.deleteNamespacedNetworkPolicy({
      namespace: 'istio-system',
      name: policy.metadata?.name ?? '',
    });
  for (const policy of (
    (await kube.custom.listNamespacedCustomObject({
      group: 'security.istio.io',
      version: 'v1',
      namespace: 'payments',
      plural: 'authorizationpolicies',
    })) as { items: Array<{ metadata: { name: string } }> }
  ).items)
    await kube.custom.deleteNamespacedCustomObject({
      group: 'security.istio.io',
      version: 'v1',
      namespace: 'payments',
      plural: 'authorizationpolicies',
      name: policy.metadata.name,
    });
  await meshSettled();
});

describe('the mesh lab', () => {
  it('injects sidecars, connects every proxy and serves the shop through the gateway', async () => {
    const pods = (await kube.core.listNamespacedPod({ namespace: 'payments' })).items;
    expect(pods.length).toBeGreaterThan(0);
    for (const pod of pods) {
      expect(pod.spec?.containers.map((c) => c.name)).toContain('istio-proxy');
      expect(pod.metadata?.labels?.['security.istio.io/tlsMode']).toBe('istio');
    }
    expect(connected()).toBe(sidecars());
    expect(await probe()).toEqual({ status: 200, body: 'ok' });
  });

  it('blocking 15012 and restarting istiod disconnects the proxies, and churn turns stale endpoints into 503s', async () => {
    await blockIstiodPorts('block-15012', [15010, 15014, 15017]);
    await restartIstiod();
    await waitFor(() => connected() === 0, {
      description: 'every proxy disconnected',
      timeoutMs: 10_000,
    });
    // Disconnected proxies keep their last config, so traffic carries on at first …
    // … until churn has replaced every endpoint a stale proxy knows of.
    await waitFor(
      async () => {
        const { status, body } = await probe();
        return status === 503 && /upstream connect error|no healthy upstream/.test(body);
      },
      { description: 'a 503 from stale endpoints', timeoutMs: 30_000, intervalMs: 200 },
    );
    // New pods get no config, so they never turn ready.
    const stuck = (await kube.core.listNamespacedPod({ namespace: 'orders' })).items.filter(
      (pod) =>
        pod.status?.containerStatuses?.find((c) => c.name === 'istio-proxy')?.ready === false,
    );
    expect(stuck.length).toBeGreaterThan(0);
  });

  it('blocking only 15010 changes nothing for proxies on 15012', async () => {
    await blockIstiodPorts('block-15010', [15012, 15014, 15017]);
    const before = (await istiodPods()).map((p) => p.metadata?.uid);
    await restartIstiod();
    await waitFor(
      async () => {
        const now = (await istiodPods()).map((p) => p.metadata?.uid);
        return now.length === 1 && !before.includes(now[0]) && connected() === sidecars();
      },
      { description: 'every proxy reconnected to the new istiod', timeoutMs: 10_000 },
    );
    expect((await probe()).status).toBe(200);
  });

  it('blocking 15017 makes pod creation in an injected namespace fail with the webhook error', async () => {
    await blockIstiodPorts('block-15017', [15010, 15012, 15014]);
    const attempt = kube.core.createNamespacedPod({
      namespace: 'payments',
      body: {
        metadata: { name: 'needs-injection' },
        spec: { containers: [{ name: 'app', image: 'example/app:1' }] },
      },
    });
    await expect(attempt).rejects.toMatchObject({
      code: 500,
      body: expect.stringContaining(
        'failed calling webhook \\"namespace.sidecar-injector.istio.io\\": failed to call webhook: Post \\"https://istiod.istio-system.svc:443/inject?timeout=10s\\": context deadline exceeded',
      ),
    });
    // A namespace without injection is not affected.
    await kube.core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name: 'no-injection' },
        spec: { containers: [{ name: 'app', image: 'example/app:1' }] },
      },
    });
    await kube.core.deleteNamespacedPod({ namespace: 'default', name: 'no-injection' });
  });

  it('a DENY policy in payments answers 403 RBAC: access denied; deleting it restores 200', async () => {
    await kube.custom.createNamespacedCustomObject({
      group: 'security.istio.io',
      version: 'v1',
      namespace: 'payments',
      plural: 'authorizationpolicies',
      body: {
        apiVersion: 'security.istio.io/v1',
        kind: 'AuthorizationPolicy',
        metadata: { name: 'deny-typo' },
        spec: {
          action: 'DENY',
          selector: { matchLabels: { app: 'payments-api' } },
          rules: [
            { from: [{ source: { notPrincipals: ['cluster.local/ns/orders/sa/orders-apii'] } }] },
          ],
        },
      },
    });
    await waitFor(async () => (await probe()).status === 403, {
      description: 'a 403 through the gateway',
      timeoutMs: 10_000,
    });
    expect((await probe()).body).toBe('RBAC: access denied');
    await kube.custom.deleteNamespacedCustomObject({
      group: 'security.istio.io',
      version: 'v1',
      namespace: 'payments',
      plural: 'authorizationpolicies',
      name: 'deny-typo',
    });
    await waitFor(async () => (await probe()).status === 200, {
      description: '200 again',
      timeoutMs: 10_000,
    });
  });

  it('istiod with a memory limit below its working set is OOMKilled and its target goes down; restoring brings it back', async () => {
    const patch = (limit: string | null, strategy: object) =>
      kube.apps.patchNamespacedDeployment(
        {
          namespace: 'istio-system',
          name: 'istiod',
          body: {
            spec: {
              strategy,
              template: {
                spec: {
                  containers: [
                    {
                      name: 'discovery',
                      resources: {
                        limits: { memory: limit },
                        requests: { memory: limit ?? '2Gi' },
                      },
                    },
                  ],
                },
              },
            },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      );
    const original = (
      await kube.apps.readNamespacedDeployment({ namespace: 'istio-system', name: 'istiod' })
    ).spec?.strategy;
    await patch('32Mi', {
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 0, maxUnavailable: '100%' },
    });
    await waitFor(
      async () =>
        (await istiodPods()).some((pod) =>
          pod.status?.containerStatuses?.some(
            (c) => c.lastState?.terminated?.reason === 'OOMKilled' && c.restartCount > 0,
          ),
        ),
      { description: 'an OOMKilled istiod', timeoutMs: 15_000 },
    );
    const [oom] = lab.mesh!.istiods();
    await waitFor(
      async () =>
        (await fetch(`${lab.telemetry!.url}/metrics/istiod/istio-system/${oom!.pod}`)).status ===
        503,
      { description: 'the istiod target answering 503', timeoutMs: 10_000 },
    );
    await patch(null, original ?? {});
    await meshSettled();
    const [back] = lab.mesh!.istiods();
    const text = await (
      await fetch(`${lab.telemetry!.url}/metrics/istiod/istio-system/${back!.pod}`)
    ).text();
    expect(text).toMatch(new RegExp(`^pilot_xds\\{[^}]*\\} ${sidecars()}$`, 'm'));
  });

  it('istiod refuses an expired plugged-in CA and crash-loops until cacerts is removed', async () => {
    const past = new Date(Date.now() - 2 * 86_400_000);
    const ca = await createCertificateAuthority('expired intermediate', {
      notBefore: new Date(past.getTime() - 86_400_000),
      notAfter: past,
    });
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    await kube.core.createNamespacedSecret({
      namespace: 'istio-system',
      body: {
        metadata: { name: 'cacerts' },
        data: {
          'ca-cert.pem': b64(ca.cert),
          'ca-key.pem': b64(ca.key),
          'root-cert.pem': b64(ca.cert),
          'cert-chain.pem': b64(ca.cert),
        },
      },
    });
    await restartIstiod();
    await waitFor(
      async () =>
        (await istiodPods()).some((pod) =>
          pod.status?.containerStatuses?.some(
            (c) =>
              c.lastState?.terminated?.reason === 'Error' &&
              /certificate has expired/.test(c.lastState.terminated.message ?? '') &&
              c.state?.waiting?.reason === 'CrashLoopBackOff',
          ),
        ),
      { description: 'istiod crash-looping on the expired CA', timeoutMs: 15_000 },
    );
    await kube.core.deleteNamespacedSecret({ namespace: 'istio-system', name: 'cacerts' });
    await restartIstiod();
    await meshSettled();
  });
});
