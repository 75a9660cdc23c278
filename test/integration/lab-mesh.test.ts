import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '../../lab/index.js';
import type { KubeClients } from '../../src/kube/clients.js';
import { createCertificateAuthority } from '../../src/pki.js';
import { waitFor } from '../support/index.js';
import { MeshLabDriver } from '../support/mesh-lab.js';

// The mesh model against plain API writes (kubectl-equivalent), not the product's fault code:
// what a real Istio mesh does under each fault.

let lab: Lab;
let driver: MeshLabDriver;
let kube: KubeClients;

const connected = () => driver.connectedProxies();
const sidecars = () => driver.mesh.proxies().length;
const probe = () => driver.probe();

beforeAll(async () => {
  // Fast churn so that stale endpoints show up within seconds.
  lab = await startLab({ speed: 20, mesh: { churnIntervalMs: 4_000, drainMs: 1_000 } });
  driver = new MeshLabDriver(lab);
  kube = driver.kube;
});

afterAll(async () => {
  await lab?.stop();
});

afterEach(async () => {
  await driver.removePolicies(['payments']);
  await driver.settled();
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
    await driver.keepIstiodPorts('block-15012', [15010, 15014, 15017]);
    await driver.restartIstiod();
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
    // Pods that replace churned ones get no config, so their sidecar never turns ready.
    await waitFor(
      async () => {
        const pods = (await kube.core.listPodForAllNamespaces()).items;
        return pods.some(
          (pod) =>
            pod.status?.containerStatuses?.find((c) => c.name === 'istio-proxy')?.ready === false,
        );
      },
      { description: 'a new pod whose sidecar stays unready', timeoutMs: 10_000 },
    );
  });

  it('blocking only 15010 changes nothing for proxies on 15012', async () => {
    await driver.keepIstiodPorts('block-15010', [15012, 15014, 15017]);
    const before = (await driver.istiodPods()).map((p) => p.metadata?.uid);
    await driver.restartIstiod();
    await waitFor(
      async () => {
        const now = (await driver.istiodPods()).map((p) => p.metadata?.uid);
        return now.length === 1 && !before.includes(now[0]) && connected() === sidecars();
      },
      { description: 'every proxy reconnected to the new istiod', timeoutMs: 10_000 },
    );
    expect((await probe()).status).toBe(200);
  });

  it('blocking 15017 makes pod creation in an injected namespace fail with the webhook error', async () => {
    await driver.keepIstiodPorts('block-15017', [15010, 15012, 15014]);
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
    await driver.createAuthorizationPolicy('payments', 'deny-typo', {
      action: 'DENY',
      selector: { matchLabels: { app: 'payments-api' } },
      rules: [
        { from: [{ source: { notPrincipals: ['cluster.local/ns/orders/sa/orders-apii'] } }] },
      ],
    });
    await waitFor(async () => (await probe()).status === 403, {
      description: 'a 403 through the gateway',
      timeoutMs: 10_000,
    });
    expect((await probe()).body).toBe('RBAC: access denied');
    await driver.removePolicies(['payments']);
    await waitFor(async () => (await probe()).status === 200, {
      description: '200 again',
      timeoutMs: 10_000,
    });
  });

  it('istiod with a memory limit below its working set is OOMKilled and its target goes down; restoring brings it back', async () => {
    const patch = (limit: string | null, strategy: object) =>
      driver.setIstiodMemory(limit, strategy);
    const original = (
      await kube.apps.readNamespacedDeployment({ namespace: 'istio-system', name: 'istiod' })
    ).spec?.strategy;
    await patch('32Mi', {
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 0, maxUnavailable: '100%' },
    });
    await waitFor(
      async () =>
        (await driver.istiodPods()).some((pod) =>
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
    await driver.settled();
    // The model's view lags the API by a tick and churn keeps replacing pods: poll until the
    // new istiod's target serves pilot_xds counting every connected proxy.
    await waitFor(
      async () => {
        const running = lab.mesh!.istiods().filter((istiod) => istiod.running);
        if (running.length !== 1) return false;
        const res = await fetch(
          `${lab.telemetry!.url}/metrics/istiod/istio-system/${running[0]!.pod}`,
        );
        const xds = /^pilot_xds\{[^}]*\} (\d+)$/m.exec(await res.text());
        return (
          res.status === 200 &&
          xds !== null &&
          Number(xds[1]) > 0 &&
          Number(xds[1]) === driver.connectedProxies()
        );
      },
      { description: 'the new istiod target reporting every connected proxy in pilot_xds' },
    );
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
    await driver.restartIstiod();
    await waitFor(
      async () =>
        (await driver.istiodPods()).some((pod) =>
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
    await driver.restartIstiod();
    await driver.settled();
  });
});
